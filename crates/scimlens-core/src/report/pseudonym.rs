//! Pseudonymized reports, for support cases that leave the building: every value that names a
//! person, a group or a tenant is replaced by a keyed hash (HMAC-SHA-256), the same value by
//! the same pseudonym under one key, so rows still join across sections and exports.
//!
//! Fields that hold an identifier (names, emails, ids of every kind) are replaced whole. Free
//! text (messages, fixes, summaries, warnings) can quote them, so each identifier the report
//! holds is looked for in it and replaced where it stands as a whole word, and so is anything
//! left that looks like an email address. Source paths are cut to their file name, since the
//! folders carry user names (`/home/jdoe/Downloads/...`). The key comes from the operating
//! system's random generator ([`new_key`]).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AccessSection, Report};
use crate::compare::{CompareSection, SideRef};
use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::preflight::PreflightSection;

/// A new key: 32 bytes from the operating system's random generator, as hex.
pub fn new_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Internal(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The pseudonym of one value under `key`: `user-<hash>@example.invalid` for an email,
/// `name-<hash>` otherwise. Case does not matter (`Alice` and `alice` are one person).
fn pseudonym(key: &[u8], value: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(value.to_lowercase().as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    if value.contains('@') {
        format!("user-{hex}@example.invalid")
    } else {
        format!("name-{hex}")
    }
}

/// Replaces identifiers inside free text: the report's own (names, ids) wherever one stands as
/// a whole word, source paths by their file name, then any remaining email address.
struct Scrubber<'k> {
    key: &'k [u8],
    /// What each pattern of `finder` is replaced with.
    replacements: Vec<String>,
    finder: Option<AhoCorasick>,
}

/// Fixed names that appear in explanations and are nobody's (AWS's reserved names).
fn is_generic(value: &str) -> bool {
    crate::diagnose::classify::BUILT_IN_RESERVED_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(value))
}

/// The last component of a path, whichever separator it was written with (a report made on
/// Windows may be pseudonymized elsewhere).
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

impl<'k> Scrubber<'k> {
    fn new(
        key: &'k [u8],
        identifiers: impl IntoIterator<Item = String>,
        paths: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut words: Vec<String> = identifiers
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| s.chars().count() >= 2 && !is_generic(s))
            .collect();
        words.sort();
        words.dedup();
        let mut patterns: Vec<(String, String)> = words
            .into_iter()
            .map(|w| {
                let p = pseudonym(key, &w);
                (w, p)
            })
            .collect();
        patterns.extend(paths.into_iter().filter_map(|path| {
            let name = file_name(&path).to_string();
            (name != path).then_some((path, name))
        }));
        let finder = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(p, _)| p))
            .ok();
        Scrubber {
            key,
            replacements: patterns.into_iter().map(|(_, r)| r).collect(),
            finder,
        }
    }

    fn text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        if let Some(finder) = &self.finder {
            for m in finder.find_iter(text) {
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                if before.is_some_and(is_word) || after.is_some_and(is_word) {
                    continue;
                }
                out.push_str(&text[last..m.start()]);
                out.push_str(&self.replacements[m.pattern().as_usize()]);
                last = m.end();
            }
        }
        out.push_str(&text[last..]);
        self.emails(&out)
    }

    /// Any `local@domain.tld` left (a name the report's fields did not carry).
    fn emails(&self, text: &str) -> String {
        if !text.contains('@') {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('@') {
            let start = rest[..at]
                .char_indices()
                .rev()
                .take_while(|&(_, c)| is_email_char(c))
                .last()
                .map_or(at, |(i, _)| i);
            let end = at
                + 1
                + rest[at + 1..]
                    .char_indices()
                    .find(|&(_, c)| !is_email_char(c))
                    .map_or(rest.len() - at - 1, |(i, _)| i);
            let domain = rest[at + 1..end].trim_end_matches('.');
            let end = at + 1 + domain.len();
            let is_email = start < at && domain.contains('.') && !domain.starts_with('.');
            let already = domain == "example.invalid";
            out.push_str(&rest[..start]);
            if is_email && !already {
                out.push_str(&pseudonym(self.key, &rest[start..end]));
            } else {
                out.push_str(&rest[start..end]);
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// A source path: its file name, with any identifier in it replaced.
    fn path(&self, path: &str) -> String {
        self.text(file_name(path))
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '@' || c == '-'
}

fn is_email_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// The report with every identifying value replaced (see the module docs).
pub fn pseudonymize(report: &Report, key: &[u8]) -> Report {
    let p = |s: &str| pseudonym(key, s);
    let po = |s: &Option<String>| s.as_deref().map(p);
    let mut r = report.clone();

    let mut identifiers: Vec<String> = Vec::new();
    for e in &r.entities {
        if e.kind != EntityKind::Unknown {
            identifiers.push(e.name.clone());
        }
        identifiers.extend(
            [&e.ids.source_id, &e.ids.target_id, &e.ids.external_id]
                .into_iter()
                .flatten()
                .cloned(),
        );
    }
    let named: HashMap<&str, EntityKind> = report
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    for c in &r.root_causes {
        identifiers.extend(
            c.entities
                .iter()
                .filter(|n| named.get(n.as_str()) != Some(&EntityKind::Unknown))
                .cloned(),
        );
    }
    if let Some(c) = &r.compare {
        for e in &c.entities {
            identifiers.push(e.name.clone());
            for side in [&e.idp, &e.store].into_iter().flatten() {
                identifiers.extend(
                    [
                        &side.id,
                        &side.name,
                        &side.display_name,
                        &side.external_id,
                        &side.email,
                    ]
                    .into_iter()
                    .flatten()
                    .cloned(),
                );
            }
        }
        for m in &c.membership_differences {
            identifiers.extend([m.group.clone(), m.member.clone()]);
        }
        identifiers.extend(c.snapshot.identity_store_id.clone());
    }
    if let Some(a) = &r.access {
        identifiers.extend(access_identifiers(a));
    }
    let mut paths: Vec<String> = r.sources.iter().map(|s| s.path.clone()).collect();
    if let Some(c) = &r.compare {
        paths.push(c.directory.label.clone());
    }
    let scrub = Scrubber::new(key, identifiers, paths);
    let text = |s: &mut String| *s = scrub.text(s);
    let text_opt = |s: &mut Option<String>| {
        if let Some(s) = s {
            *s = scrub.text(s);
        }
    };

    for s in &mut r.sources {
        s.path = scrub.path(&s.path);
        s.warnings.iter_mut().for_each(text);
    }
    for e in &mut r.entities {
        if e.kind != EntityKind::Unknown {
            e.name = p(&e.name);
        }
        e.ids.source_id = po(&e.ids.source_id);
        e.ids.target_id = po(&e.ids.target_id);
        e.ids.external_id = po(&e.ids.external_id);
        text_opt(&mut e.message);
        text_opt(&mut e.fix);
    }
    for c in &mut r.root_causes {
        for n in &mut c.entities {
            if named.get(n.as_str()) != Some(&EntityKind::Unknown) {
                *n = p(n);
            }
        }
        text(&mut c.summary);
        text(&mut c.fix);
        c.candidates.iter_mut().for_each(text);
    }
    for c in &mut r.connection {
        text(&mut c.message);
        text(&mut c.fix);
    }
    for f in &mut r.findings {
        text(&mut f.message);
    }
    if let Some(c) = &mut r.compare {
        compare_section(c, &p);
        c.warnings.iter_mut().for_each(text);
        c.directory.label = scrub.path(&c.directory.label);
        c.directory.warnings.iter_mut().for_each(text);
        c.snapshot.identity_store_id = po(&c.snapshot.identity_store_id);
        text(&mut c.snapshot.label);
        for e in &mut c.entities {
            text_opt(&mut e.fix);
        }
        for n in &mut c.nested_groups {
            text(&mut n.detail);
        }
    }
    if let Some(s) = &mut r.preflight {
        preflight_section(s, &p);
    }
    if let Some(a) = &mut r.access {
        access_section(a, &p, &|s: &mut String| *s = scrub.text(s));
    }
    r
}

/// Every value of the access section that names a person, a group, an account or the instance.
fn access_identifiers(a: &AccessSection) -> Vec<String> {
    let mut found = Vec::new();
    for o in &a.orphaned {
        found.extend([
            o.account_id.clone(),
            o.permission_set_arn.clone(),
            o.principal_id.clone(),
        ]);
        found.extend(o.account_name.clone());
        found.extend(o.former_name.clone());
        if let Some(s) = &o.successor {
            found.push(s.id.clone());
            found.extend(s.name.clone());
        }
    }
    for g in a.empty_groups.iter().chain(&a.unmanaged_groups) {
        found.push(g.group_id.clone());
        found.extend(g.display_name.clone());
    }
    found
}

/// Replaces the access section's names, ids and accounts with pseudonyms (`p`), and scrubs its
/// fixes (`text`), which quote them. Permission set names stay: they say what the access is.
fn access_section(a: &mut AccessSection, p: &dyn Fn(&str) -> String, text: &dyn Fn(&mut String)) {
    let po = |s: &mut Option<String>| *s = s.as_deref().map(p);
    for o in &mut a.orphaned {
        o.account_id = p(&o.account_id);
        o.permission_set_arn = p(&o.permission_set_arn);
        o.principal_id = p(&o.principal_id);
        po(&mut o.account_name);
        po(&mut o.former_name);
        if let Some(s) = &mut o.successor {
            s.id = p(&s.id);
            po(&mut s.name);
        }
        text(&mut o.fix);
    }
    for g in a.empty_groups.iter_mut().chain(&mut a.unmanaged_groups) {
        g.group_id = p(&g.group_id);
        po(&mut g.display_name);
        text(&mut g.fix);
    }
}

/// Replaces names, emails, ids and attribute values with pseudonyms (`p`), for a report that
/// leaves the building.
fn compare_section(c: &mut CompareSection, p: &dyn Fn(&str) -> String) {
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
        if let Some(a) = &mut e.access {
            // The blast radius names accounts; the counts stay.
            a.at_risk = a.at_risk.as_ref().map(|_| {
                "assignments at risk (the accounts are left out of a pseudonymized report)"
                    .to_string()
            });
        }
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

/// Replaces names and values with pseudonyms (`p`), for a report that leaves the building.
fn preflight_section(s: &mut PreflightSection, p: &dyn Fn(&str) -> String) {
    for f in &mut s.findings {
        f.name = p(&f.name);
        f.idp_id = f.idp_id.as_deref().map(p);
        f.value = f.value.as_deref().map(p);
    }
    for a in &mut s.at_risk {
        a.name = p(&a.name);
        a.store_id = a.store_id.as_deref().map(p);
        // The blast radius names accounts; the counts stay in `holds`.
        a.detail =
            "assignments at risk (the accounts are left out of a pseudonymized report)".to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_random_generator_and_differ() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn free_text_loses_known_names_as_whole_words_and_every_email() {
        let scrub = Scrubber::new(
            b"k",
            [
                "Marketing Team".to_string(),
                "Al".to_string(),
                "Administrator".to_string(),
            ],
            ["/home/jdoe/Downloads/export.json".to_string()],
        );
        let out = scrub.text(
            "Group 'marketing team' conflicts; Already seen Al; bob@corp.example.com wrote; \
             Administrator is reserved",
        );
        assert!(!out.to_lowercase().contains("marketing team"), "{out}");
        assert!(out.contains("Already seen name-"), "{out}");
        assert!(!out.contains("bob@corp"), "{out}");
        assert!(out.contains("@example.invalid wrote"), "{out}");
        assert!(out.contains("Administrator is reserved"), "{out}");
        assert_eq!(scrub.text("no @ here, a@b"), "no @ here, a@b");
        assert_eq!(
            scrub.text("/home/jdoe/Downloads/export.json: page 1 of more"),
            "export.json: page 1 of more"
        );
        assert_eq!(
            scrub.path("/home/jdoe/Downloads/export.json"),
            "export.json"
        );
        assert_eq!(scrub.path("C:\\Users\\jdoe\\logs.csv"), "logs.csv");
    }
}
