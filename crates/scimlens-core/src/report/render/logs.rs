//! The log report ([`Report`]) in each format: in a terminal, a summary (connection trouble,
//! then root causes with fixes); in Markdown and HTML, the whole report as one document (with
//! the compare section when there is one); in CSV, the entity table.

use super::doc::{Block, Doc, Inline, Table, Target};
use super::{csv_field, terminal_safe};
use crate::access::{AssignedGroup, OrphanedAssignment};
use crate::model::{AccessImpact, EntityStatus};
use crate::report::{AccessSection, Report, ReportEntity, RootCause};

const LIST_LIMIT: usize = 10;

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn cause_title(c: &RootCause) -> String {
    match &c.attribute {
        Some(a) => format!("{} ({a})", c.category),
        None => c.category.to_string(),
    }
}

fn entities(n: u64) -> String {
    format!("{n} entit{}", if n == 1 { "y" } else { "ies" })
}

/// What an admin reads in a terminal: connection trouble, then root causes with fixes. Inert:
/// control characters from the logs come out as escapes ([`terminal_safe`]).
pub fn text(r: &Report) -> String {
    terminal_safe(&super::text::render(&summary(r))).into_owned()
}

pub fn markdown(r: &Report) -> String {
    super::markdown::render(&document(r))
}

pub fn html(r: &Report) -> String {
    super::html::render(&document(r))
}

fn summary(r: &Report) -> Doc {
    let t = &r.totals;
    let mut blocks = vec![
        Block::line(format!(
            "scimlens: {} records from {} source(s): {} succeeded, {} failed, {} skipped",
            t.records,
            r.sources.len(),
            t.success,
            t.failure,
            t.skipped
        )),
        Block::line(format!(
            "{} entities failing, {} connection-level failures",
            t.problem_entities, t.connection_failures
        )),
        Block::line(""),
    ];
    if !r.connection.is_empty() || !r.findings.is_empty() {
        let mut lines = Vec::new();
        for c in &r.connection {
            lines.push(Block::line(format!(
                "  ! {} x{}: {} ({} .. {})",
                c.category,
                c.count,
                c.message,
                opt(&c.first_seen),
                opt(&c.last_seen)
            )));
            lines.push(Block::line(format!("    fix: {}", c.fix)));
        }
        for f in &r.findings {
            let when = match (&f.first_seen, &f.last_seen) {
                (Some(a), Some(b)) => format!(" ({a} .. {b})"),
                _ => String::new(),
            };
            lines.push(Block::line(format!("  ! {}{when}", f.message)));
        }
        lines.push(Block::line(""));
        blocks.push(Block::Section {
            title: "CONNECTION AND JOB (these explain everything below)".to_string(),
            blocks: lines,
        });
    }
    if r.root_causes.is_empty() {
        blocks.push(Block::line("No failing entities."));
    } else {
        blocks.push(Block::Section {
            title: "ROOT CAUSES".to_string(),
            blocks: root_cause_lines(&r.root_causes),
        });
    }
    let resolved = r
        .entities
        .iter()
        .filter(|e| e.status == EntityStatus::Resolved)
        .count();
    if resolved > 0 {
        blocks.push(Block::line(format!(
            "{} failed earlier and succeeded later (resolved).",
            entities(resolved as u64)
        )));
    }
    if let Some(a) = &r.access {
        access_text(r, a, &mut blocks);
    }
    Doc {
        title: "scimlens failure report".to_string(),
        blocks,
    }
}

/// Root causes for a terminal, numbered, each with the entities it affects (the first
/// [`LIST_LIMIT`]) and its fix.
pub(super) fn root_cause_lines(causes: &[RootCause]) -> Vec<Block> {
    let mut lines = Vec::new();
    for (i, c) in causes.iter().enumerate() {
        lines.push(Block::Line(vec![
            Inline::plain(format!("{}. ", i + 1)),
            Inline::text(cause_title(c)),
            Inline::Aside(vec![Inline::plain(entities(c.count))]),
        ]));
        lines.push(Block::line(format!("   {}", c.summary)));
        let shown: Vec<&str> = c
            .entities
            .iter()
            .take(LIST_LIMIT)
            .map(String::as_str)
            .collect();
        let more = c.entities.len().saturating_sub(LIST_LIMIT);
        lines.push(Block::line(format!(
            "   affected: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
        for cand in &c.candidates {
            lines.push(Block::line(format!("   possible cause: {cand}")));
        }
        lines.push(Block::line(format!("   fix: {}", c.fix)));
        lines.push(Block::line(""));
    }
    lines
}

/// The whole report, for Markdown and HTML.
fn document(r: &Report) -> Doc {
    let mut blocks = Vec::new();
    if r.preflight.is_some() {
        blocks.push(Block::Banner(vec![Inline::plain(
            super::preflight::PREDICTED_BANNER,
        )]));
    }
    let t = &r.totals;
    blocks.push(Block::Paragraph(vec![
        Inline::plain(format!(
            "Generated {}. {} records: {} succeeded, {} failed, {} skipped. ",
            r.generated_at, t.records, t.success, t.failure, t.skipped
        )),
        Inline::Strong(vec![Inline::plain(format!(
            "{} failing entities",
            t.problem_entities
        ))]),
        Inline::plain(format!(
            ", {} connection-level failures.",
            t.connection_failures
        )),
    ]));

    let mut sources = Table::new(Some("Sources"), &["path", "format", "records", "warnings"]);
    for s in &r.sources {
        sources.row(vec![
            Inline::text(&s.path),
            Inline::plain(s.format.to_string()),
            Inline::plain(s.records.to_string()),
            Inline::text(s.warnings.join("; ")),
        ]);
    }
    // Markdown lists the sources first, HTML last.
    blocks.push(Block::Only(
        Target::Markdown,
        vec![Block::Table(sources.clone())],
    ));

    let when = |first: &Option<String>, last: &Option<String>| {
        format!(" ({} .. {})", opt(first), opt(last))
    };
    if !r.connection.is_empty() || !r.findings.is_empty() {
        let mut items = Vec::new();
        for c in &r.connection {
            items.push(vec![
                Inline::Strong(vec![Inline::plain(c.category.as_str())]),
                Inline::plain(format!(" x{}: ", c.count)),
                Inline::text(&c.message),
                Inline::plain(format!("{}. Fix: ", when(&c.first_seen, &c.last_seen))),
                Inline::text(&c.fix),
            ]);
        }
        for f in &r.findings {
            items.push(vec![Inline::text(&f.message)]);
        }
        blocks.push(Block::Only(
            Target::Markdown,
            vec![Block::Section {
                title: "Connection and job".to_string(),
                blocks: vec![Block::List(items)],
            }],
        ));
    }
    let mut alerts = Vec::new();
    for c in &r.connection {
        alerts.push(Block::Card {
            class: "alert",
            blocks: vec![
                Block::Line(vec![
                    Inline::Strong(vec![Inline::plain(c.category.as_str())]),
                    Inline::plain(format!(" x{}: ", c.count)),
                    Inline::text(&c.message),
                    Inline::plain(when(&c.first_seen, &c.last_seen)),
                ]),
                Block::Card {
                    class: "fix",
                    blocks: vec![Block::Line(vec![Inline::text(&c.fix)])],
                },
            ],
        });
    }
    for f in &r.findings {
        alerts.push(Block::Banner(vec![Inline::text(&f.message)]));
    }
    blocks.push(Block::Only(Target::Html, alerts));

    blocks.push(Block::Section {
        title: "Root causes".to_string(),
        blocks: r.root_causes.iter().map(root_cause_card).collect(),
    });

    // With a store snapshot's access, what each entity holds (the column is absent otherwise).
    let mut columns = vec![
        "kind",
        "name",
        "status",
        "category",
        "attribute",
        "message",
        "events",
        "last seen",
    ];
    if r.access.is_some() {
        columns.push("access");
    }
    let mut table = Table::new(Some("Entities"), &columns);
    for e in &r.entities {
        let mut cells = vec![
            Inline::plain(e.kind.as_str()),
            Inline::text(&e.name),
            Inline::plain(e.status.as_str()),
            Inline::plain(e.category.map(|c| c.as_str()).unwrap_or("")),
            Inline::text(opt(&e.attribute)),
            Inline::text(opt(&e.message)),
            Inline::plain(e.events.to_string()),
            Inline::plain(opt(&e.last_seen)),
        ];
        if r.access.is_some() {
            cells.push(Inline::plain(
                e.access
                    .map(|a| a.summary())
                    .unwrap_or_else(|| "not in the store".to_string()),
            ));
        }
        table.row(cells);
    }
    blocks.push(Block::Only(
        Target::Markdown,
        vec![Block::Table(table.without("message"))],
    ));
    blocks.push(Block::Only(
        Target::Html,
        vec![Block::Table(table), Block::Table(sources)],
    ));
    if let Some(c) = &r.compare {
        blocks.push(super::compare::section(c));
    }
    if let Some(a) = &r.access {
        blocks.push(access_section(r, a));
    }
    if let Some(p) = r.preflight.as_ref().filter(|p| !p.at_risk.is_empty()) {
        let mut table = Table::new(None, &["kind", "name", "AWS id", "at risk"]);
        for a in &p.at_risk {
            table.row(vec![
                Inline::plain(a.kind.as_str()),
                Inline::text(&a.name),
                Inline::text(a.store_id.as_deref().unwrap_or("")),
                Inline::text(&a.detail),
            ]);
        }
        blocks.push(Block::Section {
            title: "Blast radius: store objects the IdP may delete and create again".to_string(),
            blocks: vec![Block::Table(table)],
        });
    }
    Doc {
        title: "scimlens failure report".to_string(),
        blocks,
    }
}

/// One orphaned assignment in a sentence: what access, whose it was, who likely has it now.
fn orphan_line(o: &OrphanedAssignment) -> String {
    let account = match &o.account_name {
        Some(name) => format!("{name} ({})", o.account_id),
        None => o.account_id.clone(),
    };
    let permission_set = o.permission_set_name.as_deref().unwrap_or(&o.permission_set_arn);
    let was = match &o.former_name {
        Some(name) => format!("{name}, deleted {} {}", o.principal_type.as_str().to_lowercase(), o.principal_id),
        None => format!("deleted {} {}", o.principal_type.as_str().to_lowercase(), o.principal_id),
    };
    let successor = match &o.successor {
        Some(s) => format!(
            "; likely successor {} ({})",
            s.name.as_deref().unwrap_or(&s.id),
            s.id
        ),
        None => String::new(),
    };
    format!("{permission_set} in {account} was assigned to {was}{successor}")
}

/// The failing entities that hold access, most first: what the failures put at stake.
fn at_stake(r: &Report) -> Vec<(&ReportEntity, AccessImpact)> {
    let mut found: Vec<(&ReportEntity, AccessImpact)> = r
        .entities
        .iter()
        .filter(|e| e.status == EntityStatus::Failing)
        .filter_map(|e| e.access.filter(|a| a.assignments > 0).map(|a| (e, a)))
        .collect();
    found.sort_by(|(a, x), (b, y)| {
        (y.assignments, y.accounts)
            .cmp(&(x.assignments, x.accounts))
            .then_with(|| a.name.cmp(&b.name))
    });
    found
}

fn group_line(g: &AssignedGroup) -> String {
    format!(
        "{} ({}): {}",
        g.display_name.as_deref().unwrap_or(&g.group_id),
        g.group_id,
        g.holds.summary()
    )
}

/// The terminal's access sections: who lost access (orphaned assignments), what the failures put
/// at stake, and the assigned groups that reach nobody or that no IdP manages.
fn access_text(r: &Report, a: &AccessSection, blocks: &mut Vec<Block>) {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if !a.orphaned.is_empty() {
        blocks.push(Block::line(""));
        let mut lines = Vec::new();
        for o in &a.orphaned {
            lines.push(Block::line(format!("  ! {}", orphan_line(o))));
            lines.push(Block::line(format!("    fix: {}", o.fix)));
        }
        blocks.push(Block::Section {
            title: format!(
                "WHO LOST ACCESS ({} orphaned account assignment{} in store snapshot #{})",
                a.orphaned.len(),
                plural(a.orphaned.len()),
                a.snapshot_id
            ),
            blocks: lines,
        });
    }
    let stake = at_stake(r);
    if !stake.is_empty() {
        blocks.push(Block::line(""));
        let mut lines: Vec<Block> = stake
            .iter()
            .take(LIST_LIMIT)
            .map(|(e, i)| {
                Block::line(format!(
                    "  - {} ({}, {}): {}",
                    e.name,
                    e.kind.as_str(),
                    e.category.map(|c| c.as_str()).unwrap_or(""),
                    i.summary()
                ))
            })
            .collect();
        if stake.len() > LIST_LIMIT {
            lines.push(Block::line(format!(
                "  ... and {} more (the JSON report has every entity's access)",
                stake.len() - LIST_LIMIT
            )));
        }
        blocks.push(Block::Section {
            title: format!(
                "ACCESS AT STAKE ({} failing entit{} holding access in store snapshot #{}; fix these first)",
                stake.len(),
                if stake.len() == 1 { "y" } else { "ies" },
                a.snapshot_id
            ),
            blocks: lines,
        });
    }
    for (groups, title) in [
        (&a.empty_groups, "ASSIGNED GROUPS WITHOUT MEMBERS"),
        (&a.unmanaged_groups, "ASSIGNED GROUPS NO IDP MANAGES (no externalId)"),
    ] {
        if groups.is_empty() {
            continue;
        }
        blocks.push(Block::line(""));
        let mut lines = Vec::new();
        for g in groups {
            lines.push(Block::line(format!("  ! {}", group_line(g))));
            lines.push(Block::line(format!("    fix: {}", g.fix)));
        }
        blocks.push(Block::Section {
            title: format!("{title} ({})", groups.len()),
            blocks: lines,
        });
    }
}

/// The orphaned assignments for Markdown and HTML: one row each, with the fix.
fn access_section(r: &Report, a: &AccessSection) -> Block {
    let mut blocks = Vec::new();
    if a.orphaned.is_empty() {
        blocks.push(Block::Paragraph(vec![Inline::plain(format!(
            "Every account assignment of store snapshot #{} belongs to a user or group it \
             holds.",
            a.snapshot_id
        ))]));
    } else {
        let mut table = Table::new(None, &["orphaned assignment", "fix"]);
        for o in &a.orphaned {
            table.row(vec![Inline::text(orphan_line(o)), Inline::text(&o.fix)]);
        }
        blocks.push(Block::Paragraph(vec![Inline::plain(format!(
            "{} account assignment{} of store snapshot #{} {} at a user or group that no \
             longer exists: nobody gets that access, though the console may still show the \
             name.",
            a.orphaned.len(),
            if a.orphaned.len() == 1 { "" } else { "s" },
            a.snapshot_id,
            if a.orphaned.len() == 1 { "points" } else { "point" }
        ))]));
        blocks.push(Block::Table(table));
    }
    let stake = at_stake(r);
    if !stake.is_empty() {
        let mut table = Table::new(
            Some("Access at stake: failing entities that hold access, most first"),
            &["name", "kind", "category", "holds"],
        );
        for (e, i) in &stake {
            table.row(vec![
                Inline::text(&e.name),
                Inline::plain(e.kind.as_str()),
                Inline::plain(e.category.map(|c| c.as_str()).unwrap_or("")),
                Inline::plain(i.summary()),
            ]);
        }
        blocks.push(Block::Table(table));
    }
    for (groups, title) in [
        (&a.empty_groups, "Assigned groups without members"),
        (&a.unmanaged_groups, "Assigned groups no IdP manages (no externalId)"),
    ] {
        if groups.is_empty() {
            continue;
        }
        let mut table = Table::new(Some(title), &["group", "fix"]);
        for g in groups {
            table.row(vec![Inline::text(group_line(g)), Inline::text(&g.fix)]);
        }
        blocks.push(Block::Table(table));
    }
    Block::Section {
        title: "Who lost access".to_string(),
        blocks,
    }
}

fn root_cause_card(c: &RootCause) -> Block {
    let candidates = |label: &str| {
        c.candidates
            .iter()
            .map(|cand| vec![Inline::plain(label), Inline::text(cand)])
            .collect()
    };
    Block::Card {
        class: "cause",
        blocks: vec![
            Block::Heading(vec![
                Inline::text(cause_title(c)),
                Inline::Aside(vec![Inline::plain(format!("{} entities", c.count))]),
            ]),
            Block::Paragraph(vec![Inline::text(&c.summary)]),
            Block::Paragraph(vec![
                Inline::plain("Affected: "),
                Inline::text(c.entities.join(", ")),
            ]),
            Block::Only(
                Target::Markdown,
                vec![Block::List(candidates("possible cause: "))],
            ),
            Block::Only(Target::Html, vec![Block::List(candidates(""))]),
            Block::Card {
                class: "fix",
                blocks: vec![Block::Line(vec![
                    Inline::Strong(vec![Inline::plain("Fix:")]),
                    Inline::plain(" "),
                    Inline::text(&c.fix),
                ])],
            },
        ],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, EntityKind, EntityStatus, Format};
    use crate::report::render::{ReportFormat, md_cell, render, terminal_safe};
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
            access: None,
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
            access: None,
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
