//! Aggregates kept up to date by every import, so that the diagnosis never has to pass over
//! every record: `entity_stats` (one row per entity: counts, names, ids, times, sources and the
//! two records that decide its status) and `event_buckets` (record counts per provisioning
//! cycle). An import folds its records into an [`ImportAggregates`] on the classify thread; the
//! writer merges it into the stored rows in the import's transaction.
//!
//! Merging is commutative (max, min, sums, unions, the better of two records), so the stored
//! row of an entity is the same whatever order its records were folded in, and the same as a
//! fold of all its records at once (which is how rows are recomputed after correlation moves
//! records between entities).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ffi::CStr;

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::bulk::{Param, Statement};

use crate::error::Result;

/// Keys folded on the classify thread before they are set aside in the workspace (bounds the
/// memory an import of a large tenant needs: about 1 KB a key, held on the classify thread, in
/// the channel and by the writer; see [`spill_entities`]). 6,250 against 25,000 at 1,000,000
/// records: peak 100–111 MiB against 135–141 MiB, in the same time (the merge reads the
/// spill in key order whatever its size). The crate's own tests set aside every five keys, so
/// every import they check with more entities goes through the spill and its merge.
pub const FLUSH_KEYS: usize = if cfg!(test) { 5 } else { 6_250 };

/// The fields of one record the aggregates read.
#[derive(Debug, Clone, Copy)]
pub struct RecordFacts<'a> {
    pub entity_key: &'a str,
    pub source: i64,
    pub seq: i64,
    pub time: Option<i64>,
    pub cycle_id: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub idp_id: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub category: Option<&'a str>,
    pub attribute: Option<&'a str>,
    pub message: Option<&'a str>,
    pub decisive: bool,
    pub connection_level: bool,
}

/// A record that decides (or explains) an entity's status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LastRecord {
    pub time: Option<i64>,
    pub source: i64,
    pub seq: i64,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
}

/// What orders candidates for "the last record": the latest time (a record without one counts
/// as 0 and wins over one at 0); at the same time, what the records say rather than where they
/// sit in the file, so a log gives the same diagnosis newest first or oldest first (Graph pages
/// are newest first, diagnostic exports oldest first, CloudTrail has whole seconds): a failure
/// over a success (a tie proves no resolution), then the greater category and message; only
/// records alike in all of that fall back to the earliest record.
#[derive(Clone, Copy)]
struct Candidate<'a> {
    time: Option<i64>,
    outcome: Option<&'a str>,
    category: Option<&'a str>,
    message: Option<&'a str>,
    source: i64,
    seq: i64,
}

type Rank<'a> = (
    i64,
    bool,
    bool,
    Option<&'a str>,
    Option<&'a str>,
    Reverse<(i64, i64)>,
);

impl<'a> Candidate<'a> {
    fn of(l: &'a LastRecord) -> Candidate<'a> {
        Candidate {
            time: l.time,
            outcome: l.outcome.as_deref(),
            category: l.category.as_deref(),
            message: l.message.as_deref(),
            source: l.source,
            seq: l.seq,
        }
    }

    fn rank(&self) -> Rank<'a> {
        (
            self.time.unwrap_or(0),
            self.time.is_none(),
            self.outcome == Some("failure") || self.category.is_some(),
            self.category,
            self.message,
            Reverse((self.source, self.seq)),
        )
    }
}

/// Whether `candidate` takes the place of the record in `slot`.
fn displaces(slot: &Option<LastRecord>, candidate: Candidate<'_>) -> bool {
    slot.as_ref()
        .is_none_or(|c| candidate.rank() > Candidate::of(c).rank())
}

fn keep_last(slot: &mut Option<LastRecord>, candidate: &LastRecord) {
    if displaces(slot, Candidate::of(candidate)) {
        *slot = Some(candidate.clone());
    }
}

/// SQL's `max()` over text: NULLs ignored, byte order.
fn keep_max(slot: &mut Option<String>, value: Option<&str>) {
    if let Some(v) = value {
        if slot.as_deref().is_none_or(|current| v > current) {
            *slot = Some(v.to_string());
        }
    }
}

fn keep_min_time(slot: &mut Option<i64>, value: Option<i64>) {
    if let Some(v) = value {
        *slot = Some(slot.map_or(v, |c| c.min(v)));
    }
}

fn keep_max_time(slot: &mut Option<i64>, value: Option<i64>) {
    if let Some(v) = value {
        *slot = Some(slot.map_or(v, |c| c.max(v)));
    }
}

/// One entity's aggregates over its records (connection-level records excluded).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntityStats {
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
    /// Ascending, without repeats.
    pub sources: Vec<i64>,
    /// The last record that can decide the status.
    pub decisive: Option<LastRecord>,
    /// The last failing record (the cause shown for resolved entities too).
    pub failure: Option<LastRecord>,
}

impl EntityStats {
    /// Folds one record in. Copies a text only when it changes the aggregate.
    pub fn record(&mut self, r: &RecordFacts<'_>) {
        keep_max(&mut self.kind, r.kind);
        keep_max(&mut self.name, r.name);
        keep_max(&mut self.display_name, r.display_name);
        keep_max(&mut self.idp_id, r.idp_id);
        keep_max(&mut self.target_id, r.target_id);
        keep_max(&mut self.external_id, r.external_id);
        self.events += 1;
        self.failures += i64::from(r.category.is_some());
        keep_min_time(&mut self.first_seen, r.time);
        keep_max_time(&mut self.last_seen, r.time);
        self.add_sources(&[r.source]);
        let candidate = Candidate {
            time: r.time,
            outcome: r.outcome,
            category: r.category,
            message: r.message,
            source: r.source,
            seq: r.seq,
        };
        let wins = |slot: &Option<LastRecord>| displaces(slot, candidate);
        let last = || LastRecord {
            time: r.time,
            source: r.source,
            seq: r.seq,
            outcome: r.outcome.map(str::to_string),
            category: r.category.map(str::to_string),
            attribute: r.attribute.map(str::to_string),
            message: r.message.map(str::to_string),
        };
        if r.decisive && wins(&self.decisive) {
            self.decisive = Some(last());
        }
        if r.category.is_some() && wins(&self.failure) {
            self.failure = Some(last());
        }
    }

    /// Merges the aggregates of more records of the same entity.
    pub fn merge(&mut self, other: &EntityStats) {
        keep_max(&mut self.kind, other.kind.as_deref());
        keep_max(&mut self.name, other.name.as_deref());
        keep_max(&mut self.display_name, other.display_name.as_deref());
        keep_max(&mut self.idp_id, other.idp_id.as_deref());
        keep_max(&mut self.target_id, other.target_id.as_deref());
        keep_max(&mut self.external_id, other.external_id.as_deref());
        self.events += other.events;
        self.failures += other.failures;
        keep_min_time(&mut self.first_seen, other.first_seen);
        keep_max_time(&mut self.last_seen, other.last_seen);
        self.add_sources(&other.sources);
        if let Some(d) = &other.decisive {
            keep_last(&mut self.decisive, d);
        }
        if let Some(f) = &other.failure {
            keep_last(&mut self.failure, f);
        }
    }

    fn add_sources(&mut self, sources: &[i64]) {
        for s in sources {
            if let Err(at) = self.sources.binary_search(s) {
                self.sources.insert(at, *s);
            }
        }
    }

    pub fn source_ids_text(&self) -> String {
        let ids: Vec<String> = self.sources.iter().map(i64::to_string).collect();
        ids.join(",")
    }
}

/// Record counts of one provisioning cycle (an hour for records without a cycle id, `none`
/// for records without a time).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bucket {
    pub cycle_id: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub records: i64,
    pub success: i64,
    pub failure: i64,
    pub skipped: i64,
    pub failures: i64,
}

pub fn bucket_key(time: Option<i64>, cycle_id: Option<&str>) -> String {
    match (time, cycle_id) {
        (None, _) => "none".to_string(),
        (Some(_), Some(cycle)) => cycle.to_string(),
        (Some(t), None) => format!("hour:{}", t / 3_600_000),
    }
}

/// Folds one record into its entity's aggregates (connection-level records belong to none).
fn fold_entity(entities: &mut HashMap<String, EntityStats>, r: &RecordFacts<'_>) {
    if r.connection_level {
        return;
    }
    match entities.get_mut(r.entity_key) {
        Some(stats) => stats.record(r),
        None => entities
            .entry(r.entity_key.to_string())
            .or_default()
            .record(r),
    }
}

/// What one import adds to the aggregates, folded record by record.
#[derive(Debug, Default)]
pub struct ImportAggregates {
    pub entities: HashMap<String, EntityStats>,
    pub buckets: HashMap<String, Bucket>,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

impl ImportAggregates {
    pub fn record(&mut self, r: &RecordFacts<'_>) {
        keep_min_time(&mut self.first_time, r.time);
        keep_max_time(&mut self.last_time, r.time);
        let key = bucket_key(r.time, r.cycle_id);
        let bucket = match self.buckets.get_mut(&key) {
            Some(b) => b,
            None => self.buckets.entry(key).or_default(),
        };
        keep_max(&mut bucket.cycle_id, r.cycle_id);
        keep_min_time(&mut bucket.start, r.time);
        keep_max_time(&mut bucket.end, r.time);
        bucket.records += 1;
        bucket.success += i64::from(r.outcome == Some("success"));
        bucket.failure += i64::from(r.outcome == Some("failure"));
        bucket.skipped += i64::from(r.outcome == Some("skipped"));
        bucket.failures += i64::from(r.category.is_some());
        fold_entity(&mut self.entities, r);
    }

    /// The entity aggregates folded so far, leaving the map empty.
    pub fn take_entities(&mut self) -> HashMap<String, EntityStats> {
        std::mem::take(&mut self.entities)
    }
}

/// Keys per statement when reading or writing rows by key.
const KEYS_PER_STATEMENT: usize = 500;

const STATS_COLUMNS: &str = "entity_key, kind, name, display_name, idp_id, target_id, \
    external_id, events, failures, first_seen, last_seen, source_ids, \
    d_time, d_source, d_seq, d_outcome, d_category, d_attribute, d_message, \
    f_time, f_source, f_seq, f_outcome, f_category, f_attribute, f_message";

/// One stored row of `entity_stats` (a row, or a JSON array of [`STATS_COLUMNS`]).
#[derive(Debug, FromRow, serde::Deserialize)]
pub(super) struct StatsRow {
    entity_key: String,
    kind: Option<String>,
    name: Option<String>,
    display_name: Option<String>,
    idp_id: Option<String>,
    target_id: Option<String>,
    external_id: Option<String>,
    events: i64,
    failures: i64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    source_ids: String,
    d_time: Option<i64>,
    d_source: Option<i64>,
    d_seq: Option<i64>,
    d_outcome: Option<String>,
    d_category: Option<String>,
    d_attribute: Option<String>,
    d_message: Option<String>,
    f_time: Option<i64>,
    f_source: Option<i64>,
    f_seq: Option<i64>,
    f_outcome: Option<String>,
    f_category: Option<String>,
    f_attribute: Option<String>,
    f_message: Option<String>,
}

impl StatsRow {
    pub(super) fn into_stats(self) -> Result<(String, EntityStats)> {
        let last =
            |source: Option<i64>, time, seq: Option<i64>, outcome, category, attribute, message| {
                source.map(|source| LastRecord {
                    time,
                    source,
                    seq: seq.unwrap_or_default(),
                    outcome,
                    category,
                    attribute,
                    message,
                })
            };
        let stats = EntityStats {
            kind: self.kind,
            name: self.name,
            display_name: self.display_name,
            idp_id: self.idp_id,
            target_id: self.target_id,
            external_id: self.external_id,
            events: self.events,
            failures: self.failures,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            sources: parse_source_ids(&self.source_ids)?,
            decisive: last(
                self.d_source,
                self.d_time,
                self.d_seq,
                self.d_outcome,
                self.d_category,
                self.d_attribute,
                self.d_message,
            ),
            failure: last(
                self.f_source,
                self.f_time,
                self.f_seq,
                self.f_outcome,
                self.f_category,
                self.f_attribute,
                self.f_message,
            ),
        };
        Ok((self.entity_key, stats))
    }
}

/// The source ids of an entity as stored (`1,4,7`); anything else is a damaged row.
pub fn parse_source_ids(text: &str) -> Result<Vec<i64>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse().map_err(|_| {
                crate::error::Error::corrupt(format!(
                    "source_ids: {text:?} is not a list of source ids"
                ))
            })
        })
        .collect()
}

/// Merges an import's entity aggregates into the stored rows and marks the entities for the
/// roll-up (`temp.dirty_entities`, see [`begin_dirty`]).
pub async fn merge_entities(
    conn: &mut SqliteConnection,
    partial: HashMap<String, EntityStats>,
) -> Result<()> {
    let stored_any = any_stored(conn).await?;
    merge_into(conn, partial, stored_any).await
}

/// Whether `entity_stats` has rows: nothing to merge with in an empty table (a workspace's
/// first import).
async fn any_stored(conn: &mut SqliteConnection) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM entity_stats)")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// [`merge_entities`], reading the stored rows only when `read_stored`.
async fn merge_into(
    conn: &mut SqliteConnection,
    mut partial: HashMap<String, EntityStats>,
    read_stored: bool,
) -> Result<()> {
    // Key order throughout: the stored rows are read and written front to back through the
    // key index instead of at random places in B-trees larger than the page cache (at
    // 1,000,000 records random order made this merge the slowest part of the import).
    let keys = sorted_keys(&partial);
    let read = if read_stored { keys.as_slice() } else { &[] };
    for chunk in read.chunks(KEYS_PER_STATEMENT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {STATS_COLUMNS} FROM entity_stats WHERE entity_key IN "
        ));
        qb.push_tuples(chunk, |mut b, k| {
            b.push_bind(k);
        });
        let stored: Vec<StatsRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for row in stored {
            let (key, stats) = row.into_stats()?;
            if let Some(p) = partial.get_mut(&key) {
                p.merge(&stats);
            }
        }
    }
    write(conn, &partial).await?;
    mark_dirty(conn, keys.iter()).await
}

/// The keys of `stats` in SQLite's order for text (bytes, as `str`'s `Ord`).
fn sorted_keys(stats: &HashMap<String, EntityStats>) -> Vec<String> {
    let mut keys: Vec<String> = stats.keys().cloned().collect();
    keys.sort_unstable();
    keys
}

/// The insert of one row of [`STATS_COLUMNS`] into `$table`, as a C string.
macro_rules! insert_stats {
    ($verb:literal, $table:literal) => {
        match CStr::from_bytes_with_nul(
            concat!(
                $verb,
                " INTO ",
                $table,
                " (entity_key, kind, name, display_name, idp_id, target_id, external_id, \
                events, failures, first_seen, last_seen, source_ids, d_time, d_source, d_seq, \
                d_outcome, d_category, d_attribute, d_message, f_time, f_source, f_seq, \
                f_outcome, f_category, f_attribute, f_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, \
                ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\0"
            )
            .as_bytes(),
        ) {
            Ok(sql) => sql,
            Err(_) => panic!("one NUL, at the end"),
        }
    };
}

const WRITE_STATS: &CStr = insert_stats!("INSERT OR REPLACE", "entity_stats");

/// Partial aggregates set aside during an import (see [`spill_entities`]).
const SPILL_STATS: &CStr = insert_stats!("INSERT", "temp.stats_spill");

/// Rows of `temp.stats_spill` merged at a time by [`merge_spilled`].
const SPILL_PAGE: i64 = 10_000;

/// Sets part of an import's entity aggregates aside in this connection's `temp.stats_spill`
/// (`entity_stats`' columns, a key on as many rows as it was set aside; `first` starts the
/// table afresh), so that memory stays bounded on a large tenant without a merge into the
/// stored rows at every step: read-modify-writes into a table larger than the page cache, at
/// random, were most of the cost a 1,000,000-record import added over five 200,000-record ones.
/// [`merge_spilled`] merges them, once, in key order.
pub async fn spill_entities(
    conn: &mut SqliteConnection,
    entities: HashMap<String, EntityStats>,
    first: bool,
) -> Result<()> {
    if first {
        sqlx::query(
            "DROP TABLE IF EXISTS temp.stats_spill;
             CREATE TEMP TABLE stats_spill AS SELECT * FROM main.entity_stats LIMIT 0",
        )
        .execute(&mut *conn)
        .await?;
    }
    write_to(conn, SPILL_STATS, &entities).await
}

/// Merges what [`spill_entities`] set aside, and `rest`, into the stored rows (as
/// [`merge_entities`]), a page of keys at a time in key order, then drops the spill.
pub async fn merge_spilled(
    conn: &mut SqliteConnection,
    rest: HashMap<String, EntityStats>,
) -> Result<()> {
    merge_spilled_in_pages(conn, rest, SPILL_PAGE).await
}

async fn merge_spilled_in_pages(
    conn: &mut SqliteConnection,
    rest: HashMap<String, EntityStats>,
    page_rows: i64,
) -> Result<()> {
    write_to(conn, SPILL_STATS, &rest).await?;
    drop(rest);
    sqlx::query("CREATE INDEX temp.stats_spill_key ON stats_spill(entity_key)")
        .execute(&mut *conn)
        .await?;
    // An empty table stays without a row to merge with until the first page is written, and
    // every later page's keys come after those written: none is ever stored already.
    let read_stored = any_stored(conn).await?;
    let page_sql = |upper: &str| {
        sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(json_group_array(json_array({STATS_COLUMNS})), '[]')
             FROM temp.stats_spill WHERE entity_key > ?1 {upper}"
        ))
    };
    let mut after = String::new();
    loop {
        let boundary = page_end(conn, "temp.stats_spill", &after, page_rows).await?;
        let json: String = match &boundary {
            Some(last) => sqlx::query_scalar(page_sql("AND entity_key <= ?2"))
                .bind(&after)
                .bind(last),
            None => sqlx::query_scalar(page_sql("")).bind(&after),
        }
        .fetch_one(&mut *conn)
        .await?;
        let rows: Vec<StatsRow> = serde_json::from_str(&json).map_err(|e| {
            crate::error::Error::corrupt(format!(
                "entity_stats: aggregates set aside do not hold what their columns should ({e})"
            ))
        })?;
        drop(json);
        let mut page: HashMap<String, EntityStats> = HashMap::with_capacity(rows.len());
        for row in rows {
            let (key, stats) = row.into_stats()?;
            page.entry(key).or_default().merge(&stats);
        }
        merge_into(conn, page, read_stored).await?;
        match boundary {
            Some(last) => after = last,
            None => break,
        }
    }
    sqlx::query("DROP TABLE temp.stats_spill")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const MARK_DIRTY: &CStr = c"INSERT OR IGNORE INTO temp.dirty_entities (entity_key) VALUES (?)";

/// Writes (replacing) the rows of `stats`, through SQLite's C API (an import can hand over
/// hundreds of thousands of entities).
async fn write(conn: &mut SqliteConnection, stats: &HashMap<String, EntityStats>) -> Result<()> {
    write_to(conn, WRITE_STATS, stats).await
}

/// Binds each row of `stats` to `insert` (an [`insert_stats`] statement), in key order.
async fn write_to(
    conn: &mut SqliteConnection,
    insert: &CStr,
    stats: &HashMap<String, EntityStats>,
) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    {
        let mut insert = Statement::prepare(&mut handle, insert)?;
        let mut rows: Vec<(&String, &EntityStats)> = stats.iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (key, s) in rows {
            let sources = s.source_ids_text();
            let mut row = [Param::Null; 26];
            row[..12].copy_from_slice(&[
                key.into(),
                (&s.kind).into(),
                (&s.name).into(),
                (&s.display_name).into(),
                (&s.idp_id).into(),
                (&s.target_id).into(),
                (&s.external_id).into(),
                s.events.into(),
                s.failures.into(),
                s.first_seen.into(),
                s.last_seen.into(),
                sources.as_str().into(),
            ]);
            row[12..19].copy_from_slice(&last_record_params(s.decisive.as_ref()));
            row[19..].copy_from_slice(&last_record_params(s.failure.as_ref()));
            insert.execute(&row)?;
        }
    }
    Ok(())
}

/// The `d_*` or `f_*` columns of a row: time, source, seq, outcome, category, attribute, message.
fn last_record_params(l: Option<&LastRecord>) -> [Param<'_>; 7] {
    [
        l.and_then(|l| l.time).into(),
        l.map(|l| l.source).into(),
        l.map(|l| l.seq).into(),
        l.and_then(|l| l.outcome.as_deref()).into(),
        l.and_then(|l| l.category.as_deref()).into(),
        l.and_then(|l| l.attribute.as_deref()).into(),
        l.and_then(|l| l.message.as_deref()).into(),
    ]
}

/// Adds `keys` to the entities the roll-up must decide again (see [`begin_dirty`]).
async fn mark_dirty<'k>(
    conn: &mut SqliteConnection,
    keys: impl Iterator<Item = &'k String>,
) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    let mut mark = Statement::prepare(&mut handle, MARK_DIRTY)?;
    for key in keys {
        mark.execute(&[key.into()])?;
    }
    Ok(())
}

/// Starts (empty) this connection's set of entities the roll-up must decide again.
pub async fn begin_dirty(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS dirty_entities (entity_key TEXT PRIMARY KEY NOT NULL);
         DELETE FROM temp.dirty_entities",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks every entity whose cause is one of `categories` (as the last decisive or the last
/// failing record has it): what a change of the rules can change.
pub async fn mark_dirty_by_cause(conn: &mut SqliteConnection, categories: &[&str]) -> Result<()> {
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT OR IGNORE INTO temp.dirty_entities (entity_key)
         SELECT entity_key FROM entity_stats WHERE d_category IN ",
    );
    qb.push_tuples(categories, |mut b, c| {
        b.push_bind(*c);
    });
    qb.push(" OR f_category IN ");
    qb.push_tuples(categories, |mut b, c| {
        b.push_bind(*c);
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

/// What the aggregates read of a record, once stored under `source`.
pub fn record_facts(r: &super::events::EventRow, source: i64) -> RecordFacts<'_> {
    RecordFacts {
            entity_key: &r.entity_key,
            source,
            seq: r.seq,
            time: r.time,
            cycle_id: r.cycle_id.as_deref(),
            kind: r.kind,
            name: r.name.as_deref(),
            display_name: r.display_name.as_deref(),
            idp_id: r.idp_id.as_deref(),
            target_id: r.target_id.as_deref(),
            external_id: r.external_id.as_deref(),
            outcome: r.outcome,
            category: r.category,
            attribute: r.attribute.as_deref(),
            message: r.message.as_deref(),
            decisive: r.decisive,
            connection_level: r.connection_level,
        }
}

/// A record as read back from `events` ([`FACT_COLUMNS`]) to recompute the aggregates of the
/// entities correlation moved records between.
#[derive(Debug, FromRow)]
struct EventFacts {
    entity_key: String,
    source_id: i64,
    seq: i64,
    time: Option<i64>,
    cycle_id: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    display_name: Option<String>,
    idp_id: Option<String>,
    target_id: Option<String>,
    external_id: Option<String>,
    outcome: Option<String>,
    category: Option<String>,
    attribute: Option<String>,
    message: Option<String>,
    decisive: i64,
    connection_level: i64,
}

impl EventFacts {
    fn facts(&self) -> RecordFacts<'_> {
        RecordFacts {
            entity_key: &self.entity_key,
            source: self.source_id,
            seq: self.seq,
            time: self.time,
            cycle_id: self.cycle_id.as_deref(),
            kind: self.kind.as_deref(),
            name: self.name.as_deref(),
            display_name: self.display_name.as_deref(),
            idp_id: self.idp_id.as_deref(),
            target_id: self.target_id.as_deref(),
            external_id: self.external_id.as_deref(),
            outcome: self.outcome.as_deref(),
            category: self.category.as_deref(),
            attribute: self.attribute.as_deref(),
            message: self.message.as_deref(),
            decisive: self.decisive != 0,
            connection_level: self.connection_level != 0,
        }
    }
}

const FACT_COLUMNS: &str = "entity_key, source_id, seq, time, cycle_id, kind, name, \
    display_name, idp_id, target_id, external_id, outcome, category, attribute, message, \
    decisive, connection_level";

/// Recomputes the rows of the entities in `temp.recompute_entities` from their records (after
/// correlation moved records between entities) and marks them dirty. An entity left without
/// records loses its row.
pub async fn recompute(conn: &mut SqliteConnection) -> Result<()> {
    let records: Vec<EventFacts> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FACT_COLUMNS} FROM events
         WHERE connection_level = 0
           AND entity_key IN (SELECT entity_key FROM temp.recompute_entities)"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut entities = HashMap::new();
    for r in &records {
        fold_entity(&mut entities, &r.facts());
    }
    sqlx::query(
        "DELETE FROM entity_stats WHERE entity_key IN (SELECT entity_key FROM temp.recompute_entities);
         INSERT OR IGNORE INTO temp.dirty_entities SELECT entity_key FROM temp.recompute_entities",
    )
    .execute(&mut *conn)
    .await?;
    write(conn, &entities).await
}

/// The last key of the next page of `rows` rows of `table` after `after`, in key order; `None`
/// when fewer are left (the page then runs to the end). A page taken up to and including that
/// key holds every row of each of its keys, so an entity is never split across two pages.
async fn page_end(
    conn: &mut SqliteConnection,
    table: &'static str,
    after: &str,
    rows: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT entity_key FROM {table} WHERE entity_key > ? ORDER BY entity_key LIMIT 1 OFFSET ?"
    )))
    .bind(after)
    .bind(rows - 1)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Records per page when every record is folded again.
const REBUILD_PAGE: i64 = 50_000;

/// A page of records to fold again, read in place through SQLite's C API: crossing as JSON
/// (built by SQLite, parsed here) or as sqlx rows cost more than the folding.
macro_rules! fold_page {
    ($upper:literal) => {
        match CStr::from_bytes_with_nul(
            concat!(
                "SELECT entity_key, source_id, seq, time, cycle_id, kind, name, display_name, \
                 idp_id, target_id, external_id, outcome, category, attribute, message, \
                 decisive, connection_level FROM events \
                 WHERE connection_level = 0 AND entity_key > ?1",
                $upper,
                "\0"
            )
            .as_bytes(),
        ) {
            Ok(sql) => sql,
            Err(_) => panic!("one NUL, at the end"),
        }
    };
}

/// Folds every record into `entity_stats` (empty before), inside the caller's transaction.
/// Pages go by entity key, each ending with every record of its last key, so each page's
/// entities are complete: rows are written once, in key order, and memory stays bounded.
pub async fn fold_all_records(conn: &mut SqliteConnection) -> Result<()> {
    let mut after = String::new();
    loop {
        let boundary = page_end(conn, "main.events", &after, REBUILD_PAGE).await?;
        let mut entities = HashMap::new();
        {
            let mut handle = conn.lock_handle().await?;
            let (mut page, values) = match &boundary {
                Some(last) => (
                    Statement::prepare(&mut handle, fold_page!(" AND entity_key <= ?2"))?,
                    vec![after.as_str().into(), last.as_str().into()],
                ),
                None => (
                    Statement::prepare(&mut handle, fold_page!(""))?,
                    vec![after.as_str().into()],
                ),
            };
            page.query(&values, |row| {
                let missing =
                    || crate::error::Error::corrupt("events: a record without its key, source or number");
                let facts = RecordFacts {
                    entity_key: row.text(0)?.ok_or_else(missing)?,
                    source: row.int(1)?.ok_or_else(missing)?,
                    seq: row.int(2)?.ok_or_else(missing)?,
                    time: row.int(3)?,
                    cycle_id: row.text(4)?,
                    kind: row.text(5)?,
                    name: row.text(6)?,
                    display_name: row.text(7)?,
                    idp_id: row.text(8)?,
                    target_id: row.text(9)?,
                    external_id: row.text(10)?,
                    outcome: row.text(11)?,
                    category: row.text(12)?,
                    attribute: row.text(13)?,
                    message: row.text(14)?,
                    decisive: row.int(15)?.unwrap_or_default() != 0,
                    connection_level: row.int(16)?.unwrap_or_default() != 0,
                };
                fold_entity(&mut entities, &facts);
                Ok(())
            })?;
        }
        write(conn, &entities).await?;
        match boundary {
            Some(last) => after = last,
            None => return Ok(()),
        }
    }
}

/// Marks every entity for the roll-up.
#[cfg(any(test, feature = "internals"))]
pub async fn mark_all_dirty(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("INSERT OR IGNORE INTO temp.dirty_entities SELECT entity_key FROM entity_stats")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Fills `entity_stats` for a workspace made before the table existed (its `entities` rows
/// stay as they were decided). Returns whether there was anything to fill.
pub async fn build_missing(pool: &sqlx::SqlitePool) -> Result<bool> {
    const MISSING: &str = "SELECT NOT EXISTS (SELECT 1 FROM entity_stats)
            AND EXISTS (SELECT 1 FROM events WHERE connection_level = 0)";
    // Read first: opening a workspace another process is importing into must not wait for it.
    if !sqlx::query_scalar::<_, bool>(MISSING)
        .fetch_one(pool)
        .await?
    {
        return Ok(false);
    }
    let mut tx = super::begin_write(pool).await?;
    let missing: bool = sqlx::query_scalar(MISSING).fetch_one(&mut *tx).await?;
    if missing {
        fold_all_records(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(missing)
}

/// Adds an import's record counts per cycle to `event_buckets`.
pub async fn merge_buckets(
    conn: &mut SqliteConnection,
    buckets: &HashMap<String, Bucket>,
) -> Result<()> {
    for (key, b) in buckets {
        sqlx::query(
            "INSERT INTO event_buckets
                 (bucket, cycle_id, start, end, records, success, failure, skipped, failures)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(bucket) DO UPDATE SET
                 cycle_id = CASE WHEN cycle_id IS NULL OR excluded.cycle_id > cycle_id
                                 THEN excluded.cycle_id ELSE cycle_id END,
                 start = CASE WHEN start IS NULL OR excluded.start < start
                              THEN excluded.start ELSE start END,
                 end = CASE WHEN end IS NULL OR excluded.end > end THEN excluded.end ELSE end END,
                 records = records + excluded.records,
                 success = success + excluded.success,
                 failure = failure + excluded.failure,
                 skipped = skipped + excluded.skipped,
                 failures = failures + excluded.failures",
        )
        .bind(key)
        .bind(&b.cycle_id)
        .bind(b.start)
        .bind(b.end)
        .bind(b.records)
        .bind(b.success)
        .bind(b.failure)
        .bind(b.skipped)
        .bind(b.failures)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Workspace;

    fn facts<'a>(key: &'a str, source: i64, seq: i64, time: Option<i64>) -> RecordFacts<'a> {
        RecordFacts {
            entity_key: key,
            source,
            seq,
            time,
            cycle_id: None,
            kind: Some("user"),
            name: None,
            display_name: None,
            idp_id: None,
            target_id: None,
            external_id: None,
            outcome: Some("success"),
            category: None,
            attribute: None,
            message: None,
            decisive: true,
            connection_level: false,
        }
    }

    #[test]
    fn the_last_record_is_the_latest_then_the_earliest_and_timeless_wins_at_zero() {
        let mut s = EntityStats::default();
        s.record(&facts("k", 1, 1, Some(5)));
        s.record(&facts("k", 1, 2, Some(5)));
        assert_eq!(s.decisive.as_ref().map(|d| d.seq), Some(1));
        s.record(&facts("k", 2, 1, Some(9)));
        assert_eq!(s.decisive.as_ref().map(|d| (d.source, d.seq)), Some((2, 1)));

        let mut z = EntityStats::default();
        z.record(&facts("k", 1, 1, Some(0)));
        z.record(&facts("k", 1, 2, None));
        assert_eq!(z.decisive.as_ref().map(|d| d.seq), Some(2));
    }

    #[test]
    fn merging_in_any_order_gives_the_fold_of_all_records() {
        let records = [
            (
                1,
                1,
                Some(30),
                Some("b"),
                Some("SCHEMA_VIOLATION_UNSPECIFIED"),
            ),
            (1, 2, None, Some("a"), None),
            (2, 1, Some(10), None, Some("DUPLICATE")),
            (3, 7, Some(30), Some("c"), None),
        ];
        let fold = |order: &[usize]| {
            let mut parts = [EntityStats::default(), EntityStats::default()];
            for (n, &i) in order.iter().enumerate() {
                let (source, seq, time, name, category) = records[i];
                let mut f = facts("k", source, seq, time);
                f.name = name;
                f.category = category;
                f.outcome = category.map(|_| "failure").or(Some("success"));
                parts[n % 2].record(&f);
            }
            let [mut a, b] = parts;
            a.merge(&b);
            a
        };
        let all = fold(&[0, 1, 2, 3]);
        assert_eq!(fold(&[3, 2, 1, 0]), all);
        assert_eq!(fold(&[2, 0, 3, 1]), all);
        assert_eq!(all.events, 4);
        assert_eq!(all.failures, 2);
        assert_eq!(all.name.as_deref(), Some("c"));
        assert_eq!(all.first_seen, Some(10));
        assert_eq!(all.sources, vec![1, 2, 3]);
        assert_eq!(
            all.failure.as_ref().map(|f| (f.source, f.seq)),
            Some((1, 1))
        );
        assert_eq!(
            all.decisive.as_ref().map(|d| (d.source, d.seq)),
            Some((1, 1))
        );
    }

    /// A record: key, source, seq, time, name, category.
    type Rec = (&'static str, i64, i64, i64, &'static str, Option<&'static str>);

    /// Aggregates of `records`, folded per key.
    fn folded(records: &[Rec]) -> HashMap<String, EntityStats> {
        let mut map = HashMap::new();
        for &(key, source, seq, time, name, category) in records {
            let mut f = facts(key, source, seq, Some(time));
            f.name = Some(name);
            f.category = category;
            f.message = category;
            f.outcome = category.map(|_| "failure").or(Some("success"));
            fold_entity(&mut map, &f);
        }
        map
    }

    async fn stored(conn: &mut SqliteConnection) -> (String, Vec<String>) {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT json_group_array(json_array({STATS_COLUMNS})) FROM
             (SELECT * FROM entity_stats ORDER BY entity_key)"
        )))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let dirty = sqlx::query_scalar("SELECT entity_key FROM temp.dirty_entities ORDER BY 1")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        (rows, dirty)
    }

    #[tokio::test]
    async fn aggregates_set_aside_in_parts_and_merged_by_pages_store_what_one_merge_stores() {
        // An import of a large tenant sets its aggregates aside every so many entities, the
        // same entity in several parts, and merges them at the end page by page, into rows
        // earlier imports stored.
        let earlier = [
            ("user|b", 1, 1, 50, "bea", Some("DUPLICATE")),
            ("user|d", 1, 2, 10, "dan", None),
        ];
        let parts: [&[Rec]; 3] = [
            &[
                ("user|a", 2, 1, 100, "ann", None),
                ("user|b", 2, 2, 20, "bea", None),
                ("user|c", 2, 3, 30, "cy", Some("SCHEMA_VIOLATION_UNSPECIFIED")),
            ],
            &[
                ("user|a", 2, 4, 5, "ann2", Some("DUPLICATE")),
                ("user|c", 2, 5, 300, "cy", None),
                ("user|e", 2, 6, 60, "eve", None),
            ],
            &[
                ("user|b", 2, 7, 90, "bea", None),
                ("user|a", 2, 8, 100, "ann", Some("DUPLICATE")),
                ("user|f", 2, 9, 1, "fay", None),
            ],
        ];
        let all: Vec<_> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        for with_earlier in [false, true] {
            let one = Workspace::in_memory().await.unwrap();
            let mut one = one.pool().acquire().await.unwrap();
            let by_parts = Workspace::in_memory().await.unwrap();
            let mut by_parts = by_parts.pool().acquire().await.unwrap();
            for conn in [&mut one, &mut by_parts] {
                begin_dirty(conn).await.unwrap();
                if with_earlier {
                    merge_entities(conn, folded(&earlier)).await.unwrap();
                }
            }
            merge_entities(&mut one, folded(&all)).await.unwrap();
            spill_entities(&mut by_parts, folded(parts[0]), true)
                .await
                .unwrap();
            spill_entities(&mut by_parts, folded(parts[1]), false)
                .await
                .unwrap();
            merge_spilled_in_pages(&mut by_parts, folded(parts[2]), 2)
                .await
                .unwrap();
            let expected = stored(&mut one).await;
            assert_eq!(stored(&mut by_parts).await, expected);
            assert_eq!(expected.1.len(), if with_earlier { 6 } else { 5 });
            let spill_left: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = 'stats_spill')")
                    .fetch_one(&mut *by_parts)
                    .await
                    .unwrap();
            assert!(!spill_left, "the spill is dropped once merged");
        }
    }

    #[test]
    fn buckets_are_cycles_then_hours_then_none() {
        assert_eq!(bucket_key(None, Some("c1")), "none");
        assert_eq!(bucket_key(Some(7_200_001), Some("c1")), "c1");
        assert_eq!(bucket_key(Some(7_200_001), None), "hour:2");
    }
}
