//! Roll-up: from an entity's last records to its status, name, cause and fix (the last
//! decisive record decides; reads decide nothing). Pure: the workspace gathers the facts and
//! stores the decision (`db::diagnosis`).

use super::Rules;
use super::classify::reclassify_reserved;
use super::fixes::fix_for_cause;
use super::keys::unknown_name;
use crate::model::{Category, EntityKind, EntityStatus, Format, Idp};

/// One record that decides (or explains) an entity's status.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRecord {
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub format: String,
}

/// What the workspace knows of one entity, as far as deciding it goes.
#[derive(Debug, Clone, Copy)]
pub struct EntityFacts<'a> {
    pub entity_key: &'a str,
    /// The kind the records said, if any.
    pub kind: Option<&'a str>,
    /// Name candidates in order of preference: name, display name, target id, IdP id.
    pub names: [Option<&'a str>; 4],
    pub last_decisive: Option<&'a LastRecord>,
    pub last_failure: Option<&'a LastRecord>,
}

/// An entity's diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub kind: EntityKind,
    pub name: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
}

/// The status, name, cause and fix of one entity from its last records.
pub fn decide(facts: EntityFacts<'_>, rules: &Rules) -> Decision {
    let last = facts.last_decisive;
    let last_fail = facts.last_failure;
    let last_failed = last.is_some_and(|r| r.category.is_some());
    let status = if last_failed || (last.is_none() && last_fail.is_some()) {
        EntityStatus::Failing
    } else if last_fail.is_some() {
        EntityStatus::Resolved
    } else {
        EntityStatus::Ok
    };
    let kind = if facts.entity_key.starts_with("unknown|") {
        EntityKind::Unknown
    } else {
        EntityKind::parse(facts.kind.unwrap_or("unknown"))
    };
    let name = match kind {
        EntityKind::Unknown => unknown_name(facts.entity_key),
        _ => facts
            .names
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(facts.entity_key)
            .to_string(),
    };
    let cause = match status {
        EntityStatus::Failing => last.filter(|r| r.category.is_some()).or(last_fail),
        EntityStatus::Resolved => last_fail,
        EntityStatus::Ok => None,
    };
    let mut category = cause
        .and_then(|c| c.category.as_deref())
        .and_then(Category::parse);
    let mut attribute = cause.and_then(|c| c.attribute.clone());
    let mut message = cause.and_then(|c| c.message.clone());
    if let Some(re) = reclassify_reserved(category, kind, &name, rules) {
        category = Some(re.category);
        attribute = re.attribute;
        message = Some(re.message);
    }
    let idp = cause
        .and_then(|c| Format::parse(&c.format))
        .map(Format::idp)
        .unwrap_or(Idp::Entra);
    let fix = category.map(|c| fix_for_cause(c, attribute.as_deref(), message.as_deref(), idp));
    Decision {
        kind,
        name,
        status,
        category,
        attribute,
        message,
        fix,
    }
}
