//! Side by side: what the IdP holds (a [`Directory`] seen through its attribute mapping) against
//! what the AWS identity store holds (a [`StoreSnapshot`]), and one snapshot against an older one
//! ([`diff_snapshots`]).
//!
//! Users are matched by externalId, then userName, then primary email (case-insensitive; the
//! order is configurable); groups by externalId, then displayName. Every entity lands in one
//! state: in sync, `DRIFT` (attribute by attribute), `NOT_PROVISIONED` (with the likely reason,
//! linked to the log evidence when the workspace has logs), or `UNMANAGED_IN_STORE`. Memberships
//! are compared too, and nested groups are flagged (Entra provisions direct members only).
//!
//! One match-and-diff serves users and groups (`matching`); `users` and `groups` declare what
//! differs. Pure functions over in-memory data: the caller reads the workspace.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diagnose::Rules;
use crate::directory::Directory;
use crate::directory::mapping::{AttributeMapping, Mapper};
use crate::model::{Category, EntityKind, EntityStatus};
use crate::identity_store::StoreSnapshot;
use crate::db::directories::DirectoryInfo;
use crate::db::snapshots::SnapshotInfo;

mod access;
mod evidence;
#[cfg(test)]
mod fixtures;
mod groups;
mod matching;
mod memberships;
mod over_time;
mod users;

pub use evidence::LogIndex;
pub use groups::CONTROL_TOWER_GROUPS;
pub use over_time::{IdentityChange, IdentityChangeKind, MembershipRef, SnapshotDiff, diff_snapshots};

pub use access::CompareAccess;
use groups::{GROUP_MATCH_ORDER, Groups};
use matching::{Context, compare_objects};
use memberships::{Matched, Structure, compare_memberships};
use users::{Users, shared_match_warnings};

/// Where an entity stands. The names are the report's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompareState {
    InSync,
    Drift,
    NotProvisioned,
    UnmanagedInStore,
}

impl CompareState {
    pub const ALL: [CompareState; 4] = [
        CompareState::InSync,
        CompareState::Drift,
        CompareState::NotProvisioned,
        CompareState::UnmanagedInStore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompareState::InSync => "IN_SYNC",
            CompareState::Drift => "DRIFT",
            CompareState::NotProvisioned => "NOT_PROVISIONED",
            CompareState::UnmanagedInStore => "UNMANAGED_IN_STORE",
        }
    }

    pub fn parse(s: &str) -> Option<CompareState> {
        let norm = s.replace(['-', ' '], "_");
        CompareState::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(&norm))
    }

    /// The failure category of the state (none for in sync).
    pub fn category(self) -> Option<Category> {
        match self {
            CompareState::InSync => None,
            CompareState::Drift => Some(Category::Drift),
            CompareState::NotProvisioned => Some(Category::NotProvisioned),
            CompareState::UnmanagedInStore => Some(Category::UnmanagedInStore),
        }
    }
}

impl std::fmt::Display for CompareState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key users are matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum MatchKey {
    ExternalId,
    UserName,
    Email,
    /// Groups only.
    DisplayName,
}

impl MatchKey {
    pub const USER_DEFAULT: [MatchKey; 3] =
        [MatchKey::ExternalId, MatchKey::UserName, MatchKey::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchKey::ExternalId => "externalId",
            MatchKey::UserName => "userName",
            MatchKey::Email => "email",
            MatchKey::DisplayName => "displayName",
        }
    }

    pub fn parse(s: &str) -> Option<MatchKey> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "externalid" => Some(MatchKey::ExternalId),
            "username" => Some(MatchKey::UserName),
            "email" | "primaryemail" | "emails" => Some(MatchKey::Email),
            _ => None,
        }
    }
}

/// Why an IdP object is not in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum NotProvisionedReason {
    /// The log has failed attempts (see `evidence`).
    Failed,
    /// Not assigned to the AWS app, or skipped as out of scope.
    NotAssigned,
    /// Only a member of a group nested inside an assigned group (Entra provisions direct
    /// members of assigned groups only).
    NestedGroupOnly,
    /// Logs are imported and say nothing about it.
    NeverAttempted,
    /// The log shows it provisioned, yet the store does not have it.
    DeletedInStore,
    /// No log is imported: the reason cannot be told.
    Unknown,
}

/// One side's identity of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SideRef {
    /// IdP object id, or AWS UserId / GroupId.
    pub id: Option<String>,
    /// userName (users) or displayName (groups).
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub email: Option<String>,
}

/// One attribute that differs: the IdP's value beside the store's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AttributeDiff {
    pub attribute: String,
    pub idp: Option<String>,
    pub store: Option<String>,
    pub note: Option<String>,
}

/// The log's word on an entity (the diagnosis row it links to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LogEvidence {
    /// Key of the entity in the log diagnosis (`scimlens entity KEY`).
    pub entity_key: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub message: Option<String>,
    pub events: u64,
    pub failures: u64,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityComparison {
    pub kind: EntityKind,
    pub state: CompareState,
    /// What the admin searches for: userName / displayName from whichever side has it.
    pub name: String,
    pub idp: Option<SideRef>,
    pub store: Option<SideRef>,
    pub matched_by: Option<MatchKey>,
    pub differences: Vec<AttributeDiff>,
    pub reason: Option<NotProvisionedReason>,
    /// The state explained in a sentence.
    pub detail: Option<String>,
    pub evidence: Option<LogEvidence>,
    pub fix: Option<String>,
    /// What it holds in AWS, would hold, or would lose; absent when the snapshot holds no
    /// account assignments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<CompareAccess>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MembershipComparison {
    pub state: CompareState,
    pub group: String,
    pub member: String,
    pub group_idp_id: Option<String>,
    pub group_store_id: Option<String>,
    pub member_idp_id: Option<String>,
    pub member_store_id: Option<String>,
    /// True when nesting explains it (the member belongs through a nested group).
    pub nested: bool,
    pub detail: String,
}

/// A group that is a member of another group in the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NestedGroup {
    pub parent: String,
    pub child: String,
    /// Users in the child (directly) that are not direct members of the parent.
    pub members_only_through_child: u64,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StateCounts {
    pub in_sync: u64,
    pub drift: u64,
    pub not_provisioned: u64,
    pub unmanaged_in_store: u64,
}

impl StateCounts {
    fn add(&mut self, s: CompareState) {
        match s {
            CompareState::InSync => self.in_sync += 1,
            CompareState::Drift => self.drift += 1,
            CompareState::NotProvisioned => self.not_provisioned += 1,
            CompareState::UnmanagedInStore => self.unmanaged_in_store += 1,
        }
    }

    pub fn problems(&self) -> u64 {
        self.drift + self.not_provisioned + self.unmanaged_in_store
    }
}

/// The `compare` section of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompareSection {
    pub directory: DirectoryInfo,
    pub snapshot: SnapshotInfo,
    pub match_order: Vec<MatchKey>,
    pub users: StateCounts,
    pub groups: StateCounts,
    /// `None` when one side has no membership data.
    pub memberships: Option<StateCounts>,
    /// Users and groups; in-sync ones only when asked for.
    pub entities: Vec<EntityComparison>,
    /// Memberships that are not in sync.
    pub membership_differences: Vec<MembershipComparison>,
    pub nested_groups: Vec<NestedGroup>,
    pub warnings: Vec<String>,
}

/// Options of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    pub match_order: Vec<MatchKey>,
    pub include_in_sync: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            match_order: MatchKey::USER_DEFAULT.to_vec(),
            include_in_sync: true,
        }
    }
}

/// What a comparison reads: the directory through its mapping, the store snapshot, and the
/// log diagnosis and rules that explain the differences.
#[derive(Debug, Clone, Copy)]
pub struct CompareInputs<'a> {
    pub directory: &'a Directory,
    pub directory_info: &'a DirectoryInfo,
    pub mapping: &'a AttributeMapping,
    pub snapshot: &'a StoreSnapshot,
    pub snapshot_info: &'a SnapshotInfo,
    pub logs: &'a LogIndex,
    pub rules: &'a Rules,
}

/// A store object the IdP would delete and create again, with what that orphans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AtRisk {
    pub kind: EntityKind,
    pub name: String,
    pub store_id: Option<String>,
    pub holds: Option<crate::model::AccessImpact>,
    /// Why the IdP might, and which assignments would be orphaned.
    pub detail: String,
}

/// The blast radius of what an export makes the IdP do: the rows whose identifier differs
/// between the export and the store (a `DRIFT` the IdP may apply by deleting the object and
/// creating another) and whose store object holds assignments. Store objects no IdP object
/// matches are left out: an export is often partial (one download of several), so they prove
/// nothing about what the IdP is about to do.
pub fn at_risk(section: &CompareSection) -> Vec<AtRisk> {
    section
        .entities
        .iter()
        .filter(|e| e.state == CompareState::Drift)
        .filter_map(|e| {
            let a = e.access.as_ref()?;
            Some(AtRisk {
                kind: e.kind,
                name: e.name.clone(),
                store_id: e.store.as_ref().and_then(|s| s.id.clone()),
                holds: a.holds,
                detail: a.at_risk.clone()?,
            })
        })
        .collect()
}

/// Compares the directory with the store.
pub fn compare(inputs: &CompareInputs<'_>, opts: &CompareOptions) -> CompareSection {
    let CompareInputs {
        directory,
        directory_info,
        mapping,
        snapshot,
        snapshot_info,
        logs,
        rules,
    } = *inputs;
    let mut user_mapper = Mapper::new(mapping, EntityKind::User);
    let mut group_mapper = Mapper::new(mapping, EntityKind::Group);
    let users = matching::read::<Users<'_>>(&directory.users, &mut user_mapper);
    let groups = matching::read::<Groups<'_>>(&directory.groups, &mut group_mapper);
    let structure = Structure::new(directory, &groups);
    let cx = Context {
        logs,
        idp: directory.idp,
        include_in_sync: opts.include_in_sync,
    };
    let by_user = compare_objects(
        &Users {
            structure: &structure,
        },
        &cx,
        &users,
        &snapshot.users,
        &user_mapper,
        &opts.match_order,
    );
    let by_group = compare_objects(
        &Groups {
            rules,
            structure: &structure,
        },
        &cx,
        &groups,
        &snapshot.groups,
        &group_mapper,
        &GROUP_MATCH_ORDER,
    );
    let memberships = compare_memberships(
        &structure,
        snapshot,
        Matched {
            idp: &users,
            matching: &by_user.matching,
        },
        Matched {
            idp: &groups,
            matching: &by_group.matching,
        },
    );

    let mut warnings = shared_match_warnings(&by_user.matching, &users, &snapshot.users);
    warnings.extend(memberships.warning);
    warnings.extend(directory.warnings.iter().cloned());
    let mut entities = by_user.rows;
    entities.extend(by_group.rows);
    access::weigh(
        &mut entities,
        snapshot,
        &access::Sides {
            exported_users: !directory.users.is_empty(),
            exported_groups: !directory.groups.is_empty(),
            groups: &groups,
            group_matching: &by_group.matching,
            structure: &structure,
        },
    );
    entities.sort_by(|a, b| {
        (
            a.state == CompareState::InSync,
            a.state,
            a.kind,
            a.name.to_lowercase(),
        )
            .cmp(&(
                b.state == CompareState::InSync,
                b.state,
                b.kind,
                b.name.to_lowercase(),
            ))
    });

    CompareSection {
        directory: directory_info.clone(),
        snapshot: snapshot_info.clone(),
        match_order: opts.match_order.clone(),
        users: by_user.counts,
        groups: by_group.counts,
        memberships: memberships.counts,
        entities,
        membership_differences: memberships.differences,
        nested_groups: structure.nested_groups(),
        warnings,
    }
}
