//! Who may use what, read from a store snapshot's account assignments: a user's effective access
//! (each account x permission set, and every path that grants it: directly or through a group),
//! and the orphaned assignments (whose principal was deleted, perhaps created again under a new
//! id) with their likely successor and the fix. Pure functions over rows `db::access` reads,
//! and [`orphaned_in`], which gathers the orphans of a snapshot for the api and the report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::Workspace;
use crate::db::access::{self as db_access, AssignedGroupRow, NamedAssignment};
use crate::error::Result;
use crate::identity_store::{PrincipalType, StoreGroup, StoreUser};
use crate::model::AccessImpact;

/// How a user holds a permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AccessPath {
    /// Assigned to the user.
    Direct,
    /// Assigned to a group the user is a member of.
    Group {
        group_id: String,
        /// The group's display name in the snapshot.
        group_name: Option<String>,
    },
}

/// One account x permission set a user can use, with every path that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EffectiveAccess {
    pub account_id: String,
    /// Known when Organizations was read.
    pub account_name: Option<String>,
    pub permission_set_arn: String,
    /// Known when the permission set was described.
    pub permission_set_name: Option<String>,
    /// Direct first, then groups by name.
    pub via: Vec<AccessPath>,
}

/// Folds a user's assignments (its own and its groups') into one entry per account x
/// permission set, ordered by account, then permission set name.
pub fn effective(rows: Vec<NamedAssignment>) -> Vec<EffectiveAccess> {
    let mut by_pair: BTreeMap<(String, String), EffectiveAccess> = BTreeMap::new();
    for r in rows {
        let entry = by_pair
            .entry((r.account_id.clone(), r.permission_set_arn.clone()))
            .or_insert_with(|| EffectiveAccess {
                account_id: r.account_id,
                account_name: r.account_name,
                permission_set_arn: r.permission_set_arn,
                permission_set_name: r.permission_set_name,
                via: Vec::new(),
            });
        entry.via.push(match r.principal_type {
            PrincipalType::User => AccessPath::Direct,
            PrincipalType::Group => AccessPath::Group {
                group_id: r.principal_id,
                group_name: r.group_name,
            },
        });
    }
    let mut all: Vec<EffectiveAccess> = by_pair.into_values().collect();
    for a in &mut all {
        a.via.sort_by(|x, y| match (x, y) {
            (AccessPath::Group { group_name: a, .. }, AccessPath::Group { group_name: b, .. }) => {
                a.cmp(b).then_with(|| x.cmp(y))
            }
            _ => x.cmp(y),
        });
        a.via.dedup();
    }
    all.sort_by(|a, b| {
        (&a.account_id, &a.permission_set_name, &a.permission_set_arn).cmp(&(
            &b.account_id,
            &b.permission_set_name,
            &b.permission_set_arn,
        ))
    });
    all
}

/// What a successor shares with the deleted principal, in the order it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum SuccessorMatch {
    /// The IdP's own id for the object: the same person or group for certain.
    ExternalId,
    UserName,
    /// A display name, for groups (and users when nothing better matches): the weakest.
    DisplayName,
}

/// The user or group that most likely replaced a deleted principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Successor {
    pub id: String,
    pub name: Option<String>,
    pub matched_on: SuccessorMatch,
}

/// An assignment whose principal is none of the snapshot's users or groups: the name may still
/// show in the console, but nobody gets the access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrphanedAssignment {
    pub account_id: String,
    pub account_name: Option<String>,
    pub permission_set_arn: String,
    pub permission_set_name: Option<String>,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    /// Who the principal was (userName or display name), from the newest earlier snapshot that
    /// held it; `None` when no snapshot of the workspace knew it.
    pub former_name: Option<String>,
    pub successor: Option<Successor>,
    /// What to do about it.
    pub fix: String,
}

/// One identifier of an object, normalized for comparison.
type Key<'a, T> = (SuccessorMatch, &'a dyn Fn(&T) -> Option<String>);

/// The one candidate sharing a key with `former`, trying the keys in order; a key two
/// candidates share decides nothing (the next key is tried).
fn pick<'a, T>(
    candidates: &'a [T],
    keys: &[Key<'_, T>],
    former: &T,
) -> Option<(&'a T, SuccessorMatch)> {
    for (key, value) in keys {
        let Some(wanted) = value(former) else {
            continue;
        };
        let mut matching = candidates.iter().filter(|c| value(c).as_ref() == Some(&wanted));
        if let (Some(one), None) = (matching.next(), matching.next()) {
            return Some((one, *key));
        }
    }
    None
}

/// The user that most likely replaced `former`: same externalId, else same userName
/// (case-insensitive), else same display name.
pub fn successor_user(former: &StoreUser, candidates: &[StoreUser]) -> Option<Successor> {
    let external = |u: &StoreUser| u.first_external_id().map(str::to_string);
    let user_name = |u: &StoreUser| u.user_name.as_ref().map(|n| n.to_lowercase());
    let display = |u: &StoreUser| u.display_name.clone();
    let candidates: Vec<StoreUser> = candidates
        .iter()
        .filter(|c| c.user_id != former.user_id)
        .cloned()
        .collect();
    pick(
        &candidates,
        &[
            (SuccessorMatch::ExternalId, &external),
            (SuccessorMatch::UserName, &user_name),
            (SuccessorMatch::DisplayName, &display),
        ],
        former,
    )
    .map(|(u, matched_on)| Successor {
        id: u.user_id.clone(),
        name: u.user_name.clone().or_else(|| u.display_name.clone()),
        matched_on,
    })
}

/// The group that most likely replaced `former`: same externalId, else same display name.
pub fn successor_group(former: &StoreGroup, candidates: &[StoreGroup]) -> Option<Successor> {
    let external = |g: &StoreGroup| g.first_external_id().map(str::to_string);
    let display = |g: &StoreGroup| g.display_name.clone();
    let candidates: Vec<StoreGroup> = candidates
        .iter()
        .filter(|c| c.group_id != former.group_id)
        .cloned()
        .collect();
    pick(
        &candidates,
        &[
            (SuccessorMatch::ExternalId, &external),
            (SuccessorMatch::DisplayName, &display),
        ],
        former,
    )
    .map(|(g, matched_on)| Successor {
        id: g.group_id.clone(),
        name: g.display_name.clone(),
        matched_on,
    })
}

/// The finding for one orphaned assignment.
pub fn orphaned(
    row: NamedAssignment,
    former_name: Option<String>,
    successor: Option<Successor>,
) -> OrphanedAssignment {
    let what = match row.principal_type {
        PrincipalType::User => "user",
        PrincipalType::Group => "group",
    };
    let set = row
        .permission_set_name
        .clone()
        .unwrap_or_else(|| row.permission_set_arn.clone());
    let fix = match &successor {
        Some(s) => format!(
            "assign {set} in account {} to the {what} {} ({}), then remove the assignment to \
             the deleted {what} {}",
            row.account_id,
            s.name.as_deref().unwrap_or(&s.id),
            s.id,
            row.principal_id
        ),
        None => format!(
            "remove the assignment of {set} in account {} to the deleted {what} {}, and \
             assign it to whoever should hold it now",
            row.account_id, row.principal_id
        ),
    };
    OrphanedAssignment {
        account_id: row.account_id,
        account_name: row.account_name,
        permission_set_arn: row.permission_set_arn,
        permission_set_name: row.permission_set_name,
        principal_type: row.principal_type,
        principal_id: row.principal_id,
        former_name,
        successor,
        fix,
    }
}

/// The orphaned assignments of snapshot `id`, each with who the principal was (from an earlier
/// snapshot), its likely successor and the fix: gathered from the workspace for the api and the
/// report.
pub async fn orphaned_in(ws: &Workspace, id: i64) -> Result<Vec<OrphanedAssignment>> {
    let mut found = Vec::new();
    for row in db_access::orphaned(ws, id).await? {
        let (former_name, successor) = match row.principal_type {
            PrincipalType::User => match db_access::former_user(ws, id, &row.principal_id).await? {
                Some(former) => {
                    let candidates = db_access::users_like(ws, id, &former).await?;
                    (
                        former.user_name.clone().or(former.display_name.clone()),
                        successor_user(&former, &candidates),
                    )
                }
                None => (None, None),
            },
            PrincipalType::Group => {
                match db_access::former_group(ws, id, &row.principal_id).await? {
                    Some(former) => {
                        let candidates = db_access::groups_like(ws, id, &former).await?;
                        (
                            former.display_name.clone(),
                            successor_group(&former, &candidates),
                        )
                    }
                    None => (None, None),
                }
            }
        };
        found.push(orphaned(row, former_name, successor));
    }
    Ok(found)
}

/// A group holding account assignments that gives nobody access (no members), or that the IdP
/// does not manage (no externalId: made in the console, through the API or by Control Tower, or
/// by a sync tool that sets none, so the IdP never updates its members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AssignedGroup {
    pub group_id: String,
    pub display_name: Option<String>,
    pub members: u64,
    /// What it holds: every member gets it.
    pub holds: AccessImpact,
    pub fix: String,
}

/// The assigned groups of a snapshot worth a look: those without members (when the snapshot
/// knows memberships) and those without an externalId.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFindings {
    pub empty: Vec<AssignedGroup>,
    pub unmanaged: Vec<AssignedGroup>,
}

/// Sorts the assigned groups of a snapshot into [`GroupFindings`]. `memberships_known` is false
/// for a snapshot imported without memberships: no group is then called empty.
pub fn group_findings(rows: Vec<AssignedGroupRow>, memberships_known: bool) -> Result<GroupFindings> {
    let mut found = GroupFindings::default();
    for r in rows {
        let holds = db_access::impact_from_counts(
            &r.group_id,
            [r.accounts, r.permission_sets, r.assignments],
        )?;
        let name = r.display_name.clone().unwrap_or_else(|| r.group_id.clone());
        let group = |fix: String| AssignedGroup {
            group_id: r.group_id.clone(),
            display_name: r.display_name.clone(),
            members: r.members.max(0) as u64,
            holds,
            fix,
        };
        if memberships_known && r.members == 0 {
            found.empty.push(group(format!(
                "{name} holds {} but has no members: add its members in the IdP (Entra \
                 provisions only direct members of an assigned group, not nested groups), or \
                 remove the assignment if nobody should hold it",
                holds.summary()
            )));
        }
        if r.external_id.is_none() {
            found.unmanaged.push(group(format!(
                "{name} has no externalId, so no IdP manages its members: manage them in IAM \
                 Identity Center, or assign the access to the group the IdP provisions"
            )));
        }
    }
    Ok(found)
}

/// [`group_findings`] of snapshot `id`.
pub async fn group_findings_in(ws: &Workspace, id: i64) -> Result<GroupFindings> {
    let info = crate::db::snapshots::info(ws, id).await?;
    group_findings(
        db_access::assigned_groups(ws, id).await?,
        info.memberships_known,
    )
}

/// What one diagnosed entity holds in AWS: the store principal it was found as in the weighing
/// snapshot, and every account x permission set with the paths that grant it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityAccess {
    pub snapshot_id: i64,
    /// The user or group id in the identity store.
    pub principal_id: String,
    pub holds: AccessImpact,
    pub access: Vec<EffectiveAccess>,
}

/// What entity `key` (a user or a group) holds, when the weighing snapshot holds it.
pub async fn of_entity(
    ws: &Workspace,
    key: &str,
    kind: crate::model::EntityKind,
) -> Result<Option<EntityAccess>> {
    let Some((snapshot_id, principal_id, holds)) = db_access::impact_of(ws, key).await? else {
        return Ok(None);
    };
    let rows = match kind {
        crate::model::EntityKind::Group => {
            db_access::for_group(ws, snapshot_id, &principal_id).await?
        }
        _ => db_access::for_user(ws, snapshot_id, &principal_id).await?,
    };
    Ok(Some(EntityAccess {
        snapshot_id,
        principal_id,
        holds,
        access: effective(rows),
    }))
}

/// The access findings in numbers, for the app's Overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessOverview {
    pub snapshot_id: i64,
    pub orphaned: u64,
    /// Failing entities that hold access: what the failures put at stake.
    pub failing_with_access: u64,
    pub empty_groups: u64,
    pub unmanaged_groups: u64,
}

/// [`AccessOverview`] of the weighing snapshot; `None` when there is none.
pub async fn overview(ws: &Workspace) -> Result<Option<AccessOverview>> {
    let mut conn = ws.pool().acquire().await?;
    let Some(id) = db_access::weighing_snapshot(&mut conn).await? else {
        return Ok(None);
    };
    drop(conn);
    let groups = group_findings_in(ws, id).await?;
    Ok(Some(AccessOverview {
        snapshot_id: id,
        orphaned: db_access::orphaned(ws, id).await?.len() as u64,
        failing_with_access: db_access::failing_with_access(ws).await?.max(0) as u64,
        empty_groups: groups.empty.len() as u64,
        unmanaged_groups: groups.unmanaged.len() as u64,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(account: &str, ps: &str, kind: PrincipalType, principal: &str) -> NamedAssignment {
        NamedAssignment {
            account_id: account.into(),
            account_name: None,
            permission_set_arn: format!("arn:{ps}"),
            permission_set_name: Some(ps.into()),
            principal_type: kind,
            principal_id: principal.into(),
            group_name: (kind == PrincipalType::Group).then(|| format!("{principal} name")),
        }
    }

    #[test]
    fn one_entry_per_account_and_permission_set_lists_direct_then_each_group() {
        let all = effective(vec![
            row("2", "ReadOnly", PrincipalType::Group, "g-b"),
            row("1", "Admin", PrincipalType::Group, "g-b"),
            row("1", "Admin", PrincipalType::User, "u"),
            row("1", "Admin", PrincipalType::Group, "g-a"),
        ]);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].account_id.as_str(), all[0].permission_set_name.as_deref()),
            ("1", Some("Admin"))
        );
        assert_eq!(
            all[0].via,
            vec![
                AccessPath::Direct,
                AccessPath::Group {
                    group_id: "g-a".into(),
                    group_name: Some("g-a name".into())
                },
                AccessPath::Group {
                    group_id: "g-b".into(),
                    group_name: Some("g-b name".into())
                },
            ]
        );
        assert_eq!(all[1].via.len(), 1);
    }

    fn user(id: &str, name: &str, external: Option<&str>) -> StoreUser {
        StoreUser {
            user_id: id.into(),
            user_name: Some(name.into()),
            display_name: Some(format!("{name} display")),
            external_ids: external
                .map(|e| {
                    vec![crate::identity_store::ExternalId {
                        issuer: "idp".into(),
                        id: e.into(),
                    }]
                })
                .unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn a_successor_is_matched_by_external_id_before_user_name() {
        let former = user("old", "ann@example.com", Some("ext-ann"));
        let renamed = user("new-1", "ann.lee@example.com", Some("ext-ann"));
        let namesake = user("new-2", "ANN@example.com", None);
        let s = successor_user(&former, &[namesake.clone(), renamed]).unwrap();
        assert_eq!((s.id.as_str(), s.matched_on), ("new-1", SuccessorMatch::ExternalId));
        let s = successor_user(&former, &[namesake]).unwrap();
        assert_eq!(
            (s.id.as_str(), s.matched_on),
            ("new-2", SuccessorMatch::UserName),
            "userName matches case-insensitively"
        );
    }

    #[test]
    fn two_candidates_sharing_a_key_make_no_successor_on_it() {
        let former = StoreGroup {
            group_id: "old".into(),
            display_name: Some("Ops".into()),
            ..Default::default()
        };
        let twin = |id: &str| StoreGroup {
            group_id: id.into(),
            display_name: Some("Ops".into()),
            ..Default::default()
        };
        assert_eq!(successor_group(&former, &[twin("a"), twin("b")]), None);
        assert_eq!(
            successor_group(&former, &[twin("a")]).map(|s| s.matched_on),
            Some(SuccessorMatch::DisplayName)
        );
    }
}
