//! Importing logs: detect a file's format, read it into normalized [`ProvisioningEvent`]s, and
//! store them ([`pipeline`]).
//!
//! Detection is by content, in one place ([`detect`]); gzip is unwrapped transparently. Every
//! reader streams: it reads one record at a time and hands it to an [`EventSink`], so memory
//! stays flat whatever the file size. A reader never touches the workspace; the pipeline decides
//! what to do with the events (and throws them all away if the file breaks half-way).

pub mod cloudtrail;
pub mod entra;
pub mod entra_csv;
pub mod entra_job;
pub mod okta;
pub mod pipeline;
pub mod plan;
pub mod synctools;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
pub use crate::input::{Input, Tap};
pub(crate) use crate::input::{
    SNIFF_BYTES, first_object_prefix, has_key, head_text, key_position, one_record_per_line,
};
use crate::model::{Format, ProvisioningEvent};
pub use crate::model::{SourceWarning, WarningKind};

/// Receives what an importer finds. Errors returned by the sink (cancel, storage) abort the import.
pub trait EventSink {
    fn event(&mut self, event: ProvisioningEvent) -> Result<()>;
    /// Something the user should know about the source as a whole ("page 1 of more").
    fn warning(&mut self, warning: SourceWarning);
}

/// What an importer skipped inside a container it knows: objects of no shape it reads, and
/// records with members it does not know. Neither rejects the file; both are told as warnings.
#[derive(Debug, Default)]
pub(crate) struct Leftovers {
    pub unknown_shapes: u64,
    pub records_with_unknown_keys: u64,
}

impl Leftovers {
    pub fn record_keys(&mut self, unknown_keys: u32) {
        if unknown_keys > 0 {
            self.records_with_unknown_keys += 1;
        }
    }

    /// Tells the sink; `shape` says what a record of this format holds ("no id, time, ...").
    pub fn warn(&self, sink: &mut dyn EventSink, what: &str, shape: &str) {
        if self.unknown_shapes > 0 {
            sink.warning(SourceWarning {
                kind: WarningKind::Ignored,
                message: format!(
                    "{} objects that are not {what} ({shape}) were skipped",
                    self.unknown_shapes
                ),
            });
        }
        if self.records_with_unknown_keys > 0 {
            sink.warning(SourceWarning {
                kind: WarningKind::Other,
                message: format!(
                    "{} {what} carry fields scimlens does not know; those fields were ignored",
                    self.records_with_unknown_keys
                ),
            });
        }
    }
}

/// A sink that keeps everything in memory; for tests and the fuzzer.
#[cfg(any(test, feature = "internals"))]
#[derive(Debug, Default)]
pub struct VecSink {
    pub events: Vec<ProvisioningEvent>,
    pub warnings: Vec<SourceWarning>,
}

#[cfg(any(test, feature = "internals"))]
impl EventSink for VecSink {
    fn event(&mut self, event: ProvisioningEvent) -> Result<()> {
        self.events.push(event);
        Ok(())
    }

    fn warning(&mut self, warning: SourceWarning) {
        self.warnings.push(warning);
    }
}

/// Decides a file's format from its first bytes (after gunzip). Extensions are ignored.
pub fn detect(path: &Path) -> Result<Format> {
    let mut input = Input::open(path)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input.reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    detect_bytes(path, &head)
}

/// The content rules of [`detect`], on the first bytes of a file.
pub fn detect_bytes(path: &Path, head: &[u8]) -> Result<Format> {
    let unknown = |reason: &str| Error::UnknownFormat {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let text = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let trimmed = trim_start(text);
    if trimmed.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if looks_binary(trimmed) {
        return Err(unknown("it looks like binary data, not text"));
    }
    // Invalid UTF-8 further in is reported by the importer with its line; detection only
    // needs the shape of the start.
    let lossy = String::from_utf8_lossy(trimmed);
    let valid: &str = &lossy;
    match trimmed[0] {
        b'[' => detect_array(valid).ok_or_else(|| {
            unknown(&what_else(path, trimmed, valid).unwrap_or_else(|| {
                "a JSON array whose records are neither Entra provisioning records nor Okta \
                 System Log events"
                    .to_string()
            }))
        }),
        b'{' => detect_object(valid).ok_or_else(|| {
            unknown(
                &what_else(path, trimmed, valid)
                    .unwrap_or_else(|| "JSON, but none of the known record shapes".to_string()),
            )
        }),
        _ => detect_csv(valid).ok_or_else(|| {
            unknown(
                &what_else(path, trimmed, valid)
                    .unwrap_or_else(|| "neither JSON nor a CSV header scimlens knows".to_string()),
            )
        }),
    }
}

const SCIM_ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// What a file that is not a provisioning log is, when scimlens knows it: an AWS SCIM error body
/// (alone, or quoted in another program's log), an idp-scim-sync state file, identity store or
/// directory output that another command imports, or diagnostic envelopes without a record.
fn what_else(path: &Path, raw: &[u8], head: &str) -> Option<String> {
    let json = head.starts_with('{') || head.starts_with('[');
    let first = first_object_prefix(head);
    if json
        && (has_key(first, "schemas") || has_key(first, "schema"))
        && first.contains(SCIM_ERROR_URN)
        && (has_key(first, "detail") || has_key(first, "status"))
    {
        return Some(format!(
            "an AWS SCIM error body, not a log{}",
            scim_error_detail(first)
        ));
    }
    if !json && head.contains(SCIM_ERROR_URN) {
        return Some(format!(
            "text that quotes an AWS SCIM error body, but not a log scimlens reads{}",
            scim_error_detail(&head[head.find('{').unwrap_or(0)..])
        ));
    }
    if head.starts_with('{')
        && has_key(head, "resources")
        && ((has_key(head, "ipid") && has_key(head, "scimid"))
            || (has_key(head, "lastSync") && has_key(head, "codeVersion")))
    {
        return Some(
            "an idp-scim-sync state file (the users and groups its last run synced), not a log"
                .to_string(),
        );
    }
    if crate::identity_store::looks_like_cli_json(head) {
        return Some(
            "identity store output (aws identitystore list-users, list-groups or \
             list-group-memberships), not a log: import it as a store snapshot with scimlens \
             store-import"
                .to_string(),
        );
    }
    if json && has_key(first, "category") && head.contains("\"ProvisioningLogs\"") {
        return Some(
            "Azure Monitor ProvisioningLogs envelopes without `properties`: they carry no \
             provisioning record"
                .to_string(),
        );
    }
    match crate::directory::detect_bytes(path, raw) {
        Ok(crate::directory::DirectoryFormat::ScimListResponse) => Some(
            "a SCIM ListResponse (users or groups as a directory holds them), not a log: import \
             it with scimlens directory-import"
                .to_string(),
        ),
        Ok(format) => Some(format!(
            "a directory export ({format}), not a log: import it with scimlens directory-import"
        )),
        Err(_) => None,
    }
}

/// `: its detail is "..."` for the first SCIM error body in `text`, the detail cut to about 200
/// characters; empty when the body states none.
fn scim_error_detail(text: &str) -> String {
    let detail = key_position(text, "detail").and_then(|at| {
        let rest = text[at + "\"detail\"".len()..].trim_start();
        let rest = rest.strip_prefix(':')?.trim_start();
        serde_json::Deserializer::from_str(rest)
            .into_iter::<String>()
            .next()?
            .ok()
    });
    match detail {
        Some(d) if d.chars().count() > 200 => {
            let cut: String = d.chars().take(200).collect();
            format!(": its detail is {:?}", format!("{cut}..."))
        }
        Some(d) => format!(": its detail is {d:?}"),
        None => String::new(),
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[n..]
}

fn looks_binary(b: &[u8]) -> bool {
    let sample = &b[..b.len().min(4096)];
    sample.contains(&0)
        || sample
            .iter()
            .filter(|&&c| c < 0x09 || (0x0e..0x20).contains(&c))
            .count()
            > sample.len() / 100 + 1
}

/// Keys in the first record of a JSON array decide between Entra and Okta.
fn detect_array(head: &str) -> Option<Format> {
    let first = first_object_prefix(head);
    if is_entra_record(first) {
        return Some(Format::EntraPortalJson);
    }
    if has_key(first, "eventType") && (has_key(first, "published") || has_key(first, "uuid")) {
        return Some(Format::OktaSystemlog);
    }
    if has_key(first, "eventSource") && has_key(first, "eventName") {
        return Some(Format::Cloudtrail);
    }
    None
}

fn detect_object(head: &str) -> Option<Format> {
    let first = if one_record_per_line(head) {
        head.lines().next().unwrap_or(head)
    } else {
        first_object_prefix(head)
    };
    // The provisioning job's status (one job, or Graph's `{"value": [...]}` list of jobs).
    if has_key(head, "templateId")
        && [
            "countSuccessiveCompleteFailures",
            "steadyStateLastAchievedTime",
            "quarantine",
        ]
        .iter()
        .any(|k| has_key(head, k))
    {
        return Some(Format::EntraJobStatus);
    }
    // Azure Monitor's diagnostic export: JSON lines, or an Event Hub capture `{"records": [...]}`;
    // checked first, because a record's step details can hold `value` keys too.
    if (has_key(first, "properties") || has_key(first, "records"))
        && (head.contains("ProvisioningLogs") || has_key(first, "operationName"))
    {
        return Some(Format::EntraDiagnostic);
    }
    if (has_key(head, "@odata.context")
        && (head.contains("auditLogs/provisioning") || is_entra_record(head)))
        || (has_key(head, "value")
            && (has_key(head, "provisioningAction") || has_key(head, "activityDateTime")))
    {
        return Some(Format::EntraGraph);
    }
    if has_key(head, "Records") && has_key(head, "eventSource") {
        return Some(Format::Cloudtrail);
    }
    // `aws cloudtrail lookup-events` output: each event is a JSON string under `CloudTrailEvent`.
    if has_key(head, "Events") && has_key(head, "CloudTrailEvent") {
        return Some(Format::Cloudtrail);
    }
    // From here on: a single object or JSON lines; judge by the first record.
    if has_key(first, "eventSource") && has_key(first, "eventName") {
        return Some(Format::Cloudtrail);
    }
    // One bare Graph provisioning record, as docs and tools show it.
    if is_entra_record(first) {
        return Some(Format::EntraGraph);
    }
    if has_key(first, "eventType") && (has_key(first, "published") || has_key(first, "uuid")) {
        return Some(Format::OktaSystemlog);
    }
    if has_key(first, "msg") && has_key(first, "level") {
        return Some(synctools::detect_tool(head));
    }
    None
}

fn is_entra_record(first: &str) -> bool {
    [
        "activityDateTime",
        "provisioningAction",
        "provisioningStatusInfo",
        "statusInfo",
        "provisioningSteps",
    ]
    .iter()
    .any(|k| has_key(first, k))
}

fn detect_csv(head: &str) -> Option<Format> {
    let header = head.lines().next()?;
    // ssosync and idp-scim-sync write logfmt text (`time=... level=info msg=...`) by default.
    if synctools::looks_like_text_log(header) {
        return Some(synctools::detect_tool(head));
    }
    entra_csv::detect_header(header)
        .or_else(|| synctools::looks_like_sync_log(head).then(|| synctools::detect_tool(head)))
}

/// Imports one file with the importer for `format`, feeding `sink`.
/// Portal CSV companions (steps, modified properties) are given in `companions`.
pub fn run_importer(
    format: Format,
    input: Input,
    companions: &[PathBuf],
    sink: &mut dyn EventSink,
) -> Result<()> {
    match format {
        Format::EntraGraph | Format::EntraPortalJson | Format::EntraDiagnostic => {
            entra::import(format, input, sink)
        }
        Format::EntraLogAnalyticsCsv => entra_csv::import_log_analytics(input, sink),
        Format::EntraPortalCsv => entra_csv::import_portal(input, companions, sink),
        Format::OktaSystemlog => okta::import(input, sink),
        Format::Cloudtrail => cloudtrail::import(input, sink),
        Format::Ssosync | Format::IdpScimSync => synctools::import(format, input, sink),
        Format::EntraJobStatus => entra_job::import(input, sink),
    }
}

/// Detects and imports a file into an in-memory sink (tests, the fuzzer).
#[cfg(any(test, feature = "internals"))]
pub fn import_path(path: &Path) -> Result<(Format, VecSink)> {
    let format = detect(path)?;
    let mut sink = VecSink::default();
    run_importer(format, Input::open(path)?, &[], &mut sink)?;
    Ok((format, sink))
}
