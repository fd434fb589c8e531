//! Who belongs where: the IdP's structure (direct members, nested groups, the app's
//! assignments), the nested groups Entra does not flatten, and each group's direct members in
//! the IdP beside its members in the store.

use std::collections::{HashMap, HashSet};

use super::matching::{IdpSide, Matching};
use super::{CompareState, MembershipComparison, NestedGroup, StateCounts};
use crate::directory::{Directory, MemberKind};
use crate::identity_store::StoreSnapshot;

/// The directory's memberships and assignments, by IdP id.
pub(super) struct Structure<'a> {
    groups: &'a [IdpSide<'a>],
    group_index: HashMap<&'a str, usize>,
    /// User -> the groups it is a direct member of.
    pub direct_groups_of: HashMap<&'a str, Vec<&'a str>>,
    /// Group -> the groups it is a member of.
    pub parents_of: HashMap<&'a str, Vec<&'a str>>,
    /// Group -> its direct user members.
    user_members: HashMap<&'a str, Vec<&'a str>>,
    /// Group -> the groups that are its members.
    child_groups: HashMap<&'a str, Vec<&'a str>>,
    /// `None` when no export named the app's assignments.
    pub assigned: Option<HashSet<&'a str>>,
    /// Users the IdP has suspended (Google Workspace's `suspended`).
    pub suspended: HashSet<&'a str>,
    any_members: bool,
}

impl<'a> Structure<'a> {
    pub fn new(directory: &'a Directory, groups: &'a [IdpSide<'a>]) -> Structure<'a> {
        let group_index: HashMap<&str, usize> = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.mapped.idp_id.map(|id| (id, i)))
            .collect();
        let mut direct_groups_of: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut parents_of: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut user_members: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut child_groups: HashMap<&str, Vec<&str>> = HashMap::new();
        for m in &directory.members {
            match m.kind {
                MemberKind::Group => {
                    parents_of
                        .entry(&m.member_id)
                        .or_default()
                        .push(&m.group_id);
                    child_groups
                        .entry(&m.group_id)
                        .or_default()
                        .push(&m.member_id);
                }
                MemberKind::User | MemberKind::Unknown => {
                    direct_groups_of
                        .entry(&m.member_id)
                        .or_default()
                        .push(&m.group_id);
                    user_members
                        .entry(&m.group_id)
                        .or_default()
                        .push(&m.member_id);
                }
            }
        }
        let assigned: Option<HashSet<&str>> = directory
            .assignments
            .as_ref()
            .map(|a| a.iter().map(|a| a.principal_id.as_str()).collect());
        let suspended: HashSet<&str> = directory
            .users
            .iter()
            .filter(|u| u.first(crate::directory::google::SUSPENDED) == Some("true"))
            .filter_map(|u| u.idp_id.as_deref())
            .collect();
        Structure {
            groups,
            group_index,
            direct_groups_of,
            parents_of,
            user_members,
            child_groups,
            assigned,
            suspended,
            any_members: !directory.members.is_empty(),
        }
    }

    /// A group's label, or its IdP id when the export does not hold it.
    pub fn group_name(&self, id: &str) -> String {
        self.group_index
            .get(id)
            .map(|i| self.groups[*i].label())
            .unwrap_or_else(|| id.to_string())
    }

    /// Every group that is a member of another, with the users that reach the parent only
    /// through it.
    pub fn nested_groups(&self) -> Vec<NestedGroup> {
        let group_name = |id: &str| self.group_name(id);
        let user_members = &self.user_members;
        let mut nested_groups = Vec::new();
        for (parent, children) in &self.child_groups {
            let direct: HashSet<&str> = user_members
                .get(parent)
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default();
            for child in children {
                let only_child = user_members
                    .get(child)
                    .into_iter()
                    .flatten()
                    .filter(|m| !direct.contains(*m))
                    .count() as u64;
                nested_groups.push(NestedGroup {
                    parent: group_name(parent),
                    child: group_name(child),
                    members_only_through_child: only_child,
                    detail: format!(
                        "{} is a member of {}: Entra provisions direct members only, so {only_child} user(s) of {} are \
                         not members of {} in AWS (AD sync would flatten them)",
                        group_name(child),
                        group_name(parent),
                        group_name(child),
                        group_name(parent)
                    ),
                });
            }
        }
        nested_groups.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
        nested_groups
    }
}

/// One kind's IdP objects and who they matched.
pub(super) struct Matched<'a> {
    pub idp: &'a [IdpSide<'a>],
    pub matching: &'a Matching,
}

/// Memberships compared: `counts` is `None`, with a `warning`, when one side has no data.
pub(super) struct Memberships {
    pub counts: Option<StateCounts>,
    pub differences: Vec<MembershipComparison>,
    pub warning: Option<String>,
}

/// Each matched group's direct members in the IdP beside its members in the store.
pub(super) fn compare_memberships(
    structure: &Structure<'_>,
    snapshot: &StoreSnapshot,
    users: Matched<'_>,
    groups: Matched<'_>,
) -> Memberships {
    if !snapshot.memberships_known || !structure.any_members {
        let warning = if !snapshot.memberships_known {
            "the store snapshot has no membership data: memberships are not compared"
        } else {
            "the directory export has no group members: memberships are not compared"
        };
        return Memberships {
            counts: None,
            differences: Vec::new(),
            warning: Some(warning.to_string()),
        };
    }
    let user_index: HashMap<&str, usize> = users
        .idp
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.mapped.idp_id.map(|id| (id, i)))
        .collect();
    let store_user_of = |ui: usize| users.matching.matched[ui].map(|m| m.store);
    let mut counts = StateCounts::default();
    let mut membership_differences = Vec::new();
    let mut store_members: HashMap<&str, HashSet<&str>> = HashMap::new();
    for m in &snapshot.memberships {
        if let Some(u) = &m.member_id.user_id {
            store_members
                .entry(m.group_id.as_str())
                .or_default()
                .insert(u.as_str());
        }
    }
    let store_user_idx: HashMap<&str, usize> = snapshot
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.user_id.as_str(), i))
        .collect();
    for (gi, g) in groups.idp.iter().enumerate() {
        let (Some(s), Some(gid)) = (
            groups.matching.matched[gi].map(|m| m.store),
            g.mapped.idp_id,
        ) else {
            continue;
        };
        let sg = &snapshot.groups[s];
        let in_store = store_members
            .get(sg.group_id.as_str())
            .cloned()
            .unwrap_or_default();
        let mut expected: HashSet<&str> = HashSet::new();
        for member in structure.user_members.get(gid).into_iter().flatten() {
            let ui = user_index.get(member).copied();
            let su = ui.and_then(store_user_of).map(|s| &snapshot.users[s]);
            let member_label = ui
                .map(|ui| users.idp[ui].label())
                .unwrap_or_else(|| member.to_string());
            match su {
                Some(su) if in_store.contains(su.user_id.as_str()) => {
                    expected.insert(su.user_id.as_str());
                    counts.add(CompareState::InSync);
                }
                _ => {
                    counts.add(CompareState::NotProvisioned);
                    membership_differences.push(MembershipComparison {
                        state: CompareState::NotProvisioned,
                        group: g.label(),
                        member: member_label,
                        group_idp_id: Some(gid.to_string()),
                        group_store_id: Some(sg.group_id.clone()),
                        member_idp_id: Some(member.to_string()),
                        member_store_id: su.map(|u| u.user_id.clone()),
                        nested: false,
                        detail: if su.is_some() {
                            "a direct member in the IdP, not a member in AWS".to_string()
                        } else {
                            "a direct member in the IdP; the user is not in AWS".to_string()
                        },
                    });
                }
            }
        }
        // Members in AWS that the IdP does not list directly.
        let through_children: HashSet<&str> = structure
            .child_groups
            .get(gid)
            .into_iter()
            .flatten()
            .flat_map(|c| structure.user_members.get(c).into_iter().flatten().copied())
            .collect();
        let mut extra: Vec<&str> = in_store
            .iter()
            .copied()
            .filter(|u| !expected.contains(u))
            .collect();
        extra.sort_unstable();
        for store_uid in extra {
            let idp_user = store_user_idx
                .get(store_uid)
                .and_then(|si| users.matching.claimed_by[*si])
                .map(|ui| &users.idp[ui]);
            let nested = idp_user
                .and_then(|u| u.mapped.idp_id)
                .is_some_and(|id| through_children.contains(id));
            let member_label = idp_user.map(|u| u.label()).unwrap_or_else(|| {
                store_user_idx
                    .get(store_uid)
                    .and_then(|si| snapshot.users[*si].user_name.clone())
                    .unwrap_or_else(|| store_uid.to_string())
            });
            counts.add(CompareState::UnmanagedInStore);
            membership_differences.push(MembershipComparison {
                state: CompareState::UnmanagedInStore,
                group: g.label(),
                member: member_label,
                group_idp_id: Some(gid.to_string()),
                group_store_id: Some(sg.group_id.clone()),
                member_idp_id: idp_user.and_then(|u| u.mapped.idp_id).map(str::to_string),
                member_store_id: Some(store_uid.to_string()),
                nested,
                detail: if nested {
                    "a member in AWS; in the IdP only through a nested group (flattened by AD sync or added by \
                     hand)"
                        .to_string()
                } else {
                    "a member in AWS but not a member in the IdP (added outside SCIM, or removed in the IdP and \
                     not yet synced)"
                        .to_string()
                },
            });
        }
    }
    Memberships {
        counts: Some(counts),
        differences: membership_differences,
        warning: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        Case, directory, member, okta_group, okta_user, snapshot, store_group, store_member,
        store_user,
    };
    use super::super::{
        CompareSection, CompareState, MembershipComparison, NestedGroup, StateCounts,
    };
    use crate::directory::{DirectoryIdp, MemberKind};

    /// Engineering holds Ana, Bob and Eve directly and Contractors (holding Cy) as a member.
    /// In AWS, Engineering holds Ana, Cy (flattened) and Dan (added by hand); Bob is in AWS
    /// but not in the group, Eve not in AWS at all.
    fn case() -> Case {
        let mut dir = directory(
            DirectoryIdp::Okta,
            vec![
                okta_user("u1", "ana", "ana@example.com"),
                okta_user("u2", "bob", "bob@example.com"),
                okta_user("u3", "cy", "cy@example.com"),
                okta_user("u5", "eve", "eve@example.com"),
            ],
            vec![
                okta_group("g1", "Engineering"),
                okta_group("g2", "Contractors"),
            ],
        );
        dir.members = vec![
            member("g1", "u1", MemberKind::User),
            member("g1", "u2", MemberKind::User),
            member("g1", "u5", MemberKind::User),
            member("g1", "g2", MemberKind::Group),
            member("g2", "u3", MemberKind::User),
        ];
        let store = snapshot(
            vec![
                store_user("s1", "ana", Some("u1"), Some("ana@example.com")),
                store_user("s2", "bob", Some("u2"), Some("bob@example.com")),
                store_user("s3", "cy", Some("u3"), Some("cy@example.com")),
                store_user("s4", "dan", None, None),
            ],
            vec![store_group("sg1", "Engineering", Some("g1"))],
            vec![
                store_member("sg1", "s1"),
                store_member("sg1", "s3"),
                store_member("sg1", "s4"),
            ],
        );
        Case::new(dir, store)
    }

    fn membership<'c>(c: &'c CompareSection, member: &str) -> &'c MembershipComparison {
        c.membership_differences
            .iter()
            .find(|m| m.member == member)
            .unwrap_or_else(|| {
                panic!(
                    "no membership of {member} in {:#?}",
                    c.membership_differences
                )
            })
    }

    #[test]
    fn each_direct_member_and_each_aws_member_of_a_matched_group_is_counted_once() {
        let c = case().run();
        assert_eq!(
            c.memberships,
            Some(StateCounts {
                in_sync: 1,
                drift: 0,
                not_provisioned: 2,
                unmanaged_in_store: 2,
            })
        );
        assert_eq!(
            c.membership_differences.len(),
            4,
            "ana is in sync and not listed"
        );
    }

    #[test]
    fn a_direct_member_missing_from_the_aws_group_is_not_provisioned() {
        let c = case().run();
        let bob = membership(&c, "bob");
        assert_eq!(bob.state, CompareState::NotProvisioned);
        assert_eq!(
            bob.detail,
            "a direct member in the IdP, not a member in AWS"
        );
        assert_eq!(bob.member_store_id.as_deref(), Some("s2"));
        let eve = membership(&c, "eve");
        assert_eq!(
            eve.detail,
            "a direct member in the IdP; the user is not in AWS"
        );
        assert_eq!(eve.member_store_id, None);
    }

    #[test]
    fn an_aws_member_the_idp_holds_only_through_a_nested_group_is_flagged_nested() {
        let c = case().run();
        let cy = membership(&c, "cy");
        assert_eq!(
            (cy.state, cy.nested),
            (CompareState::UnmanagedInStore, true)
        );
        assert!(cy.detail.contains("only through a nested group"), "{cy:?}");
        assert_eq!(cy.member_idp_id.as_deref(), Some("u3"));
    }

    #[test]
    fn an_aws_member_the_idp_does_not_hold_is_unmanaged_and_named_by_its_aws_user_name() {
        let c = case().run();
        let dan = membership(&c, "dan");
        assert_eq!(
            (dan.state, dan.nested),
            (CompareState::UnmanagedInStore, false)
        );
        assert_eq!(
            (dan.group.as_str(), dan.member_idp_id.as_deref()),
            ("Engineering", None)
        );
        assert!(
            dan.detail
                .starts_with("a member in AWS but not a member in the IdP")
        );
    }

    #[test]
    fn a_nested_group_counts_the_users_that_reach_its_parent_only_through_it() {
        let c = case().run();
        assert_eq!(
            c.nested_groups,
            [NestedGroup {
                parent: "Engineering".into(),
                child: "Contractors".into(),
                members_only_through_child: 1,
                detail: "Contractors is a member of Engineering: Entra provisions direct members only, so 1 \
                         user(s) of Contractors are not members of Engineering in AWS (AD sync would flatten them)"
                    .into(),
            }]
        );
    }

    #[test]
    fn memberships_are_not_compared_when_the_snapshot_has_no_membership_data() {
        let mut case = case();
        case.snapshot.memberships_known = false;
        let c = case.run();
        assert_eq!(c.memberships, None);
        assert!(c.membership_differences.is_empty());
        assert_eq!(
            c.warnings,
            ["the store snapshot has no membership data: memberships are not compared"]
        );
    }

    #[test]
    fn memberships_are_not_compared_when_the_export_lists_no_members() {
        let mut case = case();
        case.directory.members.clear();
        let c = case.run();
        assert_eq!(c.memberships, None);
        assert_eq!(
            c.warnings,
            ["the directory export has no group members: memberships are not compared"]
        );
    }
}
