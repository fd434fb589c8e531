//! Entity keys: which records are about the same user or group.
//!
//! A key is `kind|namespace|value`. The IdP's object id is preferred (Entra sends a user's
//! display name on some records and its userName on others, but always the same object id),
//! then the name, then the AWS id. A record nothing identifies (a masked CloudTrail failure) gets
//! an `unknown` key named after its operation and second, until correlation attaches it.

use crate::diagnose::Classification;
use crate::input::value::format_time;
use crate::model::{EntityKind, MASKED, ProvisioningEvent};

pub const CONNECTION_KEY: &str = "connection";

/// The key of the entity `event` is about; [`CONNECTION_KEY`] for connection-level records and
/// for failures that concern the job rather than an entity (a failed read, a source directory
/// the sync tool could not read, an aborted run).
pub fn entity_key(event: &ProvisioningEvent, classification: Option<&Classification>) -> String {
    let connection = event.connection_level
        || classification
            .is_some_and(|c| c.job_level || c.category == crate::model::Category::AuthFailure);
    if connection {
        return CONNECTION_KEY.to_string();
    }
    let kind = event.entity.kind.unwrap_or(EntityKind::Unknown);
    let usable = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != MASKED)
            .map(str::to_string)
    };
    if kind != EntityKind::Unknown {
        if let Some(id) = usable(&event.entity.source_id) {
            return format!("{}|idp|{id}", kind.as_str());
        }
        if let Some(name) = usable(&event.entity.name) {
            return format!("{}|name|{}", kind.as_str(), name.to_lowercase());
        }
    }
    if let Some(id) = usable(&event.entity.target_id) {
        return format!("{}|aws|{id}", kind.as_str());
    }
    unknown_key(event)
}

/// `unknown|CreateUser|2026-11-20T10:57:08.000Z`.
pub fn unknown_key(event: &ProvisioningEvent) -> String {
    let op = event
        .operation
        .clone()
        .or_else(|| event.action.map(|a| a.as_str().to_string()))
        .unwrap_or_else(|| "operation".to_string());
    let when = event
        .time
        .map(|t| format_time(&t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|| format!("record {}", event.record_id.as_deref().unwrap_or("?")));
    format!("unknown|{op}|{when}")
}

/// A readable name for an entity that has none: `CreateUser at 2026-11-20T10:57:08.000Z`.
pub fn unknown_name(key: &str) -> String {
    let mut parts = key.splitn(3, '|');
    let _ = parts.next();
    match (parts.next(), parts.next()) {
        (Some(op), Some(when)) => format!("{op} at {when}"),
        _ => key.to_string(),
    }
}
