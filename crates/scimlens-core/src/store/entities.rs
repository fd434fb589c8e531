//! The `entities` table: the materialized diagnosis, one row per user, group or unidentified
//! failure. Built by `diagnose::refresh` from the aggregates read here.

use sqlx::FromRow;

use super::Workspace;
use crate::error::Result;

/// Everything the roll-up needs about one entity, from one pass over `events`.
#[derive(Debug, Clone, FromRow)]
pub struct EntityAggregate {
    pub entity_key: String,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub idp_id: Option<String>,
    pub target_id: Option<String>,
    pub external_id: Option<String>,
    pub events: i64,
    pub failures: i64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub source_ids: String,
}

/// The last record that decides an entity's status.
#[derive(Debug, Clone, FromRow)]
pub struct LastRecord {
    pub entity_key: String,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub format: String,
}

pub async fn aggregates(ws: &Workspace) -> Result<Vec<EntityAggregate>> {
    Ok(sqlx::query_as(
        "SELECT entity_key, max(kind) AS kind, max(name) AS name, max(display_name) AS display_name,
                max(idp_id) AS idp_id, max(target_id) AS target_id, max(external_id) AS external_id,
                count(*) AS events, count(category) AS failures,
                min(time) AS first_seen, max(time) AS last_seen,
                group_concat(DISTINCT source_id) AS source_ids
         FROM events WHERE connection_level = 0
         GROUP BY entity_key",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Per entity, the last decisive record (SQLite takes bare columns from the max() row).
pub async fn last_decisive(ws: &Workspace) -> Result<Vec<LastRecord>> {
    Ok(sqlx::query_as(
        "SELECT e.entity_key, e.outcome, e.category, e.attribute, e.message, s.format
         FROM (SELECT entity_key, max(coalesce(time, 0)) AS t, outcome, category,
                      attribute, message, source_id
               FROM events WHERE connection_level = 0 AND decisive = 1
               GROUP BY entity_key) e
         JOIN sources s ON s.id = e.source_id",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Per entity, the last failing record (the cause shown for resolved entities too).
pub async fn last_failure(ws: &Workspace) -> Result<Vec<LastRecord>> {
    Ok(sqlx::query_as(
        "SELECT e.entity_key, e.outcome, e.category, e.attribute, e.message, s.format
         FROM (SELECT entity_key, max(coalesce(time, 0)) AS t, outcome, category, attribute,
                      message, source_id
               FROM events WHERE connection_level = 0 AND category IS NOT NULL
               GROUP BY entity_key) e
         JOIN sources s ON s.id = e.source_id",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// One row of the materialized diagnosis.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct EntityRow {
    pub entity_key: String,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub idp_id: Option<String>,
    pub target_id: Option<String>,
    pub external_id: Option<String>,
    pub events: i64,
    pub failures: i64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub source_ids: String,
}

/// Replaces the materialized diagnosis in one transaction.
pub async fn replace_all(ws: &Workspace, rows: &[EntityRow]) -> Result<()> {
    let mut tx = ws.pool().begin().await?;
    sqlx::query("DELETE FROM entities")
        .execute(&mut *tx)
        .await?;
    for chunk in rows.chunks(2000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO entities (entity_key, kind, name, status, category, attribute, message, \
             fix, idp_id, target_id, external_id, events, failures, first_seen, last_seen, \
             source_ids) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(&r.entity_key)
                .push_bind(&r.kind)
                .push_bind(&r.name)
                .push_bind(&r.status)
                .push_bind(&r.category)
                .push_bind(&r.attribute)
                .push_bind(&r.message)
                .push_bind(&r.fix)
                .push_bind(&r.idp_id)
                .push_bind(&r.target_id)
                .push_bind(&r.external_id)
                .push_bind(r.events)
                .push_bind(r.failures)
                .push_bind(r.first_seen)
                .push_bind(r.last_seen)
                .push_bind(&r.source_ids);
        });
        qb.build().persistent(true).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// All entities that are or were a problem, worst first (failing, then resolved), newest first.
pub async fn problems(ws: &Workspace) -> Result<Vec<EntityRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM entities WHERE status <> 'ok'
         ORDER BY status = 'resolved', category, attribute, last_seen DESC, name",
    )
    .fetch_all(ws.pool())
    .await?)
}

#[derive(Debug, Clone, Default, FromRow)]
pub struct EventTotals {
    pub records: i64,
    pub success: i64,
    pub failure: i64,
    pub skipped: i64,
}

pub async fn event_totals(ws: &Workspace) -> Result<EventTotals> {
    Ok(sqlx::query_as(
        "SELECT count(*) AS records,
                coalesce(sum(outcome = 'success'), 0) AS success,
                coalesce(sum(outcome = 'failure'), 0) AS failure,
                coalesce(sum(outcome = 'skipped'), 0) AS skipped
         FROM events",
    )
    .fetch_one(ws.pool())
    .await?)
}

/// Connection-level problems grouped by category and message.
#[derive(Debug, Clone, FromRow)]
pub struct ConnectionGroup {
    pub category: String,
    pub message: String,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub count: i64,
}

pub async fn connection_groups(ws: &Workspace) -> Result<Vec<ConnectionGroup>> {
    Ok(sqlx::query_as(
        "SELECT category, message, min(time) AS first_seen, max(time) AS last_seen, count(*) AS count
         FROM events WHERE connection_level = 1 AND category IS NOT NULL
         GROUP BY category, message ORDER BY min(time)",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Start time of every provisioning cycle, in order.
pub async fn cycle_starts(ws: &Workspace) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT min(time) FROM events WHERE cycle_id IS NOT NULL AND time IS NOT NULL
         GROUP BY cycle_id ORDER BY 1",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Times of throttled records, in order.
pub async fn throttled_times(ws: &Workspace) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT time FROM events WHERE category = 'THROTTLED' AND time IS NOT NULL ORDER BY time",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Finds entities by name, any id or key (case-insensitive, exact first, then substring).
pub async fn find(ws: &Workspace, query: &str, limit: i64) -> Result<Vec<EntityRow>> {
    let exact: Vec<EntityRow> = sqlx::query_as(
        "SELECT * FROM entities WHERE lower(name) = lower(?1) OR entity_key = ?1 OR idp_id = ?1
             OR target_id = ?1 OR external_id = ?1
         ORDER BY status = 'ok', name LIMIT ?2",
    )
    .bind(query)
    .bind(limit)
    .fetch_all(ws.pool())
    .await?;
    if !exact.is_empty() {
        return Ok(exact);
    }
    Ok(sqlx::query_as(
        "SELECT * FROM entities WHERE name LIKE '%' || ?1 || '%' ESCAPE '\\'
         ORDER BY status = 'ok', name LIMIT ?2",
    )
    .bind(
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_"),
    )
    .bind(limit)
    .fetch_all(ws.pool())
    .await?)
}
