//! One store snapshot against an older one: users and groups added, removed and changed (matched
//! by AWS ids, compared on every stored attribute), memberships added and removed.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::groups::Groups;
use super::matching::{ObjectKind, joined};
use super::users::Users;
use super::{AttributeDiff, SideRef};
use crate::identity_store::StoreSnapshot;
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
    SnapshotDiff {
        from: from_info.clone(),
        to: to_info.clone(),
        users,
        groups,
        memberships_compared: compared,
        memberships_added: added,
        memberships_removed: removed,
    }
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
}
