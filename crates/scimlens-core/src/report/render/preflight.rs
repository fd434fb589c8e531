//! A preflight report (a [`Report`] with its `preflight` section) in a terminal: what was
//! checked, then root causes as the log diagnosis shows them, then warnings, all marked as
//! predicted. In Markdown and HTML it is the log report under [`PREDICTED_BANNER`].

use super::doc::{Block, Doc};
use crate::preflight::{PreflightFinding, Severity};
use crate::report::Report;

/// Said above the entities of a predicted report, in every format.
pub const PREDICTED_BANNER: &str = "Predicted by preflight: no sync has run. The failures below are what \
                                    AWS's rules predict for the IdP export.";

/// Warnings listed in a terminal before it points to JSON for the rest.
const WARNING_LIMIT: usize = 50;

/// A preflight report as terminal text: what was checked, then root causes as the log
/// diagnosis shows them, then warnings. Everything is marked as predicted.
pub fn text(r: &Report) -> String {
    let Some(p) = &r.preflight else {
        return super::logs::text(r);
    };
    let mut lines = vec![
        Block::line(format!(
            "scimlens preflight (PREDICTED: no sync has run): {} users and {} groups from {} checked against AWS's rules{}",
            p.users_checked,
            p.groups_checked,
            p.inputs.join(", "),
            p.against_store
                .as_ref()
                .map(|s| format!(" and store snapshot #{} ({})", s.id, s.taken_at))
                .unwrap_or_default()
        )),
        Block::line(format!(
            "{} entities would fail ({} errors), {} warnings",
            r.totals.problem_entities, p.errors, p.warnings
        )),
        Block::line(""),
    ];
    for w in p.mapping_warnings.iter().chain(&p.export_warnings) {
        lines.push(Block::line(format!("  ! {w}")));
    }
    if !p.mapping_warnings.is_empty() || !p.export_warnings.is_empty() {
        lines.push(Block::line(""));
    }
    if r.root_causes.is_empty() {
        lines.push(Block::line("No predicted failures."));
    } else {
        lines.push(Block::Section {
            title: "PREDICTED ROOT CAUSES".to_string(),
            blocks: super::logs::root_cause_lines(&r.root_causes),
        });
    }
    let warnings: Vec<&PreflightFinding> = p
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        let mut shown: Vec<Block> = warnings
            .iter()
            .take(WARNING_LIMIT)
            .map(|f| {
                Block::line(format!(
                    "  {} {}: {} ({}){}",
                    f.kind.as_str(),
                    f.name,
                    f.message,
                    f.category,
                    f.value
                        .as_deref()
                        .map(|v| format!(" [{v}]"))
                        .unwrap_or_default()
                ))
            })
            .collect();
        if warnings.len() > WARNING_LIMIT {
            shown.push(Block::line(format!(
                "  ... and {} more (--format json)",
                warnings.len() - WARNING_LIMIT
            )));
        }
        lines.push(Block::Section {
            title: "WARNINGS".to_string(),
            blocks: shown,
        });
    }
    if !p.at_risk.is_empty() {
        let mut shown = Vec::new();
        for a in &p.at_risk {
            shown.push(Block::line(format!("  ! {} {}", a.kind.as_str(), a.name)));
            shown.push(Block::line(format!("    {}", a.detail)));
        }
        lines.push(Block::Section {
            title: format!(
                "BLAST RADIUS ({} store object{} the IdP may delete and create again, orphaning their access)",
                p.at_risk.len(),
                if p.at_risk.len() == 1 { "" } else { "s" }
            ),
            blocks: shown,
        });
    }
    super::text::render(&Doc {
        title: "scimlens preflight".to_string(),
        blocks: lines,
    })
}
