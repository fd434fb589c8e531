//! The attribute mapping: which IdP attribute feeds which AWS (SCIM) attribute. Each IdP has a
//! default ([`AttributeMapping::default_for`]) modelled on its AWS app's default mapping, which the
//! user can edit; the edited mapping is saved in the workspace (settings key
//! `directory_mapping.<idp>`).
//!
//! A row maps one source attribute onto one target path (`emails[type eq "work"].value`). Several
//! rows may feed one AWS attribute: that is exactly how "two IdP attributes mapped onto one AWS
//! attribute" failures arise, and the rules count the values that result. The row `* <- *` maps
//! every source attribute that already carries an AWS name onto itself (SCIM exports).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{DirectoryEntry, DirectoryIdp};
use crate::error::{Error, Result};
use crate::model::EntityKind;

/// `target <- source`; `*` on both sides is the passthrough row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MappingRow {
    pub target: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AttributeMapping {
    pub idp: DirectoryIdp,
    pub users: Vec<MappingRow>,
    pub groups: Vec<MappingRow>,
}

pub const PASSTHROUGH: &str = "*";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:";

fn rows(pairs: &[(&str, &str)]) -> Vec<MappingRow> {
    pairs
        .iter()
        .map(|(t, s)| MappingRow {
            target: t.to_string(),
            source: s.to_string(),
        })
        .collect()
}

impl AttributeMapping {
    /// The IdP's default. Entra's follows the AWS IAM Identity Center gallery app as documented
    /// by Microsoft [inferred: userPrincipalName -> userName, mailNickname -> externalId,
    /// telephoneNumber and mobile -> two phone numbers]; Okta's follows its AWS app (Okta
    /// username -> userName, Okta id -> externalId [inferred]); Google Workspace's follows the
    /// sync tools (ssosync, idp-scim-sync).
    pub fn default_for(idp: DirectoryIdp) -> AttributeMapping {
        let (users, groups) = match idp {
            DirectoryIdp::Entra => (
                rows(&[
                    ("userName", "userPrincipalName"),
                    ("displayName", "displayName"),
                    ("name.givenName", "givenName"),
                    ("name.familyName", "surname"),
                    ("externalId", "mailNickname"),
                    ("emails[type eq \"work\"].value", "mail"),
                    ("title", "jobTitle"),
                    ("preferredLanguage", "preferredLanguage"),
                    (
                        "addresses[type eq \"work\"].formatted",
                        "physicalDeliveryOfficeName",
                    ),
                    ("addresses[type eq \"work\"].streetAddress", "streetAddress"),
                    ("addresses[type eq \"work\"].locality", "city"),
                    ("addresses[type eq \"work\"].region", "state"),
                    ("addresses[type eq \"work\"].postalCode", "postalCode"),
                    ("addresses[type eq \"work\"].country", "country"),
                    ("phoneNumbers[type eq \"work\"].value", "telephoneNumber"),
                    ("phoneNumbers[type eq \"mobile\"].value", "mobile"),
                    (
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                        "employeeId",
                    ),
                    (
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                        "department",
                    ),
                ]),
                rows(&[("displayName", "displayName"), ("externalId", "objectId")]),
            ),
            DirectoryIdp::Okta => (
                rows(&[
                    ("userName", "login"),
                    ("displayName", "displayName"),
                    ("name.givenName", "firstName"),
                    ("name.familyName", "lastName"),
                    ("externalId", "id"),
                    ("emails[type eq \"work\"].value", "email"),
                    ("title", "title"),
                    ("nickName", "nickName"),
                    ("userType", "userType"),
                    ("locale", "locale"),
                    ("timezone", "timezone"),
                    ("preferredLanguage", "preferredLanguage"),
                    ("profileUrl", "profileUrl"),
                    ("phoneNumbers[type eq \"work\"].value", "primaryPhone"),
                    ("addresses[type eq \"work\"].streetAddress", "streetAddress"),
                    ("addresses[type eq \"work\"].locality", "city"),
                    ("addresses[type eq \"work\"].region", "state"),
                    ("addresses[type eq \"work\"].postalCode", "zipCode"),
                    ("addresses[type eq \"work\"].country", "countryCode"),
                    (
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                        "employeeNumber",
                    ),
                    (
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                        "department",
                    ),
                ]),
                rows(&[("displayName", "name"), ("externalId", "id")]),
            ),
            // What ssosync and idp-scim-sync send, in their code: primaryEmail as userName and
            // as the one (primary, work) email, the name parts, the full name as displayName,
            // Google's user id as externalId; groups by name with their id. Neither sends the
            // secondary emails; idp-scim-sync sends at most one phone, ssosync none: a mapping
            // that adds them is an edit (`scimlens mapping google --add ...`).
            DirectoryIdp::Google => (
                rows(&[
                    ("userName", "primaryEmail"),
                    ("displayName", "name.fullName"),
                    ("name.givenName", "name.givenName"),
                    ("name.familyName", "name.familyName"),
                    ("externalId", "id"),
                    ("emails[type eq \"work\"].value", "primaryEmail"),
                ]),
                rows(&[("displayName", "name"), ("externalId", "id")]),
            ),
            DirectoryIdp::Scim => (
                rows(&[(PASSTHROUGH, PASSTHROUGH)]),
                rows(&[(PASSTHROUGH, PASSTHROUGH)]),
            ),
        };
        AttributeMapping { idp, users, groups }
    }

    pub fn rows(&self, kind: EntityKind) -> &[MappingRow] {
        match kind {
            EntityKind::Group => &self.groups,
            _ => &self.users,
        }
    }

    fn rows_mut(&mut self, kind: EntityKind) -> &mut Vec<MappingRow> {
        match kind {
            EntityKind::Group => &mut self.groups,
            _ => &mut self.users,
        }
    }

    /// Maps `source` onto `target`, replacing the rows that fed `target`. An empty source
    /// removes the target.
    pub fn set(&mut self, kind: EntityKind, target: &str, source: &str) -> Result<()> {
        let target = target.trim();
        let source = source.trim();
        if target != PASSTHROUGH && Target::parse(target, kind).attr == Attr::Unknown {
            return Err(Error::InvalidArgument(format!(
                "'{target}' is not an AWS {} attribute; use e.g. userName, displayName, name.givenName, \
                 name.familyName, externalId, emails[type eq \"work\"].value, \
                 phoneNumbers[type eq \"mobile\"].value, addresses[type eq \"work\"].locality, title or \
                 {ENTERPRISE}department",
                kind.as_str()
            )));
        }
        let rows = self.rows_mut(kind);
        rows.retain(|r| r.target != target);
        if !source.is_empty() {
            rows.push(MappingRow {
                target: target.to_string(),
                source: source.to_string(),
            });
        }
        Ok(())
    }

    /// Adds a row without removing others (to model two sources feeding one attribute).
    pub fn add(&mut self, kind: EntityKind, target: &str, source: &str) -> Result<()> {
        let before = self.rows(kind).to_vec();
        self.set(kind, target, source)?;
        let added = self.rows_mut(kind).pop();
        *self.rows_mut(kind) = before;
        self.rows_mut(kind).extend(added);
        Ok(())
    }

    /// Notes about the mapping itself (required attributes unmapped, two rows on one attribute).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let passthrough = self.users.iter().any(|r| r.target == PASSTHROUGH);
        if !passthrough {
            for required in [
                "userName",
                "displayName",
                "name.givenName",
                "name.familyName",
            ] {
                if !self.users.iter().any(|r| r.target == required) {
                    out.push(format!(
                        "no IdP attribute is mapped onto {required}: AWS requires it, every user will fail"
                    ));
                }
            }
        }
        let mut by_attr: HashMap<(Attr, String), Vec<&str>> = HashMap::new();
        for r in self.users.iter().filter(|r| r.target != PASSTHROUGH) {
            let t = Target::parse(&r.target, EntityKind::User);
            let key = match t.attr {
                Attr::Emails | Attr::PhoneNumbers => (t.attr, String::new()),
                Attr::Addresses => (t.attr, t.component.clone()),
                _ => (t.attr, r.target.clone()),
            };
            by_attr.entry(key).or_default().push(&r.source);
        }
        let mut multi: Vec<_> = by_attr.into_iter().filter(|(_, s)| s.len() > 1).collect();
        multi.sort();
        for ((attr, _), sources) in multi {
            out.push(format!(
                "{} IdP attributes ({}) are mapped onto {}: a user with more than one of them set fails \
                 (AWS accepts one value)",
                sources.len(),
                sources.join(", "),
                attr.name()
            ));
        }
        out
    }
}

/// The AWS attribute a target path belongs to, for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attr {
    UserName,
    DisplayName,
    GivenName,
    FamilyName,
    ExternalId,
    Emails,
    PhoneNumbers,
    Addresses,
    Roles,
    /// Any other single-valued string (title, locale, name.formatted, enterprise attributes).
    Other,
    /// SCIM's `active`: not a stored attribute.
    Active,
    Unknown,
}

impl Attr {
    pub fn name(self) -> &'static str {
        match self {
            Attr::UserName => "userName",
            Attr::DisplayName => "displayName",
            Attr::GivenName => "name.givenName",
            Attr::FamilyName => "name.familyName",
            Attr::ExternalId => "externalId",
            Attr::Emails => "emails",
            Attr::PhoneNumbers => "phoneNumbers",
            Attr::Addresses => "addresses",
            Attr::Roles => "roles",
            Attr::Other => "attribute",
            Attr::Active => "active",
            Attr::Unknown => "unknown",
        }
    }

    pub fn multi_valued(self) -> bool {
        matches!(
            self,
            Attr::Emails | Attr::PhoneNumbers | Attr::Addresses | Attr::Roles
        )
    }
}

/// A parsed target path: `addresses[type eq "work"].locality` -> Addresses, type `work`,
/// component `locality`; `compare_key` drops the type (`addresses.locality`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: String,
    pub attr: Attr,
    pub type_filter: Option<String>,
    pub component: String,
    pub compare_key: String,
}

const SCALARS: [&str; 14] = [
    "name.formatted",
    "name.middleName",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "description",
    "id",
    "active",
];
const ADDRESS_PARTS: [&str; 6] = [
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
    "formatted",
];

impl Target {
    pub fn parse(path: &str, kind: EntityKind) -> Target {
        let (base, type_filter, rest) = split_filter(path);
        let unknown = Target {
            path: path.to_string(),
            attr: Attr::Unknown,
            type_filter: None,
            component: String::new(),
            compare_key: path.to_string(),
        };
        let make = |attr: Attr, component: &str, key: String| Target {
            path: path.to_string(),
            attr,
            type_filter: type_filter.clone(),
            component: component.to_string(),
            compare_key: key,
        };
        if kind == EntityKind::Group {
            return match path {
                "displayName" => make(Attr::DisplayName, "", path.to_string()),
                "externalId" => make(Attr::ExternalId, "", path.to_string()),
                "description" => make(Attr::Other, "", path.to_string()),
                _ => unknown,
            };
        }
        match base {
            "emails" | "phoneNumbers" | "roles" => {
                let component = rest.unwrap_or("value");
                if !matches!(component, "value" | "primary" | "type" | "display") {
                    return unknown;
                }
                let attr = match base {
                    "emails" => Attr::Emails,
                    "phoneNumbers" => Attr::PhoneNumbers,
                    _ => Attr::Roles,
                };
                make(attr, component, format!("{base}.{component}"))
            }
            "addresses" => match rest {
                Some(c) if ADDRESS_PARTS.contains(&c) || c == "primary" => {
                    make(Attr::Addresses, c, format!("addresses.{c}"))
                }
                _ => unknown,
            },
            _ if type_filter.is_some() => unknown,
            "userName" => make(Attr::UserName, "", path.to_string()),
            "displayName" => make(Attr::DisplayName, "", path.to_string()),
            "name.givenName" => make(Attr::GivenName, "", path.to_string()),
            "name.familyName" => make(Attr::FamilyName, "", path.to_string()),
            "externalId" => make(Attr::ExternalId, "", path.to_string()),
            "active" => make(Attr::Active, "", path.to_string()),
            p if SCALARS.contains(&p) && p != "description" => {
                make(Attr::Other, "", path.to_string())
            }
            p if p.starts_with(ENTERPRISE) && p.len() > ENTERPRISE.len() => {
                make(Attr::Other, "", path.to_string())
            }
            _ => unknown,
        }
    }
}

/// `emails[type eq "work"].value` -> (`emails`, Some(`work`), Some(`value`));
/// `emails.value` -> (`emails`, None, Some(`value`)); `name.givenName` stays whole.
fn split_filter(path: &str) -> (&str, Option<String>, Option<&str>) {
    if let Some(open) = path.find('[') {
        let base = &path[..open];
        let close = path[open..]
            .find(']')
            .map(|i| open + i)
            .unwrap_or(path.len() - 1);
        let inner = &path[open + 1..close];
        let kind = inner.split('"').nth(1).map(str::to_string);
        let rest = path.get(close + 1..).and_then(|r| r.strip_prefix('.'));
        return (base, kind, rest);
    }
    for multi in ["emails.", "phoneNumbers.", "addresses.", "roles."] {
        if let Some(rest) = path.strip_prefix(multi) {
            return (&path[..multi.len() - 1], None, Some(rest));
        }
    }
    (path, None, None)
}

/// One mapped value: which target it feeds, from which source attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedValue<'a> {
    /// Index into [`Mapper::target`].
    pub target: u32,
    pub source: &'a str,
    pub value: &'a str,
    /// The export's own primary flag for this value; `None` when the connector decides (Entra
    /// and Okta mark the email they send primary).
    pub primary: Option<bool>,
}

/// A directory entry seen through the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped<'a> {
    pub idp_id: Option<&'a str>,
    pub values: Vec<MappedValue<'a>>,
}

/// A compiled mapping for one entity kind, with target paths parsed once.
#[derive(Debug, Clone)]
pub struct Mapper {
    kind: EntityKind,
    rows: Vec<(String, u32)>,
    passthrough: bool,
    targets: Vec<Target>,
    index: HashMap<String, u32>,
}

impl Mapper {
    pub fn new(mapping: &AttributeMapping, kind: EntityKind) -> Mapper {
        let mut m = Mapper {
            kind,
            rows: Vec::new(),
            passthrough: false,
            targets: Vec::new(),
            index: HashMap::new(),
        };
        for row in mapping.rows(kind) {
            if row.target == PASSTHROUGH {
                m.passthrough = true;
                continue;
            }
            let t = m.target_index(&row.target);
            m.rows.push((row.source.clone(), t));
        }
        m
    }

    fn target_index(&mut self, path: &str) -> u32 {
        if let Some(i) = self.index.get(path) {
            return *i;
        }
        let i = self.targets.len() as u32;
        self.targets.push(Target::parse(path, self.kind));
        self.index.insert(path.to_string(), i);
        i
    }

    pub fn target(&self, i: u32) -> &Target {
        &self.targets[i as usize]
    }

    /// The comparison keys the mapping feeds (for drift: attributes not mapped are not compared).
    pub fn mapped_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .targets
            .iter()
            .map(|t| t.compare_key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    pub fn is_passthrough(&self) -> bool {
        self.passthrough
    }

    pub fn map<'a>(&mut self, entry: &'a DirectoryEntry) -> Mapped<'a> {
        let mut values = Vec::new();
        for i in 0..self.rows.len() {
            let (source, target) = (&self.rows[i].0, self.rows[i].1);
            if let Some((name, vals)) = entry.attributes.get_key_value(source.as_str()) {
                for v in vals {
                    values.push(MappedValue {
                        target,
                        source: name.as_str(),
                        value: v.as_str(),
                        primary: None,
                    });
                }
            }
        }
        if self.passthrough {
            for (name, vals) in &entry.attributes {
                if self.rows.iter().any(|(s, _)| s == name) {
                    continue;
                }
                let target = self.target_index(name);
                let t = &self.targets[target as usize];
                if t.attr == Attr::Unknown || t.component == "primary" || t.component == "type" {
                    continue;
                }
                // The export states the primary flag beside the value (SCIM `primary`).
                let flags = if t.attr.multi_valued() && t.component == "value" {
                    let sibling =
                        format!("{}.primary", name.strip_suffix(".value").unwrap_or(name));
                    Some(entry.attributes.get(&sibling))
                } else {
                    None
                };
                for (k, v) in vals.iter().enumerate() {
                    let primary =
                        flags.map(|f| f.and_then(|f| f.get(k)).is_some_and(|p| p == "true"));
                    values.push(MappedValue {
                        target,
                        source: name.as_str(),
                        value: v.as_str(),
                        primary,
                    });
                }
            }
        }
        Mapped {
            idp_id: entry.idp_id.as_deref(),
            values,
        }
    }
}

impl<'a> Mapped<'a> {
    /// Non-empty values feeding `attr`, with their targets.
    pub fn of<'m>(
        &'m self,
        mapper: &'m Mapper,
        attr: Attr,
    ) -> impl Iterator<Item = &'m MappedValue<'a>> + 'm {
        self.values
            .iter()
            .filter(move |v| mapper.target(v.target).attr == attr && !v.value.trim().is_empty())
    }

    /// The first non-empty value feeding `attr`.
    pub fn first(&self, mapper: &Mapper, attr: Attr) -> Option<&'a str> {
        self.of(mapper, attr).map(|v| v.value).next()
    }

    /// True when some mapped value, empty or not, feeds `attr` (an empty string is present).
    pub fn has(&self, mapper: &Mapper, attr: Attr) -> bool {
        self.values
            .iter()
            .any(|v| mapper.target(v.target).attr == attr)
    }

    /// The email AWS would take as primary: the one flagged primary, else the first.
    pub fn primary_email(&self, mapper: &Mapper) -> Option<&'a str> {
        let emails: Vec<&MappedValue<'a>> = self
            .of(mapper, Attr::Emails)
            .filter(|v| mapper.target(v.target).component == "value")
            .collect();
        emails
            .iter()
            .find(|v| v.primary == Some(true))
            .or(emails.first())
            .map(|v| v.value)
    }

    /// Values per comparison key (`emails.value`, `title`), for drift.
    pub fn by_key<'m>(
        &self,
        mapper: &'m Mapper,
    ) -> std::collections::BTreeMap<&'m str, Vec<&'a str>> {
        let mut out: std::collections::BTreeMap<&'m str, Vec<&'a str>> =
            std::collections::BTreeMap::new();
        for v in &self.values {
            let t = mapper.target(v.target);
            if matches!(t.attr, Attr::Active | Attr::Unknown) || t.component == "primary" {
                continue;
            }
            let slot = out.entry(t.compare_key.as_str()).or_default();
            if !v.value.trim().is_empty() {
                slot.push(v.value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pairs: &[(&str, &str)]) -> DirectoryEntry {
        let mut e = DirectoryEntry {
            idp_id: Some("1".into()),
            ..Default::default()
        };
        for (k, v) in pairs {
            e.push(*k, *v);
        }
        e
    }

    #[test]
    fn targets_parse_onto_aws_attributes() {
        let t = Target::parse("addresses[type eq \"work\"].locality", EntityKind::User);
        assert_eq!(
            (t.attr, t.type_filter.as_deref(), t.component.as_str()),
            (Attr::Addresses, Some("work"), "locality")
        );
        assert_eq!(t.compare_key, "addresses.locality");
        assert_eq!(
            Target::parse("emails.value", EntityKind::User).attr,
            Attr::Emails
        );
        assert_eq!(
            Target::parse("name.givenName", EntityKind::User).attr,
            Attr::GivenName
        );
        assert_eq!(
            Target::parse(&format!("{ENTERPRISE}department"), EntityKind::User).attr,
            Attr::Other
        );
        assert_eq!(
            Target::parse("jobTitle", EntityKind::User).attr,
            Attr::Unknown
        );
        assert_eq!(
            Target::parse("emails[type eq \"work\"].bogus", EntityKind::User).attr,
            Attr::Unknown
        );
        assert_eq!(
            Target::parse("displayName", EntityKind::Group).attr,
            Attr::DisplayName
        );
    }

    #[test]
    fn entra_default_maps_upn_and_counts_two_phones() {
        let mapping = AttributeMapping::default_for(DirectoryIdp::Entra);
        let mut m = Mapper::new(&mapping, EntityKind::User);
        let e = entry(&[
            ("userPrincipalName", "ann@x.com"),
            ("telephoneNumber", "1"),
            ("mobile", "2"),
            ("givenName", ""),
        ]);
        let mapped = m.map(&e);
        assert_eq!(mapped.first(&m, Attr::UserName), Some("ann@x.com"));
        assert_eq!(mapped.of(&m, Attr::PhoneNumbers).count(), 2);
        assert!(
            mapped.has(&m, Attr::GivenName),
            "an empty string is present"
        );
        assert_eq!(mapped.first(&m, Attr::GivenName), None);
        assert!(
            mapping
                .warnings()
                .iter()
                .any(|w| w.contains("phoneNumbers")),
            "{:?}",
            mapping.warnings()
        );
    }

    #[test]
    fn scim_passthrough_keeps_primary_flags() {
        let mapping = AttributeMapping::default_for(DirectoryIdp::Scim);
        let mut m = Mapper::new(&mapping, EntityKind::User);
        let e = entry(&[
            ("userName", "a"),
            ("emails[type eq \"work\"].value", "a@x"),
            ("emails[type eq \"work\"].primary", "true"),
            ("emails[type eq \"home\"].value", "a@home"),
            ("meta.created", "x"),
        ]);
        let mapped = m.map(&e);
        assert_eq!(mapped.of(&m, Attr::Emails).count(), 2);
        assert_eq!(mapped.primary_email(&m), Some("a@x"));
        let home = mapped.values.iter().find(|v| v.value == "a@home").unwrap();
        assert_eq!(home.primary, Some(false));
        assert!(
            !mapped.values.iter().any(|v| v.value == "x"),
            "unknown attributes are not mapped"
        );
    }

    #[test]
    fn edits_replace_or_add_rows_and_refuse_unknown_targets() {
        let mut mapping = AttributeMapping::default_for(DirectoryIdp::Okta);
        mapping
            .set(EntityKind::User, "displayName", "login")
            .unwrap();
        assert_eq!(
            mapping
                .users
                .iter()
                .filter(|r| r.target == "displayName")
                .count(),
            1
        );
        mapping
            .add(
                EntityKind::User,
                "emails[type eq \"other\"].value",
                "secondEmail",
            )
            .unwrap();
        assert!(mapping.warnings().iter().any(|w| w.contains("onto emails")));
        mapping.set(EntityKind::User, "title", "").unwrap();
        assert!(!mapping.users.iter().any(|r| r.target == "title"));
        assert!(mapping.set(EntityKind::User, "jobTitle", "title").is_err());
    }
}
