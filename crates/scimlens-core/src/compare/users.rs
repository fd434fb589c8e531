//! Users: matched by externalId, then userName, then primary email unless the workspace sets
//! another order; an IdP user the store lacks may be reachable only through a nested group.

use std::collections::BTreeMap;

use super::MatchKey;
use super::evidence::Placement;
use super::matching::{IdpSide, Matching, ObjectKind, StoreSide};
use super::memberships::Structure;
use crate::directory::mapping::{Attr, Mapped, Mapper};
use crate::model::EntityKind;
use crate::identity_store::StoreUser;

/// Users, with the directory's structure for the reasons a user is not provisioned.
pub(super) struct Users<'a> {
    pub structure: &'a Structure<'a>,
}

impl ObjectKind for Users<'_> {
    type Store = StoreUser;
    const KIND: EntityKind = EntityKind::User;
    // Every key of the default order; a workspace may reorder them, never add displayName.
    const MATCH_KEYS: &'static [MatchKey] = &MatchKey::USER_DEFAULT;

    fn idp_side<'a>(mapped: Mapped<'a>, mapper: &Mapper) -> IdpSide<'a> {
        IdpSide {
            name: mapped.first(mapper, Attr::UserName),
            display_name: mapped.first(mapper, Attr::DisplayName),
            external_id: mapped.first(mapper, Attr::ExternalId),
            email: mapped.primary_email(mapper),
            mapped,
        }
    }

    fn store_side(u: &StoreUser) -> StoreSide<'_> {
        StoreSide {
            id: &u.user_id,
            name: u.user_name.as_deref(),
            display_name: u.display_name.as_deref(),
            email: u.primary_email(),
            external_ids: &u.external_ids,
            first_external_id: u.first_external_id(),
        }
    }

    fn store_values(u: &StoreUser) -> BTreeMap<&'static str, Vec<String>> {
        store_user_values(u)
    }

    fn unmanaged_detail(&self, _idp: &IdpSide<'_>, by: MatchKey) -> String {
        format!(
            "AWS has a user with the same {} but no ExternalIds: created outside SCIM (console, \
             API, JIT or Control Tower); the IdP's create fails with 409 until it is deleted or \
             given the IdP's externalId",
            by.as_str()
        )
    }

    fn placement(&self, idp: &IdpSide<'_>) -> Placement {
        let Structure {
            direct_groups_of,
            parents_of,
            assigned,
            ..
        } = self.structure;
        let id = idp.mapped.idp_id.unwrap_or_default();
        let directly_assigned = assigned.as_ref().is_some_and(|a| a.contains(id));
        let nested_only = direct_groups_of.get(id).is_some_and(|gs| {
            !gs.is_empty()
                && gs.iter().all(|g| parents_of.contains_key(g))
                && !assigned
                    .as_ref()
                    .is_some_and(|a| gs.iter().any(|g| a.contains(g)))
        }) && !directly_assigned;
        let not_assigned = assigned.as_ref().is_some_and(|a| {
            !a.contains(id)
                && !direct_groups_of
                    .get(id)
                    .is_some_and(|gs| gs.iter().any(|g| a.contains(g)))
        });
        Placement {
            nested_only,
            not_assigned,
            suspended: self.structure.suspended.contains(id),
        }
    }

    fn nesting_detail(&self, idp: &IdpSide<'_>) -> String {
        let s = self.structure;
        let via: Vec<String> = idp
            .mapped
            .idp_id
            .and_then(|id| s.direct_groups_of.get(id))
            .into_iter()
            .flatten()
            .map(|g| {
                let parents: Vec<String> = s
                    .parents_of
                    .get(g)
                    .into_iter()
                    .flatten()
                    .map(|p| s.group_name(p))
                    .collect();
                format!("{} (inside {})", s.group_name(g), parents.join(", "))
            })
            .collect();
        format!(
            "member only of nested group(s): {}; Entra provisions direct members of assigned groups only",
            via.join("; ")
        )
    }

    fn unmatched_detail(&self, u: &StoreSide<'_>) -> String {
        match u.first_external_id {
            None => "no ExternalIds: created outside SCIM (console, API, JIT or Control Tower)"
                .to_string(),
            Some(ext) => format!(
                "has externalId {ext} but no user in the IdP export matches: deleted or unassigned in the IdP \
                 (AWS keeps users the IdP stops managing), or the export is incomplete"
            ),
        }
    }
}

/// A warning for every IdP user that matched an AWS user another IdP user had matched first.
pub(super) fn shared_match_warnings(
    matching: &Matching,
    users: &[IdpSide<'_>],
    store: &[StoreUser],
) -> Vec<String> {
    matching
        .shared
        .iter()
        .map(|m| {
            let su = &store[m.store];
            format!(
                "IdP users {} and {} both match AWS user {} (by {}): only the first is compared",
                users[m.first].label(),
                users[m.second].label(),
                su.user_name.as_deref().unwrap_or(&su.user_id),
                m.key.as_str()
            )
        })
        .collect()
}

/// A store user's values under the comparison keys the mapping uses (`emails.value`, ...).
pub fn store_user_values(u: &StoreUser) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut put = |k: &'static str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            out.entry(k).or_default().push(v.clone());
        }
    };
    put("userName", u.user_name.as_ref());
    put("displayName", u.display_name.as_ref());
    if let Some(n) = &u.name {
        put("name.givenName", n.given_name.as_ref());
        put("name.familyName", n.family_name.as_ref());
        put("name.formatted", n.formatted.as_ref());
        put("name.middleName", n.middle_name.as_ref());
        put("name.honorificPrefix", n.honorific_prefix.as_ref());
        put("name.honorificSuffix", n.honorific_suffix.as_ref());
    }
    for e in &u.external_ids {
        put("externalId", Some(&e.id));
    }
    put("nickName", u.nick_name.as_ref());
    put("profileUrl", u.profile_url.as_ref());
    put("title", u.title.as_ref());
    put("userType", u.user_type.as_ref());
    put("preferredLanguage", u.preferred_language.as_ref());
    put("locale", u.locale.as_ref());
    put("timezone", u.timezone.as_ref());
    for e in &u.emails {
        put("emails.value", e.value.as_ref());
    }
    for p in &u.phone_numbers {
        put("phoneNumbers.value", p.value.as_ref());
    }
    for a in &u.addresses {
        put("addresses.streetAddress", a.street_address.as_ref());
        put("addresses.locality", a.locality.as_ref());
        put("addresses.region", a.region.as_ref());
        put("addresses.postalCode", a.postal_code.as_ref());
        put("addresses.country", a.country.as_ref());
        put("addresses.formatted", a.formatted.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        Case, assigned, directory, entry, member, okta_group, okta_user, row, snapshot, store_user,
    };
    use super::super::{CompareState, MatchKey, NotProvisionedReason};
    use super::*;
    use crate::directory::{DirectoryIdp, MemberKind};
    use crate::identity_store::StoreValue;

    #[test]
    fn two_idp_users_on_one_aws_user_compare_only_the_first_and_warn() {
        let c = Case::users(
            vec![
                entry("00u1", &[("login", "ana")]),
                entry("00u2", &[("login", "ANA")]),
            ],
            vec![store_user("s1", "ana", None, None)],
        )
        .run();
        assert_eq!(row(&c, "ana").matched_by, Some(MatchKey::UserName));
        assert_eq!(row(&c, "ANA").state, CompareState::NotProvisioned);
        assert_eq!(
            c.warnings[0],
            "IdP users ana and ANA both match AWS user ana (by userName): only the first is compared"
        );
    }

    #[test]
    fn an_aws_user_without_external_ids_found_by_user_name_is_unmanaged_not_drift() {
        let c = Case::users(
            vec![okta_user("00u1", "ana", "ana@example.com")],
            vec![store_user("s1", "ana", None, None)],
        )
        .run();
        let ana = row(&c, "ana");
        assert_eq!(ana.state, CompareState::UnmanagedInStore);
        assert_eq!(ana.matched_by, Some(MatchKey::UserName));
        assert!(ana.differences.is_empty());
        assert!(
            ana.detail.as_deref().is_some_and(
                |d| d.starts_with("AWS has a user with the same userName but no ExternalIds")
            ),
            "{ana:?}"
        );
        assert_eq!(c.users.unmanaged_in_store, 1);
    }

    /// Ana is a member of Contractors only, a group nested in Engineering; Bob of no group.
    fn nested_case(assignments: &[&str]) -> Case {
        let mut dir = directory(
            DirectoryIdp::Okta,
            vec![
                okta_user("00u1", "ana", "ana@example.com"),
                okta_user("00u2", "bob", "bob@example.com"),
            ],
            vec![
                okta_group("g-eng", "Engineering"),
                okta_group("g-con", "Contractors"),
            ],
        );
        dir.members = vec![
            member("g-eng", "g-con", MemberKind::Group),
            member("g-con", "00u1", MemberKind::User),
        ];
        dir.assignments = assigned(assignments);
        Case::new(dir, snapshot(Vec::new(), Vec::new(), Vec::new()))
    }

    #[test]
    fn a_user_only_in_a_nested_group_is_not_provisioned_because_of_nesting() {
        let c = nested_case(&["g-eng"]).run();
        let ana = row(&c, "ana");
        assert_eq!(ana.reason, Some(NotProvisionedReason::NestedGroupOnly));
        assert_eq!(
            ana.detail.as_deref(),
            Some(
                "member only of nested group(s): Contractors (inside Engineering); Entra provisions direct \
                 members of assigned groups only"
            )
        );
    }

    #[test]
    fn a_user_assigned_directly_is_not_blamed_on_nesting() {
        let c = nested_case(&["g-eng", "00u1"]).run();
        assert_eq!(row(&c, "ana").reason, Some(NotProvisionedReason::Unknown));
    }

    #[test]
    fn a_user_neither_assigned_nor_in_an_assigned_group_is_not_assigned() {
        let c = nested_case(&["g-eng"]).run();
        let bob = row(&c, "bob");
        assert_eq!(bob.reason, Some(NotProvisionedReason::NotAssigned));
        assert_eq!(
            bob.detail.as_deref(),
            Some("not assigned to the AWS app, directly or through a group")
        );
    }

    #[test]
    fn a_store_user_values_skip_blank_attributes_and_keep_every_email() {
        let mut u = store_user("s1", "ana", Some("00u1"), Some("ana@example.com"));
        u.title = Some("  ".into());
        u.emails.push(StoreValue {
            value: Some("ana@old.example.com".into()),
            ..Default::default()
        });
        let values = store_user_values(&u);
        assert_eq!(values.get("title"), None);
        assert_eq!(
            values["emails.value"],
            ["ana@example.com", "ana@old.example.com"]
        );
    }
}
