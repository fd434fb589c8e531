//! The `entities` table: the materialized diagnosis, one row per user, group or unidentified
//! failure. Kept up to date entity by entity: an import (or a change of the rules) marks the
//! entities it touches in `temp.dirty_entities`, and [`decide_dirty`] rewrites just those rows
//! from their `entity_stats` (see `db::stats`).

use sqlx::FromRow;

use super::Workspace;
use super::search::{self, SearchPlan};
use super::stats::{self, EntityStats, StatsRow};
use crate::diagnose::rollup::LastRecord;
use crate::error::Result;
use crate::model::{Category, EntityKind, EntityStatus};

/// An entity whose status the roll-up's rules decide: one with a failing record or without an
/// identity (`unknown|...`). Its aggregates (see [`EntityStats`]) and the format of the source
/// of each of the two records that decide its status.
#[derive(Debug, Clone)]
pub struct EntityAggregate {
    pub entity_key: String,
    pub stats: EntityStats,
    decisive_format: Option<String>,
    failure_format: Option<String>,
}

impl EntityAggregate {
    /// The last record that can decide the status.
    pub fn last_decisive(&self) -> Option<LastRecord> {
        last_record(self.stats.decisive.as_ref(), &self.decisive_format)
    }

    /// The last failing record (the cause shown for resolved entities too).
    pub fn last_failure(&self) -> Option<LastRecord> {
        last_record(self.stats.failure.as_ref(), &self.failure_format)
    }
}

/// The deciding view of a stored last record, with the format of its source.
fn last_record(record: Option<&stats::LastRecord>, format: &Option<String>) -> Option<LastRecord> {
    let r = record?;
    Some(LastRecord {
        outcome: r.outcome.clone(),
        category: r.category.clone(),
        attribute: r.attribute.clone(),
        message: r.message.clone(),
        format: format.clone()?,
    })
}

#[derive(Debug, FromRow)]
struct CandidateRow {
    #[sqlx(flatten)]
    stats: StatsRow,
    d_format: Option<String>,
    f_format: Option<String>,
}

/// Entities the rules decide: a failing record, or no identity. The rest are ok whatever the
/// rules say, and are written without leaving SQLite (see `OK_ROWS`).
macro_rules! ruled {
    () => {
        "(a.f_source IS NOT NULL OR substr(a.entity_key, 1, 8) = 'unknown|')"
    };
}

const CANDIDATES: &str = concat!(
    "SELECT a.*, ds.format AS d_format, fs.format AS f_format
     FROM temp.dirty_entities k
     CROSS JOIN entity_stats a ON a.entity_key = k.entity_key
     LEFT JOIN sources ds ON ds.id = a.d_source
     LEFT JOIN sources fs ON fs.id = a.f_source
     WHERE k.entity_key > ?1 AND ",
    ruled!(),
    " ORDER BY k.entity_key LIMIT ?2"
);

/// Entities decided at a time by [`decide_dirty`] (bounds its memory: a first import of a
/// large tenant decides every entity). The crate's own tests decide three at a time, so every
/// diagnosis they check goes through the paging.
const DECIDE_PAGE: usize = if cfg!(test) { 3 } else { 5_000 };

/// Rows of entities no record of which failed: ok, named by the first name they have (what
/// `diagnose::refresh` gives such an entity, kept in SQL so a large workspace's healthy
/// majority never crosses into Rust).
const OK_ROWS: &str = concat!(
    "INSERT INTO main.entities (entity_key, kind, name, status, category, attribute, message,
        fix, idp_id, target_id, external_id, events, failures, first_seen, last_seen, source_ids)
    SELECT a.entity_key,
        CASE WHEN a.kind IN ('user', 'group') THEN a.kind ELSE 'unknown' END,
        coalesce(a.name, a.display_name, a.target_id, a.idp_id, a.entity_key), 'ok',
        NULL, NULL, NULL, NULL, a.idp_id, a.target_id, a.external_id, a.events, a.failures,
        a.first_seen, a.last_seen, a.source_ids
    FROM temp.dirty_entities k CROSS JOIN entity_stats a ON a.entity_key = k.entity_key
    WHERE NOT ",
    ruled!(),
    " ORDER BY k.entity_key"
);

/// The stored rows of the marked entities no rule decides any more: ok ones (written again by
/// `OK_ROWS`) and those without aggregates (an entity without records loses its row).
macro_rules! unruled_stored {
    () => {
        concat!(
            "SELECT e.rowid FROM temp.dirty_entities k
             CROSS JOIN main.entities e ON e.entity_key = k.entity_key
             WHERE NOT EXISTS (SELECT 1 FROM entity_stats a
                 WHERE a.entity_key = k.entity_key AND ",
            ruled!(),
            ")"
        )
    };
}
const UNINDEX_UNRULED: &str = concat!(
    "DELETE FROM main.entity_search WHERE rowid IN (",
    unruled_stored!(),
    ")"
);
const DELETE_UNRULED: &str = concat!(
    "DELETE FROM main.entities WHERE rowid IN (",
    unruled_stored!(),
    ")"
);

/// The rows `OK_ROWS` wrote, into the search index.
const INDEX_OK: &str = concat!(
    "INSERT INTO main.entity_search (rowid, name)
     SELECT e.rowid, e.name FROM temp.dirty_entities k
     CROSS JOIN entity_stats a ON a.entity_key = k.entity_key
     CROSS JOIN main.entities e ON e.entity_key = k.entity_key
     WHERE NOT ",
    ruled!()
);

/// One row out of the search index (?1 its rowid), before it is deleted or renamed.
const UNINDEX_ONE: &std::ffi::CStr = c"DELETE FROM main.entity_search WHERE rowid = ?";

/// One row into the search index (?1 its rowid, ?2 its name).
const INDEX_ONE: &std::ffi::CStr = c"INSERT INTO main.entity_search (rowid, name) VALUES (?, ?)";

/// Rewrites the rows of the entities in `temp.dirty_entities` (see `stats::begin_dirty`) and
/// empties that set: entities the rules decide go through `decide`, and only the rows whose
/// decision changed are written (see [`write_decided`]); the others are written as ok
/// directly; an entity without records any more loses its row. Runs inside the caller's
/// transaction.
pub async fn decide_dirty(
    conn: &mut sqlx::SqliteConnection,
    mut decide: impl FnMut(EntityAggregate) -> EntityRow,
) -> Result<()> {
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    // A first import or a rebuild has no rows to replace (and looking up each of its entities
    // in an empty table costs a few hundred milliseconds at 1,000,000 records).
    let stored: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM main.entities)")
        .fetch_one(&mut *conn)
        .await?;
    if stored {
        sqlx::query(UNINDEX_UNRULED).execute(&mut *conn).await?;
        sqlx::query(DELETE_UNRULED).execute(&mut *conn).await?;
        tracing::debug!(ms = ms(), "rows no rule decides deleted");
    }
    sqlx::query(OK_ROWS).execute(&mut *conn).await?;
    sqlx::query(INDEX_OK).execute(&mut *conn).await?;
    tracing::debug!(ms = ms(), "ok entities written");
    let mut after = String::new();
    let mut written = Written::default();
    loop {
        let candidates: Vec<CandidateRow> = sqlx::query_as(CANDIDATES)
            .bind(&after)
            .bind(DECIDE_PAGE as i64)
            .fetch_all(&mut *conn)
            .await?;
        let last_page = candidates.len() < DECIDE_PAGE;
        let rows: Vec<EntityRow> = candidates
            .into_iter()
            .map(|c| {
                let (entity_key, stats) = c.stats.into_stats()?;
                Ok(decide(EntityAggregate {
                    entity_key,
                    stats,
                    decisive_format: c.d_format,
                    failure_format: c.f_format,
                }))
            })
            .collect::<Result<_>>()?;
        write_decided(conn, &rows, &mut written).await?;
        match rows.last() {
            Some(row) if !last_page => after.clone_from(&row.entity_key),
            _ => break,
        }
    }
    tracing::debug!(
        ms = ms(),
        added = written.added,
        changed = written.changed,
        kept = written.kept,
        "entities the rules decide written"
    );
    sqlx::query("DELETE FROM temp.dirty_entities")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The number of entities in the diagnosis.
pub async fn count(conn: &mut sqlx::SqliteConnection) -> Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM entities")
        .fetch_one(&mut *conn)
        .await?;
    Ok(n as u64)
}

/// One row of the materialized diagnosis.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct EntityRow {
    pub entity_key: String,
    pub kind: EntityKind,
    pub name: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
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

/// A decided row's values in `INSERT_ENTITY`'s order; `STORED_ENTITY` and `UPDATE_ENTITY`
/// number theirs the same way.
const INSERT_ENTITY: &std::ffi::CStr = c"INSERT INTO main.entities (entity_key, kind, name, \
    status, category, attribute, message, fix, idp_id, target_id, external_id, events, failures, \
    first_seen, last_seen, source_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The stored row of the entity ?1: its rowid, whether it holds exactly the decided values
/// (`IS`: NULLs equal, no conversion) and whether its name is the decided one.
const STORED_ENTITY: &std::ffi::CStr = c"SELECT rowid, (kind, name, status, category, \
    attribute, message, fix, idp_id, target_id, external_id, events, failures, first_seen, \
    last_seen, source_ids) IS (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16), \
    name IS ?3 FROM main.entities WHERE entity_key = ?1";

const UPDATE_ENTITY: &std::ffi::CStr = c"UPDATE main.entities SET kind = ?2, name = ?3, \
    status = ?4, category = ?5, attribute = ?6, message = ?7, fix = ?8, idp_id = ?9, \
    target_id = ?10, external_id = ?11, events = ?12, failures = ?13, first_seen = ?14, \
    last_seen = ?15, source_ids = ?16 WHERE entity_key = ?1";

/// What [`write_decided`] did with the rows it was given.
#[derive(Debug, Default)]
struct Written {
    added: u64,
    changed: u64,
    kept: u64,
}

/// Writes decided rows through prepared statements bound from the rows' own strings (see
/// `db::bulk`). A row whose stored one holds the same values is left alone: a change of the
/// rules decides every entity with a generic cause again, and few of their rows change. A
/// changed row is updated in place, so it keeps its rowid and its search entry unless its name
/// changed; a new row is inserted and indexed.
async fn write_decided(
    conn: &mut sqlx::SqliteConnection,
    rows: &[EntityRow],
    written: &mut Written,
) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    let [mut stored, mut insert, mut update, mut unindex, mut index] =
        super::bulk::Statement::prepare_all(
            &mut handle,
            [
                STORED_ENTITY,
                INSERT_ENTITY,
                UPDATE_ENTITY,
                UNINDEX_ONE,
                INDEX_ONE,
            ],
        )?;
    for r in rows {
        let values = [
            (&r.entity_key).into(),
            r.kind.as_str().into(),
            r.name.as_str().into(),
            r.status.as_str().into(),
            r.category.map(Category::as_str).into(),
            (&r.attribute).into(),
            (&r.message).into(),
            (&r.fix).into(),
            (&r.idp_id).into(),
            (&r.target_id).into(),
            (&r.external_id).into(),
            r.events.into(),
            r.failures.into(),
            r.first_seen.into(),
            r.last_seen.into(),
            r.source_ids.as_str().into(),
        ];
        let mut found = None;
        stored.query(&values, |row| {
            let flag = |col| Ok::<_, crate::error::Error>(row.int(col)? == Some(1));
            let rowid = row
                .int(0)?
                .ok_or_else(|| crate::error::Error::corrupt("entities: a row without a rowid"))?;
            found = Some((rowid, flag(1)?, flag(2)?));
            Ok(())
        })?;
        match found {
            None => {
                insert.execute(&values)?;
                index.execute(&[insert.last_insert_rowid().into(), r.name.as_str().into()])?;
                written.added += 1;
            }
            Some((_, true, _)) => written.kept += 1,
            Some((rowid, false, same_name)) => {
                update.execute(&values)?;
                if !same_name {
                    unindex.execute(&[rowid.into()])?;
                    index.execute(&[rowid.into(), r.name.as_str().into()])?;
                }
                written.changed += 1;
            }
        }
    }
    Ok(())
}

/// All entities that are or were a problem, worst first (failing, then resolved), newest first.
pub async fn problems(ws: &Workspace) -> Result<Vec<EntityRow>> {
    // One row holding every problem entity as a JSON array: rows cross from SQLite's thread one
    // at a time, which costs more than the row itself, and a report of a large tenant lists
    // tens of thousands of entities.
    let json: String = sqlx::query_scalar(
        "SELECT coalesce(json_group_array(json_array(entity_key, kind, name, status, category,
                    attribute, message, fix, idp_id, target_id, external_id, events, failures,
                    first_seen, last_seen, source_ids)
                ORDER BY status = 'resolved', category, attribute, last_seen DESC, name,
                    entity_key), '[]')
         FROM entities WHERE status IN ('failing', 'resolved')",
    )
    .fetch_one(ws.pool())
    .await?;
    type Wire = (
        String,
        EntityKind,
        String,
        EntityStatus,
        Option<Category>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        String,
    );
    let rows: Vec<Wire> = serde_json::from_str(&json).map_err(|e| {
        crate::error::Error::corrupt(format!(
            "entities: a row does not hold what its columns should ({e})"
        ))
    })?;
    Ok(rows
        .into_iter()
        .map(|r| EntityRow {
            entity_key: r.0,
            kind: r.1,
            name: r.2,
            status: r.3,
            category: r.4,
            attribute: r.5,
            message: r.6,
            fix: r.7,
            idp_id: r.8,
            target_id: r.9,
            external_id: r.10,
            events: r.11,
            failures: r.12,
            first_seen: r.13,
            last_seen: r.14,
            source_ids: r.15,
        })
        .collect())
}

#[derive(Debug, Clone, Default, FromRow)]
pub struct EventTotals {
    pub records: i64,
    pub success: i64,
    pub failure: i64,
    pub skipped: i64,
}

/// Record counts by outcome (from `event_buckets`, which every import adds to).
pub async fn event_totals(ws: &Workspace) -> Result<EventTotals> {
    Ok(sqlx::query_as(
        "SELECT coalesce(sum(records), 0) AS records,
                coalesce(sum(success), 0) AS success,
                coalesce(sum(failure), 0) AS failure,
                coalesce(sum(skipped), 0) AS skipped
         FROM event_buckets",
    )
    .fetch_one(ws.pool())
    .await?)
}

/// Connection-level problems grouped by category and message.
#[derive(Debug, Clone, FromRow)]
pub struct ConnectionGroup {
    pub category: Category,
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
        "SELECT start FROM event_buckets WHERE cycle_id IS NOT NULL AND start IS NOT NULL
         ORDER BY 1",
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
/// Entities of the same status and name come in the order they were written.
pub async fn find(ws: &Workspace, query: &str, limit: i64) -> Result<Vec<EntityRow>> {
    let mut conn = ws.pool().acquire().await?;
    let plan = search::plan(&mut conn, query, search::MAX_CANDIDATES).await?;
    find_with(&mut conn, query, limit, &plan).await
}

/// [`find`] with the search plan given.
pub async fn find_with(
    conn: &mut sqlx::SqliteConnection,
    query: &str,
    limit: i64,
    plan: &SearchPlan,
) -> Result<Vec<EntityRow>> {
    let rowids = match plan {
        SearchPlan::Candidates(rowids) if search::indexable(query) => Some(&**rowids),
        _ => None,
    };
    let (exact_sql, substring_sql) = if rowids.is_some() {
        (FIND_EXACT_BY_INDEX, FIND_SUBSTRING_BY_INDEX)
    } else {
        (FIND_EXACT, FIND_SUBSTRING)
    };
    let mut exact = sqlx::query_as(exact_sql).bind(query).bind(limit);
    if let Some(rowids) = rowids {
        exact = exact.bind(rowids);
    }
    let exact: Vec<EntityRow> = exact.fetch_all(&mut *conn).await?;
    if !exact.is_empty() {
        return Ok(exact);
    }
    let pattern = query
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut substring = sqlx::query_as(substring_sql).bind(pattern).bind(limit);
    if let Some(rowids) = rowids {
        substring = substring.bind(rowids);
    }
    Ok(substring.fetch_all(&mut *conn).await?)
}

/// `find`'s two queries, as a pass over every entity (?1 the text or pattern, ?2 the limit) and
/// narrowed to the rows the indexes name (?3 the rowids of the names containing the text, a
/// JSON array; see `search`).
macro_rules! find_exact {
    ($from:literal, $narrow:literal) => {
        concat!(
            "SELECT * FROM ",
            $from,
            " WHERE (lower(name) = lower(?1) OR entity_key = ?1 OR idp_id = ?1
                 OR target_id = ?1 OR external_id = ?1)",
            $narrow,
            " ORDER BY status = 'ok', name, rowid LIMIT ?2"
        )
    };
}
const FIND_EXACT: &str = find_exact!("entities", "");
const FIND_EXACT_BY_INDEX: &str = find_exact!(
    "entities NOT INDEXED",
    " AND rowid IN (SELECT value FROM json_each(?3)
         UNION ALL SELECT rowid FROM entities WHERE entity_key = ?1
         UNION ALL SELECT rowid FROM entities WHERE idp_id = ?1
         UNION ALL SELECT rowid FROM entities WHERE target_id = ?1
         UNION ALL SELECT rowid FROM entities WHERE external_id = ?1)"
);
macro_rules! find_substring {
    ($from:literal, $narrow:literal) => {
        concat!(
            "SELECT * FROM ",
            $from,
            " WHERE name LIKE '%' || ?1 || '%' ESCAPE '\\'",
            $narrow,
            " ORDER BY status = 'ok', name, rowid LIMIT ?2"
        )
    };
}
const FIND_SUBSTRING: &str = find_substring!("entities", "");
const FIND_SUBSTRING_BY_INDEX: &str = find_substring!(
    "entities NOT INDEXED",
    " AND rowid IN (SELECT value FROM json_each(?3))"
);
