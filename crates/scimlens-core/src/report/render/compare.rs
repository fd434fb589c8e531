//! The IdP directory beside the AWS identity store ([`CompareSection`]) and one store snapshot
//! against another ([`SnapshotDiff`]): a terminal summary of each, and the compare section of
//! the Markdown and HTML report.

use super::doc::{Block, Doc, Inline, Table, Target};
use crate::compare::{
    CompareSection, CompareState, EntityComparison, IdentityChangeKind, MembershipRef, SideRef,
    SnapshotDiff,
    StateCounts,
};

/// Entities listed in a terminal before it points to JSON for the rest.
const TEXT_LIMIT: usize = 200;

fn counts_line(label: &str, c: &StateCounts) -> String {
    format!(
        "{label:<12} {:>7} in sync  {:>6} DRIFT  {:>6} NOT_PROVISIONED  {:>6} UNMANAGED_IN_STORE",
        c.in_sync, c.drift, c.not_provisioned, c.unmanaged_in_store
    )
}

/// Shown for a value one side lacks.
fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(none)")
}

/// The comparison as terminal text: counts, then every entity not in sync with its reason or
/// its differences (IdP value beside store value).
pub fn text(c: &CompareSection) -> String {
    let mut lines = vec![
        Block::line(format!(
            "IdP directory #{} ({}, {}) beside store snapshot #{} ({}, {})",
            c.directory.id,
            c.directory.idp,
            c.directory.imported_at,
            c.snapshot.id,
            c.snapshot
                .identity_store_id
                .as_deref()
                .unwrap_or("store id unknown"),
            c.snapshot.taken_at
        )),
        Block::line(format!(
            "users matched by {}; groups by externalId, displayName",
            c.match_order
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", then ")
        )),
        Block::line(""),
        Block::line(counts_line("users", &c.users)),
        Block::line(counts_line("groups", &c.groups)),
        Block::line(match &c.memberships {
            Some(m) => counts_line("memberships", m),
            None => "memberships  not compared".to_string(),
        }),
    ];
    for w in &c.warnings {
        lines.push(Block::line(format!("  note: {w}")));
    }
    let mut shown = 0;
    for state in CompareState::ALL {
        let rows: Vec<&EntityComparison> = c.entities.iter().filter(|e| e.state == state).collect();
        if rows.is_empty() {
            continue;
        }
        lines.push(Block::line(""));
        lines.push(Block::line(format!("{state} ({})", rows.len())));
        for e in rows {
            if shown >= TEXT_LIMIT {
                lines.push(Block::line("  ... (more in --format json)"));
                break;
            }
            shown += 1;
            let by = e
                .matched_by
                .map(|k| format!(" [matched by {}]", k.as_str()))
                .unwrap_or_default();
            lines.push(Block::line(format!("  {} {}{by}", e.kind.as_str(), e.name)));
            for d in &e.differences {
                lines.push(Block::line(format!(
                    "      {:<24} IdP: {:<30} AWS: {}{}",
                    d.attribute,
                    or_none(&d.idp),
                    or_none(&d.store),
                    d.note
                        .as_deref()
                        .map(|n| format!("  ({n})"))
                        .unwrap_or_default()
                )));
            }
            if e.differences.is_empty()
                && let Some(d) = &e.detail
            {
                lines.push(Block::line(format!("      {d}")));
            }
            for note in access_notes(e) {
                lines.push(Block::line(format!("      {note}")));
            }
        }
    }
    if !c.membership_differences.is_empty() {
        lines.push(Block::line(""));
        lines.push(Block::line(format!(
            "MEMBERSHIPS ({})",
            c.membership_differences.len()
        )));
        for m in c.membership_differences.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!(
                "  {} {} in {}: {}",
                m.state, m.member, m.group, m.detail
            )));
        }
    }
    if !c.nested_groups.is_empty() {
        lines.push(Block::line(""));
        lines.push(Block::line(format!(
            "NESTED GROUPS ({})",
            c.nested_groups.len()
        )));
        for n in &c.nested_groups {
            lines.push(Block::line(format!("  {}", n.detail)));
        }
    }
    super::text::render(&Doc {
        title: "IdP directory beside the AWS identity store".to_string(),
        blocks: lines,
    })
}

/// Two snapshots compared, as terminal text.
pub fn diff_text(d: &SnapshotDiff) -> String {
    let mut lines = vec![Block::line(format!(
        "store snapshot #{} ({}) -> #{} ({})",
        d.from.id, d.from.taken_at, d.to.id, d.to.taken_at
    ))];
    for (label, ch) in [("users", &d.users), ("groups", &d.groups)] {
        lines.push(Block::line(format!(
            "{label}: {} added, {} removed, {} changed, {} unchanged",
            ch.added.len(),
            ch.removed.len(),
            ch.changed.len(),
            ch.unchanged
        )));
        let name = |s: &SideRef| s.name.clone().or_else(|| s.id.clone()).unwrap_or_default();
        for a in ch.added.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!("  + {}", name(a))));
        }
        for r in ch.removed.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!("  - {}", name(r))));
        }
        for c in ch.changed.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!("  ~ {}", name(&c.object))));
            for diff in &c.differences {
                lines.push(Block::line(format!(
                    "      {:<24} was: {:<30} now: {}",
                    diff.attribute,
                    or_none(&diff.idp),
                    or_none(&diff.store)
                )));
            }
        }
    }
    if !d.identity_changes.is_empty() {
        lines.push(Block::line(format!(
            "identity changes: {}",
            d.identity_changes.len()
        )));
        for c in d.identity_changes.iter().take(TEXT_LIMIT) {
            let what = match c.change {
                IdentityChangeKind::Recreated => format!(
                    "deleted and created again: {} -> {} (same {})",
                    c.old_id,
                    c.new_id,
                    c.matched_on.as_deref().unwrap_or("identifier")
                ),
                IdentityChangeKind::Renamed => format!("renamed ({})", c.old_id),
                IdentityChangeKind::AnchorMoved => {
                    format!("externalId changed: the IdP's anchor moved ({})", c.old_id)
                }
            };
            lines.push(Block::line(format!(
                "  ! {} {}: {what}, between {} and {}",
                c.kind.as_str(),
                c.name,
                c.after,
                c.before
            )));
            for diff in &c.differences {
                lines.push(Block::line(format!(
                    "      {:<24} was: {:<30} now: {}",
                    diff.attribute,
                    or_none(&diff.idp),
                    or_none(&diff.store)
                )));
            }
            if !c.assignments.is_empty() {
                lines.push(Block::line(format!(
                    "      assignments of the old id (nobody gets them now): {}",
                    c.assignments.join(", ")
                )));
            }
            for e in &c.evidence {
                lines.push(Block::line(format!("      log: {e}")));
            }
        }
    }
    if d.memberships_compared {
        lines.push(Block::line(format!(
            "memberships: {} added, {} removed",
            d.memberships_added.len(),
            d.memberships_removed.len()
        )));
        let label = |m: &MembershipRef| {
            format!(
                "{} in {}",
                m.user.as_deref().unwrap_or(&m.user_id),
                m.group.as_deref().unwrap_or(&m.group_id)
            )
        };
        for m in d.memberships_added.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!("  + {}", label(m))));
        }
        for m in d.memberships_removed.iter().take(TEXT_LIMIT) {
            lines.push(Block::line(format!("  - {}", label(m))));
        }
    } else {
        lines.push(Block::line(
            "memberships: not compared (a snapshot has no membership data)",
        ));
    }
    super::text::render(&Doc {
        title: "Store snapshots compared".to_string(),
        blocks: lines,
    })
}

/// The compare section of the Markdown and HTML report: counts per state, then every entity
/// not in sync. Markdown gives an entity one row with its differences joined; HTML one row per
/// difference.
pub(super) fn section(c: &CompareSection) -> Block {
    let mut counts = Table::new(
        None,
        &[
            "",
            "in sync",
            "DRIFT",
            "NOT_PROVISIONED",
            "UNMANAGED_IN_STORE",
        ],
    );
    let mut rows = vec![("users", c.users), ("groups", c.groups)];
    rows.extend(c.memberships.map(|m| ("memberships", m)));
    for (label, s) in rows {
        counts.row(
            [
                label.to_string(),
                s.in_sync.to_string(),
                s.drift.to_string(),
                s.not_provisioned.to_string(),
                s.unmanaged_in_store.to_string(),
            ]
            .into_iter()
            .map(Inline::Plain)
            .collect(),
        );
    }

    let mut joined = Table::new(None, &["state", "kind", "name", "IdP", "AWS", "why"]);
    let mut each = Table::new(
        None,
        &["state", "kind", "name", "attribute", "IdP", "AWS", "why"],
    );
    let side = |s: &Option<SideRef>| {
        s.as_ref()
            .and_then(|s| s.name.clone().or(s.id.clone()))
            .unwrap_or_default()
    };
    for e in c
        .entities
        .iter()
        .filter(|e| e.state != CompareState::InSync)
    {
        let why = if e.differences.is_empty() {
            e.detail.clone().unwrap_or_default()
        } else {
            e.differences
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} / {}",
                        d.attribute,
                        or_none(&d.idp),
                        or_none(&d.store)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let notes = access_notes(e);
        let why = std::iter::once(why)
            .chain(notes.iter().cloned())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let entity = || {
            vec![
                Inline::plain(e.state.as_str()),
                Inline::plain(e.kind.as_str()),
                Inline::text(&e.name),
            ]
        };
        joined.row(
            entity()
                .into_iter()
                .chain([
                    Inline::text(side(&e.idp)),
                    Inline::text(side(&e.store)),
                    Inline::text(why),
                ])
                .collect(),
        );
        if e.differences.is_empty() {
            each.row(
                entity()
                    .into_iter()
                    .chain([
                        Inline::plain(""),
                        Inline::plain(""),
                        Inline::plain(""),
                        Inline::text(e.detail.as_deref().unwrap_or("")),
                    ])
                    .collect(),
            );
        }
        for note in &notes {
            each.row(
                entity()
                    .into_iter()
                    .chain([
                        Inline::plain("access"),
                        Inline::plain(""),
                        Inline::plain(""),
                        Inline::text(note),
                    ])
                    .collect(),
            );
        }
        for d in &e.differences {
            each.row(
                entity()
                    .into_iter()
                    .chain([
                        Inline::text(&d.attribute),
                        Inline::text(or_none(&d.idp)),
                        Inline::text(or_none(&d.store)),
                        Inline::text(d.note.as_deref().unwrap_or("")),
                    ])
                    .collect(),
            );
        }
    }
    Block::Section {
        title: "IdP directory beside the AWS identity store".to_string(),
        blocks: vec![
            Block::Only(
                Target::Markdown,
                vec![Block::Paragraph(vec![
                    Inline::plain(format!(
                        "Directory #{} ({}) beside store snapshot #{} (",
                        c.directory.id, c.directory.idp, c.snapshot.id
                    )),
                    Inline::text(
                        c.snapshot
                            .identity_store_id
                            .as_deref()
                            .unwrap_or("store id unknown"),
                    ),
                    Inline::plain(")."),
                ])],
            ),
            Block::Table(counts),
            Block::Only(Target::Markdown, vec![Block::Table(joined)]),
            Block::Only(Target::Html, vec![Block::Table(each)]),
        ],
    }
}

/// What a compared entity holds in AWS, would hold once provisioned, or would lose: one line each.
fn access_notes(e: &EntityComparison) -> Vec<String> {
    let Some(a) = &e.access else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if let Some(h) = a.holds.filter(|h| h.assignments > 0) {
        notes.push(format!("holds in AWS: {}", h.summary()));
    }
    if let Some(h) = a.should_hold.filter(|h| h.assignments > 0) {
        notes.push(format!("would hold once provisioned: {}", h.summary()));
    }
    if let Some(r) = &a.at_risk {
        notes.push(format!("at risk: {r}"));
    }
    notes
}
