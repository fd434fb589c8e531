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

/// One log record that names an AWS id: when, what was done, how it ended, and where it is.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RecordAbout {
    pub time: Option<i64>,
    pub operation: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub path: String,
    pub seq: i64,
}

/// The records whose target is AWS id `target_id` and that create or delete (any source), oldest
/// first, at most `limit`.
pub async fn creates_and_deletes(
    ws: &Workspace,
    target_id: &str,
    limit: i64,
) -> Result<Vec<RecordAbout>> {
    Ok(sqlx::query_as(
        "SELECT e.time, e.operation, e.action, e.outcome, s.path, e.seq FROM events e \
         JOIN sources s ON s.id = e.source_id WHERE e.target_id = ?1 \
         AND (lower(coalesce(e.operation, '')) LIKE '%delete%' OR lower(coalesce(e.operation, '')) LIKE '%create%' \
              OR lower(coalesce(e.action, '')) IN ('delete', 'create')) \
         ORDER BY e.time, e.id LIMIT ?2",
    )
    .bind(target_id)
    .bind(limit)
    .fetch_all(ws.pool())
    .await?)
}
