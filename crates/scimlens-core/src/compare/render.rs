//! The comparison as terminal text, and the compare sections of the Markdown and HTML reports,
//! with the pseudonyms a shared report needs.

use super::{
    CompareSection, CompareState, EntityComparison, MembershipRef, SideRef, SnapshotDiff,
    StateCounts,
};

// --- Terminal text -------------------------------------------------------------------------------

const TEXT_LIMIT: usize = 200;

fn counts_line(label: &str, c: &StateCounts) -> String {
    format!(
        "{label:<12} {:>7} in sync  {:>6} DRIFT  {:>6} NOT_PROVISIONED  {:>6} UNMANAGED_IN_STORE",
        c.in_sync, c.drift, c.not_provisioned, c.unmanaged_in_store
    )
}

/// The comparison as terminal text: counts, then every entity not in sync with its reason or
/// its differences (IdP value beside store value).
pub fn render_text(c: &CompareSection) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
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
    );
    let order: Vec<&str> = c.match_order.iter().map(|k| k.as_str()).collect();
    let _ = writeln!(
        out,
        "users matched by {}; groups by externalId, displayName\n",
        order.join(", then ")
    );
    let _ = writeln!(out, "{}", counts_line("users", &c.users));
    let _ = writeln!(out, "{}", counts_line("groups", &c.groups));
    match &c.memberships {
        Some(m) => {
            let _ = writeln!(out, "{}", counts_line("memberships", m));
        }
        None => {
            let _ = writeln!(out, "memberships  not compared");
        }
    }
    for w in &c.warnings {
        let _ = writeln!(out, "  note: {w}");
    }
    let mut shown = 0;
    for state in CompareState::ALL {
        let rows: Vec<&EntityComparison> = c.entities.iter().filter(|e| e.state == state).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{state} ({})", rows.len());
        for e in rows {
            if shown >= TEXT_LIMIT {
                let _ = writeln!(out, "  ... (more in --format json)");
                break;
            }
            shown += 1;
            let by = e
                .matched_by
                .map(|k| format!(" [matched by {}]", k.as_str()))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} {}{by}", e.kind.as_str(), e.name);
            for d in &e.differences {
                let _ = writeln!(
                    out,
                    "      {:<24} IdP: {:<30} AWS: {}{}",
                    d.attribute,
                    d.idp.as_deref().unwrap_or("(none)"),
                    d.store.as_deref().unwrap_or("(none)"),
                    d.note
                        .as_deref()
                        .map(|n| format!("  ({n})"))
                        .unwrap_or_default()
                );
            }
            if e.differences.is_empty()
                && let Some(d) = &e.detail
            {
                let _ = writeln!(out, "      {d}");
            }
        }
    }
    if !c.membership_differences.is_empty() {
        let _ = writeln!(out, "\nMEMBERSHIPS ({})", c.membership_differences.len());
        for m in c.membership_differences.iter().take(TEXT_LIMIT) {
            let _ = writeln!(
                out,
                "  {} {} in {}: {}",
                m.state, m.member, m.group, m.detail
            );
        }
    }
    if !c.nested_groups.is_empty() {
        let _ = writeln!(out, "\nNESTED GROUPS ({})", c.nested_groups.len());
        for n in &c.nested_groups {
            let _ = writeln!(out, "  {}", n.detail);
        }
    }
    out
}

/// Two snapshots compared, as terminal text.
pub fn diff_text(d: &SnapshotDiff) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "store snapshot #{} ({}) -> #{} ({})",
        d.from.id, d.from.taken_at, d.to.id, d.to.taken_at
    );
    for (label, ch) in [("users", &d.users), ("groups", &d.groups)] {
        let _ = writeln!(
            out,
            "{label}: {} added, {} removed, {} changed, {} unchanged",
            ch.added.len(),
            ch.removed.len(),
            ch.changed.len(),
            ch.unchanged
        );
        let name = |s: &SideRef| s.name.clone().or_else(|| s.id.clone()).unwrap_or_default();
        for a in ch.added.iter().take(TEXT_LIMIT) {
            let _ = writeln!(out, "  + {}", name(a));
        }
        for r in ch.removed.iter().take(TEXT_LIMIT) {
            let _ = writeln!(out, "  - {}", name(r));
        }
        for c in ch.changed.iter().take(TEXT_LIMIT) {
            let _ = writeln!(out, "  ~ {}", name(&c.object));
            for diff in &c.differences {
                let _ = writeln!(
                    out,
                    "      {:<24} was: {:<30} now: {}",
                    diff.attribute,
                    diff.idp.as_deref().unwrap_or("(none)"),
                    diff.store.as_deref().unwrap_or("(none)")
                );
            }
        }
    }
    if d.memberships_compared {
        let _ = writeln!(
            out,
            "memberships: {} added, {} removed",
            d.memberships_added.len(),
            d.memberships_removed.len()
        );
        let label = |m: &MembershipRef| {
            format!(
                "{} in {}",
                m.user.as_deref().unwrap_or(&m.user_id),
                m.group.as_deref().unwrap_or(&m.group_id)
            )
        };
        for m in d.memberships_added.iter().take(TEXT_LIMIT) {
            let _ = writeln!(out, "  + {}", label(m));
        }
        for m in d.memberships_removed.iter().take(TEXT_LIMIT) {
            let _ = writeln!(out, "  - {}", label(m));
        }
    } else {
        let _ = writeln!(
            out,
            "memberships: not compared (a snapshot has no membership data)"
        );
    }
    out
}

// --- Markdown / HTML sections and pseudonyms -----------------------------------------------------

/// The compare section for the Markdown report; `cell` escapes a table cell.
pub fn render_markdown(c: &CompareSection, cell: &dyn Fn(&str) -> String) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\n## IdP directory beside the AWS identity store\n\n");
    let _ = writeln!(
        out,
        "Directory #{} ({}) beside store snapshot #{} ({}).\n",
        c.directory.id,
        c.directory.idp,
        c.snapshot.id,
        cell(
            c.snapshot
                .identity_store_id
                .as_deref()
                .unwrap_or("store id unknown")
        )
    );
    let _ = writeln!(
        out,
        "| | in sync | DRIFT | NOT_PROVISIONED | UNMANAGED_IN_STORE |\n|---|---|---|---|---|"
    );
    let mut rows = vec![("users", c.users), ("groups", c.groups)];
    rows.extend(c.memberships.map(|m| ("memberships", m)));
    for (label, s) in rows {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            s.in_sync, s.drift, s.not_provisioned, s.unmanaged_in_store
        );
    }
    let _ = writeln!(
        out,
        "\n| state | kind | name | IdP | AWS | why |\n|---|---|---|---|---|---|"
    );
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
                        d.idp.as_deref().unwrap_or("(none)"),
                        d.store.as_deref().unwrap_or("(none)")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let side = |s: &Option<SideRef>| {
            s.as_ref()
                .and_then(|s| s.name.clone().or(s.id.clone()))
                .unwrap_or_default()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            e.state,
            e.kind.as_str(),
            cell(&e.name),
            cell(&side(&e.idp)),
            cell(&side(&e.store)),
            cell(&why)
        );
    }
    out
}

/// The compare section for the HTML report; `esc` escapes text.
pub fn render_html(c: &CompareSection, esc: &dyn Fn(&str) -> String) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("<h2>IdP directory beside the AWS identity store</h2>\n");
    let _ = writeln!(
        out,
        "<table><thead><tr><th></th><th>in sync</th><th>DRIFT</th><th>NOT_PROVISIONED</th><th>UNMANAGED_IN_STORE</th></tr></thead><tbody>"
    );
    let mut rows = vec![("users", c.users), ("groups", c.groups)];
    rows.extend(c.memberships.map(|m| ("memberships", m)));
    for (label, s) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.in_sync, s.drift, s.not_provisioned, s.unmanaged_in_store
        );
    }
    let _ = writeln!(
        out,
        "</tbody></table><table><thead><tr><th>state</th><th>kind</th><th>name</th><th>attribute</th><th>IdP</th><th>AWS</th><th>why</th></tr></thead><tbody>"
    );
    for e in c
        .entities
        .iter()
        .filter(|e| e.state != CompareState::InSync)
    {
        if e.differences.is_empty() {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td></td><td></td><td></td><td>{}</td></tr>",
                e.state,
                e.kind.as_str(),
                esc(&e.name),
                esc(e.detail.as_deref().unwrap_or(""))
            );
        }
        for d in &e.differences {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.state,
                e.kind.as_str(),
                esc(&e.name),
                esc(&d.attribute),
                esc(d.idp.as_deref().unwrap_or("(none)")),
                esc(d.store.as_deref().unwrap_or("(none)")),
                esc(d.note.as_deref().unwrap_or(""))
            );
        }
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Replaces names, emails, ids and attribute values with pseudonyms (`p`), for a report that
/// leaves the building.
pub fn pseudonymize(c: &mut CompareSection, p: &dyn Fn(&str) -> String) {
    let po = |s: &mut Option<String>| *s = s.as_deref().map(p);
    let side = |s: &mut Option<SideRef>| {
        if let Some(s) = s {
            for f in [
                &mut s.id,
                &mut s.name,
                &mut s.display_name,
                &mut s.external_id,
                &mut s.email,
            ] {
                *f = f.as_deref().map(p);
            }
        }
    };
    for e in &mut c.entities {
        e.name = p(&e.name);
        side(&mut e.idp);
        side(&mut e.store);
        for d in &mut e.differences {
            po(&mut d.idp);
            po(&mut d.store);
        }
        // Details quote names; the state, reason and evidence category stay.
        e.detail = None;
        if let Some(ev) = &mut e.evidence {
            ev.entity_key = p(&ev.entity_key);
            ev.message = None;
        }
    }
    for m in &mut c.membership_differences {
        m.group = p(&m.group);
        m.member = p(&m.member);
        for f in [
            &mut m.group_idp_id,
            &mut m.group_store_id,
            &mut m.member_idp_id,
            &mut m.member_store_id,
        ] {
            po(f);
        }
    }
    for n in &mut c.nested_groups {
        n.parent = p(&n.parent);
        n.child = p(&n.child);
        n.detail = format!("{} is a member of {}", n.child, n.parent);
    }
}
