//! Bulk writes through SQLite's C API on the connection sqlx holds.
//!
//! sqlx copies every bound value into an owned argument list and hands each statement to its
//! worker thread; for the hundreds of thousands of rows of a large import that bookkeeping cost
//! more than SQLite's own work. Here one prepared statement is bound straight from borrowed
//! values and stepped once per row, on the connection sqlx has locked for us (so inside the
//! import's transaction). The unsafe code of the crate lives in this module only: every pointer
//! handed to SQLite is either owned by [`Statement`] or borrowed for the duration of one
//! [`Statement::execute`], which clears its bindings before returning.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use crate::error::{Error, Result};

/// One value to bind, borrowed for one execution.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}

/// A statement prepared on a locked connection; finalized when dropped. It borrows the lock,
/// so it cannot outlive it, and sqlx cannot use the connection meanwhile.
pub struct Statement<'h> {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
    params: c_int,
    _lock: PhantomData<&'h mut ()>,
}

impl<'h> Statement<'h> {
    pub fn prepare(handle: &'h mut LockedSqliteHandle<'_>, sql: &CStr) -> Result<Self> {
        let db = handle.as_raw_handle();
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is the open connection the lock guards; `sql` is NUL-terminated and
        // outlives the call; `stmt` receives a statement we own (finalized in Drop).
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db.as_ptr(),
                sql.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| Error::Storage("an empty statement was prepared".to_string()))?;
        // SAFETY: `stmt` is a valid prepared statement.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(Statement {
            db,
            stmt,
            params,
            _lock: PhantomData,
        })
    }

    /// Binds `values` to the statement's parameters in order, runs it to completion (these are
    /// writes: a statement that returns rows is an error) and clears the bindings, so no
    /// borrowed value is referenced after this returns.
    pub fn execute(&mut self, values: &[Param<'_>]) -> Result<()> {
        if values.len() != self.params as usize {
            return Err(Error::Storage(format!(
                "statement takes {} values, {} given",
                self.params,
                values.len()
            )));
        }
        let stmt = self.stmt.as_ptr();
        let result = values
            .iter()
            .zip(1..)
            .try_for_each(|(value, index)| self.bind(index, *value))
            .and_then(|()| {
                // SAFETY: every parameter is bound to a value that lives until the bindings
                // are cleared below.
                match unsafe { ffi::sqlite3_step(stmt) } {
                    ffi::SQLITE_DONE => Ok(()),
                    ffi::SQLITE_ROW => Err(Error::Storage(
                        "a bulk write returned rows; it takes statements that return none"
                            .to_string(),
                    )),
                    rc => Err(error(self.db, rc)),
                }
            });
        // SAFETY: resetting and clearing a valid statement; after this SQLite holds no
        // pointer into `values`.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        result
    }

    fn bind(&self, index: c_int, value: Param<'_>) -> Result<()> {
        let stmt = self.stmt.as_ptr();
        // SAFETY: `stmt` is valid and `index` within 1..=params; text and blobs are bound with
        // SQLITE_STATIC (no copy) and stay borrowed until `execute` clears the bindings.
        let rc = unsafe {
            match value {
                Param::Null => ffi::sqlite3_bind_null(stmt, index),
                Param::Int(v) => ffi::sqlite3_bind_int64(stmt, index, v),
                Param::Text(v) => ffi::sqlite3_bind_text64(
                    stmt,
                    index,
                    v.as_ptr().cast(),
                    v.len() as u64,
                    ffi::SQLITE_STATIC(),
                    ffi::SQLITE_UTF8 as u8,
                ),
                Param::Blob(v) => ffi::sqlite3_bind_blob64(
                    stmt,
                    index,
                    v.as_ptr().cast(),
                    v.len() as u64,
                    ffi::SQLITE_STATIC(),
                ),
            }
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error(self.db, rc))
        }
    }

    /// The rowid of the last row this connection inserted.
    pub fn last_insert_rowid(&self) -> i64 {
        // SAFETY: `db` is the open connection the lock guards.
        unsafe { ffi::sqlite3_last_insert_rowid(self.db.as_ptr()) }
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by us and is finalized exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

fn error(db: NonNull<ffi::sqlite3>, rc: c_int) -> Error {
    // SAFETY: `db` is open; sqlite3_errmsg returns a NUL-terminated string owned by SQLite,
    // copied here before any other call on the connection.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    Error::Storage(format!("{message} (SQLite code {rc})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Workspace;

    async fn scratch() -> (Workspace, sqlx::pool::PoolConnection<sqlx::Sqlite>) {
        let ws = Workspace::in_memory().await.unwrap();
        let mut conn = ws.pool().acquire().await.unwrap();
        sqlx::query("CREATE TEMP TABLE t (i INTEGER, s TEXT NOT NULL, b BLOB, n TEXT)")
            .execute(&mut *conn)
            .await
            .unwrap();
        (ws, conn)
    }

    #[tokio::test]
    async fn rows_bound_from_borrowed_values_read_back_intact() {
        let (_ws, mut conn) = scratch().await;
        let texts: Vec<String> = (0..3).map(|n| format!("naïve \"{n}\"\0tail")).collect();
        {
            let mut handle = conn.lock_handle().await.unwrap();
            let mut insert =
                Statement::prepare(&mut handle, c"INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
            for (n, text) in (0i64..).zip(&texts) {
                let blob = [n as u8, 0, 255];
                insert
                    .execute(&[n.into(), text.into(), Param::Blob(&blob), Param::Null])
                    .unwrap();
                assert_eq!(insert.last_insert_rowid(), n + 1);
            }
        }
        let rows: Vec<(i64, String, Vec<u8>, Option<String>)> =
            sqlx::query_as("SELECT i, s, b, n FROM t ORDER BY i")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(rows.len(), 3);
        for (n, (i, s, b, none)) in rows.into_iter().enumerate() {
            assert_eq!(i, n as i64);
            assert_eq!(
                s, texts[n],
                "text with quotes, NUL and non-ASCII kept byte for byte"
            );
            assert_eq!(b, vec![n as u8, 0, 255]);
            assert_eq!(none, None);
        }
    }

    #[tokio::test]
    async fn a_failing_row_reports_sqlites_message_and_the_statement_goes_on() {
        let (_ws, mut conn) = scratch().await;
        let mut handle = conn.lock_handle().await.unwrap();
        let mut insert =
            Statement::prepare(&mut handle, c"INSERT INTO t VALUES (?, ?, NULL, NULL)").unwrap();
        let err = insert.execute(&[1i64.into(), Param::Null]).unwrap_err();
        assert!(
            err.to_string().contains("NOT NULL constraint failed: t.s"),
            "{err}"
        );
        let err = insert.execute(&[1i64.into()]).unwrap_err();
        assert!(err.to_string().contains("takes 2 values, 1 given"), "{err}");
        insert.execute(&[2i64.into(), "ok".into()]).unwrap();
        drop(insert);
        let err = Statement::prepare(&mut handle, c"INSERT INTO missing VALUES (?)")
            .err()
            .unwrap();
        assert!(err.to_string().contains("no such table: missing"), "{err}");
    }
}
