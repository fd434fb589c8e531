//! Reads of the log diagnosis (`entities`, `events`) that link compare and preflight results to
//! their log evidence: every diagnosed entity with its ids, and the skip reasons the IdP logged.

use std::collections::HashMap;

use sqlx::FromRow;

use super::Workspace;
use crate::error::Result;

/// One diagnosed entity, as compare needs it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LoggedEntity {
    pub entity_key: String,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub category: Option<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub idp_id: Option<String>,
    pub target_id: Option<String>,
    pub external_id: Option<String>,
    pub events: i64,
    pub failures: i64,
    pub last_seen: Option<i64>,
}

/// Every diagnosed user and group (refresh the diagnosis first).
pub async fn entities(ws: &Workspace) -> Result<Vec<LoggedEntity>> {
    Ok(sqlx::query_as(
        "SELECT entity_key, kind, name, status, category, message, fix, idp_id, target_id, external_id, events, \
         failures, last_seen FROM entities WHERE kind IN ('user', 'group')",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Per entity key, the skip reasons its records carry (`NotEffectivelyEntitled`, ...).
pub async fn skip_reasons(ws: &Workspace) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT entity_key, group_concat(DISTINCT skip_reason) FROM events \
         WHERE outcome = 'skipped' AND skip_reason IS NOT NULL GROUP BY entity_key",
    )
    .fetch_all(ws.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// True when any provisioning log has been imported.
pub async fn any_events(ws: &Workspace) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events)")
        .fetch_one(ws.pool())
        .await?)
}
