//! The one match-and-diff for users and groups. An [`ObjectKind`] declares what differs between
//! the two (match keys, attribute values, ids, the sentences that explain a state);
//! [`compare_objects`] matches the IdP's objects to the store's by those keys, in order and
//! case-insensitively, and puts every object of either side in one state.

use std::collections::{BTreeMap, HashMap};

use super::evidence::{LogIndex, Placement, evidence, not_provisioned_reason};
use super::{
    AttributeDiff, CompareState, EntityComparison, MatchKey, NotProvisionedReason, SideRef,
    StateCounts,
};
use crate::diagnose::fixes::fix_for;
use crate::directory::mapping::{Mapped, Mapper};
use crate::directory::{DirectoryEntry, DirectoryIdp};
use crate::model::{Category, EntityKind};
use crate::identity_store::ExternalId;

/// What one kind of object (users or groups) declares for the match-and-diff.
pub(super) trait ObjectKind {
    /// The store's object of this kind.
    type Store;
    const KIND: EntityKind;
    /// The keys this kind can be matched on; others in a match order are passed over.
    const MATCH_KEYS: &'static [MatchKey];

    /// An IdP object seen through the mapping.
    fn idp_side<'a>(mapped: Mapped<'a>, mapper: &Mapper) -> IdpSide<'a>;
    /// A store object's ids.
    fn store_side(store: &Self::Store) -> StoreSide<'_>;
    /// The store object's values under the comparison keys the mapping uses (`emails.value`).
    fn store_values(store: &Self::Store) -> BTreeMap<&'static str, Vec<String>>;

    /// The key a match is reported under; by default the key that found it.
    fn reported_key(
        &self,
        _idp: &IdpSide<'_>,
        _store: &StoreSide<'_>,
        found_by: MatchKey,
    ) -> MatchKey {
        found_by
    }
    /// Why a store object without ExternalIds, found by `by`, is not the IdP object's.
    fn unmanaged_detail(&self, idp: &IdpSide<'_>, by: MatchKey) -> String;
    /// Where the directory places an IdP object the store does not have.
    fn placement(&self, idp: &IdpSide<'_>) -> Placement;
    /// The sentence for an object the IdP reaches only through nested groups.
    fn nesting_detail(&self, idp: &IdpSide<'_>) -> String;
    /// Why no IdP object matched a store object.
    fn unmatched_detail(&self, store: &StoreSide<'_>) -> String;
}

/// An IdP user or group through the mapping, with the ids compare needs.
pub(super) struct IdpSide<'a> {
    pub mapped: Mapped<'a>,
    /// userName (users) or displayName (groups).
    pub name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl<'a> IdpSide<'a> {
    fn key(&self, key: MatchKey) -> Option<&'a str> {
        match key {
            MatchKey::ExternalId => self.external_id,
            MatchKey::UserName => self.name,
            MatchKey::Email => self.email,
            MatchKey::DisplayName => self.display_name,
        }
    }

    fn side(&self) -> SideRef {
        SideRef {
            id: self.mapped.idp_id.map(str::to_string),
            name: self.name.map(str::to_string),
            display_name: self.display_name.map(str::to_string),
            external_id: self.external_id.map(str::to_string),
            email: self.email.map(str::to_string),
        }
    }

    pub(super) fn label(&self) -> String {
        self.name
            .or(self.display_name)
            .or(self.mapped.idp_id)
            .unwrap_or("(unnamed)")
            .to_string()
    }
}

/// A store user or group's ids.
pub(super) struct StoreSide<'s> {
    /// AWS's UserId or GroupId.
    pub id: &'s str,
    /// userName (users) or displayName (groups).
    pub name: Option<&'s str>,
    pub display_name: Option<&'s str>,
    /// The primary email (users).
    pub email: Option<&'s str>,
    pub external_ids: &'s [ExternalId],
    pub first_external_id: Option<&'s str>,
}

impl<'s> StoreSide<'s> {
    fn key(&self, key: MatchKey) -> Vec<&'s str> {
        match key {
            MatchKey::ExternalId => self
                .external_ids
                .iter()
                .map(|e| e.id.as_str())
                .filter(|id| !id.is_empty())
                .collect(),
            MatchKey::UserName => self.name.into_iter().collect(),
            MatchKey::Email => self.email.into_iter().collect(),
            MatchKey::DisplayName => self.display_name.into_iter().collect(),
        }
    }

    pub(super) fn side(&self) -> SideRef {
        SideRef {
            id: Some(self.id.to_string()),
            name: self.name.map(str::to_string),
            display_name: self.display_name.map(str::to_string),
            external_id: self.first_external_id.map(str::to_string),
            email: self.email.map(str::to_string),
        }
    }
}

/// The directory's entries of one kind through the mapping.
pub(super) fn read<'a, K: ObjectKind>(
    entries: &'a [DirectoryEntry],
    mapper: &mut Mapper,
) -> Vec<IdpSide<'a>> {
    entries
        .iter()
        .map(|e| {
            let mapped = mapper.map(e);
            K::idp_side(mapped, mapper)
        })
        .collect()
}

/// Who matched whom.
#[derive(Debug)]
pub(super) struct Matching {
    /// Per IdP object, the store object it matched.
    pub matched: Vec<Option<Match>>,
    /// Per store object, the IdP object that matched it.
    pub claimed_by: Vec<Option<usize>>,
    /// A key led an IdP object to a store object an earlier one had matched.
    pub shared: Vec<SharedMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match {
    /// Index of the store object.
    pub store: usize,
    /// The key that found it.
    pub key: MatchKey,
}

/// IdP object `second` found store object `store` by `key`, but IdP object `first` had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SharedMatch {
    pub first: usize,
    pub second: usize,
    pub store: usize,
    pub key: MatchKey,
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Matches IdP objects to store objects: for each IdP object, the keys in `order`; the first
/// key whose value (trimmed, case-insensitive) finds a store object not matched yet wins. A value
/// two store objects hold finds the first of them.
fn match_objects<K: ObjectKind>(
    idp: &[IdpSide<'_>],
    store: &[K::Store],
    order: &[MatchKey],
) -> Matching {
    let mut index: HashMap<MatchKey, HashMap<String, usize>> = HashMap::new();
    let order: Vec<MatchKey> = order
        .iter()
        .copied()
        .filter(|k| K::MATCH_KEYS.contains(k))
        .collect();
    for key in &order {
        index.entry(*key).or_insert_with(|| {
            let mut by_value = HashMap::new();
            for (s, object) in store.iter().enumerate() {
                for v in K::store_side(object).key(*key) {
                    by_value.entry(lower(v)).or_insert(s);
                }
            }
            by_value
        });
    }
    let mut m = Matching {
        matched: vec![None; idp.len()],
        claimed_by: vec![None; store.len()],
        shared: Vec::new(),
    };
    for (i, object) in idp.iter().enumerate() {
        for key in &order {
            let Some(value) = object.key(*key).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let Some(&s) = index[key].get(&lower(value)) else {
                continue;
            };
            match m.claimed_by[s] {
                None => {
                    m.claimed_by[s] = Some(i);
                    m.matched[i] = Some(Match {
                        store: s,
                        key: *key,
                    });
                    break;
                }
                Some(first) => m.shared.push(SharedMatch {
                    first,
                    second: i,
                    store: s,
                    key: *key,
                }),
            }
        }
    }
    m
}

/// What the rows of either kind need besides the objects.
pub(super) struct Context<'a> {
    pub logs: &'a LogIndex,
    pub idp: Option<DirectoryIdp>,
    pub include_in_sync: bool,
}

impl Context<'_> {
    fn fix(&self, category: Category) -> String {
        let idp = self
            .idp
            .map(DirectoryIdp::idp)
            .unwrap_or(crate::model::Idp::Entra);
        fix_for(category, None, idp)
    }
}

/// One kind compared: its rows (in-sync ones only when asked for), its counts, who matched whom.
pub(super) struct KindComparison {
    pub rows: Vec<EntityComparison>,
    pub counts: StateCounts,
    pub matching: Matching,
}

/// Matches the IdP's objects of one kind to the store's and puts each object of either side in
/// one state: IdP objects first, in the directory's order, then the store objects left over.
pub(super) fn compare_objects<K: ObjectKind>(
    kind: &K,
    cx: &Context<'_>,
    idp: &[IdpSide<'_>],
    store: &[K::Store],
    mapper: &Mapper,
    order: &[MatchKey],
) -> KindComparison {
    let matching = match_objects::<K>(idp, store, order);
    let keys = mapper.mapped_keys();
    let mut rows = Vec::new();
    let mut counts = StateCounts::default();
    for (i, object) in idp.iter().enumerate() {
        let row = match matching.matched[i] {
            Some(Match { store: s, key }) => {
                matched(kind, cx, object, &store[s], key, mapper, &keys)
            }
            None => not_provisioned(kind, cx, object),
        };
        counts.add(row.state);
        if cx.include_in_sync || row.state != CompareState::InSync {
            rows.push(row);
        }
    }
    for (s, object) in store.iter().enumerate() {
        if matching.claimed_by[s].is_none() {
            counts.add(CompareState::UnmanagedInStore);
            rows.push(unmatched(kind, cx, object));
        }
    }
    KindComparison {
        rows,
        counts,
        matching,
    }
}

/// In sync, `DRIFT`, or `UNMANAGED_IN_STORE` when a key other than externalId found a store
/// object without ExternalIds for an IdP object that has one (created outside SCIM).
fn matched<K: ObjectKind>(
    kind: &K,
    cx: &Context<'_>,
    idp: &IdpSide<'_>,
    store: &K::Store,
    found_by: MatchKey,
    mapper: &Mapper,
    keys: &[&str],
) -> EntityComparison {
    let side = K::store_side(store);
    let by = kind.reported_key(idp, &side, found_by);
    let in_sync = EntityComparison {
        kind: K::KIND,
        state: CompareState::InSync,
        name: idp.label(),
        idp: Some(idp.side()),
        store: Some(side.side()),
        matched_by: Some(by),
        differences: Vec::new(),
        reason: None,
        detail: None,
        evidence: None,
        fix: None,
        access: None,
    };
    if by != MatchKey::ExternalId && idp.external_id.is_some() && side.external_ids.is_empty() {
        let ids = [idp.mapped.idp_id, Some(side.id)];
        return EntityComparison {
            state: CompareState::UnmanagedInStore,
            detail: Some(kind.unmanaged_detail(idp, by)),
            evidence: cx.logs.find(K::KIND, &ids, idp.name).map(evidence),
            fix: Some(cx.fix(Category::UnmanagedInStore)),
            ..in_sync
        };
    }
    let differences = differences(
        &idp.mapped.by_key(mapper),
        &K::store_values(store),
        keys,
        mapper.is_passthrough(),
        cx.idp,
    );
    if differences.is_empty() {
        return in_sync;
    }
    EntityComparison {
        state: CompareState::Drift,
        detail: Some(format!(
            "{} attribute(s) differ: {}",
            differences.len(),
            differences
                .iter()
                .map(|d| d.attribute.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        fix: Some(cx.fix(Category::Drift)),
        differences,
        ..in_sync
    }
}

/// `NOT_PROVISIONED`, with the likely reason.
fn not_provisioned<K: ObjectKind>(
    kind: &K,
    cx: &Context<'_>,
    idp: &IdpSide<'_>,
) -> EntityComparison {
    let ev = cx
        .logs
        .find(K::KIND, &[idp.mapped.idp_id, idp.external_id], idp.name);
    let (reason, detail) = not_provisioned_reason(ev, cx.logs, kind.placement(idp), || {
        kind.nesting_detail(idp)
    });
    EntityComparison {
        kind: K::KIND,
        state: CompareState::NotProvisioned,
        name: idp.label(),
        idp: Some(idp.side()),
        store: None,
        matched_by: None,
        differences: Vec::new(),
        reason: Some(reason),
        detail: Some(detail),
        fix: Some(match (ev, reason) {
            (Some(e), NotProvisionedReason::Failed) => e.fix.clone().unwrap_or_default(),
            _ => cx.fix(Category::NotProvisioned),
        }),
        evidence: ev.map(evidence),
        access: None,
    }
}

/// `UNMANAGED_IN_STORE`: a store object no IdP object matched.
fn unmatched<K: ObjectKind>(kind: &K, cx: &Context<'_>, store: &K::Store) -> EntityComparison {
    let side = K::store_side(store);
    let ids = [Some(side.id), side.first_external_id];
    EntityComparison {
        kind: K::KIND,
        state: CompareState::UnmanagedInStore,
        name: side.name.unwrap_or(side.id).to_string(),
        idp: None,
        store: Some(side.side()),
        matched_by: None,
        differences: Vec::new(),
        reason: None,
        detail: Some(kind.unmatched_detail(&side)),
        evidence: cx.logs.find(K::KIND, &ids, side.name).map(evidence),
        fix: Some(cx.fix(Category::UnmanagedInStore)),
        access: None,
    }
}

pub(super) fn joined(v: &[impl AsRef<str>]) -> Option<String> {
    (!v.is_empty()).then(|| v.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(", "))
}

/// Differences between the IdP's mapped values and the store's, for the keys the IdP feeds.
fn differences(
    idp: &BTreeMap<&str, Vec<&str>>,
    store: &BTreeMap<&'static str, Vec<String>>,
    compared_keys: &[&str],
    passthrough: bool,
    idp_kind: Option<DirectoryIdp>,
) -> Vec<AttributeDiff> {
    let mut out = Vec::new();
    let keys: Vec<&str> = if passthrough {
        idp.keys().copied().collect()
    } else {
        compared_keys.to_vec()
    };
    for key in keys {
        // Extension attributes are not part of what ListUsers returns; externalId is compared
        // only when both sides state one (matching already used it).
        if key.starts_with("urn:") || key == "id" {
            continue;
        }
        let idp_vals: Vec<&str> = idp
            .get(key)
            .map(|v| v.iter().map(|s| s.trim()).collect())
            .unwrap_or_default();
        let store_vals: Vec<&str> = store
            .get(key)
            .map(|v| v.iter().map(|s| s.trim()).collect())
            .unwrap_or_default();
        if key == "externalId" && (idp_vals.is_empty() || store_vals.is_empty()) {
            continue;
        }
        let case_insensitive = key == "emails.value" || key == "externalId";
        let norm = |v: &[&str]| {
            let mut v: Vec<String> = v
                .iter()
                .map(|s| {
                    if case_insensitive {
                        s.to_lowercase()
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        if key == "externalId" {
            // The store may hold several ExternalIds (one per issuer): any match is enough.
            let s = norm(&store_vals);
            if norm(&idp_vals).iter().any(|i| s.contains(i)) {
                continue;
            }
        } else if norm(&idp_vals) == norm(&store_vals) {
            continue;
        }
        let note = match (idp_vals.is_empty(), store_vals.is_empty()) {
            (true, false) if idp_kind == Some(DirectoryIdp::Entra) => Some(
                "the IdP has no value; AWS keeps the old one (Entra does not clear an attribute removed at \
                 the source)"
                    .to_string(),
            ),
            (true, false) => Some("the IdP has no value; AWS still has one".to_string()),
            (false, true) => Some("AWS has no value".to_string()),
            _ if key == "externalId" => Some(
                "linked to another IdP object (deleted and re-created in the IdP?): the IdP's create will \
                 conflict with this user"
                    .to_string(),
            ),
            _ if idp_vals.len() > 1 => Some("the IdP holds several values; AWS accepts one".to_string()),
            _ => None,
        };
        out.push(AttributeDiff {
            attribute: key.to_string(),
            idp: joined(&idp_vals),
            store: joined(&store_vals),
            note,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        Case, directory, entry, logged, logs, okta_user, row, snapshot, store_id, store_user,
    };
    use super::super::{
        AttributeDiff, CompareSection, CompareState, MatchKey, NotProvisionedReason,
    };
    use crate::directory::DirectoryIdp;
    use crate::model::{Category, EntityKind, EntityStatus};
    use crate::identity_store::StoreUser;

    #[test]
    fn a_user_is_matched_by_external_id_before_user_name_and_email() {
        let c = Case::users(
            vec![okta_user("00u1", "ana@example.com", "ana@example.com")],
            vec![
                store_user(
                    "s-name",
                    "ANA@example.com",
                    Some("00u9"),
                    Some("x@example.com"),
                ),
                store_user(
                    "s-ext",
                    "ana.old@example.com",
                    Some("00u1"),
                    Some("ana@example.com"),
                ),
            ],
        )
        .run();
        let ana = row(&c, "ana@example.com");
        assert_eq!(ana.matched_by, Some(MatchKey::ExternalId));
        assert_eq!(store_id(ana), Some("s-ext"));
        assert_eq!(
            row(&c, "ANA@example.com").state,
            CompareState::UnmanagedInStore
        );
    }

    #[test]
    fn a_user_name_matches_whatever_its_case_and_surrounding_spaces() {
        let c = Case::users(
            vec![entry("00u1", &[("login", "Ana@Example.com")])],
            vec![store_user("s1", " ana@example.com ", None, None)],
        )
        .run();
        let ana = row(&c, "Ana@Example.com");
        assert_eq!(ana.matched_by, Some(MatchKey::UserName));
        assert_eq!(store_id(ana), Some("s1"));
    }

    #[test]
    fn the_primary_email_matches_when_external_id_and_user_name_do_not() {
        let c = Case::users(
            vec![okta_user("00u1", "ana", "Ana.Smith@Example.com")],
            vec![store_user(
                "s1",
                "asmith",
                Some("00u7"),
                Some("ana.smith@example.com"),
            )],
        )
        .run();
        let ana = row(&c, "ana");
        assert_eq!(ana.matched_by, Some(MatchKey::Email));
        assert_eq!(ana.state, CompareState::Drift);
        let attributes: Vec<&str> = ana
            .differences
            .iter()
            .map(|d| d.attribute.as_str())
            .collect();
        assert_eq!(
            attributes,
            ["externalId", "userName"],
            "emails differ only in case"
        );
        assert!(
            ana.differences[0]
                .note
                .as_deref()
                .is_some_and(|n| n.starts_with("linked to another IdP object")),
            "{:?}",
            ana.differences[0]
        );
    }

    #[test]
    fn the_workspace_match_order_decides_which_key_wins() {
        let mut case = Case::users(
            vec![entry(
                "00u1",
                &[("login", "ana"), ("email", "ana@example.com")],
            )],
            vec![
                store_user("s-name", "ana", None, Some("x@example.com")),
                store_user("s-mail", "someone", None, Some("ana@example.com")),
            ],
        );
        let store_id = |c: &CompareSection| {
            let ana = row(c, "ana");
            (
                ana.store.as_ref().and_then(|s| s.id.clone()),
                ana.matched_by,
            )
        };
        assert_eq!(
            store_id(&case.run()),
            (Some("s-name".into()), Some(MatchKey::UserName))
        );
        case.opts.match_order = vec![MatchKey::Email, MatchKey::UserName];
        assert_eq!(
            store_id(&case.run()),
            (Some("s-mail".into()), Some(MatchKey::Email))
        );
    }

    #[test]
    fn a_display_name_in_the_user_match_order_is_passed_over() {
        let mut case = Case::users(
            vec![entry(
                "00u1",
                &[("login", "ana"), ("displayName", "Ana Smith")],
            )],
            vec![
                StoreUser {
                    display_name: Some("Ana Smith".into()),
                    ..store_user("s-display", "other", None, None)
                },
                store_user("s-name", "ana", None, None),
            ],
        );
        case.opts.match_order = vec![MatchKey::DisplayName, MatchKey::UserName];
        let c = case.run();
        let ana = row(&c, "ana");
        assert_eq!(ana.matched_by, Some(MatchKey::UserName));
        assert_eq!(store_id(ana), Some("s-name"));
    }

    #[test]
    fn a_user_whose_mapped_attributes_agree_is_in_sync_and_listed_only_when_asked() {
        let mut case = Case::users(
            vec![okta_user("00u1", "ana@example.com", "ana@example.com")],
            vec![store_user(
                "s1",
                "ana@example.com",
                Some("00u1"),
                Some("ana@example.com"),
            )],
        );
        let c = case.run();
        let ana = row(&c, "ana@example.com");
        assert_eq!(ana.state, CompareState::InSync);
        assert_eq!((ana.detail.as_ref(), ana.fix.as_ref()), (None, None));
        assert_eq!(c.users.in_sync, 1);
        case.opts.include_in_sync = false;
        let c = case.run();
        assert!(c.entities.is_empty(), "{:#?}", c.entities);
        assert_eq!(c.users.in_sync, 1, "in-sync users are still counted");
    }

    #[test]
    fn a_user_whose_title_differs_is_drift_with_the_idp_value_beside_the_aws_value() {
        let mut ana = okta_user("00u1", "ana@example.com", "ana@example.com");
        ana.push("title", "Engineer");
        let c = Case::users(
            vec![ana],
            vec![StoreUser {
                title: Some("Manager".into()),
                ..store_user(
                    "s1",
                    "ana@example.com",
                    Some("00u1"),
                    Some("ana@example.com"),
                )
            }],
        )
        .run();
        let ana = row(&c, "ana@example.com");
        assert_eq!(ana.state, CompareState::Drift);
        assert_eq!(
            ana.differences,
            [AttributeDiff {
                attribute: "title".into(),
                idp: Some("Engineer".into()),
                store: Some("Manager".into()),
                note: None,
            }]
        );
        assert_eq!(ana.detail.as_deref(), Some("1 attribute(s) differ: title"));
        assert!(ana.fix.is_some());
        assert_eq!(c.users.drift, 1);
    }

    #[test]
    fn a_value_entra_no_longer_sends_is_drift_noting_that_aws_keeps_the_old_one() {
        let entra = directory(
            DirectoryIdp::Entra,
            vec![entry(
                "e1",
                &[
                    ("userPrincipalName", "ana@example.com"),
                    ("mailNickname", "ana"),
                ],
            )],
            Vec::new(),
        );
        let c = Case::new(
            entra,
            snapshot(
                vec![StoreUser {
                    title: Some("Manager".into()),
                    ..store_user("s1", "ana@example.com", Some("ana"), None)
                }],
                Vec::new(),
                Vec::new(),
            ),
        )
        .run();
        let title = &row(&c, "ana@example.com").differences[0];
        assert_eq!(
            (title.attribute.as_str(), title.idp.as_deref()),
            ("title", None)
        );
        assert!(
            title
                .note
                .as_deref()
                .is_some_and(|n| n.contains("Entra does not clear")),
            "{title:?}"
        );
    }

    #[test]
    fn a_missing_user_the_log_saw_fail_carries_the_log_evidence_and_its_fix() {
        let mut case = Case::users(
            vec![okta_user("00u1", "ana@example.com", "ana@example.com")],
            Vec::new(),
        );
        case.logs = logs(
            vec![logged(
                EntityKind::User,
                "00u1",
                "ana@example.com",
                "failing",
                2,
            )],
            &[],
        );
        let c = case.run();
        let ana = row(&c, "ana@example.com");
        assert_eq!(ana.state, CompareState::NotProvisioned);
        assert_eq!(ana.reason, Some(NotProvisionedReason::Failed));
        assert_eq!(
            ana.fix.as_deref(),
            Some("delete the AWS user created by hand")
        );
        let ev = ana.evidence.as_ref().expect("evidence from the log");
        assert_eq!(
            (ev.entity_key.as_str(), ev.status, ev.category, ev.failures),
            (
                "user:ana@example.com",
                EntityStatus::Failing,
                Some(Category::DuplicateConflict),
                2
            )
        );
        assert_eq!(c.users.not_provisioned, 1);
    }

    #[test]
    fn an_aws_user_no_idp_user_matches_is_unmanaged_and_named_by_its_user_name() {
        let c = Case::users(
            Vec::new(),
            vec![
                store_user("s1", "console.admin", None, None),
                store_user("s2", "gone@example.com", Some("00u5"), None),
            ],
        )
        .run();
        assert_eq!(c.users.unmanaged_in_store, 2);
        let admin = row(&c, "console.admin");
        assert_eq!(admin.state, CompareState::UnmanagedInStore);
        assert!(admin.idp.is_none() && admin.matched_by.is_none());
        assert!(
            admin
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("no ExternalIds"))
        );
        let gone = row(&c, "gone@example.com");
        assert!(
            gone.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("has externalId 00u5")),
            "{gone:?}"
        );
    }

    #[test]
    fn rows_list_problems_first_by_state_then_kind_then_name() {
        let c = Case::users(
            vec![
                okta_user("00u2", "bob@example.com", "bob@example.com"),
                okta_user("00u1", "ana@example.com", "ana@example.com"),
                okta_user("00u3", "cy@example.com", "cy@example.com"),
            ],
            vec![
                store_user("s3", "cy@example.com", Some("00u3"), Some("cy@example.com")),
                store_user("s9", "zed", None, None),
            ],
        )
        .run();
        let order: Vec<(&str, CompareState)> = c
            .entities
            .iter()
            .map(|e| (e.name.as_str(), e.state))
            .collect();
        assert_eq!(
            order,
            [
                ("ana@example.com", CompareState::NotProvisioned),
                ("bob@example.com", CompareState::NotProvisioned),
                ("zed", CompareState::UnmanagedInStore),
                ("cy@example.com", CompareState::InSync),
            ]
        );
    }
}
