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

/// The secondary indexes of `events`, as the migrations leave them (a test holds the two
/// together). They are dropped and built again by name from here, never from definitions read
/// out of the workspace: a crafted file's `sqlite_master` could hold any SQL.
pub(crate) const EVENTS_INDEXES: &[(&str, &str)] = &[
    (
        "events_entity",
        "CREATE INDEX events_entity ON events(entity_key, time)",
    ),
    (
        "events_failed_category",
        "CREATE INDEX events_failed_category ON events(category, connection_level, time, message)
    WHERE category IS NOT NULL",
    ),
    (
        "events_failed_time",
        "CREATE INDEX events_failed_time ON events(time, entity_key, category, connection_level)
    WHERE category IS NOT NULL AND connection_level = 0",
    ),
    (
        "events_masked",
        "CREATE INDEX events_masked ON events(time) WHERE masked = 1",
    ),
    (
        "events_target",
        "CREATE INDEX events_target ON events(target_id) WHERE target_id IS NOT NULL",
    ),
    ("events_time", "CREATE INDEX events_time ON events(time)"),
    (
        "events_uncorrelated",
        "CREATE INDEX events_uncorrelated ON events(entity_key)
    WHERE instr(entity_key, '|aws|') > 0 OR substr(entity_key, 1, 8) = 'unknown|'",
    ),
];

/// Into an empty `events` table (the first import of a workspace, usually the largest), rows go
/// faster without the secondary indexes, which are built once at the end by sorting: inserting
/// keys in random order into B-trees larger than the page cache is the slowest part of a large
/// import. Drops them (inside the import's transaction) and returns true, so the caller builds
/// them again with [`create_indexes`]; returns false when the table has rows.
pub async fn defer_indexes_if_empty(conn: &mut SqliteConnection) -> Result<bool> {
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM events)")
        .fetch_one(&mut *conn)
        .await?;
    if !empty {
        return Ok(false);
    }
    for (name, _) in EVENTS_INDEXES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP INDEX IF EXISTS \"{name}\""
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Builds the indexes [`defer_indexes_if_empty`] dropped, from [`EVENTS_INDEXES`].
pub async fn create_indexes(conn: &mut SqliteConnection) -> Result<()> {
    for (_, sql) in EVENTS_INDEXES {
        sqlx::query(*sql).execute(&mut *conn).await?;
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
/// the records still waiting for correlation (`events_uncorrelated`). The entities records moved
/// between are left in `temp.recompute_entities` for `stats::recompute`.
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
    Ok(())
}

/// One record of an entity's timeline, with its evidence decoded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub id: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[tokio::test]
    async fn the_indexes_built_after_a_first_import_are_those_the_migrations_make() {
        let ws = super::super::Workspace::in_memory().await.unwrap();
        let migrated: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(ws.pool())
        .await
        .unwrap();
        let ours: Vec<(String, String)> = EVENTS_INDEXES
            .iter()
            .map(|(name, sql)| (name.to_string(), words(sql)))
            .collect();
        let migrated: Vec<(String, String)> = migrated
            .into_iter()
            .map(|(name, sql)| (name, words(&sql)))
            .collect();
        assert_eq!(
            ours, migrated,
            "a migration changed an index of `events`: change EVENTS_INDEXES with it"
        );
    }
}
