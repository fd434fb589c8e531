//! The `entities` table: the materialized diagnosis, one row per user, group or unidentified
//! failure. Built by `diagnose::refresh` from the aggregates read here.

use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};

use super::Workspace;
use crate::error::Result;

/// An entity whose status the roll-up's rules decide: one with a failing record or without an
/// identity (`unknown|...`). Its aggregates over its records (connection-level ones excluded)
/// and the two records that decide its status.
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
    /// The last record that can decide the status (latest time; on equal times the first in
    /// `(entity_key, time)` index order, as SQLite's `max()` keeps it).
    #[sqlx(flatten)]
    decisive: LastColumns<Decisive>,
    /// The last failing record (the cause shown for resolved entities too).
    #[sqlx(flatten)]
    failure: LastColumns<Failure>,
}

impl EntityAggregate {
    pub fn last_decisive(&self) -> Option<LastRecord> {
        self.decisive.record()
    }

    pub fn last_failure(&self) -> Option<LastRecord> {
        self.failure.record()
    }
}

/// One record that decides (or explains) an entity's status.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRecord {
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub format: String,
}

/// Which of the two last records a set of columns holds (their names differ by prefix).
trait Prefix {
    const P: &'static str;
}
#[derive(Debug, Clone)]
struct Decisive;
impl Prefix for Decisive {
    const P: &'static str = "d_";
}
#[derive(Debug, Clone)]
struct Failure;
impl Prefix for Failure {
    const P: &'static str = "f_";
}

#[derive(Debug, Clone)]
struct LastColumns<P> {
    /// `None` when the entity has no such record (the LEFT JOIN found nothing).
    format: Option<String>,
    outcome: Option<String>,
    category: Option<String>,
    attribute: Option<String>,
    message: Option<String>,
    _p: std::marker::PhantomData<P>,
}

impl<P> LastColumns<P> {
    fn record(&self) -> Option<LastRecord> {
        Some(LastRecord {
            format: self.format.clone()?,
            outcome: self.outcome.clone(),
            category: self.category.clone(),
            attribute: self.attribute.clone(),
            message: self.message.clone(),
        })
    }
}

impl<'r, P: Prefix> FromRow<'r, SqliteRow> for LastColumns<P> {
    fn from_row(row: &'r SqliteRow) -> sqlx::Result<Self> {
        let col = |name: &str| row.try_get::<Option<String>, _>(format!("{}{name}", P::P).as_str());
        Ok(LastColumns {
            format: col("format")?,
            outcome: col("outcome")?,
            category: col("category")?,
            attribute: col("attribute")?,
            message: col("message")?,
            _p: std::marker::PhantomData,
        })
    }
}

/// Per entity, in one pass over `events` in `(entity_key, time)` order: the aggregates, and
/// the times of the last decisive and the last failing record (NULL when there is none).
const AGGREGATE: &str = "CREATE TEMP TABLE entity_agg AS
    SELECT entity_key, max(kind) AS kind, max(name) AS name, max(display_name) AS display_name,
           max(idp_id) AS idp_id, max(target_id) AS target_id, max(external_id) AS external_id,
           count(*) AS events, count(category) AS failures,
           min(time) AS first_seen, max(time) AS last_seen,
           group_concat(DISTINCT source_id) AS source_ids,
           max(CASE WHEN decisive = 1 THEN coalesce(time, 0) END) AS decisive_time,
           max(CASE WHEN category IS NOT NULL THEN coalesce(time, 0) END) AS failure_time
    FROM events WHERE connection_level = 0
    GROUP BY entity_key";

/// Entities the rules decide: a failing record, or no identity. The rest are ok whatever the
/// rules say, and are written without leaving SQLite (see `OK_ROWS`).
macro_rules! ruled {
    () => {
        "(a.failure_time IS NOT NULL OR substr(a.entity_key, 1, 8) = 'unknown|')"
    };
}

/// The id of the first record (in index order) of `$filter` at the entity's time `$t`, where a
/// record without a time counts as 0 and comes first, as `max(coalesce(time, 0))` chose it.
macro_rules! last_record_id {
    ($filter:literal, $t:literal) => {
        concat!(
            "coalesce(
               (SELECT id FROM events WHERE entity_key = a.entity_key AND connection_level = 0
                  AND ",
            $filter,
            " AND a.",
            $t,
            " = 0 AND time IS NULL ORDER BY id LIMIT 1),
               (SELECT id FROM events WHERE entity_key = a.entity_key AND connection_level = 0
                  AND ",
            $filter,
            " AND time = a.",
            $t,
            " ORDER BY id LIMIT 1))"
        )
    };
}

const CANDIDATES: &str = concat!(
    "SELECT a.entity_key, a.kind, a.name, a.display_name, a.idp_id, a.target_id, a.external_id,
            a.events, a.failures, a.first_seen, a.last_seen, a.source_ids,
            ds.format AS d_format, d.outcome AS d_outcome, d.category AS d_category,
            d.attribute AS d_attribute, d.message AS d_message,
            fs.format AS f_format, f.outcome AS f_outcome, f.category AS f_category,
            f.attribute AS f_attribute, f.message AS f_message
     FROM entity_agg a
     LEFT JOIN events d ON d.id = ",
    last_record_id!("decisive = 1", "decisive_time"),
    "
     LEFT JOIN sources ds ON ds.id = d.source_id
     LEFT JOIN events f ON f.id = ",
    last_record_id!("category IS NOT NULL", "failure_time"),
    "
     LEFT JOIN sources fs ON fs.id = f.source_id
     WHERE ",
    ruled!()
);

/// Rows of entities no record of which failed: ok, named by the first name they have (what
/// `diagnose::refresh` gives such an entity, kept in SQL so a large workspace's healthy
/// majority never crosses into Rust).
const OK_ROWS: &str = concat!(
    "SELECT entity_key,
        CASE WHEN kind IN ('user', 'group') THEN kind ELSE 'unknown' END,
        coalesce(name, display_name, target_id, idp_id, entity_key), 'ok',
        NULL, NULL, NULL, NULL, idp_id, target_id, external_id, events, failures,
        first_seen, last_seen, source_ids
    FROM entity_agg a WHERE NOT ",
    ruled!()
);

const ENTITY_COLUMNS: &str = "entity_key, kind, name, status, category, attribute, message, fix, \
    idp_id, target_id, external_id, events, failures, first_seen, last_seen, source_ids";

/// Rebuilds the materialized diagnosis in one transaction and one pass over `events`: entities
/// the rules decide go through `decide` (see [`EntityAggregate`]); the others are written as
/// ok directly. Returns the number of entities.
pub async fn rebuild(
    ws: &Workspace,
    mut decide: impl FnMut(EntityAggregate) -> EntityRow,
) -> Result<u64> {
    let mut tx = ws.pool().begin().await?;
    sqlx::query("DROP TABLE IF EXISTS temp.entity_agg; DROP TABLE IF EXISTS temp.entity_ruled")
        .execute(&mut *tx)
        .await?;
    sqlx::query(AGGREGATE).execute(&mut *tx).await?;
    let candidates: Vec<EntityAggregate> = sqlx::query_as(CANDIDATES).fetch_all(&mut *tx).await?;
    let rows: Vec<EntityRow> = candidates.into_iter().map(&mut decide).collect();
    sqlx::query("CREATE TEMP TABLE entity_ruled AS SELECT * FROM main.entities WHERE 0")
        .execute(&mut *tx)
        .await?;
    insert_rows(&mut tx, "temp.entity_ruled", &rows).await?;
    sqlx::query("DELETE FROM main.entities")
        .execute(&mut *tx)
        .await?;
    // In key order, as the rows always were (the order pages of equal sort keys come in).
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO main.entities ({ENTITY_COLUMNS})
         SELECT * FROM ({OK_ROWS} UNION ALL SELECT {ENTITY_COLUMNS} FROM temp.entity_ruled)
         ORDER BY entity_key"
    )))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DROP TABLE temp.entity_agg; DROP TABLE temp.entity_ruled")
        .execute(&mut *tx)
        .await?;
    sqlx::query(EVENT_BUCKETS).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(inserted)
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

async fn insert_rows(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    rows: &[EntityRow],
) -> Result<()> {
    for chunk in rows.chunks(2000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
            "INSERT INTO {table} ({ENTITY_COLUMNS}) "
        ));
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
        qb.build().persistent(true).execute(&mut *conn).await?;
    }
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

/// Records per provisioning cycle (per hour without a cycle id, `none` without a time), rebuilt
/// with the entities: totals, the timeline and cycle starts read these few rows, not every
/// record.
const EVENT_BUCKETS: &str = "DELETE FROM event_buckets;
    INSERT INTO event_buckets
        (bucket, cycle_id, start, end, records, success, failure, skipped, failures)
    SELECT CASE WHEN time IS NULL THEN 'none'
                ELSE coalesce(cycle_id, 'hour:' || (time / 3600000)) END,
           max(cycle_id), min(time), max(time), count(*),
           sum(outcome = 'success'), sum(outcome = 'failure'), sum(outcome = 'skipped'),
           count(category)
    FROM events GROUP BY 1";

/// Record counts by outcome, as of the last roll-up.
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
