//! The operations on logs both shells call: import files, build the report, one entity, the
//! reserved names. `verb_noun(ws, request) -> Result<response>`; the CLI subcommands and the
//! Tauri commands are a few lines over these.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::sources::ms_to_text;
use crate::db::{Workspace, entities, events};
use crate::diagnose::Rules;
use crate::error::{Error, Result};
use crate::import::pipeline::{CancelToken, ImportOutcome, ImportProgress, import_job};
use crate::import::plan::plan;
use crate::input::value::format_time;
use crate::model::{Category, EntityKind, EntityStatus, SentAttribute, Step};
use crate::report::{self, Report};

use super::pulled::{PulledDocument, import_pulled, window};

#[derive(Debug, Clone, Default)]
pub struct ImportFilesReq {
    pub paths: Vec<PathBuf>,
    /// Reserved names to add for this run (on top of built-ins and the workspace setting).
    pub extra_reserved: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportFilesRes {
    pub outcomes: Vec<ImportOutcome>,
    /// Entities in the refreshed diagnosis.
    pub entities: u64,
}

/// Detects every file's format first (nothing is imported if one is unrecognisable), then
/// imports each file in its own transaction and refreshes the diagnosis. A file that fails
/// stops the run: files before it stay imported, the failing one leaves no trace.
pub async fn import_files(
    ws: &Workspace,
    req: ImportFilesReq,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportFilesRes> {
    if req.paths.is_empty() {
        return Err(Error::InvalidArgument(
            "no files given to import".to_string(),
        ));
    }
    let jobs = plan(&req.paths)?;
    let rules = crate::db::diagnosis::rules_for(ws, &req.extra_reserved).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut failure = None;
    for job in &jobs {
        match import_job(ws, job, &rules, cancel, now, progress).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let started = std::time::Instant::now();
    let entities = crate::db::diagnosis::refresh(ws, &rules).await?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        entities,
        "diagnosis refreshed"
    );
    match failure {
        Some(e) => Err(e),
        None => Ok(ImportFilesRes { outcomes, entities }),
    }
}

/// The report of everything in `ws` (its diagnosis refreshed with the rules in force).
pub async fn build_report(
    ws: &Workspace,
    extra_reserved: &[String],
    now: DateTime<Utc>,
) -> Result<Report> {
    let rules = crate::db::diagnosis::rules_for(ws, extra_reserved).await?;
    crate::db::diagnosis::refresh(ws, &rules).await?;
    report::build(ws, now).await
}

/// Adds names to the workspace's reserved-name list (kept in the workspace).
pub async fn add_reserved_names(ws: &Workspace, names: &[String]) -> Result<Vec<String>> {
    use crate::db::settings;
    let mut current: Vec<String> = settings::get(ws, settings::RESERVED_NAMES)
        .await?
        .unwrap_or_default();
    for n in names {
        let n = n.trim();
        if !n.is_empty() && !current.iter().any(|c| c.eq_ignore_ascii_case(n)) {
            current.push(n.to_string());
        }
    }
    settings::set(ws, settings::RESERVED_NAMES, &current).await?;
    let rules = Rules::new(&current);
    crate::db::diagnosis::refresh(ws, &rules).await?;
    Ok(current)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityDetail {
    pub key: String,
    pub kind: EntityKind,
    pub name: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub external_id: Option<String>,
    pub events: u64,
    /// What it holds in AWS (the Access panel), in the newest store snapshot with account
    /// assignments; `None` when that snapshot does not hold it, or there is none.
    pub access: Option<crate::access::EntityAccess>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TimelineEntry {
    pub event_id: i64,
    pub source_path: String,
    pub format: String,
    pub record: i64,
    pub time: Option<String>,
    pub action: Option<String>,
    pub operation: Option<String>,
    pub outcome: Option<String>,
    pub http_status: Option<i64>,
    pub error_code: Option<String>,
    pub aws_detail: Option<String>,
    pub reason: Option<String>,
    pub skip_reason: Option<String>,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    /// True when the source masks names (CloudTrail): the entity was matched by id or time.
    pub masked: bool,
    pub attributes: Vec<SentAttribute>,
    pub steps: Vec<Step>,
    /// The record exactly as it appeared in the file.
    pub raw: String,
}

/// Records shown per entity; an entity retried every cycle for months can have thousands.
const TIMELINE_LIMIT: i64 = 2000;

/// Entities matching `query` (name, id or key): exact matches first, then substrings.
pub async fn find_entities(
    ws: &Workspace,
    query: &str,
    limit: i64,
) -> Result<Vec<entities::EntityRow>> {
    entities::find(ws, query, limit).await
}

/// A list kept in an event's evidence as JSON; an empty text is what imports write for a
/// record without any.
fn stored_list<T: serde::de::DeserializeOwned>(
    what: &str,
    event: i64,
    text: &str,
) -> Result<Vec<T>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| {
        Error::corrupt(format!(
            "evidence_blocks: the {what} of event {event} ({e})"
        ))
    })
}

/// One entity across every source: its status, cause, fix and timeline of records.
pub async fn get_entity(ws: &Workspace, key: &str) -> Result<EntityDetail> {
    let row = entities::find(ws, key, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound {
            what: "entity",
            name: key.to_string(),
        })?;
    let rows = events::timeline(ws, &row.entity_key, TIMELINE_LIMIT).await?;
    // Records of one entity often share a block: unpack each block once.
    let mut blocks: std::collections::HashMap<i64, Vec<crate::db::evidence::Evidence>> =
        std::collections::HashMap::new();
    let mut timeline = Vec::with_capacity(rows.len());
    for r in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = blocks.entry(r.block_id) {
            slot.insert(crate::db::evidence::load_block(ws, r.block_id).await?);
        }
        let evidence = blocks[&r.block_id]
            .get(r.block_index as usize)
            .cloned()
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "evidence_blocks: block {} has no record {} (event {})",
                    r.block_id, r.block_index, r.id
                ))
            })?;
        timeline.push(TimelineEntry {
            event_id: r.id,
            source_path: r.path,
            format: r.format,
            record: r.seq,
            time: ms_to_text(r.time),
            action: r.action,
            operation: r.operation,
            outcome: r.outcome,
            http_status: r.http_status,
            error_code: r.error_code,
            aws_detail: r.aws_detail,
            reason: r.reason,
            skip_reason: r.skip_reason,
            category: r.category.as_deref().and_then(Category::parse),
            attribute: r.attribute,
            message: r.message,
            masked: r.masked,
            attributes: stored_list("attributes", r.id, &evidence.attributes)?,
            steps: stored_list("steps", r.id, &evidence.steps)?,
            raw: evidence.raw,
        });
    }
    let access = crate::access::of_entity(ws, &row.entity_key, row.kind).await?;
    Ok(EntityDetail {
        access,
        key: row.entity_key,
        kind: row.kind,
        name: row.name,
        status: row.status,
        category: row.category,
        attribute: row.attribute,
        message: row.message,
        fix: row.fix,
        source_id: row.idp_id,
        target_id: row.target_id,
        external_id: row.external_id,
        events: row.events as u64,
        timeline,
    })
}

/// Formats `now` the way the reports do.
pub fn stamp(now: DateTime<Utc>) -> String {
    format_time(&now)
}

/// How far back CloudTrail's event history (LookupEvents) reaches.
pub const CLOUDTRAIL_HISTORY_DAYS: i64 = 90;
/// A live pull of the identity store's CloudTrail events into the workspace.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PullCloudTrailReq {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Another endpoint (tests, VPC endpoints); the region still signs the requests.
    pub endpoint_url: Option<String>,
    /// A date (`2026-11-01`), a time (RFC 3339) or a duration back from now (`7d`, `12h`,
    /// `30m`, `2w`). Without it: from the newest CloudTrail event the workspace holds, else
    /// 90 days back.
    pub since: Option<String>,
    /// A date or time; now without it.
    pub until: Option<String>,
    /// Credentials given directly (tests); the standard chain otherwise.
    #[serde(skip)]
    #[ts(skip)]
    pub credentials: Option<crate::aws::StaticCredentials>,
}

/// What a pull found, cost and stored.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PullCloudTrailRes {
    /// The window asked of CloudTrail (RFC 3339).
    pub since: String,
    pub until: String,
    /// `since` was earlier than CloudTrail's 90 days and was moved to their start.
    pub clamped: bool,
    /// `since` came from the newest CloudTrail event already in the workspace.
    pub incremental: bool,
    pub stats: crate::aws::cloudtrail::CloudTrailPullStats,
    /// Events pulled that the workspace did not hold yet.
    pub new_events: u64,
    /// Events pulled again that the workspace already held (the overlap of an incremental pull).
    pub already_held: u64,
    /// The import of the new events as one source; absent when there were none.
    pub outcome: Option<ImportOutcome>,
    /// Entities in the refreshed diagnosis.
    pub entities: u64,
}

/// Reads a `--since` / `--until` value: a date, an RFC 3339 time or a duration back from `now`.
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(t) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad_when(text))?;
    let span = match unit {
        "w" => chrono::Duration::try_weeks(n),
        "d" => chrono::Duration::try_days(n),
        "h" => chrono::Duration::try_hours(n),
        "m" => chrono::Duration::try_minutes(n),
        _ => None,
    }
    .ok_or_else(|| bad_when(text))?;
    Ok(now - span)
}

fn bad_when(text: &str) -> Error {
    Error::InvalidArgument(format!(
        "{text:?} is neither a date (2026-11-01), a time (2026-11-01T12:00:00Z) nor a duration \
         back from now (7d, 12h, 30m, 2w)"
    ))
}

/// Pulls the identity store's CloudTrail events (SCIM calls and the Identity Store API's writes)
/// with LookupEvents and imports the new ones as one `lookup-events` document through the same
/// pipeline as a downloaded file, in one transaction: a pull with nothing new, or one cancelled
/// or failed, stores nothing. `progress` hears of every page.
pub async fn pull_cloudtrail(
    ws: &Workspace,
    req: PullCloudTrailReq,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&crate::aws::cloudtrail::CloudTrailProgress) + Send + Sync),
) -> Result<PullCloudTrailRes> {
    use crate::aws::cloudtrail::{DEFAULT_RATE, lookup_identity_store_events};
    use crate::model::Format;

    let newest = crate::db::sources::newest_time(ws, Format::Cloudtrail).await?;
    let (since, until, clamped, incremental) = window(
        req.since.as_deref(),
        req.until.as_deref(),
        newest,
        CLOUDTRAIL_HISTORY_DAYS,
        now,
    )?;
    let opts = crate::aws::FetchOptions {
        profile: req.profile,
        region: req.region,
        endpoint_url: req.endpoint_url,
        credentials: req.credentials,
        rate: DEFAULT_RATE,
        ..crate::aws::FetchOptions::default()
    };
    let held =
        crate::db::sources::record_ids_since(ws, Format::Cloudtrail, since.timestamp_millis())
            .await?;
    // The new events go to the document as their page arrives; one document per pull.
    let mut doc = PulledDocument::create(ws, "cloudtrail", "{\"Events\":[", "]}", now)?;
    let mut total = 0u64;
    let mut keep = |event: serde_json::Value| {
        total += 1;
        if event["EventId"]
            .as_str()
            .is_some_and(|id| held.contains(id))
        {
            return Ok(());
        }
        doc.record(&event)
    };
    let stats =
        lookup_identity_store_events(&opts, since, until, cancel, progress, &mut keep).await?;
    let new_events = doc.records();
    let mut res = PullCloudTrailRes {
        since: since.to_rfc3339(),
        until: until.to_rfc3339(),
        clamped,
        incremental,
        stats,
        new_events,
        already_held: total - new_events,
        outcome: None,
        entities: 0,
    };
    if new_events == 0 {
        return Ok(res);
    }
    let name = format!(
        "CloudTrail LookupEvents {}{} .. {}",
        res.stats
            .region
            .as_deref()
            .map(|r| format!("{r} "))
            .unwrap_or_default(),
        format_time(&since),
        format_time(&until)
    );
    let imported = import_pulled(
        ws,
        &mut doc,
        Format::Cloudtrail,
        &name,
        "CloudTrail pull",
        cancel,
        now,
    )
    .await?;
    res.entities = imported.entities;
    res.outcome = imported.outcomes.into_iter().next();
    Ok(res)
}
