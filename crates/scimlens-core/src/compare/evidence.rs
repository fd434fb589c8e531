//! The log's word on an object: the log diagnosis indexed by every id an IdP or store object can be
//! found by, and why an IdP object is not in the store, from that evidence and from where the
//! directory places the object.

use std::collections::HashMap;

use super::{LogEvidence, NotProvisionedReason};
use crate::model::{Category, EntityKind, EntityStatus};
use crate::db::log_links::LoggedEntity;

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
        last_seen: crate::db::sources::ms_to_text(e.last_seen),
    }
}

/// What the directory alone says about an IdP object the store does not have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Placement {
    /// It reaches the app only through a group nested in an assigned group.
    pub nested_only: bool,
    /// The app's assignments are known and reach it neither directly nor through a group.
    pub not_assigned: bool,
    /// Suspended in Google Workspace (ssosync leaves suspended users out by default).
    pub suspended: bool,
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
    if placement.suspended {
        return (
            NotProvisionedReason::NotAssigned,
            "suspended in Google Workspace: ssosync leaves suspended users and their memberships \
             out unless run with --suspended (idp-scim-sync provisions them inactive)"
                .to_string(),
        );
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{logged, logs};
    use super::*;

    fn reason(
        ev: Option<&LoggedEntity>,
        logs: &LogIndex,
        placement: Placement,
    ) -> (NotProvisionedReason, String) {
        not_provisioned_reason(ev, logs, placement, || "nested".to_string())
    }

    #[test]
    fn the_log_index_finds_an_object_by_any_of_its_ids_then_by_name_in_any_case() {
        let mut ana = logged(EntityKind::User, "00u1", "Ana@Example.com", "ok", 0);
        ana.target_id = Some("aws-1".into());
        let index = logs(vec![ana], &[]);
        let key = |ids: &[Option<&str>], name| {
            index
                .find(EntityKind::User, ids, name)
                .map(|e| e.entity_key.clone())
        };
        assert_eq!(
            key(&[None, Some("aws-1")], None).as_deref(),
            Some("user:Ana@Example.com")
        );
        assert_eq!(
            key(&[Some("nope")], Some("ana@example.com")).as_deref(),
            Some("user:Ana@Example.com")
        );
        assert_eq!(
            key(&[Some("00u1")], None).as_deref(),
            Some("user:Ana@Example.com")
        );
        assert_eq!(
            index.find(EntityKind::Group, &[Some("00u1")], None),
            None,
            "kinds apart"
        );
    }

    #[test]
    fn a_failed_attempt_names_the_category_the_message_and_the_entity_to_open() {
        let e = logged(EntityKind::User, "00u1", "ana", "failing", 1);
        let (why, detail) = reason(Some(&e), &logs(vec![], &[]), Placement::default());
        assert_eq!(why, NotProvisionedReason::Failed);
        assert_eq!(
            detail,
            "the IdP tried and failed: DUPLICATE_CONFLICT: userName already exists (see `scimlens entity user:ana`)"
        );
    }

    #[test]
    fn an_idp_skip_means_not_assigned_unless_it_only_skipped_a_redundant_export() {
        let e = logged(EntityKind::User, "00u1", "ana", "ok", 0);
        let skipped = logs(vec![], &[("user:ana", "NotEffectivelyEntitled")]);
        let (why, detail) = reason(Some(&e), &skipped, Placement::default());
        assert_eq!(why, NotProvisionedReason::NotAssigned);
        assert_eq!(
            detail,
            "the IdP skipped it (NotEffectivelyEntitled): not assigned to the AWS app or out of scope"
        );
        let redundant = logs(vec![], &[("user:ana", "RedundantExport")]);
        assert_eq!(
            reason(Some(&e), &redundant, Placement::default()).0,
            NotProvisionedReason::DeletedInStore
        );
    }

    #[test]
    fn a_logged_success_the_store_lacks_means_deleted_in_store() {
        let e = logged(EntityKind::Group, "g1", "Engineering", "ok", 0);
        let (why, detail) = reason(Some(&e), &logs(vec![], &[]), Placement::default());
        assert_eq!(why, NotProvisionedReason::DeletedInStore);
        assert!(detail.starts_with("the log shows it provisioned, but the store does not have it"));
    }

    #[test]
    fn without_log_evidence_nesting_is_told_before_assignment() {
        let both = Placement {
            nested_only: true,
            not_assigned: true,
            ..Placement::default()
        };
        assert_eq!(
            reason(None, &LogIndex::default(), both),
            (NotProvisionedReason::NestedGroupOnly, "nested".to_string())
        );
        let unassigned = Placement {
            not_assigned: true,
            ..Placement::default()
        };
        assert_eq!(
            reason(None, &LogIndex::default(), unassigned).0,
            NotProvisionedReason::NotAssigned
        );
    }

    #[test]
    fn logs_that_never_mention_it_mean_never_attempted_and_no_logs_mean_unknown() {
        let quiet = logs(vec![], &[]);
        assert_eq!(
            reason(None, &quiet, Placement::default()).0,
            NotProvisionedReason::NeverAttempted
        );
        let (why, detail) = reason(None, &LogIndex::default(), Placement::default());
        assert_eq!(why, NotProvisionedReason::Unknown);
        assert!(detail.contains("import the IdP's provisioning logs"));
    }
}
