//! Workspace settings (key -> JSON value).

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqliteConnection;

use super::Workspace;
use crate::error::Result;

/// Extra reserved names the user added (JSON array of strings).
pub const RESERVED_NAMES: &str = "reserved_names";

/// The reserved names (built-in and extra, lower case) the diagnosis was last made with.
pub const DIAGNOSIS_RULES: &str = "diagnosis_rules";

/// The store snapshot whose access the diagnosis was last weighed against (`entity_access`),
/// or null when none was.
pub const ACCESS_WEIGHED_AGAINST: &str = "access_weighed_against";

pub async fn get<T: DeserializeOwned>(ws: &Workspace, key: &str) -> Result<Option<T>> {
    get_in(&mut *ws.pool().acquire().await?, key).await
}

pub async fn set<T: Serialize>(ws: &Workspace, key: &str, value: &T) -> Result<()> {
    set_in(&mut *ws.pool().acquire().await?, key, value).await
}

/// [`get`] on one connection (inside its transaction).
pub async fn get_in<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<T>> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
}

/// [`set`] on one connection (inside its transaction).
pub async fn set_in<T: Serialize>(conn: &mut SqliteConnection, key: &str, value: &T) -> Result<()> {
    let json = serde_json::to_string(value).expect("settings values serialize");
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(any(test, feature = "internals"))]
pub async fn clear_in(conn: &mut SqliteConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = ?")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
