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
        Self::prepare_on(handle.as_raw_handle(), sql)
    }

    /// Prepares `sqls` on one locked connection, to be stepped in turn (SQLite runs any number
    /// of statements on a connection; all of them borrow the one lock).
    pub fn prepare_all<const N: usize>(
        handle: &'h mut LockedSqliteHandle<'_>,
        sqls: [&CStr; N],
    ) -> Result<[Self; N]> {
        let db = handle.as_raw_handle();
        let prepared = sqls
            .into_iter()
            .map(|sql| Self::prepare_on(db, sql))
            .collect::<Result<Vec<_>>>()?;
        prepared
            .try_into()
            .map_err(|_| Error::Storage("statements were lost while preparing".to_string()))
    }

    fn prepare_on(db: NonNull<ffi::sqlite3>, sql: &CStr) -> Result<Self> {
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
        self.query(values, |_| {
            Err(Error::Storage(
                "a bulk write returned rows; it takes statements that return none".to_string(),
            ))
        })
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

    /// Binds `values`, steps through every row the statement returns and hands each to
    /// `each`, read in place (nothing copied: a row's texts are borrowed until `each`
    /// returns), then resets the statement and clears the bindings.
    pub fn query(
        &mut self,
        values: &[Param<'_>],
        mut each: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
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
            .and_then(|()| loop {
                // SAFETY: every parameter is bound to a value that lives until the bindings
                // are cleared below.
                match unsafe { ffi::sqlite3_step(stmt) } {
                    ffi::SQLITE_ROW => each(&Row {
                        stmt: self.stmt,
                        _step: PhantomData,
                    })?,
                    ffi::SQLITE_DONE => break Ok(()),
                    rc => break Err(error(self.db, rc)),
                }
            });
        // SAFETY: as in `execute`: after this SQLite holds no pointer into `values`, and no
        // `Row` is left (each lived for one call of `each`).
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        result
    }

    /// The rowid of the last row this connection inserted.
    pub fn last_insert_rowid(&self) -> i64 {
        // SAFETY: `db` is the open connection the lock guards.
        unsafe { ffi::sqlite3_last_insert_rowid(self.db.as_ptr()) }
    }
}

/// The current row of a [`Statement::query`], valid for one call of its callback: the texts
/// it hands out point into SQLite's row buffer, which the next step reuses.
pub struct Row<'s> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    _step: PhantomData<&'s ()>,
}

impl Row<'_> {
    fn kind(&self, col: c_int) -> c_int {
        // SAFETY: `stmt` has a current row (we are inside the step that produced it).
        unsafe { ffi::sqlite3_column_type(self.stmt.as_ptr(), col) }
    }

    /// Column `col` (from 0) as an integer; NULL is `None`, and any other type is a damaged
    /// workspace (never read as 0, as SQLite's conversion would).
    pub fn int(&self, col: c_int) -> Result<Option<i64>> {
        match self.kind(col) {
            ffi::SQLITE_NULL => Ok(None),
            // SAFETY: `stmt` has a current row and the column holds an integer.
            ffi::SQLITE_INTEGER => Ok(Some(unsafe {
                ffi::sqlite3_column_int64(self.stmt.as_ptr(), col)
            })),
            other => Err(mistyped(col, other, "a whole number")),
        }
    }

    /// Column `col` (from 0) as text, borrowed from the row; NULL is `None`, and any other
    /// type, or text that is not UTF-8, is a damaged workspace.
    pub fn text(&self, col: c_int) -> Result<Option<&str>> {
        match self.kind(col) {
            ffi::SQLITE_NULL => return Ok(None),
            ffi::SQLITE_TEXT => {}
            other => return Err(mistyped(col, other, "text")),
        }
        let stmt = self.stmt.as_ptr();
        // SAFETY: `stmt` has a current row whose column holds text, so no conversion happens:
        // sqlite3_column_text returns a pointer valid until the next step or reset, and the
        // slice is borrowed from `self`, which lives only while the row is current.
        let bytes = unsafe {
            let ptr = ffi::sqlite3_column_text(stmt, col);
            let len = ffi::sqlite3_column_bytes(stmt, col);
            if ptr.is_null() {
                return Ok(Some(""));
            }
            std::slice::from_raw_parts(ptr, len as usize)
        };
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::corrupt(format!("column {col} of a row holds text that is not UTF-8")))
    }
}

fn mistyped(col: c_int, found: c_int, expected: &str) -> Error {
    let found = match found {
        ffi::SQLITE_INTEGER => "a whole number",
        ffi::SQLITE_FLOAT => "a real number",
        ffi::SQLITE_TEXT => "text",
        ffi::SQLITE_BLOB => "bytes",
        _ => "a value of unknown type",
    };
    Error::corrupt(format!("column {col} of a row holds {found} where {expected} belongs"))
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
    async fn a_query_hands_each_row_in_place_and_refuses_text_that_is_not_utf8() {
        let (_ws, mut conn) = scratch().await;
        let mut handle = conn.lock_handle().await.unwrap();
        {
            let mut insert =
                Statement::prepare(&mut handle, c"INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
            for (i, s) in [(1i64, "één"), (2, "two"), (3, "three")] {
                insert
                    .execute(&[i.into(), s.into(), Param::Null, Param::Null])
                    .unwrap();
            }
        }
        let mut select =
            Statement::prepare(&mut handle, c"SELECT i, s, n FROM t WHERE i >= ? ORDER BY i")
                .unwrap();
        let mut seen = Vec::new();
        select
            .query(&[2i64.into()], |row| {
                let text = |col| row.text(col).map(|t| t.map(str::to_string));
                seen.push((row.int(0)?, text(1)?, text(2)?));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![
                (Some(2), Some("two".to_string()), None),
                (Some(3), Some("three".to_string()), None)
            ]
        );
        drop(select);
        let mut bad = Statement::prepare(&mut handle, c"SELECT CAST(x'ff' AS TEXT), 'twelve'").unwrap();
        let err = bad.query(&[], |row| row.text(0).map(drop)).unwrap_err();
        assert_eq!(err.code(), crate::error::ErrorCode::Corrupt, "{err}");
        let err = bad.query(&[], |row| row.int(1).map(drop)).unwrap_err();
        assert!(
            err.to_string().contains("holds text where a whole number belongs"),
            "a text is never read as 0: {err}"
        );
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
        let mut select = Statement::prepare(&mut handle, c"SELECT s FROM t WHERE i = ?").unwrap();
        let err = select.execute(&[2i64.into()]).unwrap_err();
        assert!(err.to_string().contains("returned rows"), "{err}");
        drop(select);
        let err = Statement::prepare(&mut handle, c"INSERT INTO missing VALUES (?)")
            .err()
            .unwrap();
        assert!(err.to_string().contains("no such table: missing"), "{err}");
    }
}
