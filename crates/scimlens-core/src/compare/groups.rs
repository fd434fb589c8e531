//! Groups: matched by externalId, then displayName; Control Tower's groups and reserved names
//! explain a store group the IdP cannot create, and nesting explains one it does not send.

use std::collections::BTreeMap;

use super::MatchKey;
use super::evidence::Placement;
use super::matching::{IdpSide, ObjectKind, StoreSide};
use super::memberships::Structure;
use crate::diagnose::Rules;
use crate::directory::mapping::{Attr, Mapped, Mapper};
use crate::model::EntityKind;
use crate::identity_store::StoreGroup;

/// Groups AWS Control Tower creates directly in the store [seen]; they collide with IdP groups.
pub const CONTROL_TOWER_GROUPS: [&str; 8] = [
    "AWSControlTowerAdmins",
    "AWSSecurityAuditors",
    "AWSServiceCatalogAdmins",
    "AWSAccountFactory",
    "AWSLogArchiveAdmins",
    "AWSLogArchiveViewers",
    "AWSAuditAccountAdmins",
    "AWSSecurityAuditPowerUsers",
];

/// The order groups are matched in (not configurable).
pub(super) const GROUP_MATCH_ORDER: [MatchKey; 2] = [MatchKey::ExternalId, MatchKey::DisplayName];

/// Groups, with the reserved names and the directory's structure.
pub(super) struct Groups<'a> {
    pub rules: &'a Rules,
    pub structure: &'a Structure<'a>,
}

impl ObjectKind for Groups<'_> {
    type Store = StoreGroup;
    const KIND: EntityKind = EntityKind::Group;
    const MATCH_KEYS: &'static [MatchKey] = &GROUP_MATCH_ORDER;

    fn idp_side<'a>(mapped: Mapped<'a>, mapper: &Mapper) -> IdpSide<'a> {
        IdpSide {
            name: mapped.first(mapper, Attr::DisplayName),
            display_name: mapped.first(mapper, Attr::DisplayName),
            external_id: mapped.first(mapper, Attr::ExternalId),
            email: None,
            mapped,
        }
    }

    fn store_side(g: &StoreGroup) -> StoreSide<'_> {
        StoreSide {
            id: &g.group_id,
            name: g.display_name.as_deref(),
            display_name: g.display_name.as_deref(),
            email: None,
            external_ids: &g.external_ids,
            first_external_id: g.first_external_id(),
        }
    }

    fn store_values(g: &StoreGroup) -> BTreeMap<&'static str, Vec<String>> {
        store_group_values(g)
    }

    /// A group is reported as matched by externalId whenever the two ids agree (ASCII case
    /// aside), whichever key found it.
    fn reported_key(&self, idp: &IdpSide<'_>, g: &StoreSide<'_>, _found_by: MatchKey) -> MatchKey {
        if idp
            .external_id
            .is_some_and(|e| g.external_ids.iter().any(|x| x.id.eq_ignore_ascii_case(e)))
        {
            MatchKey::ExternalId
        } else {
            MatchKey::DisplayName
        }
    }

    fn unmanaged_detail(&self, idp: &IdpSide<'_>, _by: MatchKey) -> String {
        let control_tower = CONTROL_TOWER_GROUPS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(idp.name.unwrap_or_default()))
            || idp.name.is_some_and(|n| self.rules.is_reserved(n));
        if control_tower {
            "AWS has a group of this name created outside SCIM by AWS Control Tower: the IdP's \
             group of the same name fails with a duplicate (409); rename the IdP group"
                .to_string()
        } else {
            "AWS has a group of this name but no ExternalIds: created outside SCIM; the IdP's \
             create fails with a duplicate (409) until it is deleted or renamed"
                .to_string()
        }
    }

    fn placement(&self, idp: &IdpSide<'_>) -> Placement {
        let id = idp.mapped.idp_id.unwrap_or_default();
        let is_assigned = self.structure.assigned.as_ref().map(|a| a.contains(id));
        Placement {
            nested_only: self.structure.parents_of.contains_key(id) && is_assigned != Some(true),
            not_assigned: is_assigned == Some(false),
            suspended: false,
        }
    }

    fn nesting_detail(&self, idp: &IdpSide<'_>) -> String {
        let s = self.structure;
        let parents: Vec<String> = s
            .parents_of
            .get(idp.mapped.idp_id.unwrap_or_default())
            .into_iter()
            .flatten()
            .map(|p| s.group_name(p))
            .collect();
        format!(
            "nested inside {} and not assigned itself: Entra provisions assigned groups (and their direct \
             members) only",
            parents.join(", ")
        )
    }

    fn unmatched_detail(&self, g: &StoreSide<'_>) -> String {
        let name = g.name.unwrap_or(g.id);
        let control_tower = CONTROL_TOWER_GROUPS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name));
        match (g.first_external_id, control_tower) {
            (None, true) => "created by AWS Control Tower, not by the IdP".to_string(),
            (None, false) => {
                "no ExternalIds: created outside SCIM (console, API or Control Tower)".to_string()
            }
            (Some(ext), _) => format!(
                "has externalId {ext} but no group in the IdP export matches: deleted or unassigned in the IdP, \
                 or the export is incomplete"
            ),
        }
    }
}

fn store_group_values(g: &StoreGroup) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    if let Some(v) = g.display_name.clone().filter(|v| !v.trim().is_empty()) {
        out.insert("displayName", vec![v]);
    }
    if let Some(v) = g.description.clone().filter(|v| !v.trim().is_empty()) {
        out.insert("description", vec![v]);
    }
    let ids: Vec<String> = g
        .external_ids
        .iter()
        .map(|e| e.id.clone())
        .filter(|i| !i.is_empty())
        .collect();
    if !ids.is_empty() {
        out.insert("externalId", ids);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        Case, assigned, directory, entry, member, okta_group, row, snapshot, store_group, store_id,
    };
    use super::super::{CompareState, MatchKey, NotProvisionedReason};
    use super::*;
    use crate::directory::{DirectoryIdp, MemberKind};

    #[test]
    fn a_group_is_matched_by_external_id_before_display_name() {
        let c = Case::groups(
            vec![okta_group("00g1", "Engineering")],
            vec![
                store_group("sg-name", "Engineering", Some("00g9")),
                store_group("sg-ext", "Engineering (old)", Some("00g1")),
            ],
        )
        .run();
        let eng = row(&c, "Engineering");
        assert_eq!(eng.matched_by, Some(MatchKey::ExternalId));
        assert_eq!(store_id(eng), Some("sg-ext"));
        assert_eq!(eng.differences[0].attribute, "displayName");
        let other = c
            .entities
            .iter()
            .find(|e| store_id(e) == Some("sg-name"))
            .expect("the group no IdP group matched");
        assert_eq!(other.state, CompareState::UnmanagedInStore);
        assert!(
            other
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("has externalId 00g9"))
        );
    }

    #[test]
    fn a_group_display_name_matches_whatever_its_case() {
        let c = Case::groups(
            vec![entry("00g1", &[("name", "Engineering")])],
            vec![store_group("sg1", "ENGINEERING", Some("x-1"))],
        )
        .run();
        let eng = row(&c, "Engineering");
        assert_eq!(eng.matched_by, Some(MatchKey::DisplayName));
        assert_eq!(
            eng.state,
            CompareState::Drift,
            "displayName differs in case"
        );
    }

    #[test]
    fn an_aws_group_of_the_same_name_without_external_ids_is_unmanaged() {
        let c = Case::groups(
            vec![okta_group("00g1", "Engineering")],
            vec![store_group("sg1", "Engineering", None)],
        )
        .run();
        let eng = row(&c, "Engineering");
        assert_eq!(eng.state, CompareState::UnmanagedInStore);
        assert!(
            eng.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("AWS has a group of this name but no ExternalIds")),
            "{eng:?}"
        );
    }

    #[test]
    fn an_idp_group_named_like_a_control_tower_group_is_told_to_be_renamed() {
        let c = Case::groups(
            vec![okta_group("00g1", "awscontroltoweradmins")],
            vec![store_group("sg1", "AWSControlTowerAdmins", None)],
        )
        .run();
        let detail = row(&c, "awscontroltoweradmins")
            .detail
            .clone()
            .unwrap_or_default();
        assert!(
            detail.contains("by AWS Control Tower") && detail.ends_with("rename the IdP group")
        );
    }

    #[test]
    fn a_group_named_in_the_workspace_reserved_list_is_told_to_be_renamed_too() {
        let mut case = Case::groups(
            vec![okta_group("00g1", "Platform")],
            vec![store_group("sg1", "Platform", None)],
        );
        case.rules = Rules::new(&["platform".to_string()]);
        let c = case.run();
        assert!(
            row(&c, "Platform")
                .detail
                .as_deref()
                .is_some_and(|d| d.ends_with("rename the IdP group"))
        );
    }

    #[test]
    fn an_aws_group_control_tower_created_is_unmanaged_and_says_who_made_it() {
        let c = Case::groups(
            Vec::new(),
            vec![
                store_group("sg1", "AWSSecurityAuditors", None),
                store_group("sg2", "Console Admins", None),
            ],
        )
        .run();
        assert_eq!(
            row(&c, "AWSSecurityAuditors").detail.as_deref(),
            Some("created by AWS Control Tower, not by the IdP")
        );
        assert_eq!(
            row(&c, "Console Admins").detail.as_deref(),
            Some("no ExternalIds: created outside SCIM (console, API or Control Tower)")
        );
        assert_eq!(c.groups.unmanaged_in_store, 2);
    }

    #[test]
    fn a_nested_group_not_assigned_itself_is_not_provisioned_because_of_nesting() {
        let mut dir = directory(
            DirectoryIdp::Okta,
            Vec::new(),
            vec![
                okta_group("g-eng", "Engineering"),
                okta_group("g-con", "Contractors"),
                okta_group("g-ops", "Operations"),
            ],
        );
        dir.members = vec![member("g-eng", "g-con", MemberKind::Group)];
        dir.assignments = assigned(&["g-eng"]);
        let c = Case::new(dir, snapshot(Vec::new(), Vec::new(), Vec::new())).run();
        let con = row(&c, "Contractors");
        assert_eq!(con.reason, Some(NotProvisionedReason::NestedGroupOnly));
        assert_eq!(
            con.detail.as_deref(),
            Some(
                "nested inside Engineering and not assigned itself: Entra provisions assigned groups (and \
                 their direct members) only"
            )
        );
        assert_eq!(
            row(&c, "Operations").reason,
            Some(NotProvisionedReason::NotAssigned)
        );
        assert_eq!(
            row(&c, "Engineering").reason,
            Some(NotProvisionedReason::Unknown)
        );
    }
}
