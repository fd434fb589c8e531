//! SQLite's defensive settings, applied to every connection before it reads anything.
//!
//! A workspace is a case file someone else may have made: its schema (views, triggers, index
//! expressions) is input, like a log. Each connection therefore runs in SQLite's defensive mode
//! (no `writable_schema`, no writes to shadow tables or `sqlite_dbpage`, no deliberate
//! corruption), with `trusted_schema` off (functions with side effects cannot run from the
//! schema) and with at most zero attached databases, so no statement can `ATTACH` a file and
//! write outside the workspace. sqlx exposes no setting for these, so they go through SQLite's
//! C API on the connection sqlx holds, as [`super::bulk`] does.
#![allow(unsafe_code)]

use std::ffi::c_int;

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

/// Applies the defensive settings to the connection behind `handle`.
pub(crate) fn harden(handle: &mut LockedSqliteHandle<'_>) -> Result<(), sqlx::Error> {
    let db = handle.as_raw_handle().as_ptr();
    for (op, name) in [
        (ffi::SQLITE_DBCONFIG_DEFENSIVE, "defensive mode"),
        (ffi::SQLITE_DBCONFIG_TRUSTED_SCHEMA, "untrusted schema"),
    ] {
        // Defensive mode on (1); trusted schema off (0).
        let on: c_int = c_int::from(op == ffi::SQLITE_DBCONFIG_DEFENSIVE);
        let mut now: c_int = -1;
        // SAFETY: `db` is the open connection the lock guards; these two options take an int
        // and an int pointer that SQLite writes the resulting setting to.
        let rc = unsafe { ffi::sqlite3_db_config(db, op, on, &mut now as *mut c_int) };
        if rc != ffi::SQLITE_OK || now != on {
            return Err(sqlx::Error::Configuration(
                format!("SQLite refused {name} (code {rc})").into(),
            ));
        }
    }
    // SAFETY: `db` is open; sqlite3_limit only reads and sets an integer of the connection.
    let attached = unsafe {
        ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_ATTACHED, 0);
        ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_ATTACHED, -1)
    };
    if attached != 0 {
        return Err(sqlx::Error::Configuration(
            format!("SQLite kept {attached} attachable databases, expected 0").into(),
        ));
    }
    Ok(())
}
