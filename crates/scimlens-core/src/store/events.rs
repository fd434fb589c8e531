//! The `events` table: batch inserts of classified records, correlation of records across
//! sources, and reads of one entity's evidence.

use sqlx::SqliteConnection;

use super::bulk::Statement;

use crate::error::Result;

/// One classified record ready to insert (built on the classify thread).
#[derive(Debug, Clone)]
pub struct EventRow {
    pub seq: i64,
    pub time: Option<i64>,
    pub record_id: Option<String>,
    pub job_id: Option<String>,
    pub cycle_id: Option<String>,
    pub change_id: Option<String>,
    pub action: Option<&'static str>,
    pub operation: Option<String>,
    pub kind: Option<&'static str>,
    pub idp_id: Option<String>,
    pub target_id: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub outcome: Option<&'static str>,
    pub http_status: Option<i64>,
    pub error_code: Option<String>,
    pub aws_detail: Option<String>,
    pub reason: Option<String>,
    pub skip_reason: Option<String>,
    pub connection_level: bool,
    pub masked: bool,
    pub category: Option<&'static str>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub decisive: bool,
    pub entity_key: String,
    /// Evidence until it is packed into the chunk's block (then emptied).
    pub evidence: super::evidence::Evidence,
}

/// Into an empty `events` table (the first import of a workspace, usually the largest), rows go
/// faster without the secondary indexes, which are built once at the end by sorting: inserting
/// keys in random order into B-trees larger than the page cache is the slowest part of a large
/// import. Drops them (inside the import's transaction) and returns their definitions, as the
/// migrations created them, for [`create_indexes`]; returns nothing when the table has rows.
pub async fn defer_indexes_if_empty(conn: &mut SqliteConnection) -> Result<Vec<(String, String)>> {
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM events)")
        .fetch_one(&mut *conn)
        .await?;
    if !empty {
        return Ok(Vec::new());
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
            .execute(&mut *conn)
            .await?;
    }
    Ok(indexes)
}

/// Builds again the indexes [`defer_indexes_if_empty`] dropped.
pub async fn create_indexes(
    conn: &mut SqliteConnection,
    indexes: &[(String, String)],
) -> Result<()> {
    for (_, sql) in indexes {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

const INSERT_BLOCK: &std::ffi::CStr =
    c"INSERT INTO evidence_blocks (source_id, data) VALUES (?, ?)";

const INSERT_EVENT: &std::ffi::CStr = c"INSERT INTO events (source_id, seq, time, record_id, \
    job_id, cycle_id, change_id, action, operation, kind, idp_id, target_id, name, display_name, \
    external_id, outcome, http_status, error_code, aws_detail, reason, skip_reason, \
    connection_level, masked, category, attribute, message, decisive, entity_key, block_id, \
    block_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
    ?, ?, ?, ?, ?, ?)";

/// Inserts one chunk of rows and its compressed evidence block, binding the rows' own strings
/// through SQLite's C API (see [`super::bulk`]).
pub async fn insert_batch(
    conn: &mut SqliteConnection,
    source_id: i64,
    rows: &[EventRow],
    block: &[u8],
) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    let block_id = {
        let mut insert = Statement::prepare(&mut handle, INSERT_BLOCK)?;
        insert.execute(&[source_id.into(), block.into()])?;
        insert.last_insert_rowid()
    };
    let mut insert = Statement::prepare(&mut handle, INSERT_EVENT)?;
    for (index, r) in (0i64..).zip(rows) {
        insert.execute(&[
            source_id.into(),
            r.seq.into(),
            r.time.into(),
            (&r.record_id).into(),
            (&r.job_id).into(),
            (&r.cycle_id).into(),
            (&r.change_id).into(),
            r.action.into(),
            (&r.operation).into(),
            r.kind.into(),
            (&r.idp_id).into(),
            (&r.target_id).into(),
            (&r.name).into(),
            (&r.display_name).into(),
            (&r.external_id).into(),
            r.outcome.into(),
            r.http_status.into(),
            (&r.error_code).into(),
            (&r.aws_detail).into(),
            (&r.reason).into(),
            (&r.skip_reason).into(),
            r.connection_level.into(),
            r.masked.into(),
            r.category.into(),
            (&r.attribute).into(),
            (&r.message).into(),
            r.decisive.into(),
            (&r.entity_key).into(),
            block_id.into(),
            index.into(),
        ])?;
    }
    Ok(())
}

/// Attaches records that only an AWS id identifies to the entity another source names with the
/// same AWS id, then masked CloudTrail calls to the IdP record for the same operation within the
/// same second. Runs after every import, so the order of imports does not matter; reads only
/// the records still waiting for correlation (`events_uncorrelated`). The aggregates of the
/// entities records moved between are recomputed and those entities marked for the roll-up.
pub async fn correlate(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS uncorrelated
             (id INTEGER PRIMARY KEY, entity_key TEXT NOT NULL);
         DELETE FROM temp.uncorrelated;
         INSERT INTO temp.uncorrelated SELECT id, entity_key FROM events
         WHERE instr(entity_key, '|aws|') > 0 OR substr(entity_key, 1, 8) = 'unknown|'",
    )
    .execute(&mut *conn)
    .await?;
    // Records named by another source under the same AWS id.
    sqlx::query(
        "UPDATE events SET entity_key = (
             SELECT o.entity_key FROM events o
             WHERE o.target_id = events.target_id AND o.entity_key NOT LIKE '%|aws|%'
               AND o.entity_key NOT LIKE 'unknown|%' AND o.entity_key <> 'connection'
             ORDER BY o.id LIMIT 1)
         WHERE id IN (SELECT id FROM temp.uncorrelated)
           AND target_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM events o WHERE o.target_id = events.target_id
               AND o.entity_key NOT LIKE '%|aws|%' AND o.entity_key NOT LIKE 'unknown|%'
               AND o.entity_key <> 'connection')",
    )
    .execute(&mut *conn)
    .await?;
    // Masked calls nothing identifies: the IdP record of the same operation within a second,
    // only when exactly one entity fits (an ambiguous match stays unknown rather than guessed).
    macro_rules! matching {
        () => {
            "FROM events o
             WHERE o.time BETWEEN events.time - 1000 AND events.time + 1000
               AND o.source_id <> events.source_id AND o.masked = 0
               AND o.entity_key NOT LIKE 'unknown|%' AND o.entity_key <> 'connection'
               AND o.action IS events.action
               AND (o.kind IS events.kind OR events.kind IS NULL OR events.kind = 'unknown')
               AND (o.outcome = 'failure') = (events.outcome = 'failure')"
        };
    }
    sqlx::query(concat!(
        "UPDATE events SET entity_key = (SELECT max(o.entity_key) ",
        matching!(),
        ") WHERE id IN (SELECT id FROM temp.uncorrelated)
           AND masked = 1 AND outcome = 'failure' AND entity_key LIKE 'unknown|%'
           AND time IS NOT NULL
           AND (SELECT count(DISTINCT o.entity_key) ",
        matching!(),
        ") = 1"
    ))
    .execute(&mut *conn)
    .await?;
    // The entities records left and joined (CROSS JOIN keeps the few waiting records as the
    // outer loop; the planner would otherwise walk every record).
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS recompute_entities
             (entity_key TEXT PRIMARY KEY NOT NULL);
         DELETE FROM temp.recompute_entities;
         INSERT OR IGNORE INTO temp.recompute_entities
         SELECT u.entity_key FROM temp.uncorrelated u CROSS JOIN events e ON e.id = u.id
         WHERE e.entity_key <> u.entity_key
         UNION
         SELECT e.entity_key FROM temp.uncorrelated u CROSS JOIN events e ON e.id = u.id
         WHERE e.entity_key <> u.entity_key",
    )
    .execute(&mut *conn)
    .await?;
    super::stats::recompute(conn).await
}

/// One record of an entity's timeline, with its evidence decoded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub id: i64,
    pub source_id: i64,
    pub format: String,
    pub path: String,
    pub seq: i64,
    pub time: Option<i64>,
    pub action: Option<String>,
    pub operation: Option<String>,
    pub outcome: Option<String>,
    pub http_status: Option<i64>,
    pub error_code: Option<String>,
    pub aws_detail: Option<String>,
    pub reason: Option<String>,
    pub skip_reason: Option<String>,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub masked: bool,
    pub block_id: i64,
    pub block_index: i64,
}

/// Every record of one entity, oldest first.
pub async fn timeline(
    ws: &super::Workspace,
    entity_key: &str,
    limit: i64,
) -> Result<Vec<TimelineRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.source_id, s.format, s.path, e.seq, e.time, e.action, e.operation, e.outcome,
                e.http_status, e.error_code, e.aws_detail, e.reason, e.skip_reason, e.category,
                e.attribute, e.message, e.masked, e.block_id, e.block_index
         FROM events e JOIN sources s ON s.id = e.source_id
         WHERE e.entity_key = ? ORDER BY coalesce(e.time, 0), e.id LIMIT ?",
    )
    .bind(entity_key)
    .bind(limit)
    .fetch_all(ws.pool())
    .await?)
}
