//! Importers: turn a log file into normalized [`ProvisioningEvent`]s.
//!
//! Detection is by content, in one place ([`detect`]); gzip is unwrapped transparently. Every
//! importer streams: it reads one record at a time and hands it to an [`EventSink`], so memory
//! stays flat whatever the file size. An importer never touches the workspace; the store decides
//! what to do with the events (and throws them all away if the file breaks half-way).

pub mod cloudtrail;
pub mod csvutil;
pub mod entra;
pub mod entra_csv;
pub mod json;
pub mod okta;
pub mod plan;
pub mod synctools;
pub mod value;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{Format, ProvisioningEvent};

/// Bytes read from the start of a file to decide its format.
const SNIFF_BYTES: usize = 64 * 1024;
const READ_BUFFER: usize = 256 * 1024;

/// Receives what an importer finds. Errors returned by the sink (cancel, storage) abort the import.
pub trait EventSink {
    fn event(&mut self, event: ProvisioningEvent) -> Result<()>;
    /// Something the user should know about the source as a whole ("page 1 of more").
    fn warning(&mut self, warning: SourceWarning);
}

/// A note about a whole source, shown beside it and in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWarning {
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// The file is one page of a longer log (`@odata.nextLink`).
    IncompletePage,
    /// Records of a kind the importer does not use (skipped, counted).
    Ignored,
    Other,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::IncompletePage => "incomplete-page",
            WarningKind::Ignored => "ignored",
            WarningKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> WarningKind {
        match s {
            "incomplete-page" => WarningKind::IncompletePage,
            "ignored" => WarningKind::Ignored,
            _ => WarningKind::Other,
        }
    }
}

/// A sink that keeps everything in memory; for tests and small one-shot runs.
#[derive(Debug, Default)]
pub struct VecSink {
    pub events: Vec<ProvisioningEvent>,
    pub warnings: Vec<SourceWarning>,
}

impl EventSink for VecSink {
    fn event(&mut self, event: ProvisioningEvent) -> Result<()> {
        self.events.push(event);
        Ok(())
    }

    fn warning(&mut self, warning: SourceWarning) {
        self.warnings.push(warning);
    }
}

/// An opened input: decompressed if needed, positioned at the start.
pub struct Input {
    pub path: PathBuf,
    pub reader: Box<dyn BufRead + Send>,
    /// Size on disk (compressed size for gzip), for progress.
    pub size: u64,
    pub gzip: bool,
}

/// Watches the bytes of a file as they are read (below gzip): a content hash for "already
/// imported", and a byte count for progress.
#[derive(Default)]
pub struct Tap {
    hasher: std::sync::Mutex<blake3::Hasher>,
    bytes: std::sync::atomic::AtomicU64,
}

impl Tap {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hex blake3 of everything read so far (the whole file once the import has finished).
    pub fn hash_hex(&self) -> String {
        self.hasher
            .lock()
            .expect("hash lock")
            .finalize()
            .to_hex()
            .to_string()
    }
}

struct TapReader {
    inner: File,
    tap: std::sync::Arc<Tap>,
}

impl Read for TapReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tap.hasher.lock().expect("hash lock").update(&buf[..n]);
        self.tap
            .bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl Input {
    pub fn open(path: &Path) -> Result<Input> {
        Input::open_tapped(path, std::sync::Arc::new(Tap::default()))
    }

    /// Opens `path`, reporting its raw bytes to `tap` as they are read.
    pub fn open_tapped(path: &Path, tap: std::sync::Arc<Tap>) -> Result<Input> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if file.metadata().map_err(io)?.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "{} is a directory, not a log file",
                path.display()
            )));
        }
        let mut reader = BufReader::with_capacity(READ_BUFFER, TapReader { inner: file, tap });
        let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                flate2::bufread::MultiGzDecoder::new(reader),
            ))
        } else {
            Box::new(reader)
        };
        Ok(Input {
            path: path.to_path_buf(),
            reader,
            size,
            gzip,
        })
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
        b'[' => detect_array(valid).ok_or_else(|| unknown("a JSON array whose records are neither Entra provisioning records nor Okta System Log events")),
        b'{' => detect_object(valid).ok_or_else(|| unknown("JSON, but none of the known record shapes")),
        _ => detect_csv(valid).ok_or_else(|| unknown("neither JSON nor a CSV header scimlens knows")),
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
    if has_key(first, "activityDateTime")
        || has_key(first, "provisioningAction")
        || has_key(first, "provisioningStatusInfo")
        || has_key(first, "statusInfo")
        || has_key(first, "provisioningSteps")
    {
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
    let first_line = head.lines().next().unwrap_or(head);
    let one_line_record = first_line.trim_end().ends_with('}');
    if has_key(head, "@odata.context")
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
    let first = if one_line_record {
        first_line
    } else {
        first_object_prefix(head)
    };
    if has_key(first, "eventSource") && has_key(first, "eventName") {
        return Some(Format::Cloudtrail);
    }
    if has_key(first, "properties")
        && (first.contains("ProvisioningLogs") || has_key(first, "operationName"))
    {
        return Some(Format::EntraDiagnostic);
    }
    if has_key(first, "eventType") && (has_key(first, "published") || has_key(first, "uuid")) {
        return Some(Format::OktaSystemlog);
    }
    if has_key(first, "msg") && has_key(first, "level") {
        return Some(synctools::detect_tool(head));
    }
    None
}

fn detect_csv(head: &str) -> Option<Format> {
    let header = head.lines().next()?;
    // ssosync and idp-scim-sync write logfmt text (`time=... level=info msg=...`) by default.
    if synctools::looks_like_text_log(header) {
        return Some(synctools::detect_tool(head));
    }
    entra_csv::detect_header(header)
}

/// The text of the first object in `s`, or as much of it as the head holds.
fn first_object_prefix(s: &str) -> &str {
    let start = match s.find('{') {
        Some(i) => i,
        None => return s,
    };
    let bytes = s.as_bytes();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return &s[start..=i];
                }
            }
            _ => {}
        }
    }
    &s[start..]
}

/// True when `"key"` appears as a member name (followed by `:`), anywhere in `s`.
pub(crate) fn has_key(s: &str, key: &str) -> bool {
    let needle = format!("\"{key}\"");
    let mut rest = s;
    while let Some(i) = rest.find(&needle) {
        let after = rest[i + needle.len()..].trim_start();
        if after.starts_with(':') {
            return true;
        }
        rest = &rest[i + needle.len()..];
    }
    false
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
    }
}

/// Detects and imports a file into an in-memory sink (tests, `analyze` on small inputs).
pub fn import_path(path: &Path) -> Result<(Format, VecSink)> {
    let format = detect(path)?;
    let mut sink = VecSink::default();
    run_importer(format, Input::open(path)?, &[], &mut sink)?;
    Ok((format, sink))
}
