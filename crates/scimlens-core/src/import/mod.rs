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
pub mod entra_job;
pub mod json;
pub(crate) mod lenient;
pub mod okta;
pub mod plan;
pub mod synctools;
pub mod value;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{Format, ProvisioningEvent};

/// Gunzip output is bounded twice: in total, and in its ratio to the compressed bytes once it is
/// past a size where real logs never are (JSON logs compress 10-30 times; a decompression bomb
/// a thousand times).
pub const MAX_GUNZIP_BYTES: u64 = 64 * 1024 * 1024 * 1024;
pub const MAX_GUNZIP_RATIO: u64 = 200;
const GUNZIP_RATIO_AFTER: u64 = 256 * 1024 * 1024;
const MB: u64 = 1024 * 1024;
/// Store snapshots and IdP directory exports are held in memory whole (AWS caps a store at
/// 100,000 users and 100,000 groups, well under this as JSON).
pub const MAX_HELD_INPUT_BYTES: u64 = 1024 * MB;

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
        let tap_for_ratio = tap.clone();
        let mut reader = BufReader::with_capacity(READ_BUFFER, TapReader { inner: file, tap });
        let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                GunzipGuard {
                    inner: flate2::bufread::MultiGzDecoder::new(reader),
                    tap: tap_for_ratio,
                    out: 0,
                },
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

impl Input {
    /// Reads at most `limit` bytes (after gunzip); more is an error naming the limit and `what`
    /// the file was read as. For inputs that are held in memory whole (store snapshots).
    pub fn limited(self, limit: u64, what: &'static str) -> Input {
        Input {
            reader: Box::new(BufReader::with_capacity(
                READ_BUFFER,
                Bounded {
                    inner: self.reader,
                    left: limit,
                    limit,
                    what,
                },
            )),
            ..self
        }
    }
}

struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
    what: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "more than {} MB of {}: scimlens reads at most that much",
                    self.limit / MB,
                    self.what
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Stops a gzip stream that expands beyond [`MAX_GUNZIP_BYTES`] or [`MAX_GUNZIP_RATIO`] times
/// the compressed bytes read so far.
struct GunzipGuard<R> {
    inner: R,
    tap: std::sync::Arc<Tap>,
    out: u64,
}

impl<R: Read> Read for GunzipGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.tap.bytes().max(1);
        let bomb = |why: String| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{why}; stopped after {} MB: is it a decompression bomb?",
                    self.out / MB
                ),
            ))
        };
        if self.out > MAX_GUNZIP_BYTES {
            return bomb(format!(
                "the gzip stream expands beyond {} GB",
                MAX_GUNZIP_BYTES / (1024 * MB)
            ));
        }
        if self.out > GUNZIP_RATIO_AFTER && self.out / compressed > MAX_GUNZIP_RATIO {
            return bomb(format!(
                "the gzip stream expands more than {MAX_GUNZIP_RATIO} times its compressed size"
            ));
        }
        Ok(n)
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
    if crate::snapshot::looks_like_cli_json(head) {
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

/// The text of the first object in `s`, or as much of it as the head holds.
pub(crate) fn first_object_prefix(s: &str) -> &str {
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
    key_position(s, key).is_some()
}

/// The first bytes of an input as text (byte order mark dropped), without consuming them: for
/// importers that pick a layout from the start of the file.
pub(crate) fn head_text(input: &mut Input) -> Result<String> {
    let head = input.reader.fill_buf().map_err(|source| Error::Io {
        path: input.path.clone(),
        source,
    })?;
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    Ok(String::from_utf8_lossy(head).into_owned())
}

/// Byte position of `"key"` used as a member name in `s`.
pub(crate) fn key_position(s: &str, key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    s.match_indices(&needle)
        .find(|(i, _)| s[i + needle.len()..].trim_start().starts_with(':'))
        .map(|(i, _)| i)
}

/// True when the text starts with a JSON object that closes on its first line (JSON lines),
/// rather than one object pretty-printed over several.
pub(crate) fn one_record_per_line(text: &str) -> bool {
    let first_line = text.trim_start().lines().next().unwrap_or_default();
    first_line.starts_with('{') && first_line.trim_end().ends_with('}')
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

/// Detects and imports a file into an in-memory sink (tests, `analyze` on small inputs).
pub fn import_path(path: &Path) -> Result<(Format, VecSink)> {
    let format = detect(path)?;
    let mut sink = VecSink::default();
    run_importer(format, Input::open(path)?, &[], &mut sink)?;
    Ok((format, sink))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_gzip_bomb_is_stopped_with_an_error_naming_the_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::best(),
        );
        let block = vec![b' '; 1 << 20];
        for _ in 0..300 {
            gz.write_all(&block).unwrap();
        }
        gz.finish().unwrap();
        let mut input = Input::open(&path).unwrap();
        assert!(input.gzip);
        let err = std::io::copy(&mut input.reader, &mut std::io::sink()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("more than 200 times"), "{msg}");
        assert!(msg.contains("decompression bomb"), "{msg}");
    }

    #[test]
    fn an_input_held_in_memory_is_bounded_with_an_error_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(&path, vec![b' '; 3 * 1024 * 1024]).unwrap();
        let mut input = Input::open(&path)
            .unwrap()
            .limited(2 * MB, "a store snapshot");
        let err = std::io::copy(&mut input.reader, &mut std::io::sink()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "more than 2 MB of a store snapshot: scimlens reads at most that much"
        );
    }
}
