//! Workspace settings (key -> JSON value).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Workspace;
use crate::error::Result;

/// Extra reserved names the user added (JSON array of strings).
pub const RESERVED_NAMES: &str = "reserved_names";

pub async fn get<T: DeserializeOwned>(ws: &Workspace, key: &str) -> Result<Option<T>> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(ws.pool())
        .await?;
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
}

pub async fn set<T: Serialize>(ws: &Workspace, key: &str, value: &T) -> Result<()> {
    let json = serde_json::to_string(value).expect("settings values serialize");
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(json)
    .execute(ws.pool())
    .await?;
    Ok(())
}
