//! One store snapshot against an older one: users and groups added, removed and changed (matched
//! by AWS ids, compared on every stored attribute), memberships added and removed.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::groups::Groups;
use super::matching::{ObjectKind, joined};
use super::users::Users;
use super::{AttributeDiff, SideRef};
use crate::identity_store::{StoreSnapshot, StoreUser};
use crate::model::EntityKind;
use crate::db::snapshots::SnapshotInfo;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChangedObject {
    pub object: SideRef,
    /// `idp` holds the older value, `store` the newer.
    pub differences: Vec<AttributeDiff>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ObjectChanges {
    pub added: Vec<SideRef>,
    pub removed: Vec<SideRef>,
    pub changed: Vec<ChangedObject>,
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MembershipRef {
    pub group_id: String,
    pub group: Option<String>,
    pub user_id: String,
    pub user: Option<String>,
}

/// What changed in the store between two snapshots (matched by AWS ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnapshotDiff {
    pub from: SnapshotInfo,
    pub to: SnapshotInfo,
    pub users: ObjectChanges,
    pub groups: ObjectChanges,
    /// `false` when either snapshot has no membership data.
    pub memberships_compared: bool,
    pub memberships_added: Vec<MembershipRef>,
    pub memberships_removed: Vec<MembershipRef>,
    /// The same person or group under a new id, or with a new identifier.
    #[serde(default)]
    pub identity_changes: Vec<IdentityChange>,
}

/// How an identity changed between two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum IdentityChangeKind {
    /// Deleted and created again: a new AWS id for the same externalId, userName or email (a
    /// group: display name). Assignments to the old id give nobody access.
    Recreated,
    /// Same AWS id, a new userName or primary email.
    Renamed,
    /// Same AWS id, another externalId: the IdP's anchor moved; the next sync may not find it.
    AnchorMoved,
}

/// One identity change, with both ids, when and what it touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IdentityChange {
    pub kind: EntityKind,
    pub change: IdentityChangeKind,
    /// userName or display name, the newer one.
    pub name: String,
    pub old_id: String,
    pub new_id: String,
    /// For `recreated`: what the two objects share (`externalId`, `userName`, `email`,
    /// `displayName`).
    pub matched_on: Option<String>,
    /// The identifiers that differ (`idp` holds the older value, `store` the newer).
    pub differences: Vec<AttributeDiff>,
    /// Between these snapshots' times.
    pub after: String,
    pub before: String,
    /// The account assignments of the old id in the newer snapshot (left orphaned) or, without
    /// access data there, in the older one (lost with the old id).
    pub assignments: Vec<String>,
    /// Log records of the delete and the create (CloudTrail, the IdP's log), when imported.
    pub evidence: Vec<String>,
}

/// One kind's objects in `old` beside those in `new`, by AWS id.
fn changes<K: ObjectKind>(old: &[K::Store], new: &[K::Store]) -> ObjectChanges {
    fn id<K: ObjectKind>(o: &K::Store) -> &str {
        K::store_side(o).id
    }
    let old_by: HashMap<&str, &K::Store> = old.iter().map(|o| (id::<K>(o), o)).collect();
    let new_ids: HashSet<&str> = new.iter().map(id::<K>).collect();
    let mut out = ObjectChanges::default();
    for n in new {
        match old_by.get(id::<K>(n)) {
            None => out.added.push(K::store_side(n).side()),
            Some(o) => {
                let (ov, nv) = (K::store_values(o), K::store_values(n));
                let keys: BTreeSet<&str> = ov.keys().chain(nv.keys()).copied().collect();
                let differences: Vec<AttributeDiff> = keys
                    .into_iter()
                    .filter(|k| ov.get(k) != nv.get(k))
                    .map(|k| AttributeDiff {
                        attribute: k.to_string(),
                        idp: ov.get(k).and_then(|v| joined(v)),
                        store: nv.get(k).and_then(|v| joined(v)),
                        note: None,
                    })
                    .collect();
                if differences.is_empty() {
                    out.unchanged += 1;
                } else {
                    out.changed.push(ChangedObject {
                        object: K::store_side(n).side(),
                        differences,
                    });
                }
            }
        }
    }
    out.removed = old
        .iter()
        .filter(|o| !new_ids.contains(id::<K>(o)))
        .map(|o| K::store_side(o).side())
        .collect();
    out
}

/// Compares two snapshots of the store: objects added, removed and changed, memberships added
/// and removed.
pub fn diff_snapshots(
    from: &StoreSnapshot,
    from_info: &SnapshotInfo,
    to: &StoreSnapshot,
    to_info: &SnapshotInfo,
) -> SnapshotDiff {
    let users = changes::<Users<'_>>(&from.users, &to.users);
    let groups = changes::<Groups<'_>>(&from.groups, &to.groups);
    let compared = from.memberships_known && to.memberships_known;
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    if compared {
        let names: HashMap<&str, &str> =
            from.users
                .iter()
                .chain(&to.users)
                .filter_map(|u| u.user_name.as_deref().map(|n| (u.user_id.as_str(), n)))
                .chain(
                    from.groups.iter().chain(&to.groups).filter_map(|g| {
                        g.display_name.as_deref().map(|n| (g.group_id.as_str(), n))
                    }),
                )
                .collect();
        let set = |s: &StoreSnapshot| -> HashSet<(String, String)> {
            s.memberships
                .iter()
                .filter_map(|m| m.member_id.user_id.clone().map(|u| (m.group_id.clone(), u)))
                .collect()
        };
        let (a, b) = (set(from), set(to));
        let as_ref = |(g, u): &(String, String)| MembershipRef {
            group: names.get(g.as_str()).map(|s| s.to_string()),
            user: names.get(u.as_str()).map(|s| s.to_string()),
            group_id: g.clone(),
            user_id: u.clone(),
        };
        added = b.difference(&a).map(as_ref).collect();
        removed = a.difference(&b).map(as_ref).collect();
        let key = |m: &MembershipRef| {
            (
                m.group.clone(),
                m.user.clone(),
                m.group_id.clone(),
                m.user_id.clone(),
            )
        };
        added.sort_by_key(key);
        removed.sort_by_key(key);
    }
    let identity_changes = identity_changes(from, from_info, to, to_info, &users, &groups);
    SnapshotDiff {
        from: from_info.clone(),
        to: to_info.clone(),
        users,
        groups,
        memberships_compared: compared,
        memberships_added: added,
        memberships_removed: removed,
        identity_changes,
    }
}

/// An identifier whose change is an identity change.
fn identifying(attribute: &str) -> bool {
    attribute == "userName" || attribute == "externalId" || attribute.starts_with("emails")
}

fn lowered(s: Option<&str>) -> Option<String> {
    s.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty())
}

/// The keys a removed object and an added one may share, strongest first.
fn user_keys(u: &StoreUser) -> [(&'static str, Option<String>); 3] {
    [
        ("externalId", u.first_external_id().map(str::to_string)),
        ("userName", lowered(u.user_name.as_deref())),
        ("email", lowered(u.primary_email())),
    ]
}

/// Pairs each removed object with the one added object sharing its strongest key (a key two
/// added objects share decides nothing).
fn pair<'a, T>(
    removed: &[&'a T],
    added: &[&'a T],
    keys: impl Fn(&T) -> Vec<(&'static str, Option<String>)>,
) -> Vec<(&'a T, &'a T, &'static str)> {
    let mut pairs = Vec::new();
    let mut taken = vec![false; added.len()];
    for r in removed {
        for (name, value) in keys(r) {
            let Some(value) = value else { continue };
            let hits: Vec<usize> = (0..added.len())
                .filter(|&i| {
                    !taken[i]
                        && keys(added[i])
                            .into_iter()
                            .any(|(n, v)| n == name && v.as_ref() == Some(&value))
                })
                .collect();
            if let [one] = hits[..] {
                taken[one] = true;
                pairs.push((*r, added[one], name));
                break;
            }
        }
    }
    pairs
}

/// The old id's assignments: in the newer snapshot (orphaned there) or, without access data
/// there, in the older one.
fn assignments_of(old_id: &str, from: &StoreSnapshot, to: &StoreSnapshot) -> Vec<String> {
    let Some(access) = to.access.as_ref().or(from.access.as_ref()) else {
        return Vec::new();
    };
    let names: HashMap<&str, &str> = access
        .permission_sets
        .iter()
        .filter_map(|p| Some((p.permission_set_arn.as_str(), p.name.as_deref()?)))
        .collect();
    let mut found: Vec<String> = access
        .assignments
        .iter()
        .filter(|a| a.principal_id == old_id)
        .map(|a| {
            format!(
                "{} in {}",
                names
                    .get(a.permission_set_arn.as_str())
                    .copied()
                    .unwrap_or(&a.permission_set_arn),
                a.account_id
            )
        })
        .collect();
    found.sort();
    found
}

/// Users and groups deleted and created again, renamed, or whose externalId moved.
fn identity_changes(
    from: &StoreSnapshot,
    from_info: &SnapshotInfo,
    to: &StoreSnapshot,
    to_info: &SnapshotInfo,
    users: &ObjectChanges,
    groups: &ObjectChanges,
) -> Vec<IdentityChange> {
    let change = |kind, change, name: String, old_id: &str, new_id: &str| IdentityChange {
        kind,
        change,
        name,
        old_id: old_id.to_string(),
        new_id: new_id.to_string(),
        matched_on: None,
        differences: Vec::new(),
        after: from_info.taken_at.clone(),
        before: to_info.taken_at.clone(),
        assignments: assignments_of(old_id, from, to),
        evidence: Vec::new(),
    };
    let mut found = Vec::new();
    let ids = |sides: &[SideRef]| -> HashSet<String> {
        sides.iter().filter_map(|s| s.id.clone()).collect()
    };
    let (gone, new) = (ids(&users.removed), ids(&users.added));
    let removed: Vec<&StoreUser> = from.users.iter().filter(|u| gone.contains(&u.user_id)).collect();
    let added: Vec<&StoreUser> = to.users.iter().filter(|u| new.contains(&u.user_id)).collect();
    for (old, new, on) in pair(&removed, &added, |u| user_keys(u).to_vec()) {
        found.push(IdentityChange {
            matched_on: Some(on.to_string()),
            ..change(
                EntityKind::User,
                IdentityChangeKind::Recreated,
                new.user_name.clone().unwrap_or_else(|| new.user_id.clone()),
                &old.user_id,
                &new.user_id,
            )
        });
    }
    let (gone, new) = (ids(&groups.removed), ids(&groups.added));
    let removed: Vec<_> = from.groups.iter().filter(|g| gone.contains(&g.group_id)).collect();
    let added: Vec<_> = to.groups.iter().filter(|g| new.contains(&g.group_id)).collect();
    let group_keys = |g: &crate::identity_store::StoreGroup| {
        vec![
            ("externalId", g.first_external_id().map(str::to_string)),
            ("displayName", g.display_name.clone()),
        ]
    };
    for (old, new, on) in pair(&removed, &added, group_keys) {
        found.push(IdentityChange {
            matched_on: Some(on.to_string()),
            ..change(
                EntityKind::Group,
                IdentityChangeKind::Recreated,
                new.display_name.clone().unwrap_or_else(|| new.group_id.clone()),
                &old.group_id,
                &new.group_id,
            )
        });
    }
    for (kind, changes) in [(EntityKind::User, users), (EntityKind::Group, groups)] {
        for c in &changes.changed {
            let differences: Vec<AttributeDiff> = c
                .differences
                .iter()
                .filter(|d| identifying(&d.attribute))
                .cloned()
                .collect();
            if differences.is_empty() {
                continue;
            }
            let id = c.object.id.clone().unwrap_or_default();
            let what = if differences.iter().any(|d| d.attribute == "externalId") {
                IdentityChangeKind::AnchorMoved
            } else {
                IdentityChangeKind::Renamed
            };
            let name = c.object.name.clone().unwrap_or_else(|| id.clone());
            found.push(IdentityChange {
                differences,
                // The id stays: its assignments still work.
                assignments: Vec::new(),
                ..change(kind, what, name, &id, &id)
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{snapshot, snapshot_info, store_group, store_member, store_user};
    use super::*;
    use crate::identity_store::StoreGroup;

    fn diff(from: &StoreSnapshot, to: &StoreSnapshot) -> SnapshotDiff {
        diff_snapshots(from, &snapshot_info(1), to, &snapshot_info(2))
    }

    fn names(sides: &[SideRef]) -> Vec<&str> {
        sides.iter().filter_map(|s| s.name.as_deref()).collect()
    }

    #[test]
    fn users_added_removed_and_changed_are_listed_and_the_unchanged_counted() {
        let from = snapshot(
            vec![
                store_user("s1", "ana", Some("u1"), Some("ana@example.com")),
                store_user("s2", "bob", Some("u2"), None),
                store_user("s3", "cy", None, None),
            ],
            Vec::new(),
            Vec::new(),
        );
        let to = snapshot(
            vec![
                store_user("s1", "ana", Some("u1"), Some("ana@new.example.com")),
                store_user("s3", "cy", None, None),
                store_user("s4", "dan", None, None),
            ],
            Vec::new(),
            Vec::new(),
        );
        let d = diff(&from, &to);
        assert_eq!(names(&d.users.added), ["dan"]);
        assert_eq!(names(&d.users.removed), ["bob"]);
        assert_eq!(d.users.unchanged, 1);
        let [ana] = d.users.changed.as_slice() else {
            panic!("one changed user: {:#?}", d.users.changed)
        };
        assert_eq!(ana.object.name.as_deref(), Some("ana"));
        assert_eq!(
            ana.differences,
            [AttributeDiff {
                attribute: "emails.value".into(),
                idp: Some("ana@example.com".into()),
                store: Some("ana@new.example.com".into()),
                note: None,
            }],
            "`idp` holds the older value, `store` the newer"
        );
    }

    #[test]
    fn a_group_description_set_since_the_older_snapshot_is_a_change() {
        let from = snapshot(
            Vec::new(),
            vec![store_group("g1", "Engineering", Some("x"))],
            Vec::new(),
        );
        let to = snapshot(
            Vec::new(),
            vec![StoreGroup {
                description: Some("Builds things".into()),
                ..store_group("g1", "Engineering", Some("x"))
            }],
            Vec::new(),
        );
        let d = diff(&from, &to);
        let changed = &d.groups.changed[0];
        assert_eq!(
            (
                changed.differences[0].attribute.as_str(),
                changed.differences[0].idp.as_deref()
            ),
            ("description", None)
        );
    }

    #[test]
    fn memberships_added_and_removed_are_named_by_user_and_group() {
        let users = vec![
            store_user("s1", "ana", None, None),
            store_user("s2", "bob", None, None),
        ];
        let groups = vec![store_group("g1", "Engineering", None)];
        let from = snapshot(
            users.clone(),
            groups.clone(),
            vec![store_member("g1", "s1")],
        );
        let to = snapshot(users, groups, vec![store_member("g1", "s2")]);
        let d = diff(&from, &to);
        assert!(d.memberships_compared);
        let label = |m: &[MembershipRef]| -> Vec<(Option<String>, Option<String>)> {
            m.iter()
                .map(|m| (m.user.clone(), m.group.clone()))
                .collect()
        };
        let engineering = Some("Engineering".to_string());
        assert_eq!(
            label(&d.memberships_added),
            [(Some("bob".into()), engineering.clone())]
        );
        assert_eq!(
            label(&d.memberships_removed),
            [(Some("ana".into()), engineering)]
        );
    }

    #[test]
    fn memberships_are_not_compared_when_a_snapshot_lacks_them() {
        let from = snapshot(Vec::new(), Vec::new(), vec![store_member("g1", "s1")]);
        let mut to = from.clone();
        to.memberships_known = false;
        let d = diff(&from, &to);
        assert!(!d.memberships_compared);
        assert!(d.memberships_added.is_empty() && d.memberships_removed.is_empty());
    }

    #[test]
    fn a_new_user_name_is_a_rename_and_a_new_external_id_an_anchor_moved_both_keeping_the_id() {
        let from = snapshot(
            vec![
                store_user("s1", "ana@example.com", Some("x1"), None),
                store_user("s2", "bob@example.com", Some("x2"), None),
                store_user("s3", "cy@example.com", Some("x3"), None),
            ],
            Vec::new(),
            Vec::new(),
        );
        let to = snapshot(
            vec![
                store_user("s1", "ana.lee@example.com", Some("x1"), None),
                store_user("s2", "bob@example.com", Some("x2-new"), None),
                store_user("s4", "CY@example.com", None, None),
            ],
            Vec::new(),
            Vec::new(),
        );
        let d = diff(&from, &to);
        let seen: Vec<(IdentityChangeKind, &str, &str, Option<&str>)> = d
            .identity_changes
            .iter()
            .map(|c| (c.change, c.old_id.as_str(), c.new_id.as_str(), c.matched_on.as_deref()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (IdentityChangeKind::Recreated, "s3", "s4", Some("userName")),
                (IdentityChangeKind::Renamed, "s1", "s1", None),
                (IdentityChangeKind::AnchorMoved, "s2", "s2", None),
            ],
            "userName matches whatever its case"
        );
    }
}
