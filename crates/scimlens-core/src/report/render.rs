//! Renderers: the same [`Report`] as terminal text, JSON, CSV, Markdown or one self-contained
//! HTML file. Every string from a log is escaped for its output; nothing is trusted as markup:
//! terminal text carries no control character (see [`terminal_safe`]), JSON escapes them, CSV
//! cells never start a spreadsheet formula, Markdown cells escape its syntax, HTML its markup.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Report, RootCause};

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
        ReportFormat::Text => text(report),
        ReportFormat::Json => {
            let mut s = json_pretty(report).expect("report serializes");
            s.push('\n');
            s
        }
        ReportFormat::Csv => csv(report),
        ReportFormat::Md => markdown(report),
        ReportFormat::Html => html(report),
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn cause_title(c: &RootCause) -> String {
    match &c.attribute {
        Some(a) => format!("{} ({a})", c.category),
        None => c.category.to_string(),
    }
}

const LIST_LIMIT: usize = 10;

/// What an admin reads in a terminal: connection trouble, then root causes with fixes. Inert:
/// control characters from the logs come out as escapes ([`terminal_safe`]).
pub fn text(r: &Report) -> String {
    let out = text_unescaped(r);
    terminal_safe(&out).into_owned()
}

fn text_unescaped(r: &Report) -> String {
    let mut out = String::new();
    let t = &r.totals;
    let _ = writeln!(
        out,
        "scimlens: {} records from {} source(s): {} succeeded, {} failed, {} skipped",
        t.records,
        r.sources.len(),
        t.success,
        t.failure,
        t.skipped
    );
    let _ = writeln!(
        out,
        "{} entities failing, {} connection-level failures\n",
        t.problem_entities, t.connection_failures
    );
    if !r.connection.is_empty() || !r.findings.is_empty() {
        let _ = writeln!(out, "CONNECTION AND JOB (these explain everything below)");
        for c in &r.connection {
            let _ = writeln!(
                out,
                "  ! {} x{}: {} ({} .. {})\n    fix: {}",
                c.category,
                c.count,
                c.message,
                opt(&c.first_seen),
                opt(&c.last_seen),
                c.fix
            );
        }
        for f in &r.findings {
            let when = match (&f.first_seen, &f.last_seen) {
                (Some(a), Some(b)) => format!(" ({a} .. {b})"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  ! {}{when}", f.message);
        }
        out.push('\n');
    }
    if r.root_causes.is_empty() {
        let _ = writeln!(out, "No failing entities.");
    } else {
        let _ = writeln!(out, "ROOT CAUSES");
        for (i, c) in r.root_causes.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. {} - {} entit{}",
                i + 1,
                cause_title(c),
                c.count,
                if c.count == 1 { "y" } else { "ies" }
            );
            let _ = writeln!(out, "   {}", c.summary);
            let shown: Vec<&str> = c
                .entities
                .iter()
                .take(LIST_LIMIT)
                .map(String::as_str)
                .collect();
            let more = c.entities.len().saturating_sub(LIST_LIMIT);
            let _ = writeln!(
                out,
                "   affected: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
            for cand in &c.candidates {
                let _ = writeln!(out, "   possible cause: {cand}");
            }
            let _ = writeln!(out, "   fix: {}\n", c.fix);
        }
    }
    let resolved = r
        .entities
        .iter()
        .filter(|e| e.status == crate::model::EntityStatus::Resolved)
        .count();
    if resolved > 0 {
        let _ = writeln!(
            out,
            "{resolved} entit{} failed earlier and succeeded later (resolved).",
            if resolved == 1 { "y" } else { "ies" }
        );
    }
    out
}

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

/// One row per problem entity (the report's `entities[]`), with its root cause's fix.
pub fn csv(r: &Report) -> String {
    let mut out = String::from(
        "kind,name,status,category,attribute,message,fix,events,last_seen,source_id,target_id,external_id\n",
    );
    for e in &r.entities {
        let cells = [
            e.kind.as_str().to_string(),
            e.name.clone(),
            e.status.as_str().to_string(),
            e.category
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            opt(&e.attribute).to_string(),
            opt(&e.message).to_string(),
            opt(&e.fix).to_string(),
            e.events.to_string(),
            opt(&e.last_seen).to_string(),
            opt(&e.ids.source_id).to_string(),
            opt(&e.ids.target_id).to_string(),
            opt(&e.ids.external_id).to_string(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

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

pub fn markdown(r: &Report) -> String {
    let mut out = String::from("# scimlens failure report\n\n");
    if r.preflight.is_some() {
        let _ = writeln!(out, "> **{}**\n", crate::preflight::PREDICTED_BANNER);
    }
    let t = &r.totals;
    let _ = writeln!(
        out,
        "Generated {}. {} records: {} succeeded, {} failed, {} skipped. **{} failing entities**, {} connection-level failures.\n",
        r.generated_at,
        t.records,
        t.success,
        t.failure,
        t.skipped,
        t.problem_entities,
        t.connection_failures
    );
    let _ = writeln!(
        out,
        "## Sources\n\n| path | format | records | warnings |\n|---|---|---|---|"
    );
    for s in &r.sources {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_cell(&s.path),
            s.format,
            s.records,
            md_cell(&s.warnings.join("; "))
        );
    }
    if !r.connection.is_empty() || !r.findings.is_empty() {
        let _ = writeln!(out, "\n## Connection and job\n");
        for c in &r.connection {
            let _ = writeln!(
                out,
                "- **{}** x{}: {} ({} .. {}). Fix: {}",
                c.category,
                c.count,
                md_cell(&c.message),
                opt(&c.first_seen),
                opt(&c.last_seen),
                md_cell(&c.fix)
            );
        }
        for f in &r.findings {
            let _ = writeln!(out, "- {}", md_cell(&f.message));
        }
    }
    let _ = writeln!(out, "\n## Root causes\n");
    for c in &r.root_causes {
        let _ = writeln!(
            out,
            "### {} ({} entities)\n\n{}\n\nAffected: {}\n",
            md_cell(&cause_title(c)),
            c.count,
            md_cell(&c.summary),
            md_cell(&c.entities.join(", "))
        );
        for cand in &c.candidates {
            let _ = writeln!(out, "- possible cause: {}", md_cell(cand));
        }
        let _ = writeln!(out, "**Fix:** {}\n", md_cell(&c.fix));
    }
    let _ = writeln!(
        out,
        "## Entities\n\n| kind | name | status | category | attribute | events | last seen |\n|---|---|---|---|---|---|---|"
    );
    for e in &r.entities {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e.kind.as_str(),
            md_cell(&e.name),
            e.status.as_str(),
            e.category.map(|c| c.as_str()).unwrap_or(""),
            md_cell(opt(&e.attribute)),
            e.events,
            opt(&e.last_seen)
        );
    }
    if let Some(c) = &r.compare {
        out.push_str(&crate::compare::render_markdown(c, &md_cell));
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

/// One self-contained file (inline CSS, no scripts, no external references) to attach to a ticket.
pub fn html(r: &Report) -> String {
    let e = escape_html;
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>scimlens failure report</title>\n<style>\n\
         body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1f24}\n\
         table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}\n\
         th{background:#f6f8fa}.alert{background:#fff4e5;border-left:4px solid #d97706;padding:.5rem 1rem;margin:.5rem 0}\n\
         .cause{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}.fix{background:#eef6ee;padding:.4rem .6rem}\n\
         code{font-family:ui-monospace,monospace}@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}th{background:#161b22}.alert{background:#3b2a12}.fix{background:#12301a}}\n\
         </style></head><body>\n<h1>scimlens failure report</h1>\n",
    );
    if r.preflight.is_some() {
        let _ = writeln!(
            out,
            "<div class=\"alert\">{}</div>",
            e(crate::preflight::PREDICTED_BANNER)
        );
    }
    let t = &r.totals;
    let _ = writeln!(
        out,
        "<p>Generated {}. {} records: {} succeeded, {} failed, {} skipped. <strong>{} failing entities</strong>, {} connection-level failures.</p>",
        e(&r.generated_at),
        t.records,
        t.success,
        t.failure,
        t.skipped,
        t.problem_entities,
        t.connection_failures
    );
    for c in &r.connection {
        let _ = writeln!(
            out,
            "<div class=\"alert\"><strong>{}</strong> x{}: {} ({} .. {})<div class=\"fix\">{}</div></div>",
            e(c.category.as_str()),
            c.count,
            e(&c.message),
            e(opt(&c.first_seen)),
            e(opt(&c.last_seen)),
            e(&c.fix)
        );
    }
    for f in &r.findings {
        let _ = writeln!(out, "<div class=\"alert\">{}</div>", e(&f.message));
    }
    let _ = writeln!(out, "<h2>Root causes</h2>");
    for c in &r.root_causes {
        let _ = writeln!(
            out,
            "<div class=\"cause\"><h3>{} &middot; {} entities</h3><p>{}</p><p>Affected: {}</p>",
            e(&cause_title(c)),
            c.count,
            e(&c.summary),
            e(&c.entities.join(", "))
        );
        if !c.candidates.is_empty() {
            out.push_str("<ul>");
            for cand in &c.candidates {
                let _ = write!(out, "<li>{}</li>", e(cand));
            }
            out.push_str("</ul>");
        }
        let _ = writeln!(
            out,
            "<div class=\"fix\"><strong>Fix:</strong> {}</div></div>",
            e(&c.fix)
        );
    }
    let _ = writeln!(
        out,
        "<h2>Entities</h2><table><thead><tr><th>kind</th><th>name</th><th>status</th><th>category</th><th>attribute</th><th>message</th><th>events</th><th>last seen</th></tr></thead><tbody>"
    );
    for en in &r.entities {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            en.kind.as_str(),
            e(&en.name),
            en.status.as_str(),
            en.category.map(|c| c.as_str()).unwrap_or(""),
            e(opt(&en.attribute)),
            e(opt(&en.message)),
            en.events,
            e(opt(&en.last_seen))
        );
    }
    let _ = writeln!(
        out,
        "</tbody></table><h2>Sources</h2><table><thead><tr><th>path</th><th>format</th><th>records</th><th>warnings</th></tr></thead><tbody>"
    );
    for s in &r.sources {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&s.path),
            s.format,
            s.records,
            e(&s.warnings.join("; "))
        );
    }
    out.push_str("</tbody></table>");
    if let Some(c) = &r.compare {
        out.push_str(&crate::compare::render_html(c, &escape_html));
    }
    out.push_str("</body></html>\n");
    out
}

/// The pseudonymized report (see [`super::pseudonym`]), where it always was.
pub use super::pseudonym::pseudonymize;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, EntityKind, EntityStatus, Format};
    use crate::report::{EntityIds, ReportEntity, SourceSummary, Totals};

    const TITLE: &str = "\x1b]0;pwned\x07";
    const FORMULA: &str = "=cmd|' /C calc'!A0";

    /// A report whose every log-borne string is hostile to some output.
    fn hostile() -> Report {
        let entity = |name: &str| ReportEntity {
            kind: EntityKind::User,
            name: name.to_string(),
            ids: EntityIds {
                source_id: Some("\u{9b}31m".to_string()),
                target_id: Some("\t=1+1".to_string()),
                external_id: Some("\r@SUM(A1)".to_string()),
            },
            status: EntityStatus::Failing,
            category: Some(Category::Other),
            attribute: Some("back\\slash|pipe".to_string()),
            message: Some(format!("rejected {TITLE} \u{202e}gpj.exe")),
            fix: Some("-2+3".to_string()),
            events: 1,
            last_seen: None,
        };
        Report {
            schema_version: crate::report::SCHEMA_VERSION,
            generated_at: "2026-11-21T09:00:00Z".to_string(),
            sources: vec![SourceSummary {
                id: 1,
                path: format!("/logs/{TITLE}.json"),
                format: Format::EntraGraph,
                records: 3,
                warnings: vec![format!("odd \x1b[2J{TITLE}")],
                first_time: None,
                last_time: None,
                imported_at: "2026-11-21T09:00:00Z".to_string(),
            }],
            totals: Totals::default(),
            categories: Default::default(),
            entities: vec![entity(TITLE), entity(FORMULA), entity("\tleading tab")],
            root_causes: vec![RootCause {
                category: Category::Other,
                attribute: Some(TITLE.to_string()),
                summary: format!("summary {TITLE} \u{202e}gpj.exe"),
                count: 3,
                entities: vec![TITLE.to_string(), FORMULA.to_string()],
                fix: format!("fix {TITLE}"),
                candidates: vec![TITLE.to_string()],
            }],
            connection: Vec::new(),
            findings: Vec::new(),
            compare: None,
            preflight: None,
        }
    }

    fn is_control(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    }

    #[test]
    fn terminal_text_shows_control_characters_as_escapes() {
        let text = text(&hostile());
        assert!(!text.chars().any(is_control), "{text:?}");
        assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
        assert!(text.contains("\\u{202e}gpj.exe"), "{text}");
        assert_eq!(terminal_safe("plain\tand\nlines"), "plain\tand\nlines");
        assert_eq!(terminal_safe("\u{9b}31m\r"), "\\x9b31m\\x0d");
    }

    #[test]
    fn json_escapes_every_control_character_and_stays_the_same_document() {
        let json = render(&hostile(), ReportFormat::Json);
        assert!(!json.chars().any(is_control), "{json:?}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile());
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_quoted_as_text() {
        let csv = csv(&hostile());
        let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        for row in &cells {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "a cell starts a formula: {cell:?}"
                );
            }
        }
        let names: Vec<&str> = cells.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(names[1], format!("'{FORMULA}"));
        assert_eq!(names[2], "'\tleading tab");
        assert_eq!(cells[0][10], "'\t=1+1", "target id");
        assert_eq!(cells[0][11], "'\r@SUM(A1)", "external id");
    }

    #[test]
    fn markdown_cells_escape_backslashes_pipes_and_markup() {
        let md = markdown(&hostile());
        assert!(md.contains("back\\\\slash\\|pipe"), "{md}");
        assert_eq!(md_cell("a\\|b"), "a\\\\\\|b");
        for line in md.lines().filter(|l| l.starts_with("| ")) {
            let unescaped_pipes = line
                .char_indices()
                .filter(|&(i, c)| {
                    c == '|' && {
                        let backslashes = line[..i].chars().rev().take_while(|&b| b == '\\');
                        backslashes.count() % 2 == 0
                    }
                })
                .count();
            let columns = if line.contains("| path ") || line.contains(".json") {
                5
            } else {
                8
            };
            assert_eq!(
                unescaped_pipes, columns,
                "a cell broke out of its column: {line}"
            );
        }
    }

    #[test]
    fn html_shows_log_text_as_text() {
        let html = html(&hostile());
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("=cmd|&#39; /C calc&#39;!A0"), "{html}");
    }
}
