//! The `sources` and `source_warnings` tables.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, SqliteConnection};
use ts_rs::TS;

use super::Workspace;
use crate::error::Result;
use crate::input::value::format_time;
use crate::model::Format;
use crate::model::{SourceWarning, WarningKind};

#[derive(Debug, FromRow)]
struct SourceRow {
    id: i64,
    path: String,
    format: String,
    records: i64,
    first_time: Option<i64>,
    last_time: Option<i64>,
    imported_at: String,
}

pub(crate) fn ms_to_text(ms: Option<i64>) -> Option<String> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| format_time(&t))
}

pub async fn insert_placeholder(
    conn: &mut SqliteConnection,
    path: &str,
    format: Format,
    size: u64,
    imported_at: &str,
) -> Result<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO sources (path, format, content_hash, size_bytes, records, imported_at) \
         VALUES (?, ?, 'importing:' || hex(randomblob(8)), ?, 0, ?) RETURNING id",
    )
    .bind(path)
    .bind(format.as_str())
    .bind(size as i64)
    .bind(imported_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The source already imported with this content, if any.
pub async fn find_by_hash(
    conn: &mut SqliteConnection,
    hash: &str,
) -> Result<Option<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, path FROM sources WHERE content_hash = ?")
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn finish(
    conn: &mut SqliteConnection,
    id: i64,
    hash: &str,
    records: u64,
    (first_time, last_time): (Option<i64>, Option<i64>),
    warnings: &[SourceWarning],
) -> Result<()> {
    sqlx::query(
        "UPDATE sources SET content_hash = ?, records = ?, first_time = ?, last_time = ?
         WHERE id = ?",
    )
    .bind(hash)
    .bind(records as i64)
    .bind(first_time)
    .bind(last_time)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for w in warnings {
        sqlx::query("INSERT INTO source_warnings (source_id, kind, message) VALUES (?, ?, ?)")
            .bind(id)
            .bind(w.kind.as_str())
            .bind(&w.message)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Every source, oldest import first, with its warnings.
pub async fn list(ws: &Workspace) -> Result<Vec<SourceSummary>> {
    let rows: Vec<SourceRow> = sqlx::query_as(
        "SELECT id, path, format, records, first_time, last_time, imported_at FROM sources ORDER BY id",
    )
    .fetch_all(ws.pool())
    .await?;
    let warnings: Vec<(i64, String)> =
        sqlx::query_as("SELECT source_id, message FROM source_warnings ORDER BY rowid")
            .fetch_all(ws.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| SourceSummary {
            id: r.id,
            warnings: warnings
                .iter()
                .filter(|(s, _)| *s == r.id)
                .map(|(_, m)| m.clone())
                .collect(),
            path: r.path,
            format: Format::parse(&r.format).unwrap_or(Format::EntraGraph),
            records: r.records as u64,
            first_time: ms_to_text(r.first_time),
            last_time: ms_to_text(r.last_time),
            imported_at: r.imported_at,
        })
        .collect())
}

/// Sources whose log is one page of more (for the job-level findings).
pub async fn incomplete_pages(ws: &Workspace) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT s.path, w.message FROM source_warnings w JOIN sources s ON s.id = w.source_id \
         WHERE w.kind = ? ORDER BY s.id",
    )
    .bind(WarningKind::IncompletePage.as_str())
    .fetch_all(ws.pool())
    .await?)
}

/// The newest record time (unix ms) of the workspace's sources in `format`, if any has one.
pub async fn newest_time(ws: &Workspace, format: Format) -> Result<Option<i64>> {
    let (newest,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(last_time) FROM sources WHERE format = ?")
            .bind(format.as_str())
            .fetch_one(ws.pool())
            .await?;
    Ok(newest)
}

/// The newest record time (unix ms) in `format` of the provisioning jobs `job_ids` (Entra's
/// `jobId`); of every job when the list is empty.
pub async fn newest_record_time(
    ws: &Workspace,
    format: Format,
    job_ids: &[String],
) -> Result<Option<i64>> {
    if job_ids.is_empty() {
        return newest_time(ws, format).await;
    }
    let mut qb: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
        "SELECT MAX(e.time) FROM events e JOIN sources s ON s.id = e.source_id WHERE s.format = ",
    );
    qb.push_bind(format.as_str()).push(" AND e.job_id IN (");
    let mut ids = qb.separated(", ");
    for id in job_ids {
        ids.push_bind(id);
    }
    ids.push_unseparated(")");
    let (newest,): (Option<i64>,) = qb.build_query_as().fetch_one(ws.pool()).await?;
    Ok(newest)
}

/// The log's own ids (CloudTrail `eventID`) of the records in `format` from `since_ms` on.
pub async fn record_ids_since(
    ws: &Workspace,
    format: Format,
    since_ms: i64,
) -> Result<std::collections::HashSet<String>> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT e.record_id FROM events e JOIN sources s ON s.id = e.source_id \
         WHERE s.format = ? AND e.time >= ? AND e.record_id IS NOT NULL",
    )
    .bind(format.as_str())
    .bind(since_ms)
    .fetch_all(ws.pool())
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Shows the source recorded as `from` as `to` from now on (the demo set names its files by
/// their place in the set, not by the folder they were written to).
pub async fn rename(ws: &Workspace, from: &str, to: &str) -> Result<()> {
    sqlx::query("UPDATE sources SET path = ? WHERE path = ?")
        .bind(to)
        .bind(from)
        .execute(ws.pool())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SourceSummary {
    pub id: i64,
    pub path: String,
    pub format: Format,
    pub records: u64,
    pub warnings: Vec<String>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub imported_at: String,
}
