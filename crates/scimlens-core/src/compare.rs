//! Side by side: what the IdP holds (a [`Directory`] seen through its attribute mapping) against
//! what the AWS identity store holds (a [`StoreSnapshot`]), and one snapshot against an older one.
//!
//! Users are matched by externalId, then userName, then primary email (case-insensitive; the
//! order is configurable); groups by externalId, then displayName. Every entity lands in one
//! state: in sync, `DRIFT` (attribute by attribute), `NOT_PROVISIONED` (with the likely reason,
//! linked to the log evidence when the workspace has logs), or `UNMANAGED_IN_STORE`. Memberships
//! are compared too, and nested groups are flagged (Entra provisions direct members only).
//!
//! Pure functions over in-memory data; the workspace reads happen in [`crate::api_store`].

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diagnose::Rules;
use crate::directory::mapping::{Attr, AttributeMapping, Mapped, Mapper};
use crate::directory::{Directory, DirectoryIdp, MemberKind};
use crate::model::{Category, EntityKind, EntityStatus};
use crate::snapshot::{StoreGroup, StoreSnapshot, StoreUser, primary_value};
use crate::store::directories::DirectoryInfo;
use crate::store::log_links::LoggedEntity;
use crate::store::snapshots::SnapshotInfo;

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

/// The log diagnosis, indexed by every id an IdP or store object can be found by.
#[derive(Debug, Default)]
pub struct LogIndex {
    entities: Vec<LoggedEntity>,
    by_id: HashMap<(EntityKind, String), usize>,
    skips: HashMap<String, String>,
    pub any_logs: bool,
}

impl LogIndex {
    pub fn new(
        entities: Vec<LoggedEntity>,
        skips: HashMap<String, String>,
        any_logs: bool,
    ) -> LogIndex {
        let mut by_id = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            let kind = EntityKind::parse(&e.kind);
            for id in [&e.idp_id, &e.external_id, &e.target_id]
                .into_iter()
                .flatten()
            {
                by_id.entry((kind, id.clone())).or_insert(i);
            }
            by_id
                .entry((kind, format!("name:{}", e.name.to_lowercase())))
                .or_insert(i);
        }
        LogIndex {
            entities,
            by_id,
            skips,
            any_logs,
        }
    }

    fn find(
        &self,
        kind: EntityKind,
        ids: &[Option<&str>],
        name: Option<&str>,
    ) -> Option<&LoggedEntity> {
        ids.iter()
            .flatten()
            .find_map(|id| self.by_id.get(&(kind, id.to_string())))
            .or_else(|| {
                name.and_then(|n| {
                    self.by_id
                        .get(&(kind, format!("name:{}", n.to_lowercase())))
                })
            })
            .map(|i| &self.entities[*i])
    }
}

fn evidence(e: &LoggedEntity) -> LogEvidence {
    LogEvidence {
        entity_key: e.entity_key.clone(),
        status: match e.status.as_str() {
            "failing" => EntityStatus::Failing,
            "resolved" => EntityStatus::Resolved,
            _ => EntityStatus::Ok,
        },
        category: e.category.as_deref().and_then(Category::parse),
        message: e.message.clone(),
        events: e.events as u64,
        failures: e.failures as u64,
        last_seen: crate::store::sources::ms_to_text(e.last_seen),
    }
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// An IdP user or group through the mapping, with the ids compare needs.
struct IdpSide<'a> {
    mapped: Mapped<'a>,
    name: Option<&'a str>,
    display_name: Option<&'a str>,
    external_id: Option<&'a str>,
    email: Option<&'a str>,
}

impl IdpSide<'_> {
    fn side(&self) -> SideRef {
        SideRef {
            id: self.mapped.idp_id.map(str::to_string),
            name: self.name.map(str::to_string),
            display_name: self.display_name.map(str::to_string),
            external_id: self.external_id.map(str::to_string),
            email: self.email.map(str::to_string),
        }
    }

    fn label(&self) -> String {
        self.name
            .or(self.display_name)
            .or(self.mapped.idp_id)
            .unwrap_or("(unnamed)")
            .to_string()
    }
}

fn store_user_side(u: &StoreUser) -> SideRef {
    SideRef {
        id: Some(u.user_id.clone()),
        name: u.user_name.clone(),
        display_name: u.display_name.clone(),
        external_id: u.first_external_id().map(str::to_string),
        email: u.primary_email().map(str::to_string),
    }
}

fn store_group_side(g: &StoreGroup) -> SideRef {
    SideRef {
        id: Some(g.group_id.clone()),
        name: g.display_name.clone(),
        display_name: g.display_name.clone(),
        external_id: g.first_external_id().map(str::to_string),
        email: None,
    }
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

fn joined(v: &[impl AsRef<str>]) -> Option<String> {
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

/// Compares the directory with the store.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    directory: &Directory,
    directory_info: &DirectoryInfo,
    mapping: &AttributeMapping,
    snapshot: &StoreSnapshot,
    snapshot_info: &SnapshotInfo,
    logs: &LogIndex,
    rules: &Rules,
    opts: &CompareOptions,
) -> CompareSection {
    let idp_kind = directory.idp;
    let mut user_mapper = Mapper::new(mapping, EntityKind::User);
    let mut group_mapper = Mapper::new(mapping, EntityKind::Group);
    let users: Vec<Mapped<'_>> = directory.users.iter().map(|u| user_mapper.map(u)).collect();
    let groups: Vec<Mapped<'_>> = directory
        .groups
        .iter()
        .map(|g| group_mapper.map(g))
        .collect();
    let (um, gm) = (&user_mapper, &group_mapper);
    let users: Vec<IdpSide<'_>> = users
        .into_iter()
        .map(|m| IdpSide {
            name: m.first(um, Attr::UserName),
            display_name: m.first(um, Attr::DisplayName),
            external_id: m.first(um, Attr::ExternalId),
            email: m.primary_email(um),
            mapped: m,
        })
        .collect();
    let groups: Vec<IdpSide<'_>> = groups
        .into_iter()
        .map(|m| IdpSide {
            name: m.first(gm, Attr::DisplayName),
            display_name: m.first(gm, Attr::DisplayName),
            external_id: m.first(gm, Attr::ExternalId),
            email: None,
            mapped: m,
        })
        .collect();

    let mut warnings = Vec::new();
    let mut entities = Vec::new();
    let mut user_counts = StateCounts::default();
    let mut group_counts = StateCounts::default();

    // --- IdP structure: assignments, nesting -------------------------------------------------
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
            _ => {
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
    let group_name = |id: &str| -> String {
        group_index
            .get(id)
            .map(|i| groups[*i].label())
            .unwrap_or_else(|| id.to_string())
    };

    // --- Users -------------------------------------------------------------------------------
    let mut by_external: HashMap<String, usize> = HashMap::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for (i, u) in snapshot.users.iter().enumerate() {
        for e in &u.external_ids {
            if !e.id.is_empty() {
                by_external.entry(lower(&e.id)).or_insert(i);
            }
        }
        if let Some(n) = &u.user_name {
            by_name.entry(lower(n)).or_insert(i);
        }
        if let Some(e) = u.primary_email() {
            by_email.entry(lower(e)).or_insert(i);
        }
    }
    let mut store_user_of: Vec<Option<usize>> = vec![None; users.len()];
    let mut claimed_user: Vec<Option<usize>> = vec![None; snapshot.users.len()];
    let mut matched_by: Vec<Option<MatchKey>> = vec![None; users.len()];
    for (i, u) in users.iter().enumerate() {
        for key in &opts.match_order {
            let (value, index) = match key {
                MatchKey::ExternalId => (u.external_id, &by_external),
                MatchKey::UserName => (u.name, &by_name),
                MatchKey::Email => (u.email, &by_email),
                MatchKey::DisplayName => continue,
            };
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            if let Some(&s) = index.get(&lower(value)) {
                match claimed_user[s] {
                    None => {
                        claimed_user[s] = Some(i);
                        store_user_of[i] = Some(s);
                        matched_by[i] = Some(*key);
                        break;
                    }
                    Some(other) if other != i => warnings.push(format!(
                        "IdP users {} and {} both match AWS user {} (by {}): only the first is compared",
                        users[other].label(),
                        u.label(),
                        snapshot.users[s].user_name.as_deref().unwrap_or(&snapshot.users[s].user_id),
                        key.as_str()
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    let user_keys = um.mapped_keys();
    for (i, u) in users.iter().enumerate() {
        let row = match store_user_of[i] {
            Some(s) => {
                let su = &snapshot.users[s];
                let by = matched_by[i];
                let unmanaged = by != Some(MatchKey::ExternalId)
                    && u.external_id.is_some()
                    && su.external_ids.is_empty();
                if unmanaged {
                    EntityComparison {
                        kind: EntityKind::User,
                        state: CompareState::UnmanagedInStore,
                        name: u.label(),
                        idp: Some(u.side()),
                        store: Some(store_user_side(su)),
                        matched_by: by,
                        differences: Vec::new(),
                        reason: None,
                        detail: Some(format!(
                            "AWS has a user with the same {} but no ExternalIds: created outside SCIM (console, \
                             API, JIT or Control Tower); the IdP's create fails with 409 until it is deleted or \
                             given the IdP's externalId",
                            by.map(MatchKey::as_str).unwrap_or("name")
                        )),
                        evidence: logs
                            .find(
                                EntityKind::User,
                                &[u.mapped.idp_id, Some(&su.user_id)],
                                u.name,
                            )
                            .map(evidence),
                        fix: Some(crate::diagnose::fixes::fix_for(
                            Category::UnmanagedInStore,
                            None,
                            idp_of(idp_kind),
                        )),
                    }
                } else {
                    let diffs = differences(
                        &u.mapped.by_key(um),
                        &store_user_values(su),
                        &user_keys,
                        um.is_passthrough(),
                        idp_kind,
                    );
                    let state = if diffs.is_empty() {
                        CompareState::InSync
                    } else {
                        CompareState::Drift
                    };
                    EntityComparison {
                        kind: EntityKind::User,
                        state,
                        name: u.label(),
                        idp: Some(u.side()),
                        store: Some(store_user_side(su)),
                        matched_by: by,
                        detail: (state == CompareState::Drift).then(|| {
                            format!(
                                "{} attribute(s) differ: {}",
                                diffs.len(),
                                diffs
                                    .iter()
                                    .map(|d| d.attribute.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }),
                        fix: (state == CompareState::Drift).then(|| {
                            crate::diagnose::fixes::fix_for(Category::Drift, None, idp_of(idp_kind))
                        }),
                        differences: diffs,
                        reason: None,
                        evidence: None,
                    }
                }
            }
            None => {
                let ev = logs.find(EntityKind::User, &[u.mapped.idp_id, u.external_id], u.name);
                let id = u.mapped.idp_id.unwrap_or_default();
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
                let (reason, detail) = not_provisioned_reason(
                    ev,
                    logs,
                    nested_only,
                    not_assigned,
                    || {
                        let via: Vec<String> = u
                            .mapped
                            .idp_id
                            .and_then(|id| direct_groups_of.get(id))
                            .into_iter()
                            .flatten()
                            .map(|g| {
                                let parents: Vec<String> = parents_of
                                    .get(g)
                                    .into_iter()
                                    .flatten()
                                    .map(|p| group_name(p))
                                    .collect();
                                format!("{} (inside {})", group_name(g), parents.join(", "))
                            })
                            .collect();
                        format!(
                            "member only of nested group(s): {}; Entra provisions direct members of assigned groups only",
                            via.join("; ")
                        )
                    },
                );
                EntityComparison {
                    kind: EntityKind::User,
                    state: CompareState::NotProvisioned,
                    name: u.label(),
                    idp: Some(u.side()),
                    store: None,
                    matched_by: None,
                    differences: Vec::new(),
                    reason: Some(reason),
                    detail: Some(detail),
                    fix: Some(match (ev, reason) {
                        (Some(e), NotProvisionedReason::Failed) => {
                            e.fix.clone().unwrap_or_default()
                        }
                        _ => crate::diagnose::fixes::fix_for(
                            Category::NotProvisioned,
                            None,
                            idp_of(idp_kind),
                        ),
                    }),
                    evidence: ev.map(evidence),
                }
            }
        };
        user_counts.add(row.state);
        if opts.include_in_sync || row.state != CompareState::InSync {
            entities.push(row);
        }
    }
    for (s, su) in snapshot.users.iter().enumerate() {
        if claimed_user[s].is_some() {
            continue;
        }
        let detail = match su.first_external_id() {
            None => "no ExternalIds: created outside SCIM (console, API, JIT or Control Tower)"
                .to_string(),
            Some(ext) => format!(
                "has externalId {ext} but no user in the IdP export matches: deleted or unassigned in the IdP \
                 (AWS keeps users the IdP stops managing), or the export is incomplete"
            ),
        };
        user_counts.add(CompareState::UnmanagedInStore);
        entities.push(EntityComparison {
            kind: EntityKind::User,
            state: CompareState::UnmanagedInStore,
            name: su.user_name.clone().unwrap_or_else(|| su.user_id.clone()),
            idp: None,
            store: Some(store_user_side(su)),
            matched_by: None,
            differences: Vec::new(),
            reason: None,
            detail: Some(detail),
            evidence: logs
                .find(
                    EntityKind::User,
                    &[Some(&su.user_id), su.first_external_id()],
                    su.user_name.as_deref(),
                )
                .map(evidence),
            fix: Some(crate::diagnose::fixes::fix_for(
                Category::UnmanagedInStore,
                None,
                idp_of(idp_kind),
            )),
        });
    }

    // --- Groups ------------------------------------------------------------------------------
    let mut g_by_external: HashMap<String, usize> = HashMap::new();
    let mut g_by_name: HashMap<String, usize> = HashMap::new();
    for (i, g) in snapshot.groups.iter().enumerate() {
        for e in &g.external_ids {
            if !e.id.is_empty() {
                g_by_external.entry(lower(&e.id)).or_insert(i);
            }
        }
        if let Some(n) = &g.display_name {
            g_by_name.entry(lower(n)).or_insert(i);
        }
    }
    let mut store_group_of: Vec<Option<usize>> = vec![None; groups.len()];
    let mut claimed_group: Vec<Option<usize>> = vec![None; snapshot.groups.len()];
    for (i, g) in groups.iter().enumerate() {
        for (value, index) in [(g.external_id, &g_by_external), (g.name, &g_by_name)] {
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            if let Some(&s) = index.get(&lower(value))
                && claimed_group[s].is_none()
            {
                claimed_group[s] = Some(i);
                store_group_of[i] = Some(s);
                break;
            }
        }
    }
    let group_keys = gm.mapped_keys();
    for (i, g) in groups.iter().enumerate() {
        let row = match store_group_of[i] {
            Some(s) => {
                let sg = &snapshot.groups[s];
                let by = if g
                    .external_id
                    .is_some_and(|e| sg.external_ids.iter().any(|x| x.id.eq_ignore_ascii_case(e)))
                {
                    MatchKey::ExternalId
                } else {
                    MatchKey::DisplayName
                };
                if by == MatchKey::DisplayName
                    && g.external_id.is_some()
                    && sg.external_ids.is_empty()
                {
                    let control_tower = CONTROL_TOWER_GROUPS
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(g.name.unwrap_or_default()))
                        || g.name.is_some_and(|n| rules.is_reserved(n));
                    EntityComparison {
                        kind: EntityKind::Group,
                        state: CompareState::UnmanagedInStore,
                        name: g.label(),
                        idp: Some(g.side()),
                        store: Some(store_group_side(sg)),
                        matched_by: Some(by),
                        differences: Vec::new(),
                        reason: None,
                        detail: Some(if control_tower {
                            "AWS has a group of this name created outside SCIM by AWS Control Tower: the IdP's \
                             group of the same name fails with a duplicate (409); rename the IdP group"
                                .to_string()
                        } else {
                            "AWS has a group of this name but no ExternalIds: created outside SCIM; the IdP's \
                             create fails with a duplicate (409) until it is deleted or renamed"
                                .to_string()
                        }),
                        evidence: logs
                            .find(
                                EntityKind::Group,
                                &[g.mapped.idp_id, Some(&sg.group_id)],
                                g.name,
                            )
                            .map(evidence),
                        fix: Some(crate::diagnose::fixes::fix_for(
                            Category::UnmanagedInStore,
                            None,
                            idp_of(idp_kind),
                        )),
                    }
                } else {
                    let diffs = differences(
                        &g.mapped.by_key(gm),
                        &store_group_values(sg),
                        &group_keys,
                        gm.is_passthrough(),
                        idp_kind,
                    );
                    let state = if diffs.is_empty() {
                        CompareState::InSync
                    } else {
                        CompareState::Drift
                    };
                    EntityComparison {
                        kind: EntityKind::Group,
                        state,
                        name: g.label(),
                        idp: Some(g.side()),
                        store: Some(store_group_side(sg)),
                        matched_by: Some(by),
                        detail: (state == CompareState::Drift).then(|| {
                            format!(
                                "{} attribute(s) differ: {}",
                                diffs.len(),
                                diffs
                                    .iter()
                                    .map(|d| d.attribute.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }),
                        fix: (state == CompareState::Drift).then(|| {
                            crate::diagnose::fixes::fix_for(Category::Drift, None, idp_of(idp_kind))
                        }),
                        differences: diffs,
                        reason: None,
                        evidence: None,
                    }
                }
            }
            None => {
                let ev = logs.find(EntityKind::Group, &[g.mapped.idp_id, g.external_id], g.name);
                let id = g.mapped.idp_id.unwrap_or_default();
                let is_assigned = assigned.as_ref().map(|a| a.contains(id));
                let nested = parents_of.contains_key(id) && is_assigned != Some(true);
                let not_assigned = is_assigned == Some(false);
                let (reason, detail) = not_provisioned_reason(
                    ev,
                    logs,
                    nested,
                    not_assigned,
                    || {
                        let parents: Vec<String> = parents_of
                            .get(id)
                            .into_iter()
                            .flatten()
                            .map(|p| group_name(p))
                            .collect();
                        format!(
                            "nested inside {} and not assigned itself: Entra provisions assigned groups (and their direct \
                         members) only",
                            parents.join(", ")
                        )
                    },
                );
                EntityComparison {
                    kind: EntityKind::Group,
                    state: CompareState::NotProvisioned,
                    name: g.label(),
                    idp: Some(g.side()),
                    store: None,
                    matched_by: None,
                    differences: Vec::new(),
                    reason: Some(reason),
                    detail: Some(detail),
                    fix: Some(match (ev, reason) {
                        (Some(e), NotProvisionedReason::Failed) => {
                            e.fix.clone().unwrap_or_default()
                        }
                        _ => crate::diagnose::fixes::fix_for(
                            Category::NotProvisioned,
                            None,
                            idp_of(idp_kind),
                        ),
                    }),
                    evidence: ev.map(evidence),
                }
            }
        };
        group_counts.add(row.state);
        if opts.include_in_sync || row.state != CompareState::InSync {
            entities.push(row);
        }
    }
    for (s, sg) in snapshot.groups.iter().enumerate() {
        if claimed_group[s].is_some() {
            continue;
        }
        let name = sg
            .display_name
            .clone()
            .unwrap_or_else(|| sg.group_id.clone());
        let control_tower = CONTROL_TOWER_GROUPS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&name));
        let detail = match (sg.first_external_id(), control_tower) {
            (None, true) => "created by AWS Control Tower, not by the IdP".to_string(),
            (None, false) => {
                "no ExternalIds: created outside SCIM (console, API or Control Tower)".to_string()
            }
            (Some(ext), _) => format!(
                "has externalId {ext} but no group in the IdP export matches: deleted or unassigned in the IdP, \
                 or the export is incomplete"
            ),
        };
        group_counts.add(CompareState::UnmanagedInStore);
        entities.push(EntityComparison {
            kind: EntityKind::Group,
            state: CompareState::UnmanagedInStore,
            name,
            idp: None,
            store: Some(store_group_side(sg)),
            matched_by: None,
            differences: Vec::new(),
            reason: None,
            detail: Some(detail),
            evidence: logs
                .find(
                    EntityKind::Group,
                    &[Some(&sg.group_id), sg.first_external_id()],
                    sg.display_name.as_deref(),
                )
                .map(evidence),
            fix: Some(crate::diagnose::fixes::fix_for(
                Category::UnmanagedInStore,
                None,
                idp_of(idp_kind),
            )),
        });
    }

    // --- Memberships and nesting -------------------------------------------------------------
    let user_index: HashMap<&str, usize> = users
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.mapped.idp_id.map(|id| (id, i)))
        .collect();
    let mut nested_groups = Vec::new();
    for (parent, children) in &child_groups {
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

    let idp_has_members = !directory.members.is_empty();
    let mut membership_differences = Vec::new();
    let memberships = if snapshot.memberships_known && idp_has_members {
        let mut counts = StateCounts::default();
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
        for (gi, g) in groups.iter().enumerate() {
            let (Some(s), Some(gid)) = (store_group_of[gi], g.mapped.idp_id) else {
                continue;
            };
            let sg = &snapshot.groups[s];
            let in_store = store_members
                .get(sg.group_id.as_str())
                .cloned()
                .unwrap_or_default();
            let mut expected: HashSet<&str> = HashSet::new();
            for member in user_members.get(gid).into_iter().flatten() {
                let ui = user_index.get(member).copied();
                let su = ui
                    .and_then(|ui| store_user_of[ui])
                    .map(|s| &snapshot.users[s]);
                let member_label = ui
                    .map(|ui| users[ui].label())
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
            let through_children: HashSet<&str> = child_groups
                .get(gid)
                .into_iter()
                .flatten()
                .flat_map(|c| user_members.get(c).into_iter().flatten().copied())
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
                    .and_then(|si| claimed_user[*si])
                    .map(|ui| &users[ui]);
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
        Some(counts)
    } else {
        if !snapshot.memberships_known {
            warnings.push(
                "the store snapshot has no membership data: memberships are not compared"
                    .to_string(),
            );
        } else if !idp_has_members {
            warnings.push(
                "the directory export has no group members: memberships are not compared"
                    .to_string(),
            );
        }
        None
    };

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
    warnings.extend(directory.warnings.iter().cloned());

    CompareSection {
        directory: directory_info.clone(),
        snapshot: snapshot_info.clone(),
        match_order: opts.match_order.clone(),
        users: user_counts,
        groups: group_counts,
        memberships,
        entities,
        membership_differences,
        nested_groups,
        warnings,
    }
}

fn idp_of(idp: Option<DirectoryIdp>) -> crate::model::Idp {
    idp.map(DirectoryIdp::idp)
        .unwrap_or(crate::model::Idp::Entra)
}

fn not_provisioned_reason(
    ev: Option<&LoggedEntity>,
    logs: &LogIndex,
    nested_only: bool,
    not_assigned: bool,
    nesting: impl FnOnce() -> String,
) -> (NotProvisionedReason, String) {
    if let Some(e) = ev {
        if e.failures > 0 && e.status != "ok" {
            let what = e.category.as_deref().unwrap_or("a failure");
            return (
                NotProvisionedReason::Failed,
                format!(
                    "the IdP tried and failed: {what}{} (see `scimlens entity {}`)",
                    e.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default(),
                    e.entity_key
                ),
            );
        }
        if let Some(skip) = logs.skips.get(&e.entity_key)
            && e.failures == 0
            && !skip
                .split(',')
                .all(|s| s.eq_ignore_ascii_case("RedundantExport"))
        {
            return (
                NotProvisionedReason::NotAssigned,
                format!("the IdP skipped it ({skip}): not assigned to the AWS app or out of scope"),
            );
        }
        if e.failures == 0 {
            return (
                NotProvisionedReason::DeletedInStore,
                "the log shows it provisioned, but the store does not have it: deleted in AWS after provisioning \
                 (or the snapshot is older than the log)"
                    .to_string(),
            );
        }
    }
    if nested_only {
        return (NotProvisionedReason::NestedGroupOnly, nesting());
    }
    if not_assigned {
        return (
            NotProvisionedReason::NotAssigned,
            "not assigned to the AWS app, directly or through a group".to_string(),
        );
    }
    if logs.any_logs {
        return (
            NotProvisionedReason::NeverAttempted,
            "no record about it in the imported logs: never attempted (not assigned, out of scope, or the logs \
             cover another period)"
                .to_string(),
        );
    }
    (
        NotProvisionedReason::Unknown,
        "not in the store; import the IdP's provisioning logs to see whether it was attempted"
            .to_string(),
    )
}

// --- Snapshot against snapshot ------------------------------------------------------------------

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

fn changes<T>(
    old: &[T],
    new: &[T],
    id: impl Fn(&T) -> &str,
    values: impl Fn(&T) -> BTreeMap<&'static str, Vec<String>>,
    side: impl Fn(&T) -> SideRef,
) -> ObjectChanges {
    let old_by: HashMap<&str, &T> = old.iter().map(|o| (id(o), o)).collect();
    let new_ids: HashSet<&str> = new.iter().map(&id).collect();
    let mut out = ObjectChanges::default();
    for n in new {
        match old_by.get(id(n)) {
            None => out.added.push(side(n)),
            Some(o) => {
                let (ov, nv) = (values(o), values(n));
                let keys: std::collections::BTreeSet<&str> =
                    ov.keys().chain(nv.keys()).copied().collect();
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
                        object: side(n),
                        differences,
                    });
                }
            }
        }
    }
    out.removed = old
        .iter()
        .filter(|o| !new_ids.contains(id(o)))
        .map(side)
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
    let users = changes(
        &from.users,
        &to.users,
        |u| u.user_id.as_str(),
        store_user_values,
        store_user_side,
    );
    let groups = changes(
        &from.groups,
        &to.groups,
        |g| g.group_id.as_str(),
        store_group_values,
        store_group_side,
    );
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

/// The primary email of a store user's values (for callers outside this module).
pub fn store_primary_email(u: &StoreUser) -> Option<&str> {
    primary_value(&u.emails)
}

// re-export for the shells until they go through api/
pub use crate::report::render::compare::text as render_text;
// re-export for the shells until they go through api/
pub use crate::report::render::compare::diff_text;
