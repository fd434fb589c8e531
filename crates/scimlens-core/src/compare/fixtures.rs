//! Small Okta and Entra directories, store snapshots and log diagnoses that the compare tests
//! build their cases from, and one call that runs a comparison over them.

use std::collections::HashMap;

use super::{CompareInputs, CompareOptions, CompareSection, EntityComparison, LogIndex};
use crate::diagnose::Rules;
use crate::directory::mapping::AttributeMapping;
use crate::directory::{
    Assignment, Directory, DirectoryEntry, DirectoryIdp, DirectoryMember, MemberKind,
};
use crate::model::EntityKind;
use crate::identity_store::{
    ExternalId, MemberId, StoreGroup, StoreMembership, StoreSnapshot, StoreUser, StoreValue,
};
use crate::db::directories::DirectoryInfo;
use crate::db::log_links::LoggedEntity;
use crate::db::snapshots::{SnapshotInfo, SnapshotOrigin};

/// An IdP object with its IdP id and attributes named as the IdP names them.
pub fn entry(idp_id: &str, attributes: &[(&str, &str)]) -> DirectoryEntry {
    let mut e = DirectoryEntry {
        idp_id: Some(idp_id.to_string()),
        ..Default::default()
    };
    for (name, value) in attributes {
        e.push(*name, *value);
    }
    e
}

/// An Okta user: `id` is sent as externalId, `login` as userName, `email` as the work email.
pub fn okta_user(id: &str, login: &str, email: &str) -> DirectoryEntry {
    entry(id, &[("id", id), ("login", login), ("email", email)])
}

/// An Okta group: `id` is sent as externalId, `name` as displayName.
pub fn okta_group(id: &str, name: &str) -> DirectoryEntry {
    entry(id, &[("id", id), ("name", name)])
}

pub fn directory(
    idp: DirectoryIdp,
    users: Vec<DirectoryEntry>,
    groups: Vec<DirectoryEntry>,
) -> Directory {
    Directory {
        idp: Some(idp),
        users,
        groups,
        ..Default::default()
    }
}

pub fn member(group: &str, member: &str, kind: MemberKind) -> DirectoryMember {
    DirectoryMember {
        group_id: group.to_string(),
        member_id: member.to_string(),
        kind,
    }
}

pub fn assigned(principals: &[&str]) -> Option<Vec<Assignment>> {
    Some(
        principals
            .iter()
            .map(|p| Assignment {
                principal_id: p.to_string(),
                kind: MemberKind::Unknown,
            })
            .collect(),
    )
}

/// An AWS user with a userName, its ExternalId (if any) and one primary email (if any).
pub fn store_user(
    user_id: &str,
    user_name: &str,
    external_id: Option<&str>,
    email: Option<&str>,
) -> StoreUser {
    StoreUser {
        user_id: user_id.to_string(),
        user_name: Some(user_name.to_string()),
        external_ids: external_ids(external_id),
        emails: email
            .map(|e| StoreValue {
                value: Some(e.to_string()),
                kind: Some("work".to_string()),
                primary: Some(true),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

pub fn store_group(group_id: &str, display_name: &str, external_id: Option<&str>) -> StoreGroup {
    StoreGroup {
        group_id: group_id.to_string(),
        display_name: Some(display_name.to_string()),
        external_ids: external_ids(external_id),
        ..Default::default()
    }
}

fn external_ids(id: Option<&str>) -> Vec<ExternalId> {
    id.map(|id| ExternalId {
        issuer: "https://idp.example.com".to_string(),
        id: id.to_string(),
    })
    .into_iter()
    .collect()
}

pub fn store_member(group_id: &str, user_id: &str) -> StoreMembership {
    StoreMembership {
        group_id: group_id.to_string(),
        member_id: MemberId {
            user_id: Some(user_id.to_string()),
        },
        ..Default::default()
    }
}

/// A snapshot with membership data.
pub fn snapshot(
    users: Vec<StoreUser>,
    groups: Vec<StoreGroup>,
    memberships: Vec<StoreMembership>,
) -> StoreSnapshot {
    StoreSnapshot {
        identity_store_id: Some("d-1234567890".to_string()),
        users,
        groups,
        memberships,
        memberships_known: true,
        access: None,
    }
}

pub fn snapshot_info(id: i64) -> SnapshotInfo {
    SnapshotInfo {
        id,
        origin: SnapshotOrigin::File,
        identity_store_id: Some("d-1234567890".to_string()),
        region: None,
        endpoint: None,
        label: format!("snapshot {id}"),
        taken_at: format!("2026-12-0{id} 09:00:00 UTC"),
        users: 0,
        groups: 0,
        memberships: 0,
        memberships_known: true,
        api_calls: None,
        retries: None,
        seconds: None,
        warnings: Vec::new(),
        permission_sets: None,
        account_assignments: None,
    }
}

/// A diagnosed entity of the log, linked by its IdP id and its name.
pub fn logged(
    kind: EntityKind,
    idp_id: &str,
    name: &str,
    status: &str,
    failures: i64,
) -> LoggedEntity {
    LoggedEntity {
        entity_key: format!("{}:{name}", kind.as_str()),
        kind: kind.as_str().to_string(),
        name: name.to_string(),
        status: status.to_string(),
        category: (failures > 0).then(|| "DUPLICATE_CONFLICT".to_string()),
        message: (failures > 0).then(|| "userName already exists".to_string()),
        fix: (failures > 0).then(|| "delete the AWS user created by hand".to_string()),
        idp_id: Some(idp_id.to_string()),
        target_id: None,
        external_id: None,
        events: 1 + failures,
        failures,
        last_seen: Some(1_764_838_800_000),
    }
}

/// A log index over `entities`, with the IdP's skip reasons by entity key.
pub fn logs(entities: Vec<LoggedEntity>, skips: &[(&str, &str)]) -> LogIndex {
    let skips: HashMap<String, String> = skips
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    LogIndex::new(entities, skips, true)
}

/// One comparison with the IdP's default mapping and the built-in rules.
pub struct Case {
    pub directory: Directory,
    pub snapshot: StoreSnapshot,
    pub logs: LogIndex,
    pub rules: Rules,
    pub opts: CompareOptions,
}

impl Case {
    pub fn new(directory: Directory, snapshot: StoreSnapshot) -> Case {
        Case {
            directory,
            snapshot,
            logs: LogIndex::default(),
            rules: Rules::default(),
            opts: CompareOptions::default(),
        }
    }

    /// Okta users beside AWS users; no groups on either side.
    pub fn users(users: Vec<DirectoryEntry>, store: Vec<StoreUser>) -> Case {
        Case::new(
            directory(DirectoryIdp::Okta, users, Vec::new()),
            snapshot(store, Vec::new(), Vec::new()),
        )
    }

    /// Okta groups beside AWS groups; no users on either side.
    pub fn groups(groups: Vec<DirectoryEntry>, store: Vec<StoreGroup>) -> Case {
        Case::new(
            directory(DirectoryIdp::Okta, Vec::new(), groups),
            snapshot(Vec::new(), store, Vec::new()),
        )
    }

    pub fn run(&self) -> CompareSection {
        let idp = self
            .directory
            .idp
            .expect("the test directory names its IdP");
        let mapping = AttributeMapping::default_for(idp);
        let directory_info = DirectoryInfo {
            id: 1,
            idp,
            label: "test export".to_string(),
            formats: Vec::new(),
            imported_at: "2026-12-04 09:00:00 UTC".to_string(),
            users: self.directory.users.len() as u64,
            groups: self.directory.groups.len() as u64,
            memberships: self.directory.members.len() as u64,
            assignments_known: self.directory.assignments.is_some(),
            warnings: Vec::new(),
        };
        let snapshot_info = snapshot_info(1);
        let inputs = CompareInputs {
            directory: &self.directory,
            directory_info: &directory_info,
            mapping: &mapping,
            snapshot: &self.snapshot,
            snapshot_info: &snapshot_info,
            logs: &self.logs,
            rules: &self.rules,
        };
        super::compare(&inputs, &self.opts)
    }
}

/// The AWS id of the store object a row's IdP object matched.
pub fn store_id(e: &EntityComparison) -> Option<&str> {
    e.store.as_ref().and_then(|s| s.id.as_deref())
}

/// The row named `name`; the test fails when there is none.
pub fn row<'c>(c: &'c CompareSection, name: &str) -> &'c EntityComparison {
    c.entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no row named {name} in {:#?}", c.entities))
}
