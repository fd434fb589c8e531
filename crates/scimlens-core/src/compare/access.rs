//! What each compared entity holds in AWS, from the snapshot's account assignments: what a store
//! object holds, what a user the IdP has not provisioned would hold through its IdP groups the
//! store has, and the blast radius: the assignments the IdP would orphan by deleting the store
//! object and creating a new one (a changed identifier, or an object the IdP no longer has).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::matching::{IdpSide, Matching};
use super::memberships::Structure;
use super::{CompareState, EntityComparison};
use crate::identity_store::StoreSnapshot;
use crate::model::{AccessImpact, EntityKind};

/// An entity's access beside the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompareAccess {
    /// What the store object holds (directly, and a user through its groups).
    pub holds: Option<AccessImpact>,
    /// A user the IdP has not provisioned: what it would hold through the IdP groups it is a
    /// direct member of that the store has.
    pub should_hold: Option<AccessImpact>,
    /// The assignments the IdP would orphan by deleting the store object (and creating another),
    /// and why it might.
    pub at_risk: Option<String>,
}

/// Assignments listed in a blast radius before "and N more".
const LISTED: usize = 5;

type Pair<'a> = (&'a str, &'a str);

/// The snapshot's assignments by principal, and each store user's groups.
struct Holdings<'a> {
    by_principal: HashMap<&'a str, Vec<Pair<'a>>>,
    groups_of: HashMap<&'a str, Vec<&'a str>>,
    permission_set_names: HashMap<&'a str, &'a str>,
}

impl<'a> Holdings<'a> {
    fn new(snapshot: &'a StoreSnapshot) -> Option<Holdings<'a>> {
        let access = snapshot.access.as_ref()?;
        let mut by_principal: HashMap<&str, Vec<Pair<'_>>> = HashMap::new();
        for a in &access.assignments {
            by_principal
                .entry(a.principal_id.as_str())
                .or_default()
                .push((a.account_id.as_str(), a.permission_set_arn.as_str()));
        }
        let mut groups_of: HashMap<&str, Vec<&str>> = HashMap::new();
        for m in &snapshot.memberships {
            if let Some(user) = m.member_id.user_id.as_deref() {
                groups_of.entry(user).or_default().push(m.group_id.as_str());
            }
        }
        Some(Holdings {
            by_principal,
            groups_of,
            permission_set_names: access
                .permission_sets
                .iter()
                .filter_map(|p| Some((p.permission_set_arn.as_str(), p.name.as_deref()?)))
                .collect(),
        })
    }

    fn direct(&self, principal: &str) -> impl Iterator<Item = Pair<'a>> + '_ {
        self.by_principal.get(principal).into_iter().flatten().copied()
    }

    /// What principal `id` of `kind` holds: a group its own, a user its own and its groups'.
    fn of(&self, kind: EntityKind, id: &str) -> BTreeSet<Pair<'a>> {
        let mut pairs: BTreeSet<Pair<'a>> = self.direct(id).collect();
        if kind == EntityKind::User {
            for g in self.groups_of.get(id).into_iter().flatten() {
                pairs.extend(self.direct(g));
            }
        }
        pairs
    }

    fn listed(&self, pairs: &BTreeSet<Pair<'a>>) -> String {
        let mut shown: Vec<String> = pairs
            .iter()
            .take(LISTED)
            .map(|(account, ps)| {
                format!(
                    "{} in {account}",
                    self.permission_set_names.get(ps).copied().unwrap_or(ps)
                )
            })
            .collect();
        if pairs.len() > LISTED {
            shown.push(format!("and {} more", pairs.len() - LISTED));
        }
        shown.join(", ")
    }
}

fn impact(pairs: &BTreeSet<Pair<'_>>) -> AccessImpact {
    let accounts: BTreeSet<&str> = pairs.iter().map(|(a, _)| *a).collect();
    let sets: BTreeSet<&str> = pairs.iter().map(|(_, p)| *p).collect();
    AccessImpact {
        accounts: accounts.len() as u32,
        permission_sets: sets.len() as u32,
        assignments: pairs.len() as u32,
    }
}

/// Identifiers whose change makes a sync tool delete a user and create a new one.
fn identifier(attribute: &str) -> bool {
    attribute == "userName" || attribute == "externalId" || attribute.starts_with("emails")
}

/// Why the IdP might delete and re-create `row`'s store object, when it might.
fn recreate_reason(row: &EntityComparison, exported: bool) -> Option<String> {
    match row.state {
        CompareState::Drift => {
            let changed: Vec<&str> = row
                .differences
                .iter()
                .map(|d| d.attribute.as_str())
                .filter(|a| identifier(a))
                .collect();
            let one = changed.len() == 1;
            (!changed.is_empty()).then(|| {
                format!(
                    "its {} {} in the IdP: a sync that matches on {} (ssosync, idp-scim-sync, \
                     or Entra when it is the matching attribute) deletes this {} and creates a \
                     new one",
                    changed.join(" and "),
                    if one { "differs" } else { "differ" },
                    if one { "it" } else { "them" },
                    row.kind.as_str()
                )
            })
        }
        CompareState::UnmanagedInStore
            if exported && row.store.as_ref().is_some_and(|s| s.external_id.is_some()) =>
        {
            Some(format!(
                "no object of the IdP matches it though SCIM made it: a sync that deletes what the \
                 IdP no longer has (ssosync, idp-scim-sync) deletes this {}, and an IdP that \
                 re-creates it gives it a new id",
                row.kind.as_str()
            ))
        }
        _ => None,
    }
}

/// The IdP's groups beside their store matches, and who is a member of which, for [`weigh`].
pub(super) struct Sides<'s, 'a> {
    /// Whether the export holds users, and groups: a store object of a kind the export does not
    /// hold is unmatched for that reason alone, and nothing says the IdP would remove it.
    pub exported_users: bool,
    pub exported_groups: bool,
    pub groups: &'s [IdpSide<'a>],
    pub group_matching: &'s Matching,
    pub structure: &'s Structure<'a>,
}

/// Sets each row's [`CompareAccess`] when the snapshot holds account assignments.
pub(super) fn weigh(rows: &mut [EntityComparison], snapshot: &StoreSnapshot, sides: &Sides<'_, '_>) {
    let Some(holdings) = Holdings::new(snapshot) else {
        return;
    };
    // IdP group id -> the store group it matched.
    let store_group_of: HashMap<&str, &str> = sides
        .groups
        .iter()
        .zip(&sides.group_matching.matched)
        .filter_map(|(g, m)| {
            Some((
                g.mapped.idp_id?,
                snapshot.groups.get(m.as_ref()?.store)?.group_id.as_str(),
            ))
        })
        .collect();
    for row in rows {
        if !matches!(row.kind, EntityKind::User | EntityKind::Group) {
            continue;
        }
        let held = row
            .store
            .as_ref()
            .and_then(|s| s.id.as_deref())
            .map(|id| holdings.of(row.kind, id));
        let should = (row.state == CompareState::NotProvisioned && row.kind == EntityKind::User)
            .then(|| {
                let idp_id = row.idp.as_ref().and_then(|s| s.id.as_deref())?;
                let groups = sides.structure.direct_groups_of.get(idp_id)?;
                let pairs: BTreeSet<Pair<'_>> = groups
                    .iter()
                    .filter_map(|g| store_group_of.get(g))
                    .flat_map(|g| holdings.direct(g))
                    .collect();
                Some(pairs)
            })
            .flatten();
        let at_risk = held
            .as_ref()
            .filter(|pairs| !pairs.is_empty())
            .and_then(|pairs| {
                let exported = match row.kind {
                    EntityKind::Group => sides.exported_groups,
                    _ => sides.exported_users,
                };
                recreate_reason(row, exported).map(|why| {
                    format!(
                        "{why}: its {} assignment{} would be orphaned ({})",
                        pairs.len(),
                        if pairs.len() == 1 { "" } else { "s" },
                        holdings.listed(pairs)
                    )
                })
            });
        row.access = Some(CompareAccess {
            holds: held.as_ref().map(impact),
            should_hold: should.as_ref().map(impact),
            at_risk,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use crate::directory::{DirectoryIdp, MemberKind};
    use crate::identity_store::{AccountAssignment, PermissionSet, PrincipalType, StoreAccess};
    use crate::model::AccessImpact;

    fn assignment(account: &str, ps: &str, kind: PrincipalType, id: &str) -> AccountAssignment {
        AccountAssignment {
            account_id: account.into(),
            permission_set_arn: format!("arn:{ps}"),
            principal_type: kind,
            principal_id: id.into(),
        }
    }

    /// Okta: ann (drifted userName) and bob (not provisioned, a direct member of Ops) and Ops;
    /// AWS: ann under her old userName in Ops, Ops holding Admin in 111, ann ReadOnly in 222
    /// herself, and old (made by SCIM, gone from the IdP) holding ReadOnly in 333.
    fn case() -> Case {
        let mut dir = directory(
            DirectoryIdp::Okta,
            vec![
                okta_user("00u-ann", "ann.new@example.com", "ann.new@example.com"),
                okta_user("00u-bob", "bob@example.com", "bob@example.com"),
            ],
            vec![okta_group("00g-ops", "Ops")],
        );
        dir.members = vec![
            member("00g-ops", "00u-ann", MemberKind::User),
            member("00g-ops", "00u-bob", MemberKind::User),
        ];
        let mut snap = snapshot(
            vec![
                store_user("u-ann", "ann@example.com", Some("00u-ann"), Some("ann@example.com")),
                store_user("u-old", "old@example.com", Some("00u-old"), None),
            ],
            vec![store_group("g-ops", "Ops", Some("00g-ops"))],
            vec![store_member("g-ops", "u-ann")],
        );
        snap.access = Some(StoreAccess {
            permission_sets: ["Admin", "ReadOnly"]
                .map(|n| PermissionSet {
                    permission_set_arn: format!("arn:{n}"),
                    name: Some(n.into()),
                    ..Default::default()
                })
                .to_vec(),
            assignments: vec![
                assignment("111", "Admin", PrincipalType::Group, "g-ops"),
                assignment("222", "ReadOnly", PrincipalType::User, "u-ann"),
                assignment("333", "ReadOnly", PrincipalType::User, "u-old"),
            ],
            accounts: Vec::new(),
        });
        Case::new(dir, snap)
    }

    fn one(n: u32) -> Option<AccessImpact> {
        Some(AccessImpact {
            accounts: n,
            permission_sets: n,
            assignments: n,
        })
    }

    #[test]
    fn a_changed_user_name_puts_every_assignment_the_user_holds_at_risk() {
        let c = case().run();
        let ann = row(&c, "ann.new@example.com");
        let a = ann.access.as_ref().unwrap();
        assert_eq!(a.holds, one(2), "her own and Ops'");
        let risk = a.at_risk.as_deref().expect("userName differs");
        assert!(
            risk.starts_with("its emails.value and userName differ in the IdP"),
            "{risk}"
        );
        assert!(
            risk.ends_with("its 2 assignments would be orphaned (Admin in 111, ReadOnly in 222)"),
            "{risk}"
        );
    }

    #[test]
    fn a_user_not_provisioned_would_hold_what_its_idp_groups_hold_in_aws() {
        let c = case().run();
        let bob = row(&c, "bob@example.com");
        let a = bob.access.as_ref().unwrap();
        assert_eq!((a.holds, a.should_hold), (None, one(1)));
        assert_eq!(a.at_risk, None);
    }

    #[test]
    fn a_scim_made_user_the_idp_no_longer_has_risks_its_assignments_to_a_deleting_sync() {
        let c = case().run();
        let old = row(&c, "old@example.com");
        let risk = old.access.as_ref().unwrap().at_risk.as_deref().unwrap();
        assert!(risk.contains("ssosync, idp-scim-sync"), "{risk}");
        assert!(risk.ends_with("(ReadOnly in 333)"), "{risk}");
    }

    #[test]
    fn without_account_assignments_the_comparison_says_nothing_of_access() {
        let mut case = case();
        case.snapshot.access = None;
        let c = case.run();
        assert!(c.entities.iter().all(|e| e.access.is_none()));
    }
}
