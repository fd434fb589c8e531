//! Preflight: AWS's rules (DOMAIN §2) run against an IdP export before any sync, so failures are
//! caught before the IdP meets them. The rules are the diagnosis's own ([`Rules`] for reserved
//! names, [`check_name`] for lengths and characters); the result ([`PreflightResult`]) becomes a
//! report with the same categories and root-cause grouping as the log diagnosis, marked as
//! predicted.
//!
//! Checked per user: required attributes present and non-empty, one value per multi-valued
//! attribute (and per single-valued one), a primary email, reserved names, lengths and
//! characters (`#EXT#` included, and AWS's full userName pattern), Unicode control characters and
//! empty strings in any value, externalId length; per group: displayName, reserved names,
//! lengths, more than 100 members. Across the export: userName, primary email and externalId
//! (groups: displayName, externalId) unique; against a store snapshot: the same values taken by
//! an AWS object the IdP does not own.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::snapshots::SnapshotInfo;
use crate::diagnose::Rules;
use crate::diagnose::classify::{
    EMPTY_VALUE, has_control_character, name_violation, reclassify_reserved,
};
use crate::directory::mapping::{Attr, AttributeMapping, Mapped, Mapper};
use crate::directory::{Directory, DirectoryFormat, DirectoryIdp, MemberKind};
use crate::identity_store::StoreSnapshot;
use crate::model::{Category, EntityKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// AWS rejects it.
    Error,
    /// The IdP guides warn about it, or a well-behaved client avoids it.
    Warning,
}

/// One predicted failure (or warning) of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreflightFinding {
    pub severity: Severity,
    pub kind: EntityKind,
    pub name: String,
    pub idp_id: Option<String>,
    pub category: Category,
    pub attribute: Option<String>,
    /// Normalized (no names), so like findings group into one root cause.
    pub message: String,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// The IdP attribute(s) the value came from, through the mapping.
    pub source: Option<String>,
}

/// The `preflight` section of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreflightSection {
    /// Always true: nothing here has happened yet.
    pub predicted: bool,
    pub inputs: Vec<String>,
    pub idp: Option<DirectoryIdp>,
    pub formats: Vec<DirectoryFormat>,
    /// The store snapshot the export was checked against, if any.
    pub against_store: Option<SnapshotInfo>,
    pub users_checked: u64,
    pub groups_checked: u64,
    pub errors: u64,
    pub warnings: u64,
    pub mapping_warnings: Vec<String>,
    pub export_warnings: Vec<String>,
    /// Every finding, errors first.
    pub findings: Vec<PreflightFinding>,
    /// The blast radius, against a store snapshot holding account assignments: the store objects
    /// the IdP would delete and create again, with the assignments that would be orphaned.
    #[serde(default)]
    pub at_risk: Vec<crate::compare::AtRisk>,
}

pub use crate::diagnose::classify::MAX_MEMBERS_PER_REQUEST;
const MAX_STRING: usize = 1024;
const MAX_EXTERNAL_ID: usize = 256;

struct Checker<'r> {
    rules: &'r Rules,
    findings: Vec<PreflightFinding>,
}

struct Subject<'a> {
    kind: EntityKind,
    name: String,
    idp_id: Option<&'a str>,
}

impl Checker<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        s: &Subject<'_>,
        severity: Severity,
        category: Category,
        attribute: Option<&str>,
        message: String,
        value: Option<&str>,
        source: Option<String>,
    ) {
        self.findings.push(PreflightFinding {
            severity,
            kind: s.kind,
            name: s.name.clone(),
            idp_id: s.idp_id.map(str::to_string),
            category,
            attribute: attribute.map(str::to_string),
            message,
            value: value.map(str::to_string),
            source,
        });
    }

    /// check_name's verdict, as error or warning: the characters `<>;:%` come from the IdP
    /// guides (AWS's own pattern allows punctuation), so they only warn.
    /// A user's userName or a group's displayName: a name AWS reserves, then the length and
    /// character rules. `source` names the IdP attributes it came from.
    fn identity_name(
        &mut self,
        s: &Subject<'_>,
        attribute: &str,
        name: &str,
        source: Option<String>,
    ) {
        if let Some(r) = reclassify_reserved(Some(Category::Other), s.kind, name, self.rules) {
            self.push(
                s,
                Severity::Error,
                r.category,
                r.attribute.as_deref(),
                r.message,
                Some(name),
                None,
            );
        }
        let is_user = s.kind == EntityKind::User;
        self.name_rules(
            s,
            attribute,
            name,
            is_user,
            source.as_deref().unwrap_or(attribute),
        );
    }

    fn name_rules(
        &mut self,
        s: &Subject<'_>,
        attribute: &str,
        value: &str,
        is_user: bool,
        source: &str,
    ) {
        if let Some(v) = name_violation(attribute, value, is_user) {
            let severity = if v.aws_rule {
                Severity::Error
            } else {
                Severity::Warning
            };
            let c = v.classification;
            self.push(
                s,
                severity,
                c.category,
                c.attribute.as_deref(),
                c.message,
                Some(value),
                Some(source.to_string()),
            );
        }
    }

    /// Rules for every value whatever its attribute: a Unicode control character (AWS rejects
    /// it with a bare 400), and an empty string (AWS rejects `""` for any attribute it receives;
    /// a warning, as a connector may leave an empty attribute out rather than send it).
    fn any_value(&mut self, s: &Subject<'_>, attribute: &str, value: &str, source: &str) {
        if has_control_character(value) {
            self.push(
                s,
                Severity::Error,
                Category::InvalidValue,
                Some(attribute),
                format!("{attribute} contains a Unicode control character; AWS rejects it"),
                Some(&value.escape_default().to_string()),
                Some(source.to_string()),
            );
        } else if value.is_empty() {
            self.push(
                s,
                Severity::Warning,
                Category::InvalidValue,
                Some(attribute),
                format!(
                    "{EMPTY_VALUE}{attribute} if the IdP sends it as it is in the export; AWS \
                     rejects an empty string for any attribute it receives (an optional \
                     attribute must be left out instead)"
                ),
                Some("\"\""),
                Some(source.to_string()),
            );
        }
    }
}

const REQUIRED: [Attr; 4] = [
    Attr::UserName,
    Attr::GivenName,
    Attr::FamilyName,
    Attr::DisplayName,
];

fn sources<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut v: Vec<&str> = values.collect();
    v.sort_unstable();
    v.dedup();
    (!v.is_empty()).then(|| v.join(", "))
}

fn check_user(c: &mut Checker<'_>, m: &Mapper, u: &Mapped<'_>, s: &Subject<'_>) {
    for attr in REQUIRED {
        if u.first(m, attr).is_none() {
            let present = u.has(m, attr);
            c.push(
                s,
                Severity::Error,
                Category::MissingRequiredAttribute,
                Some(attr.name()),
                format!(
                    "{} is required by AWS and was empty or missing",
                    attr.name()
                ),
                present.then_some("\"\""),
                sources(
                    u.values
                        .iter()
                        .filter(|v| m.target(v.target).attr == attr)
                        .map(|v| v.source),
                ),
            );
        }
    }
    // One value per multi-valued attribute: emails and phones count values, addresses count
    // distinct address types (a type's parts together are one address).
    for attr in [
        Attr::Emails,
        Attr::PhoneNumbers,
        Attr::Addresses,
        Attr::Roles,
    ] {
        let values: Vec<_> = u
            .of(m, attr)
            .filter(|v| m.target(v.target).component != "primary")
            .collect();
        let count = if attr == Attr::Addresses {
            let mut per: BTreeMap<(Option<&str>, &str), usize> = BTreeMap::new();
            for v in &values {
                let t = m.target(v.target);
                *per.entry((t.type_filter.as_deref(), t.component.as_str()))
                    .or_default() += 1;
            }
            let types = per
                .keys()
                .map(|(t, _)| *t)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            types.max(per.values().copied().max().unwrap_or(0))
        } else {
            values
                .iter()
                .filter(|v| m.target(v.target).component == "value")
                .count()
        };
        if count > 1 {
            c.push(
                s,
                Severity::Error,
                Category::MultivalueNotSupported,
                Some(attr.name()),
                format!(
                    "more than one value for {}; AWS accepts exactly one",
                    attr.name()
                ),
                Some(
                    &values
                        .iter()
                        .map(|v| v.value)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                sources(values.iter().map(|v| v.source)),
            );
        }
    }
    // Single-valued strings fed twice (two rows onto one attribute, or an array source).
    let mut per_target: HashMap<u32, Vec<&str>> = HashMap::new();
    for v in &u.values {
        let attr = m.target(v.target).attr;
        if !attr.multi_valued() && attr != Attr::Active && !v.value.trim().is_empty() {
            per_target.entry(v.target).or_default().push(v.value);
        }
    }
    let mut multi: Vec<(u32, Vec<&str>)> = per_target
        .into_iter()
        .filter_map(|(t, mut vals)| {
            vals.sort_unstable();
            vals.dedup();
            (vals.len() > 1).then_some((t, vals))
        })
        .collect();
    multi.sort_unstable();
    for (t, vals) in multi {
        let path = &m.target(t).path;
        c.push(
            s,
            Severity::Error,
            Category::MultivalueNotSupported,
            Some(path),
            format!("more than one value for {path}; AWS accepts exactly one"),
            Some(&vals.join(", ")),
            sources(u.values.iter().filter(|v| v.target == t).map(|v| v.source)),
        );
    }
    // The email must be marked primary (only exports that state the flag can break this).
    let emails: Vec<_> = u
        .of(m, Attr::Emails)
        .filter(|v| m.target(v.target).component == "value")
        .collect();
    if !emails.is_empty() && emails.iter().all(|v| v.primary == Some(false)) {
        c.push(
            s,
            Severity::Error,
            Category::InvalidValue,
            Some("emails"),
            "the email is not marked primary; AWS requires the primary flag".to_string(),
            emails.first().map(|v| v.value),
            sources(emails.iter().map(|v| v.source)),
        );
    }
    if let Some(name) = u.first(m, Attr::UserName) {
        let source = sources(
            u.values
                .iter()
                .filter(|v| m.target(v.target).attr == Attr::UserName)
                .map(|v| v.source),
        );
        c.identity_name(s, "userName", name, source);
    }
    for v in &u.values {
        let t = m.target(v.target);
        match t.attr {
            Attr::UserName | Attr::Active | Attr::Unknown => {}
            Attr::ExternalId if v.value.chars().count() > MAX_EXTERNAL_ID => c.push(
                s,
                Severity::Error,
                Category::InvalidValue,
                Some("externalId"),
                format!("externalId is longer than AWS's {MAX_EXTERNAL_ID}-character limit"),
                Some(v.value),
                Some(v.source.to_string()),
            ),
            Attr::DisplayName | Attr::GivenName | Attr::FamilyName => {
                c.name_rules(s, t.attr.name(), v.value, false, v.source);
            }
            _ if v.value.chars().count() > MAX_STRING => c.push(
                s,
                Severity::Error,
                Category::InvalidValue,
                Some(&t.compare_key),
                format!(
                    "{} is longer than AWS's {MAX_STRING}-character limit",
                    t.compare_key
                ),
                Some(v.value),
                Some(v.source.to_string()),
            ),
            _ => {}
        }
        // Names and name parts went through the name rules (control characters included);
        // required ones sent empty are missing, above.
        let named = matches!(
            t.attr,
            Attr::UserName | Attr::DisplayName | Attr::GivenName | Attr::FamilyName
        );
        if !named && !matches!(t.attr, Attr::Active | Attr::Unknown) {
            c.any_value(s, &t.compare_key, v.value, v.source);
        }
    }
}

fn check_group(c: &mut Checker<'_>, m: &Mapper, g: &Mapped<'_>, s: &Subject<'_>, members: usize) {
    match g.first(m, Attr::DisplayName) {
        None => c.push(
            s,
            Severity::Error,
            Category::MissingRequiredAttribute,
            Some("displayName"),
            "displayName is required by AWS and was empty or missing".to_string(),
            None,
            None,
        ),
        Some(name) => {
            let source = sources(
                g.values
                    .iter()
                    .filter(|v| m.target(v.target).attr == Attr::DisplayName)
                    .map(|v| v.source),
            );
            c.identity_name(s, "displayName", name, source);
        }
    }
    if let Some(ext) = g
        .first(m, Attr::ExternalId)
        .filter(|e| e.chars().count() > MAX_EXTERNAL_ID)
    {
        c.push(
            s,
            Severity::Error,
            Category::InvalidValue,
            Some("externalId"),
            format!("externalId is longer than AWS's {MAX_EXTERNAL_ID}-character limit"),
            Some(ext),
            None,
        );
    }
    if members > MAX_MEMBERS_PER_REQUEST {
        c.push(
            s,
            Severity::Warning,
            Category::PatchInvalid,
            Some("members"),
            format!(
                "the group has more than {MAX_MEMBERS_PER_REQUEST} direct members: AWS accepts at most \
                 {MAX_MEMBERS_PER_REQUEST} members per CreateGroup and {MAX_MEMBERS_PER_REQUEST} membership changes \
                 per PATCH; a client that sends more in one request fails"
            ),
            Some(&format!("{members} members")),
            None,
        );
    }
}

/// Values that must be unique: index -> the entities (by position) holding each.
fn duplicates<'a>(
    values: impl Iterator<Item = (usize, Option<&'a str>)>,
    fold_case: bool,
) -> Vec<(String, Vec<usize>)> {
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, v) in values {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            let key = if fold_case {
                v.to_lowercase()
            } else {
                v.to_string()
            };
            seen.entry(key).or_default().push(i);
        }
    }
    let mut out: Vec<(String, Vec<usize>)> =
        seen.into_iter().filter(|(_, ids)| ids.len() > 1).collect();
    out.sort();
    out
}

/// Everything preflight found, before it becomes a report.
#[derive(Debug, Clone, PartialEq)]
pub struct PreflightResult {
    pub findings: Vec<PreflightFinding>,
    pub users_checked: u64,
    pub groups_checked: u64,
    pub mapping_warnings: Vec<String>,
}

/// Runs AWS's rules over `directory` through `mapping`; with `store`, also the uniqueness rules
/// against what the store already holds.
pub fn preflight(
    directory: &Directory,
    mapping: &AttributeMapping,
    rules: &Rules,
    store: Option<&StoreSnapshot>,
) -> PreflightResult {
    let mut um = Mapper::new(mapping, EntityKind::User);
    let mut gm = Mapper::new(mapping, EntityKind::Group);
    let users: Vec<Mapped<'_>> = directory.users.iter().map(|u| um.map(u)).collect();
    let groups: Vec<Mapped<'_>> = directory.groups.iter().map(|g| gm.map(g)).collect();
    let (um, gm) = (&um, &gm);
    let mut c = Checker {
        rules,
        findings: Vec::new(),
    };

    let user_subject = |i: usize| {
        let u = &users[i];
        Subject {
            kind: EntityKind::User,
            name: u
                .first(um, Attr::UserName)
                .or_else(|| u.first(um, Attr::DisplayName))
                .or(u.idp_id)
                .map(str::to_string)
                .unwrap_or_else(|| format!("user #{}", i + 1)),
            idp_id: u.idp_id,
        }
    };
    let group_subject = |i: usize| {
        let g = &groups[i];
        Subject {
            kind: EntityKind::Group,
            name: g
                .first(gm, Attr::DisplayName)
                .or(g.idp_id)
                .map(str::to_string)
                .unwrap_or_else(|| format!("group #{}", i + 1)),
            idp_id: g.idp_id,
        }
    };

    for (i, u) in users.iter().enumerate() {
        check_user(&mut c, um, u, &user_subject(i));
    }
    let mut member_count: HashMap<&str, usize> = HashMap::new();
    for m in &directory.members {
        if m.kind != MemberKind::Group {
            *member_count.entry(m.group_id.as_str()).or_default() += 1;
        }
    }
    for (i, g) in groups.iter().enumerate() {
        let members = g
            .idp_id
            .and_then(|id| member_count.get(id))
            .copied()
            .unwrap_or(0);
        check_group(&mut c, gm, g, &group_subject(i), members);
    }

    // Uniqueness inside the export.
    fn unique<'s>(
        c: &mut Checker<'_>,
        dups: Vec<(String, Vec<usize>)>,
        subject: &dyn Fn(usize) -> Subject<'s>,
        attribute: &str,
        what: &str,
    ) {
        for (value, holders) in dups {
            for &i in &holders {
                let s = subject(i);
                c.push(
                    &s,
                    Severity::Error,
                    Category::DuplicateConflict,
                    Some(attribute),
                    format!("{attribute} is used by more than one {what} in the IdP export; AWS requires it unique"),
                    Some(&value),
                    Some(format!("{} {what}s share it", holders.len())),
                );
            }
        }
    }
    unique(
        &mut c,
        duplicates(
            users
                .iter()
                .enumerate()
                .map(|(i, u)| (i, u.first(um, Attr::UserName))),
            true,
        ),
        &user_subject,
        "userName",
        "user",
    );
    unique(
        &mut c,
        duplicates(
            users
                .iter()
                .enumerate()
                .map(|(i, u)| (i, u.primary_email(um))),
            true,
        ),
        &user_subject,
        "emails",
        "user",
    );
    unique(
        &mut c,
        duplicates(
            users
                .iter()
                .enumerate()
                .map(|(i, u)| (i, u.first(um, Attr::ExternalId))),
            false,
        ),
        &user_subject,
        "externalId",
        "user",
    );
    unique(
        &mut c,
        duplicates(
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| (i, g.first(gm, Attr::DisplayName))),
            true,
        ),
        &group_subject,
        "displayName",
        "group",
    );
    unique(
        &mut c,
        duplicates(
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| (i, g.first(gm, Attr::ExternalId))),
            false,
        ),
        &group_subject,
        "externalId",
        "group",
    );

    // Against the store: a value AWS already holds for an object this IdP object is not.
    if let Some(store) = store {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_email: HashMap<String, usize> = HashMap::new();
        for (i, su) in store.users.iter().enumerate() {
            if let Some(n) = &su.user_name {
                by_name.entry(n.trim().to_lowercase()).or_insert(i);
            }
            if let Some(e) = su.primary_email() {
                by_email.entry(e.trim().to_lowercase()).or_insert(i);
            }
        }
        for (i, u) in users.iter().enumerate() {
            let ext = u.first(um, Attr::ExternalId);
            let name = u.first(um, Attr::UserName);
            // Same object when the store carries the IdP's externalId, or, with no externalId
            // mapped, when the userName agrees (SCIM then updates rather than creates).
            let owns = |su: &crate::identity_store::StoreUser| match ext {
                Some(e) => su.external_ids.iter().any(|x| x.id.eq_ignore_ascii_case(e)),
                None => name
                    .zip(su.user_name.as_deref())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b)),
            };
            if let Some(su) = name
                .and_then(|n| by_name.get(&n.trim().to_lowercase()))
                .map(|&s| &store.users[s])
                && !owns(su)
            {
                let why = if su.external_ids.is_empty() {
                    "created outside SCIM"
                } else {
                    "linked to another IdP object"
                };
                c.push(
                    &user_subject(i),
                    Severity::Error,
                    Category::DuplicateConflict,
                    Some("userName"),
                    format!("AWS already has a user with this userName ({why}): the create will fail with 409"),
                    name,
                    Some(format!("AWS user {}", su.user_id)),
                );
            }
            if let Some(email) = u.primary_email(um)
                && let Some(su) = by_email
                    .get(&email.trim().to_lowercase())
                    .map(|&s| &store.users[s])
            {
                let same_name = name
                    .zip(su.user_name.as_deref())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
                if !owns(su) && !same_name {
                    c.push(
                        &user_subject(i),
                        Severity::Error,
                        Category::DuplicateConflict,
                        Some("emails"),
                        "another AWS user already has this primary email: the create will fail with 409".to_string(),
                        Some(email),
                        Some(format!("AWS user {}", su.user_name.as_deref().unwrap_or(&su.user_id))),
                    );
                }
            }
        }
        let mut g_by_name: HashMap<String, usize> = HashMap::new();
        for (i, sg) in store.groups.iter().enumerate() {
            if let Some(n) = &sg.display_name {
                g_by_name.entry(n.trim().to_lowercase()).or_insert(i);
            }
        }
        for (i, g) in groups.iter().enumerate() {
            let (Some(name), Some(ext)) = (
                g.first(gm, Attr::DisplayName),
                g.first(gm, Attr::ExternalId),
            ) else {
                continue;
            };
            if let Some(sg) = g_by_name
                .get(&name.trim().to_lowercase())
                .map(|&s| &store.groups[s])
                && !sg
                    .external_ids
                    .iter()
                    .any(|x| x.id.eq_ignore_ascii_case(ext))
            {
                let control_tower = crate::compare::CONTROL_TOWER_GROUPS
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(name));
                let why = if control_tower {
                    "created by AWS Control Tower"
                } else if sg.external_ids.is_empty() {
                    "created outside SCIM"
                } else {
                    "linked to another IdP group"
                };
                c.push(
                    &group_subject(i),
                    Severity::Error,
                    Category::DuplicateConflict,
                    Some("displayName"),
                    format!("AWS already has a group with this displayName ({why}): the create will fail as a duplicate"),
                    Some(name),
                    Some(format!("AWS group {}", sg.group_id)),
                );
            }
        }
    }

    let mut findings = c.findings;
    findings.sort_by(|a, b| {
        (
            a.severity,
            a.category,
            &a.attribute,
            a.kind,
            a.name.to_lowercase(),
        )
            .cmp(&(
                b.severity,
                b.category,
                &b.attribute,
                b.kind,
                b.name.to_lowercase(),
            ))
    });
    PreflightResult {
        findings,
        users_checked: users.len() as u64,
        groups_checked: groups.len() as u64,
        mapping_warnings: mapping.warnings(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{DirectoryEntry, DirectoryMember};
    use crate::identity_store::{ExternalId, StoreGroup, StoreUser};

    fn user(pairs: &[(&str, &str)]) -> DirectoryEntry {
        let mut e = DirectoryEntry::default();
        for (k, v) in pairs {
            e.push(*k, *v);
        }
        e.idp_id = e.first("objectId").map(str::to_string);
        e
    }

    fn entra(users: Vec<DirectoryEntry>) -> Directory {
        Directory {
            idp: Some(DirectoryIdp::Entra),
            users,
            ..Default::default()
        }
    }

    fn ok(upn: &str, id: &str) -> Vec<(&'static str, String)> {
        vec![
            ("userPrincipalName", upn.to_string()),
            ("givenName", "Ann".into()),
            ("surname", "Lee".into()),
            ("displayName", "Ann Lee".into()),
            ("objectId", id.to_string()),
            ("mailNickname", format!("nick-{id}")),
            ("mail", upn.to_string()),
        ]
    }

    fn entry(pairs: Vec<(&'static str, String)>) -> DirectoryEntry {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        user(&borrowed)
    }

    fn run(dir: &Directory, store: Option<&StoreSnapshot>) -> PreflightResult {
        let mapping = AttributeMapping::default_for(dir.idp.unwrap());
        preflight(
            dir,
            &mapping,
            &Rules::new(&["AWSControlTowerAdmins".to_string()]),
            store,
        )
    }

    fn has(r: &PreflightResult, name: &str, category: Category, attribute: &str) -> bool {
        r.findings.iter().any(|f| {
            f.name == name && f.category == category && f.attribute.as_deref() == Some(attribute)
        })
    }

    #[test]
    fn a_clean_user_passes() {
        let r = run(&entra(vec![entry(ok("ann@x.com", "1"))]), None);
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
    }

    #[test]
    fn every_user_rule_fires_with_its_category() {
        let mut missing = ok("nogiven@x.com", "2");
        missing[1].1 = String::new();
        let mut phones = ok("phones@x.com", "3");
        phones.push(("telephoneNumber", "+1 1".into()));
        phones.push(("mobile", "+1 2".into()));
        let mut guest = ok("bob_x.com#EXT#@contoso.onmicrosoft.com", "4");
        guest.truncate(6);
        let mut colon = ok("col@x.com", "5");
        colon[3].1 = "Lee: Ann".into();
        let admin = ok("Administrator", "6");
        let dup_a = ok("dup@x.com", "7");
        let dup_b = ok("DUP@x.com", "8");
        let dir = entra(vec![
            entry(missing),
            entry(phones),
            entry(guest),
            entry(colon),
            entry(admin),
            entry(dup_a),
            entry(dup_b),
        ]);
        let r = run(&dir, None);
        assert!(has(
            &r,
            "nogiven@x.com",
            Category::MissingRequiredAttribute,
            "name.givenName"
        ));
        assert!(has(
            &r,
            "phones@x.com",
            Category::MultivalueNotSupported,
            "phoneNumbers"
        ));
        assert!(has(
            &r,
            "bob_x.com#EXT#@contoso.onmicrosoft.com",
            Category::InvalidValue,
            "userName"
        ));
        assert!(has(&r, "Administrator", Category::ReservedName, "userName"));
        assert!(has(
            &r,
            "dup@x.com",
            Category::DuplicateConflict,
            "userName"
        ));
        assert!(has(&r, "DUP@x.com", Category::DuplicateConflict, "emails"));
        let colon = r.findings.iter().find(|f| f.name == "col@x.com").unwrap();
        assert_eq!(
            (colon.severity, colon.category),
            (Severity::Warning, Category::InvalidValue),
            "{colon:?}"
        );
        let empty = r
            .findings
            .iter()
            .find(|f| f.name == "nogiven@x.com")
            .unwrap();
        assert_eq!(
            empty.value.as_deref(),
            Some("\"\""),
            "an empty string is shown as such"
        );
        assert_eq!(empty.source.as_deref(), Some("givenName"));
    }

    /// Regression: only whitespace was checked against AWS's userName pattern, so a userName
    /// holding a control character such as BEL passed preflight.
    #[test]
    fn a_bel_in_a_user_name_fails_preflight() {
        let r = run(&entra(vec![entry(ok("ann\u{7}@x.com", "1"))]), None);
        let f = r
            .findings
            .iter()
            .find(|f| f.attribute.as_deref() == Some("userName"))
            .unwrap_or_else(|| panic!("{:#?}", r.findings));
        assert_eq!(
            (f.severity, f.category),
            (Severity::Error, Category::InvalidValue)
        );
        assert!(f.message.contains("control character"), "{}", f.message);
    }

    #[test]
    fn a_user_name_outside_aws_s_pattern_fails_and_a_unicode_one_passes() {
        let r = run(
            &entra(vec![
                entry(ok("ann\u{200B}lee@x.com", "1")),
                entry(ok("josé.núñez@x.com", "2")),
            ]),
            None,
        );
        assert!(has(
            &r,
            "ann\u{200B}lee@x.com",
            Category::InvalidValue,
            "userName"
        ));
        assert!(
            !r.findings.iter().any(|f| f.name == "josé.núñez@x.com"),
            "{:#?}",
            r.findings
        );
    }

    #[test]
    fn a_control_character_or_an_empty_string_in_any_value_is_predicted() {
        let mut bel = ok("bel@x.com", "1");
        bel.push(("jobTitle", "Engineer\u{7}".into()));
        let mut empty = ok("empty@x.com", "2");
        empty.push(("jobTitle", String::new()));
        let r = run(&entra(vec![entry(bel), entry(empty)]), None);
        let bel = r.findings.iter().find(|f| f.name == "bel@x.com").unwrap();
        assert_eq!(
            (bel.severity, bel.category, bel.attribute.as_deref()),
            (Severity::Error, Category::InvalidValue, Some("title"))
        );
        assert_eq!(
            bel.value.as_deref(),
            Some("Engineer\\u{7}"),
            "shown escaped"
        );
        let empty = r.findings.iter().find(|f| f.name == "empty@x.com").unwrap();
        assert_eq!(
            (empty.severity, empty.category, empty.attribute.as_deref()),
            (Severity::Warning, Category::InvalidValue, Some("title"))
        );
    }

    #[test]
    fn store_collisions_and_big_groups_are_predicted() {
        let mut dir = entra(vec![
            entry(ok("taken@x.com", "1")),
            entry(ok("mine@x.com", "2")),
        ]);
        dir.groups = vec![
            user(&[("displayName", "AWSControlTowerAdmins"), ("objectId", "g1")]),
            user(&[("displayName", "Big"), ("objectId", "g2")]),
        ];
        for n in 0..101 {
            dir.members.push(DirectoryMember {
                group_id: "g2".into(),
                member_id: format!("u{n}"),
                kind: MemberKind::User,
            });
        }
        let store = StoreSnapshot {
            users: vec![
                StoreUser {
                    user_id: "a1".into(),
                    user_name: Some("taken@x.com".into()),
                    ..Default::default()
                },
                StoreUser {
                    user_id: "a2".into(),
                    user_name: Some("mine@x.com".into()),
                    external_ids: vec![ExternalId {
                        issuer: "i".into(),
                        id: "nick-2".into(),
                    }],
                    ..Default::default()
                },
            ],
            groups: vec![StoreGroup {
                group_id: "ct".into(),
                display_name: Some("AWSControlTowerAdmins".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let r = run(&dir, Some(&store));
        assert!(has(
            &r,
            "taken@x.com",
            Category::DuplicateConflict,
            "userName"
        ));
        assert!(
            !r.findings.iter().any(|f| f.name == "mine@x.com"),
            "the IdP's own user is no conflict"
        );
        assert!(has(
            &r,
            "AWSControlTowerAdmins",
            Category::ReservedName,
            "displayName"
        ));
        assert!(has(
            &r,
            "AWSControlTowerAdmins",
            Category::DuplicateConflict,
            "displayName"
        ));
        let big = r.findings.iter().find(|f| f.name == "Big").unwrap();
        assert_eq!(
            (big.severity, big.category),
            (Severity::Warning, Category::PatchInvalid)
        );

        let report = crate::report::preflight::to_report(r, &dir, vec!["x.json".into()], None, Vec::new(), chrono::Utc::now());
        let section = report.preflight.as_ref().unwrap();
        assert!(section.predicted);
        assert_eq!(section.warnings, 1);
        assert_eq!(report.totals.problem_entities, 2);
        assert!(
            report
                .root_causes
                .iter()
                .any(|c| c.category == Category::DuplicateConflict)
        );
    }
}
