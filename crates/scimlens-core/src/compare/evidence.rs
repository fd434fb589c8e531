//! The log's word on an object: the log diagnosis indexed by every id an IdP or store object can be
//! found by, and why an IdP object is not in the store, from that evidence and from where the
//! directory places the object.

use std::collections::HashMap;

use super::{LogEvidence, NotProvisionedReason};
use crate::model::{Category, EntityKind, EntityStatus};
use crate::store::log_links::LoggedEntity;

/// The log diagnosis, indexed by every id an IdP or store object can be found by.
#[derive(Debug, Default)]
pub struct LogIndex {
    entities: Vec<LoggedEntity>,
    by_id: HashMap<(EntityKind, String), usize>,
    skips: HashMap<String, String>,
    pub any_logs: bool,
}

impl LogIndex {
    pub fn new(
        entities: Vec<LoggedEntity>,
        skips: HashMap<String, String>,
        any_logs: bool,
    ) -> LogIndex {
        let mut by_id = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            let kind = EntityKind::parse(&e.kind);
            for id in [&e.idp_id, &e.external_id, &e.target_id]
                .into_iter()
                .flatten()
            {
                by_id.entry((kind, id.clone())).or_insert(i);
            }
            by_id
                .entry((kind, format!("name:{}", e.name.to_lowercase())))
                .or_insert(i);
        }
        LogIndex {
            entities,
            by_id,
            skips,
            any_logs,
        }
    }

    pub(super) fn find(
        &self,
        kind: EntityKind,
        ids: &[Option<&str>],
        name: Option<&str>,
    ) -> Option<&LoggedEntity> {
        ids.iter()
            .flatten()
            .find_map(|id| self.by_id.get(&(kind, id.to_string())))
            .or_else(|| {
                name.and_then(|n| {
                    self.by_id
                        .get(&(kind, format!("name:{}", n.to_lowercase())))
                })
            })
            .map(|i| &self.entities[*i])
    }
}

pub(super) fn evidence(e: &LoggedEntity) -> LogEvidence {
    LogEvidence {
        entity_key: e.entity_key.clone(),
        status: match e.status.as_str() {
            "failing" => EntityStatus::Failing,
            "resolved" => EntityStatus::Resolved,
            _ => EntityStatus::Ok,
        },
        category: e.category.as_deref().and_then(Category::parse),
        message: e.message.clone(),
        events: e.events as u64,
        failures: e.failures as u64,
        last_seen: crate::store::sources::ms_to_text(e.last_seen),
    }
}

/// What the directory alone says about an IdP object the store does not have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Placement {
    /// It reaches the app only through a group nested in an assigned group.
    pub nested_only: bool,
    /// The app's assignments are known and reach it neither directly nor through a group.
    pub not_assigned: bool,
}

/// The likely reason an IdP object is not in the store, and the sentence that explains it:
/// the log's evidence first, then the directory's placement; `nesting` words the nested case.
pub(super) fn not_provisioned_reason(
    ev: Option<&LoggedEntity>,
    logs: &LogIndex,
    placement: Placement,
    nesting: impl FnOnce() -> String,
) -> (NotProvisionedReason, String) {
    if let Some(e) = ev {
        if e.failures > 0 && e.status != "ok" {
            let what = e.category.as_deref().unwrap_or("a failure");
            return (
                NotProvisionedReason::Failed,
                format!(
                    "the IdP tried and failed: {what}{} (see `scimlens entity {}`)",
                    e.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default(),
                    e.entity_key
                ),
            );
        }
        if let Some(skip) = logs.skips.get(&e.entity_key)
            && e.failures == 0
            && !skip
                .split(',')
                .all(|s| s.eq_ignore_ascii_case("RedundantExport"))
        {
            return (
                NotProvisionedReason::NotAssigned,
                format!("the IdP skipped it ({skip}): not assigned to the AWS app or out of scope"),
            );
        }
        if e.failures == 0 {
            return (
                NotProvisionedReason::DeletedInStore,
                "the log shows it provisioned, but the store does not have it: deleted in AWS after provisioning \
                 (or the snapshot is older than the log)"
                    .to_string(),
            );
        }
    }
    if placement.nested_only {
        return (NotProvisionedReason::NestedGroupOnly, nesting());
    }
    if placement.not_assigned {
        return (
            NotProvisionedReason::NotAssigned,
            "not assigned to the AWS app, directly or through a group".to_string(),
        );
    }
    if logs.any_logs {
        return (
            NotProvisionedReason::NeverAttempted,
            "no record about it in the imported logs: never attempted (not assigned, out of scope, or the logs \
             cover another period)"
                .to_string(),
        );
    }
    (
        NotProvisionedReason::Unknown,
        "not in the store; import the IdP's provisioning logs to see whether it was attempted"
            .to_string(),
    )
}
