//! Microsoft Entra provisioning logs as CSV, streamed row by row with the `csv` crate:
//!
//! - the Log Analytics table `AADProvisioningLogs` exported to CSV: PascalCase columns, nested
//!   parts as JSON strings, read with the Entra record types of [`super::entra`]. `ResultType`,
//!   `ResultSignature` and `ResultDescription` fill what the JSON cells leave out. Traps:
//!   `SourceSystem` is the collection agent and `TenantId` the workspace, so neither is read;
//! - the portal's "Download -> CSV": a main `ProvisioningLogs` file plus two companion files,
//!   `..._ProvisioningSteps` and `..._ModifiedProperties`, joined on the change id. Header names
//!   are undocumented, so columns are found by alias (see `csvutil::normalize`). The main
//!   file imports on its own; the companions only with it.
//!
//! Joining the companions without holding them in memory: each companion is read once to build
//! an index from change id to the byte positions of its rows (24 bytes per row plus one id per
//! change, never the row text), then, for each main row, its rows are read back at those
//! positions. When a companion lists changes in the main file's order (as a download written
//! record by record would) the reads are sequential and the seeks no-ops; any other order is
//! still joined correctly, with real seeks through a small buffer. Memory therefore grows with
//! the number of companion rows, not with their size, and stays far below the files' size.
//! A gzip-compressed companion cannot be read in place: it is decompressed into memory, up to
//! [`MAX_COMPRESSED_COMPANION`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::entra::{
    ErrorInformation, Identity, ModifiedProperty, ProvisioningRecord, RawStep, StatusInfo,
};
use super::{EventSink, Input};
use crate::error::{Error, Position, Result};
use crate::input::csvutil::{self, Header, cell, csv_error, parse_csv_time, row_json};
use crate::input::value::{embedded_aws_error, http_status_in_text};
use crate::model::{EntityKind, Format, Outcome, ProvisioningEvent};

/// Largest decompressed size accepted for a gzip-compressed companion file.
pub const MAX_COMPRESSED_COMPANION: u64 = 256 * 1024 * 1024;

/// The two companion files of a portal CSV download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Companion {
    Steps,
    ModifiedProperties,
}

impl Companion {
    pub fn describe(self) -> &'static str {
        match self {
            Companion::Steps => "the provisioning steps",
            Companion::ModifiedProperties => "the modified properties",
        }
    }
}

// Aliases per field, best first. Matching ignores case, spaces, underscores and units.
const CHANGE_ID: &[&str] = &["Change ID", "Activity ID"];
const RECORD_ID: &[&str] = &["Id", "Record ID", "Request ID", "Activity ID"];
const DATE: &[&str] = &[
    "Date",
    "Activity Date Time",
    "Date Time",
    "Timestamp",
    "Time",
];
const JOB_ID: &[&str] = &["Job ID"];
const CYCLE_ID: &[&str] = &["Cycle ID"];
const ACTION: &[&str] = &["Action", "Provisioning Action"];
const STATUS: &[&str] = &["Status", "Provisioning Status", "Result", "Result Type"];
const ERROR_CODE: &[&str] = &["Error Code", "Status Error Code", "Result Signature"];
const REASON: &[&str] = &[
    "Failure Reason",
    "Reason",
    "Error Reason",
    "Status Reason",
    "Error Message",
    "Error Description",
    "Result Description",
    "Error",
];
const ADDITIONAL_DETAILS: &[&str] = &["Additional Details", "Error Details"];
const SOURCE_ID: &[&str] = &["Source Identity ID", "Source ID", "Source Object ID"];
const SOURCE_NAME: &[&str] = &[
    "Source Identity Display Name",
    "Source Identity Name",
    "Source Display Name",
    "Source Name",
    "Identity",
    "Display Name",
];
const SOURCE_TYPE: &[&str] = &[
    "Source Identity Type",
    "Source Identity Identity Type",
    "Identity Type",
    "Source Object Type",
    "Source Type",
    "Object Type",
];
const SOURCE_UPN: &[&str] = &[
    "Source Identity User Principal Name",
    "Source User Principal Name",
    "User Principal Name",
    "UPN",
];
const TARGET_ID: &[&str] = &["Target Identity ID", "Target ID", "Target Object ID"];
const TARGET_NAME: &[&str] = &[
    "Target Identity Display Name",
    "Target Identity Name",
    "Target Display Name",
    "Target Name",
];
const TARGET_TYPE: &[&str] = &[
    "Target Identity Type",
    "Target Identity Identity Type",
    "Target Object Type",
    "Target Type",
];

const STEP_NUMBER: &[&str] = &["Step Number", "Step", "Step Index", "Order"];
const STEP_NAME: &[&str] = &["Name", "Step Name"];
const STEP_TYPE: &[&str] = &["Type", "Step Type", "Provisioning Step Type"];
const STEP_STATUS: &[&str] = &["Status", "Step Status"];
const STEP_DESCRIPTION: &[&str] = &["Description", "Step Description"];
const STEP_DETAILS: &[&str] = &["Details", "Step Details"];

const PROPERTY_NAME: &[&str] = &[
    "Display Name",
    "Property",
    "Property Name",
    "Attribute",
    "Attribute Name",
    "Modified Property",
    "Name",
];
const OLD_VALUE: &[&str] = &["Old Value"];
const NEW_VALUE: &[&str] = &["New Value"];

const LA_MARKERS: &[&str] = &[
    "ResultType",
    "AADTenantId",
    "TimeGenerated",
    "OperationName",
];
const LA_NESTED: &[&str] = &[
    "ProvisioningStatusInfo",
    "SourceIdentity",
    "ProvisioningSteps",
    "ResultSignature",
];

/// Which Entra CSV a header line belongs to. Companion files count as the portal format: they
/// are imported with their main file (see [`companion_kind`]).
pub fn detect_header(header: &str) -> Option<Format> {
    let h = Header::from_names(&csvutil::split_header(header));
    if h.has(LA_MARKERS) && h.has(LA_NESTED) {
        return Some(Format::EntraLogAnalyticsCsv);
    }
    (companion_of(&h).is_some() || is_portal_main(&h)).then_some(Format::EntraPortalCsv)
}

/// Whether a header line is that of a portal companion file, and which.
pub fn companion_kind(header: &str) -> Option<Companion> {
    companion_of(&Header::from_names(&csvutil::split_header(header)))
}

/// [`companion_kind`] of a file's first line (gzip-compressed files are read through).
pub fn companion_kind_of_file(path: &Path) -> Result<Option<Companion>> {
    let mut input = Input::open(path)?;
    let mut line = Vec::new();
    (&mut input.reader)
        .take(64 * 1024)
        .read_until(b'\n', &mut line)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(companion_kind(&String::from_utf8_lossy(&line)))
}

fn companion_of(h: &Header) -> Option<Companion> {
    if !h.has(CHANGE_ID) {
        return None;
    }
    if h.has(OLD_VALUE) || h.has(NEW_VALUE) {
        return Some(Companion::ModifiedProperties);
    }
    let main_like = h.has(ACTION) || h.has(DATE);
    let numbered = h.has(&[
        "Step Number",
        "Step",
        "Step Index",
        "Provisioning Step Type",
        "Step Type",
    ]);
    (numbered || (!main_like && h.has(STEP_NAME) && h.has(STEP_DESCRIPTION)))
        .then_some(Companion::Steps)
}

fn is_portal_main(h: &Header) -> bool {
    let (change, date, status, action) =
        (h.has(CHANGE_ID), h.has(DATE), h.has(STATUS), h.has(ACTION));
    (change && (date || status || action)) || (date && status && (action || h.has(SOURCE_NAME)))
}

fn missing_column(path: &Path, what: &str, aliases: &[&str], header: &Header) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        position: Position::line_col(1, 1),
        expected: format!("a column for {what} ({}, ...)", aliases.join(", ")),
        found: format!("the columns {}", header.names.join(", ")),
    }
}

fn json_cell<T: DeserializeOwned>(
    path: &Path,
    header: &Header,
    row: &csv::StringRecord,
    column: Option<usize>,
) -> Result<Option<T>> {
    let Some(text) = cell(row, column) else {
        return Ok(None);
    };
    serde_json::from_str::<Option<T>>(&text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        position: csvutil::position(row.position()),
        expected: format!(
            "JSON in column {}",
            column
                .and_then(|c| header.names.get(c))
                .map_or("?", String::as_str)
        ),
        found: e.to_string(),
    })
}

/// Prefers a login-like target display name (the AWS userName) over the person's display name
/// when nothing better named a user: the portal CSV has no UPN column.
fn prefer_login_name(event: &mut ProvisioningEvent, target_name: Option<&str>) {
    let fell_back = event.entity.name.is_none() || event.entity.name == event.entity.display_name;
    let login = target_name.filter(|n| n.contains('@') && !n.contains(char::is_whitespace));
    if event.entity.kind == Some(EntityKind::User)
        && fell_back
        && let Some(login) = login
    {
        event.entity.name = Some(login.to_string());
    }
}

/// Fills what the record's own fields did not state from the flat result columns.
fn fill_from_result(
    event: &mut ProvisioningEvent,
    result_type: Option<String>,
    signature: Option<String>,
    description: Option<String>,
) {
    if event.outcome.is_none() {
        event.outcome = result_type.as_deref().map(Outcome::parse);
    }
    if event.error_code.is_none() {
        event.error_code = signature.filter(|s| !s.eq_ignore_ascii_case("none"));
    }
    if let Some(text) = description {
        let (detail, status) = embedded_aws_error(&text).unwrap_or((None, None));
        event.aws_detail = event.aws_detail.take().or(detail);
        event.http_status = event
            .http_status
            .or(status)
            .or_else(|| http_status_in_text(&text));
        event.reason = event.reason.take().or(Some(text));
    }
}

pub fn import_log_analytics(input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let Input {
        path, mut reader, ..
    } = input;
    let head = reader.fill_buf().map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let head = head.to_vec();
    let mut rdr = csvutil::reader(reader, &head);
    let header = Header::new(rdr.headers().map_err(|e| csv_error(&path, e))?);
    let col = |aliases: &[&str]| header.find(aliases, &[]);
    let id = col(&["Id"]);
    let time = col(&["ActivityDateTime", "TimeGenerated"]);
    let (job, cycle, change) = (col(&["JobId"]), col(&["CycleId"]), col(&["ChangeId"]));
    let action = col(&["ProvisioningAction", "Action"]);
    let status_info = col(&["ProvisioningStatusInfo", "StatusInfo"]);
    let steps = col(&["ProvisioningSteps"]);
    let modified = col(&["ModifiedProperties"]);
    let source = col(&["SourceIdentity"]);
    let target = col(&["TargetIdentity"]);
    let result_type = col(&["ResultType"]);
    let signature = col(&["ResultSignature"]);
    let description = col(&["ResultDescription"]);
    if status_info.is_none() && result_type.is_none() {
        return Err(missing_column(
            &path,
            "the outcome",
            &["ProvisioningStatusInfo", "ResultType"],
            &header,
        ));
    }

    let mut row = csv::StringRecord::new();
    while rdr.read_record(&mut row).map_err(|e| csv_error(&path, e))? {
        let target_identity: Option<Identity> = json_cell(&path, &header, &row, target)?;
        let target_name = target_identity
            .as_ref()
            .and_then(|t| t.display_name.clone());
        let record = ProvisioningRecord {
            id: cell(&row, id),
            activity_date_time: None,
            job_id: cell(&row, job),
            cycle_id: cell(&row, cycle),
            change_id: cell(&row, change),
            provisioning_action: cell(&row, action),
            provisioning_status_info: json_cell(&path, &header, &row, status_info)?,
            provisioning_steps: json_cell(&path, &header, &row, steps)?,
            modified_properties: json_cell(&path, &header, &row, modified)?,
            source_identity: json_cell(&path, &header, &row, source)?,
            target_identity,
            unknown_keys: 0,
        };
        let mut event = record.into_event(row_json(&header, &row));
        event.time = cell(&row, time).as_deref().and_then(parse_csv_time);
        fill_from_result(
            &mut event,
            cell(&row, result_type),
            cell(&row, signature),
            cell(&row, description),
        );
        prefer_login_name(&mut event, target_name.as_deref());
        sink.event(event)?;
    }
    Ok(())
}

/// Columns of the portal's main file.
struct MainColumns {
    change: Option<usize>,
    id: Option<usize>,
    date: Option<usize>,
    job: Option<usize>,
    cycle: Option<usize>,
    action: Option<usize>,
    status: Option<usize>,
    error_code: Option<usize>,
    reason: Option<usize>,
    additional: Option<usize>,
    source_id: Option<usize>,
    source_name: Option<usize>,
    source_type: Option<usize>,
    source_upn: Option<usize>,
    target_id: Option<usize>,
    target_name: Option<usize>,
    target_type: Option<usize>,
}

impl MainColumns {
    fn find(h: &Header) -> MainColumns {
        let change = h.find(CHANGE_ID, &[]);
        let source_id = h.find(SOURCE_ID, &[]);
        let target_id = h.find(TARGET_ID, &[]);
        let source_name = h.find(SOURCE_NAME, &[]);
        let target_name = h.find(TARGET_NAME, &[]);
        let source_type = h.find(SOURCE_TYPE, &[]);
        MainColumns {
            change,
            id: h.find(RECORD_ID, &[change, source_id, target_id]),
            date: h.find(DATE, &[]),
            job: h.find(JOB_ID, &[]),
            cycle: h.find(CYCLE_ID, &[]),
            action: h.find(ACTION, &[]),
            status: h.find(STATUS, &[]),
            error_code: h.find(ERROR_CODE, &[]),
            reason: h.find(REASON, &[]),
            additional: h.find(ADDITIONAL_DETAILS, &[]),
            source_id,
            source_name,
            source_type,
            source_upn: h.find(SOURCE_UPN, &[]),
            target_id,
            target_name: target_name.filter(|t| Some(*t) != source_name),
            target_type: h.find(TARGET_TYPE, &[source_type]),
        }
    }
}

pub fn import_portal(input: Input, companions: &[PathBuf], sink: &mut dyn EventSink) -> Result<()> {
    let Input {
        path, mut reader, ..
    } = input;
    let head = reader.fill_buf().map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let head = head.to_vec();
    let mut rdr = csvutil::reader(reader, &head);
    let header = Header::new(rdr.headers().map_err(|e| csv_error(&path, e))?);
    if let Some(kind) = companion_of(&header) {
        return Err(Error::InvalidArgument(format!(
            "{} holds {} of an Entra portal CSV download; import it together with the main \
             ProvisioningLogs file",
            path.display(),
            kind.describe()
        )));
    }
    let c = MainColumns::find(&header);
    if c.status.is_none() {
        return Err(missing_column(&path, "the status", STATUS, &header));
    }
    if c.change.is_none() && !companions.is_empty() {
        return Err(missing_column(&path, "the change id", CHANGE_ID, &header));
    }
    let mut parts = companions
        .iter()
        .map(|p| CompanionFile::open(p))
        .collect::<Result<Vec<_>>>()?;

    let mut row = csv::StringRecord::new();
    while rdr.read_record(&mut row).map_err(|e| csv_error(&path, e))? {
        let change_id = cell(&row, c.change);
        let mut steps: Vec<(Option<f64>, RawStep)> = Vec::new();
        let mut modified = Vec::new();
        if let Some(change_id) = change_id.as_deref() {
            for part in &mut parts {
                for r in part.rows(change_id)? {
                    match part.kind {
                        Companion::Steps => steps.push(part.step(&r)),
                        Companion::ModifiedProperties => modified.push(part.property(&r)),
                    }
                }
            }
        }
        steps.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let upn = cell(&row, c.source_upn);
        let identity = |id, name, kind, upn: Option<String>| {
            let id: Option<String> = cell(&row, id);
            let display_name: Option<String> = cell(&row, name);
            let identity_type: Option<String> = cell(&row, kind);
            (id.is_some() || display_name.is_some() || identity_type.is_some()).then(|| Identity {
                id,
                display_name,
                identity_type,
                details: upn.map(|u| serde_json::json!({ "UserPrincipalName": u })),
                unknown_keys: 0,
            })
        };
        let source_identity = identity(c.source_id, c.source_name, c.source_type, upn);
        let target_identity = identity(c.target_id, c.target_name, c.target_type, None);
        let target_name = target_identity
            .as_ref()
            .and_then(|t| t.display_name.clone());
        let status = cell(&row, c.status);
        let error_code = cell(&row, c.error_code);
        let reason = cell(&row, c.reason);
        let additional_details = cell(&row, c.additional);
        let has_error = error_code.is_some() || reason.is_some() || additional_details.is_some();
        let record = ProvisioningRecord {
            id: cell(&row, c.id),
            activity_date_time: None,
            job_id: cell(&row, c.job),
            cycle_id: cell(&row, c.cycle),
            change_id,
            provisioning_action: cell(&row, c.action),
            provisioning_status_info: Some(StatusInfo {
                status,
                error_information: has_error.then_some(ErrorInformation {
                    error_code,
                    reason,
                    additional_details,
                    unknown_keys: 0,
                }),
                ..StatusInfo::default()
            }),
            provisioning_steps: (!steps.is_empty())
                .then(|| steps.into_iter().map(|(_, s)| s).collect()),
            modified_properties: (!modified.is_empty()).then_some(modified),
            source_identity,
            target_identity,
            unknown_keys: 0,
        };
        let mut event = record.into_event(row_json(&header, &row));
        event.time = cell(&row, c.date).as_deref().and_then(parse_csv_time);
        prefer_login_name(&mut event, target_name.as_deref());
        sink.event(event)?;
    }
    Ok(())
}

/// What can be read in place and re-read at a position.
trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A companion file with its index from change id to row positions.
struct CompanionFile {
    path: PathBuf,
    kind: Companion,
    header: Header,
    change: Option<usize>,
    reader: csv::Reader<Box<dyn ReadSeek>>,
    index: HashMap<Box<str>, Vec<csv::Position>>,
}

impl CompanionFile {
    fn open(path: &Path) -> Result<CompanionFile> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let mut head = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut file, &mut head).map_err(io)?;
        head.truncate(n);
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let (source, head): (Box<dyn ReadSeek>, Vec<u8>) = if head.starts_with(&[0x1f, 0x8b]) {
            let mut bytes = Vec::new();
            flate2::read::MultiGzDecoder::new(file)
                .take(MAX_COMPRESSED_COMPANION + 1)
                .read_to_end(&mut bytes)
                .map_err(io)?;
            if bytes.len() as u64 > MAX_COMPRESSED_COMPANION {
                return Err(Error::InvalidArgument(format!(
                    "{} is gzip-compressed and larger than {} MB once decompressed; decompress \
                     it first so it can be read in place",
                    path.display(),
                    MAX_COMPRESSED_COMPANION / (1024 * 1024)
                )));
            }
            let head = bytes[..bytes.len().min(64 * 1024)].to_vec();
            (Box::new(Cursor::new(bytes)), head)
        } else {
            (Box::new(file), head)
        };
        let mut reader = csvutil::reader(source, &head);
        let header = Header::new(reader.headers().map_err(|e| csv_error(path, e))?);
        let Some(kind) = companion_of(&header) else {
            return Err(Error::InvalidArgument(format!(
                "{} was given as a companion of an Entra portal CSV, but its header is neither \
                 the provisioning steps (Change ID, Step Number, Name, ...) nor the modified \
                 properties (Change ID, Display Name, Old Value, New Value)",
                path.display()
            )));
        };
        let change = header.find(CHANGE_ID, &[]);
        let mut index: HashMap<Box<str>, Vec<csv::Position>> = HashMap::new();
        let mut row = csv::StringRecord::new();
        while reader
            .read_record(&mut row)
            .map_err(|e| csv_error(path, e))?
        {
            if let (Some(id), Some(pos)) = (cell(&row, change), row.position()) {
                index
                    .entry(id.into_boxed_str())
                    .or_default()
                    .push(pos.clone());
            }
        }
        // The rows are read back one change at a time, possibly out of order: a small buffer
        // keeps each seek cheap, and sequential reads stay cheap enough.
        let mut source = reader.into_inner();
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut reader = csvutil::reader_with_buffer(source, &head, 8 * 1024);
        reader.headers().map_err(|e| csv_error(path, e))?;
        Ok(CompanionFile {
            path: path.to_path_buf(),
            kind,
            header,
            change,
            reader,
            index,
        })
    }

    /// The rows of one change, read back at their recorded positions.
    fn rows(&mut self, change_id: &str) -> Result<Vec<csv::StringRecord>> {
        let Some(positions) = self.index.get(change_id) else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::with_capacity(positions.len());
        for pos in positions {
            // A no-op when the row follows the last one read: the usual case.
            self.reader
                .seek(pos.clone())
                .map_err(|e| csv_error(&self.path, e))?;
            let mut row = csv::StringRecord::new();
            if !self
                .reader
                .read_record(&mut row)
                .map_err(|e| csv_error(&self.path, e))?
            {
                return Err(Error::Parse {
                    path: self.path.clone(),
                    position: csvutil::position(Some(pos)),
                    expected: "the row indexed at this position (was the file changed during \
                               the import?)"
                        .to_string(),
                    found: "end of file".to_string(),
                });
            }
            debug_assert_eq!(
                cell(&row, self.change).as_deref(),
                Some(change_id),
                "index drift"
            );
            rows.push(row);
        }
        Ok(rows)
    }

    fn step(&self, row: &csv::StringRecord) -> (Option<f64>, RawStep) {
        let col = |aliases: &[&str]| self.header.find(aliases, &[self.change]);
        let number = cell(row, col(STEP_NUMBER)).and_then(|n| n.parse::<f64>().ok());
        let step = RawStep {
            name: cell(row, col(STEP_NAME)),
            provisioning_step_type: cell(row, col(STEP_TYPE)),
            status: cell(row, col(STEP_STATUS)),
            description: cell(row, col(STEP_DESCRIPTION)),
            details: cell(row, col(STEP_DETAILS)).map(|d| details_value(&d)),
            unknown_keys: 0,
        };
        (number, step)
    }

    fn property(&self, row: &csv::StringRecord) -> ModifiedProperty {
        let col = |aliases: &[&str]| self.header.find(aliases, &[self.change]);
        ModifiedProperty {
            display_name: cell(row, col(PROPERTY_NAME)),
            old_value: cell(row, col(OLD_VALUE)),
            new_value: cell(row, col(NEW_VALUE)),
            unknown_keys: 0,
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A step's details cell: a JSON object, `Key: value` pairs separated by `;` or new lines, or
/// free text (kept whole under `Details`).
fn details_value(text: &str) -> Value {
    if let Ok(v @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(text) {
        return v;
    }
    let pairs: Option<serde_json::Map<String, Value>> = text
        .split([';', '\n'])
        .filter(|s| !s.trim().is_empty())
        .map(|part| {
            let (k, v) = part.split_once(':')?;
            Some((k.trim().to_string(), Value::String(v.trim().to_string())))
        })
        .collect();
    match pairs {
        Some(map) if !map.is_empty() => Value::Object(map),
        _ => serde_json::json!({ "Details": text }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::VecSink;
    use crate::model::Action;

    fn input(name: &str, text: &str) -> Input {
        Input {
            path: name.into(),
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
            size: text.len() as u64,
            gzip: false,
        }
    }

    const MAIN: &str = "\u{feff}Date (UTC),Id,Job ID,Cycle ID,Change ID,Action,Source Identity ID,Source Identity Display Name,Source Identity Type,Target Identity ID,Target Identity Display Name,Target Identity Type,Status,Error Code,Failure Reason\r\n\
        11/20/2026 10:57:08 AM,r1,job,cy,c1,Create,s1,Alice Nakamura,User,,,,Failure,SystemForCrossDomainIdentityManagementServiceIncompatible,\"Failed; Error: StatusCode: BadRequest Web Response: {\"\"schema\"\":[],\"\"detail\"\":\"\"1 validation error detected: Value at 'name.givenName' failed\"\",\"\"status\"\":\"\"400\"\"}.\"\r\n\
        11/20/2026 10:57:49 AM,r2,job,cy,c2,Create,s2,Zoe Martin,User,t2,zoe.martin@contoso.com,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,Success,,\r\n";
    const STEPS: &str = "\u{feff}Change ID,Step Number,Name,Type,Status,Description,Details\r\n\
        c2,1,EntryImport,Import,Success,Received User,\r\n\
        c1,2,EntryExportAdd,Export,Failure,Failed to create,\"{\"\"ReportableIdentifier\"\":\"\"alice\"\"}\"\r\n\
        c1,1,EntryImport,Import,Success,Received User,\r\n";
    const PROPS: &str = "Change ID,Display Name,Old Value,New Value\r\n\
        c1,name.givenName,,\"\"\r\nc1,userName,,alice@contoso.com\r\nc2,userName,,zoe.martin@contoso.com\r\n";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn portal_csv_detection_tells_main_file_from_companions() {
        let main = MAIN.lines().next().unwrap();
        assert_eq!(detect_header(main), Some(Format::EntraPortalCsv));
        assert_eq!(companion_kind(main), None);
        assert_eq!(
            companion_kind(STEPS.lines().next().unwrap()),
            Some(Companion::Steps)
        );
        assert_eq!(
            companion_kind(PROPS.lines().next().unwrap()),
            Some(Companion::ModifiedProperties)
        );
        assert_eq!(detect_header("name,age"), None);
    }

    #[test]
    fn portal_main_file_imports_alone() {
        let mut sink = VecSink::default();
        import_portal(input("ProvisioningLogs.csv", MAIN), &[], &mut sink).unwrap();
        let ev = &sink.events;
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].outcome, Some(Outcome::Failure));
        assert_eq!(ev[0].action, Some(Action::Create));
        assert_eq!(ev[0].http_status, Some(400));
        assert!(
            ev[0]
                .aws_detail
                .as_deref()
                .unwrap()
                .contains("name.givenName")
        );
        assert_eq!(ev[0].entity.source_id.as_deref(), Some("s1"));
        assert_eq!(ev[0].entity.kind, Some(EntityKind::User));
        assert_eq!(ev[0].change_id.as_deref(), Some("c1"));
        assert_eq!(ev[0].record_id.as_deref(), Some("r1"));
        assert!(ev[0].time.is_some());
        assert!(
            ev[0]
                .raw
                .starts_with(r#"{"Date (UTC)":"11/20/2026 10:57:08 AM","Id":"r1""#)
        );
        assert_eq!(ev[1].entity.name.as_deref(), Some("zoe.martin@contoso.com"));
        assert_eq!(ev[1].entity.target_id.as_deref(), Some("t2"));
    }

    #[test]
    fn portal_companions_join_on_change_id_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let steps = write(dir.path(), "ProvisioningLogs_ProvisioningSteps.csv", STEPS);
        let props = write(dir.path(), "ProvisioningLogs_ModifiedProperties.csv", PROPS);
        let mut sink = VecSink::default();
        import_portal(
            input("ProvisioningLogs.csv", MAIN),
            &[steps, props],
            &mut sink,
        )
        .unwrap();
        let alice = &sink.events[0];
        let names: Vec<&str> = alice.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["EntryImport", "EntryExportAdd"],
            "sorted by step number"
        );
        assert_eq!(
            alice.steps[1].details,
            vec![("ReportableIdentifier".into(), "alice".into())]
        );
        // CSV cannot tell `""` from a null cell: either way nothing usable was sent.
        let given = alice
            .attributes
            .iter()
            .find(|a| a.name == "name.givenName")
            .unwrap();
        assert!(given.values.iter().all(|v| v.is_empty()), "{given:?}");
        assert_eq!(alice.entity.name.as_deref(), Some("alice@contoso.com"));
        assert_eq!(sink.events[1].steps.len(), 1);
    }

    #[test]
    fn portal_companion_alone_is_refused_with_its_name() {
        let mut sink = VecSink::default();
        let err = import_portal(input("x_ProvisioningSteps.csv", STEPS), &[], &mut sink)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x_ProvisioningSteps.csv") && err.contains("provisioning steps"),
            "{err}"
        );
    }

    #[test]
    fn portal_csv_without_a_status_column_names_what_was_expected() {
        let mut sink = VecSink::default();
        let err = import_portal(
            input("p.csv", "Date,Change ID,Action\r\nx,y,z\r\n"),
            &[],
            &mut sink,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("p.csv") && err.contains("line 1"), "{err}");
        assert!(
            err.contains("a column for the status (Status, Provisioning Status"),
            "{err}"
        );
    }

    const LA: &str = "\u{feff}TenantId,SourceSystem,TimeGenerated [UTC],ActivityDateTime [UTC],Id,JobId,CycleId,ChangeId,Action,ProvisioningStatusInfo,ProvisioningSteps,ModifiedProperties,SourceIdentity,TargetIdentity,ResultType,ResultSignature,ResultDescription,AADTenantId\r\n\
        ws,Azure,\"11/20/2026, 1:20:03.305 PM\",\"11/20/2026, 1:20:03.075 PM\",r1,job,cy,c1,Create,\"{\"\"status\"\":\"\"failure\"\",\"\"errorInformation\"\":null}\",\"[{\"\"name\"\":\"\"EntryExportAdd\"\",\"\"provisioningStepType\"\":5,\"\"status\"\":1,\"\"details\"\":{}}]\",,\"{\"\"id\"\":\"\"s1\"\",\"\"displayName\"\":\"\"Finance-Analysts\"\",\"\"identityType\"\":\"\"Group\"\"}\",,Failure,EntryConflict,\"Failed; Web Response: {\"\"schema\"\":[],\"\"detail\"\":\"\"Refused to create a new, duplicate resource.\"\",\"\"status\"\":\"\"409\"\"}\",tenant\r\n";

    #[test]
    fn log_analytics_rows_read_json_cells_and_fill_gaps_from_result_columns() {
        let head = LA.lines().next().unwrap();
        assert_eq!(detect_header(head), Some(Format::EntraLogAnalyticsCsv));
        let mut sink = VecSink::default();
        import_log_analytics(input("la.csv", LA), &mut sink).unwrap();
        let ev = &sink.events[0];
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.error_code.as_deref(), Some("EntryConflict"));
        assert_eq!(ev.http_status, Some(409));
        assert_eq!(
            ev.aws_detail.as_deref(),
            Some("Refused to create a new, duplicate resource.")
        );
        assert_eq!(ev.entity.kind, Some(EntityKind::Group));
        assert_eq!(ev.entity.name.as_deref(), Some("Finance-Analysts"));
        assert_eq!(ev.steps[0].step_type.as_deref(), Some("export"));
        let t = ev.time.unwrap();
        assert_eq!(
            t.timestamp_subsec_millis(),
            75,
            "ActivityDateTime, not ingestion time"
        );
        assert!(ev.raw.contains(r#""SourceSystem":"Azure""#));
    }

    #[test]
    fn log_analytics_bad_json_cell_names_line_and_column() {
        let bad = LA.replace("\"[{\"\"name", "\"[{oops\"\"name");
        let mut sink = VecSink::default();
        let err = import_log_analytics(input("la.csv", &bad), &mut sink)
            .unwrap_err()
            .to_string();
        assert!(err.contains("la.csv") && err.contains("line 2"), "{err}");
        assert!(err.contains("JSON in column ProvisioningSteps"), "{err}");
    }

    #[test]
    fn step_details_accept_json_pairs_and_prose() {
        assert_eq!(
            details_value("{\"a\":\"1\"}"),
            serde_json::json!({"a": "1"})
        );
        assert_eq!(
            details_value("SkipReason: AttributeValidationFailed; PropertyName: userName"),
            serde_json::json!({"SkipReason": "AttributeValidationFailed", "PropertyName": "userName"})
        );
        assert_eq!(
            details_value("just words"),
            serde_json::json!({"Details": "just words"})
        );
    }
}
