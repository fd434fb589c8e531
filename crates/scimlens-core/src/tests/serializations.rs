//! The diagnosis does not depend on how a file is serialized: each fixture of the documented
//! JSON, JSON-lines and CSV formats is rewritten (other line ends, a byte order mark, gzip,
//! pretty-printed, minified, records newest first) and must give the same report as the
//! original: entities, root causes, connection and job findings, totals, and each source's
//! format, record count, warnings and time span (not its path, id or import time).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::import::pipeline::CancelToken;
use crate::report::Report;
use chrono::{TimeZone, Utc};
use serde_json::Value;

/// Where a file's records are, which decides how it can be rewritten.
#[derive(Clone, Copy)]
enum Shape {
    /// One JSON document whose records are the top-level array.
    Array,
    /// One JSON document whose records are the array under this key.
    Under(&'static str),
    /// One JSON document that is a single record.
    Single,
    /// One JSON object per line; `replay` when the line order is the order of the run (a sync
    /// tool's log is replayed in order, so its lines are never reordered).
    Lines { replay: bool },
    /// JSON lines with plain-text lines between them (a sync tool's output captured with
    /// `2>&1`); always a replay.
    MixedLines,
    /// CSV with a header row, one record per line (no line breaks inside cells).
    Csv,
}

const FIXTURES: [(&str, Shape); 12] = [
    ("entra-graph/page1.json", Shape::Under("value")),
    ("entra-portal-json/download.json", Shape::Array),
    (
        "entra-diagnostic/export.jsonl",
        Shape::Lines { replay: false },
    ),
    ("entra-log-analytics/AADProvisioningLogs.csv", Shape::Csv),
    ("okta/systemlog.json", Shape::Array),
    ("okta/systemlog.jsonl", Shape::Lines { replay: false }),
    ("cloudtrail/records.json", Shape::Under("Records")),
    ("cloudtrail/single-event.json", Shape::Single),
    ("cloudtrail/events.jsonl", Shape::Lines { replay: false }),
    ("ssosync/ssosync.jsonl", Shape::Lines { replay: true }),
    ("idp-scim-sync/idpscim.jsonl", Shape::Lines { replay: true }),
    ("idp-scim-sync/idpscim-console.log", Shape::MixedLines),
];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

async fn report_of(path: &Path) -> Report {
    let ws = Workspace::in_memory().await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let req = ImportFilesReq {
        paths: vec![path.to_path_buf()],
        extra_reserved: Vec::new(),
    };
    api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut report = api::build_report(&ws, &[], now).await.unwrap();
    report.generated_at.clear();
    // Messages that name the file (an incomplete page) name it as `<file>`.
    for source in &report.sources {
        for f in &mut report.findings {
            f.message = f.message.replace(&source.path, "<file>");
        }
        for c in &mut report.connection {
            c.message = c.message.replace(&source.path, "<file>");
        }
    }
    for source in &mut report.sources {
        source.id = 0;
        source.path.clear();
        source.imported_at.clear();
    }
    report
}

/// The parts of two reports that differ, for the failure message.
fn differences(original: &Report, rewritten: &Report) -> Vec<String> {
    let parts = |r: &Report| {
        let v = serde_json::to_value(r).unwrap();
        v.as_object().unwrap().clone()
    };
    let (a, b) = (parts(original), parts(rewritten));
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| {
            let w = b.get(k).cloned().unwrap_or(Value::Null);
            let (v, w) = (v.to_string(), w.to_string());
            let at = v
                .bytes()
                .zip(w.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(v.len().min(w.len()));
            let from = at.saturating_sub(120);
            let window = |s: &str| {
                s.get(from..(at + 200).min(s.len()))
                    .unwrap_or("")
                    .to_string()
            };
            format!(
                "{k}: original ...{}... rewritten ...{}...",
                window(&v),
                window(&w)
            )
        })
        .collect()
}

/// Rewrites every fixture with `rewrite` (None: the combination makes no sense for that
/// shape) and compares the reports. `skip` lists fixtures left out, each with its reason.
async fn same_report_when(
    name: &str,
    skip: &[(&str, &str)],
    rewrite: impl Fn(&[u8], Shape) -> Option<Vec<u8>>,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rel, shape) in FIXTURES {
        if skip.iter().any(|(s, _)| *s == rel) {
            continue;
        }
        let original_path = fixture(rel);
        let bytes = std::fs::read(&original_path).unwrap();
        let Some(rewritten) = rewrite(&bytes, shape) else {
            continue;
        };
        assert!(rewritten != bytes, "{rel}: {name} changed nothing");
        let file_name = Path::new(rel).file_name().unwrap().to_str().unwrap();
        let sub = dir.path().join(rel.replace('/', "_"));
        std::fs::create_dir_all(&sub).unwrap();
        let path = sub.join(file_name);
        std::fs::write(&path, &rewritten).unwrap();
        let original = report_of(&original_path).await;
        let got = report_of(&path).await;
        assert_ne!(
            original.sources[0].records, 0,
            "{rel}: the fixture has records"
        );
        if original != got {
            failures.push(format!(
                "{rel}:\n  {}",
                differences(&original, &got).join("\n  ")
            ));
        }
        checked += 1;
    }
    assert!(checked > 0, "{name}: no fixture was checked");
    assert!(
        failures.is_empty(),
        "{name} changes the report of:\n{}",
        failures.join("\n")
    );
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes.strip_prefix(BOM).unwrap_or(bytes)).unwrap()
}

fn has_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(BOM)
}

fn with_bom_of(original: &[u8], body: String) -> Vec<u8> {
    let mut out = Vec::new();
    if has_bom(original) {
        out.extend_from_slice(BOM);
    }
    out.extend_from_slice(body.as_bytes());
    out
}

/// The lines of a text, without their line ends, and whether it ends with one.
fn lines_of(text: &str) -> (Vec<&str>, bool) {
    let ends = text.ends_with('\n');
    let lines = text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    (lines, ends)
}

/// Each JSON line passed through `f`; plain-text lines as they are.
fn map_json_lines(bytes: &[u8], f: impl Fn(&Value) -> String) -> Vec<u8> {
    let (lines, ends) = lines_of(text(bytes));
    let mut body: Vec<String> = lines
        .iter()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) if v.is_object() => f(&v),
            _ => l.to_string(),
        })
        .collect();
    if ends {
        body.push(String::new());
    }
    with_bom_of(bytes, body.join("\n"))
}

fn map_document(bytes: &[u8], f: impl Fn(&Value) -> String) -> Vec<u8> {
    let value: Value = serde_json::from_str(text(bytes)).unwrap();
    let mut body = f(&value);
    if text(bytes).ends_with('\n') {
        body.push('\n');
    }
    with_bom_of(bytes, body)
}

#[tokio::test]
async fn the_other_line_ends_give_the_same_report() {
    // LF files get CRLF; the Log Analytics CSV, which is CRLF as exported, gets LF. Not for
    // the portal download, which has no line end at all (one minified line).
    same_report_when("line ends", &[], |bytes, _| {
        let t = String::from_utf8(bytes.to_vec()).unwrap();
        if !t.contains('\n') {
            return None;
        }
        Some(if t.contains("\r\n") {
            t.replace("\r\n", "\n").into_bytes()
        } else {
            t.replace('\n', "\r\n").into_bytes()
        })
    })
    .await;
}

#[tokio::test]
async fn a_utf8_byte_order_mark_added_or_removed_gives_the_same_report() {
    // Files without one get a byte order mark; the Log Analytics CSV, exported with one, loses
    // it.
    same_report_when("byte order mark", &[], |bytes, _| {
        Some(match bytes.strip_prefix(BOM) {
            Some(rest) => rest.to_vec(),
            None => [BOM, bytes].concat(),
        })
    })
    .await;
}

#[tokio::test]
async fn gzip_gives_the_same_report() {
    same_report_when("gzip", &[], |bytes, _| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        Some(gz.finish().unwrap())
    })
    .await;
}

#[tokio::test]
async fn pretty_printed_json_gives_the_same_report() {
    // Each document, or each line's object, through `serde_json::to_string_pretty` (which also
    // puts the keys in alphabetical order); JSON lines become pretty objects one after another.
    // Not for CSV: there is no JSON to pretty-print.
    same_report_when("pretty-printing", &[], |bytes, shape| {
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
        match shape {
            Shape::Csv => None,
            Shape::Lines { .. } | Shape::MixedLines => Some(map_json_lines(bytes, pretty)),
            Shape::Array | Shape::Under(_) | Shape::Single => Some(map_document(bytes, pretty)),
        }
    })
    .await;
}

#[tokio::test]
async fn minified_json_gives_the_same_report() {
    // Documents on one line; JSON lines stay one object per line (re-serialized, keys in
    // alphabetical order). Not for CSV: there is no JSON to minify.
    same_report_when("minifying", &[], |bytes, shape| {
        let minified = |v: &Value| serde_json::to_string(v).unwrap();
        match shape {
            Shape::Csv => None,
            Shape::Lines { .. } | Shape::MixedLines => Some(map_json_lines(bytes, minified)),
            Shape::Array | Shape::Under(_) | Shape::Single => Some(map_document(bytes, minified)),
        }
    })
    .await;
}

#[tokio::test]
async fn records_in_the_opposite_order_give_the_same_report() {
    // Newest first becomes oldest first and the other way round. Not for a single record
    // (nothing to reorder) nor for sync-tool logs, whose line order is the run's replay.
    same_report_when("reversing the records", &[], |bytes, shape| match shape {
        Shape::Single | Shape::Lines { replay: true } | Shape::MixedLines => None,
        Shape::Array | Shape::Under(_) => {
            let mut value: Value = serde_json::from_str(text(bytes)).unwrap();
            let records = match shape {
                Shape::Under(key) => &mut value[key],
                _ => &mut value,
            };
            records.as_array_mut().unwrap().reverse();
            // Keep the document's layout (pretty or minified) so only the order changes.
            let pretty = text(bytes).trim_end().contains('\n');
            let body = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            Some(with_bom_of(bytes, body))
        }
        Shape::Lines { replay: false } => {
            let (mut lines, ends) = lines_of(text(bytes));
            lines.reverse();
            let mut body = lines.join("\n");
            if ends {
                body.push('\n');
            }
            Some(with_bom_of(bytes, body))
        }
        Shape::Csv => {
            let t = text(bytes);
            let (lines, ends) = lines_of(t);
            let crlf = t.contains("\r\n");
            let (header, rows) = lines.split_first().unwrap();
            let mut out: Vec<&str> = vec![header];
            out.extend(rows.iter().rev());
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut body = out.join(eol);
            if ends {
                body.push_str(eol);
            }
            Some(with_bom_of(bytes, body))
        }
    })
    .await;
}
