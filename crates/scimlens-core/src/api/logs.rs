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
    Ok(EntityDetail {
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
