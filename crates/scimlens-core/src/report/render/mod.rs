//! Rendering, and only here: a [`Report`] as terminal text, JSON, CSV, Markdown or one
//! self-contained HTML file. Each subject (the log report in `logs`, the IdP beside the store in
//! [`compare`], the preflight in [`preflight`]) is built into a document (`doc::Doc`) that one
//! renderer per format writes out; JSON is the report's serialization, CSV its entity table.
//!
//! Every string from a log is escaped for its output; nothing is trusted as markup: terminal
//! text carries no control character (see [`terminal_safe`]), JSON escapes them, CSV cells
//! never start a spreadsheet formula, Markdown cells escape its syntax, HTML its markup.

pub mod compare;
mod doc;
mod html;
mod logs;
mod markdown;
pub mod preflight;
mod text;

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Text,
    Json,
    Csv,
    Md,
    Html,
}

impl ReportFormat {
    pub fn parse(s: &str) -> Option<ReportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "txt" => Some(ReportFormat::Text),
            "json" => Some(ReportFormat::Json),
            "csv" => Some(ReportFormat::Csv),
            "md" | "markdown" => Some(ReportFormat::Md),
            "html" | "htm" => Some(ReportFormat::Html),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Text => "txt",
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Md => "md",
            ReportFormat::Html => "html",
        }
    }
}

/// A character a terminal (or a text viewer) may act on rather than show: C0 controls but
/// line feed and tab, DEL, C1 controls (a terminal reads U+009B as CSI), and the bidirectional
/// overrides and isolates that reorder what is shown.
fn is_active(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal: every [`is_active`] character shown as an escape (`\x1b`, `\u{202e}`),
/// so a name like `\x1b]0;pwned\x07` can neither retitle the window nor move the cursor, and
/// the reader sees that it was there. Line feeds and tabs are kept.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_active) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !is_active(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// JSON without any [`is_active`] character: serde_json escapes the C0 controls; the others
/// (valid in JSON strings, and only there) become `\u` escapes too, so the document is the
/// same JSON and inert when printed.
pub fn json_safe(json: String) -> String {
    if !json.chars().any(is_active) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_active(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` as pretty JSON, inert in a terminal (see [`json_safe`]).
pub fn json_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value).map(json_safe)
}

pub fn render(report: &Report, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => logs::text(report),
        ReportFormat::Json => {
            let mut s = json_pretty(report).expect("report serializes");
            s.push('\n');
            s
        }
        ReportFormat::Csv => logs::csv(report),
        ReportFormat::Md => logs::markdown(report),
        ReportFormat::Html => logs::html(report),
    }
}

/// A CSV cell: quoted when it must be, and never the start of a spreadsheet formula.
fn csv_field(s: &str) -> String {
    // Neutralise spreadsheet formulas: log content must never execute in Excel either. A
    // leading tab or carriage return is one too (spreadsheets trim it, then read the formula).
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Text for a Markdown table cell (and any Markdown line): its syntax escaped, line breaks
/// flattened.
fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The pseudonymized report (see [`super::pseudonym`]), where it always was.
pub use super::pseudonym::pseudonymize;
