//! The operations on what exists on both sides, for both shells (CLI subcommands, Tauri
//! commands): fetch or import a store snapshot, import an IdP directory export, edit the
//! attribute mapping, compare the two sides (or two snapshots), preflight an export, a
//! user's access (account assignments) in a snapshot and the assignments left orphaned. Same shape
//! as [`super::logs`]: `verb_noun(ws, request) -> Result<response>`, thin over the modules.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{EffectiveAccess, OrphanedAssignment};
use crate::api;
use crate::aws::{AccessProgress, FetchOptions, FetchPhase, FetchProgress, FetchStats};
use crate::cancel::CancelToken;
use crate::compare::{self, CompareInputs, CompareOptions, LogIndex, MatchKey, SnapshotDiff};
use crate::db::directories::{self, DirectoryInfo};
use crate::db::snapshots::{self, SnapshotInfo, SnapshotMeta, SnapshotOrigin};
use crate::db::{Workspace, access as db_access, log_links, settings};
use crate::diagnose;
use crate::directory::mapping::AttributeMapping;
use crate::directory::{self, DirectoryIdp};
use crate::error::{Error, Result};
use crate::identity_store::{self, StoreGroup, StoreSnapshot, StoreUser};
use crate::input::Input;
use crate::input::value::format_time;
use crate::model::EntityKind;
use crate::preflight;
use crate::report::Report;

/// What a shell asks a fetch for (the app's fetch dialog; the CLI's flags). Credentials are
/// never part of it: they come from the standard AWS chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct FetchStoreReq {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub identity_store_id: Option<String>,
    pub endpoint_url: Option<String>,
    /// Requests per second [default: 19].
    pub rate: Option<f64>,
    /// Groups whose memberships are listed at once [default: 8].
    pub concurrency: Option<u32>,
    /// Read permission sets and account assignments (sso-admin) [default: true].
    #[ts(optional)]
    pub access: Option<bool>,
}

impl From<FetchStoreReq> for FetchOptions {
    fn from(r: FetchStoreReq) -> FetchOptions {
        let d = FetchOptions::default();
        FetchOptions {
            profile: r.profile.filter(|s| !s.trim().is_empty()),
            region: r.region.filter(|s| !s.trim().is_empty()),
            endpoint_url: r.endpoint_url.filter(|s| !s.trim().is_empty()),
            identity_store_id: r.identity_store_id.filter(|s| !s.trim().is_empty()),
            rate: r.rate.unwrap_or(d.rate),
            concurrency: r.concurrency.map(|c| c as usize).unwrap_or(d.concurrency),
            access: r.access.unwrap_or(d.access),
            ..d
        }
    }
}

/// The profiles and regions a fetch dialog offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FetchChoices {
    pub profiles: Vec<crate::aws::profiles::AwsProfile>,
    pub regions: Vec<String>,
}

pub fn fetch_choices() -> FetchChoices {
    FetchChoices {
        profiles: crate::aws::profiles::list_profiles(),
        regions: crate::aws::profiles::REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect(),
    }
}

/// A fetch's result: the stored snapshot and what the fetch cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FetchStoreRes {
    pub snapshot: SnapshotInfo,
    pub stats: FetchStats,
}

/// Fetches the live identity store and stores it as one snapshot (one transaction, after the
/// fetch completed: a failed or cancelled fetch stores nothing).
pub async fn fetch_store(
    ws: &Workspace,
    options: &FetchOptions,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&FetchProgress) + Send + Sync),
) -> Result<FetchStoreRes> {
    let fetched = crate::aws::fetch_store(options, cancel, progress).await?;
    let stats = fetched.stats;
    progress(&FetchProgress {
        phase: FetchPhase::Storing,
        identity_store_id: Some(stats.identity_store_id.clone()),
        calls: stats.calls,
        retries: stats.retries,
        throttled: stats.throttled,
        users: stats.users,
        groups: stats.groups,
        memberships: stats.memberships,
        groups_done: stats.groups,
        groups_total: Some(stats.groups),
        elapsed_ms: (stats.seconds * 1000.0) as u64,
        rate: if stats.seconds > 0.0 {
            stats.calls as f64 / stats.seconds
        } else {
            0.0
        },
        access: stats.access.as_ref().map(|a| AccessProgress {
            permission_sets: a.permission_sets,
            permission_sets_done: a.permission_sets,
            account_assignments: a.account_assignments,
        }),
    });
    if cancel.is_cancelled() {
        return Err(Error::Cancelled {
            path: format!("identity store {}", stats.identity_store_id).into(),
        });
    }
    let meta = SnapshotMeta {
        origin: SnapshotOrigin::Fetch,
        region: stats.region.clone(),
        endpoint: Some(stats.endpoint.clone()),
        label: stats.endpoint.clone(),
        taken_at: format_time(&now),
        api_calls: Some(stats.calls),
        retries: Some(stats.retries),
        seconds: Some(stats.seconds),
        warnings: stats.warnings.clone(),
    };
    let id = snapshots::insert(ws, &meta, &fetched.snapshot).await?;
    Ok(FetchStoreRes {
        snapshot: snapshots::info(ws, id).await?,
        stats,
    })
}

/// Imports `aws identitystore list-users` / `list-groups` / `list-group-memberships` output,
/// with `aws sso-admin list-permission-sets` / `describe-permission-set` /
/// `list-account-assignments` and `aws organizations list-accounts` output for the access (one
/// or more files, gzip accepted), as one snapshot taken `now`.
pub async fn import_store_files(
    ws: &Workspace,
    paths: &[PathBuf],
    now: DateTime<Utc>,
) -> Result<SnapshotInfo> {
    let label = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    import_store_files_as(ws, paths, label, now).await
}

/// [`import_store_files`] with the snapshot's label given (the demo names its files by their
/// names in the set, not the folder they were written to).
pub(crate) async fn import_store_files_as(
    ws: &Workspace,
    paths: &[PathBuf],
    label: String,
    now: DateTime<Utc>,
) -> Result<SnapshotInfo> {
    if paths.is_empty() {
        return Err(Error::InvalidArgument(
            "no AWS CLI output given to import".to_string(),
        ));
    }
    let owned = paths.to_vec();
    let (snap, warnings) =
        tokio::task::spawn_blocking(move || -> Result<(StoreSnapshot, Vec<String>)> {
            let mut snap = StoreSnapshot::default();
            let mut warnings = Vec::new();
            for path in &owned {
                let input = Input::open(path)?.limited(
                    crate::input::MAX_HELD_INPUT_BYTES,
                    "an identity store snapshot",
                );
                warnings
                    .extend(identity_store::read_cli_json(path, input.reader, &mut snap)?.warnings);
            }
            Ok((snap, warnings))
        })
        .await
        .map_err(|e| Error::internal("reading the snapshot", e))??;
    let mut warnings = warnings;
    if !snap.memberships_known && !snap.groups.is_empty() {
        warnings.push(
            "no list-group-memberships output was imported: memberships are not compared for this snapshot"
                .to_string(),
        );
    }
    if let Some(access) = &snap.access {
        let unnamed = access
            .permission_sets
            .iter()
            .filter(|p| p.name.is_none())
            .count();
        if unnamed > 0 {
            warnings.push(format!(
                "{unnamed} permission sets are known by their ARN only: import `aws sso-admin \
                 describe-permission-set` output for their names"
            ));
        }
        if access.assignments.is_empty() {
            warnings.push(
                "no list-account-assignments output was imported: the snapshot shows no access"
                    .to_string(),
            );
        }
    }
    let meta = SnapshotMeta {
        origin: SnapshotOrigin::File,
        region: None,
        endpoint: None,
        label,
        taken_at: format_time(&now),
        api_calls: None,
        retries: None,
        seconds: None,
        warnings,
    };
    let id = snapshots::insert(ws, &meta, &snap).await?;
    snapshots::info(ws, id).await
}

/// Writes snapshot `id` (default: the newest) as AWS CLI-shaped JSON files into `dir`.
pub async fn export_store(ws: &Workspace, id: Option<i64>, dir: &Path) -> Result<Vec<PathBuf>> {
    let id = snapshot_id(ws, id).await?;
    let snap = snapshots::load(ws, id).await?;
    identity_store::write_cli_json(&snap, dir)
}

pub async fn list_snapshots(ws: &Workspace) -> Result<Vec<SnapshotInfo>> {
    snapshots::list(ws).await
}

async fn snapshot_id(ws: &Workspace, id: Option<i64>) -> Result<i64> {
    match id {
        Some(id) => Ok(id),
        None => snapshots::latest(ws).await?.ok_or_else(|| Error::NotFound {
            what: "store snapshot",
            name: "(none yet: run `scimlens fetch` or `scimlens store-import FILE`)".to_string(),
        }),
    }
}

async fn directory_id(ws: &Workspace, id: Option<i64>) -> Result<i64> {
    match id {
        Some(id) => Ok(id),
        None => directories::latest(ws)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "directory import",
                name: "(none yet: run `scimlens directory-import FILE`)".to_string(),
            }),
    }
}

/// Imports IdP directory exports (read together as one directory) in one transaction.
pub async fn import_directory(
    ws: &Workspace,
    paths: &[PathBuf],
    now: DateTime<Utc>,
) -> Result<DirectoryInfo> {
    let owned = paths.to_vec();
    let dir = tokio::task::spawn_blocking(move || directory::read_files(&owned))
        .await
        .map_err(|e| Error::internal("reading the directory export", e))??;
    let label = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let id = directories::insert(ws, &label, &format_time(&now), &dir).await?;
    directories::info(ws, id).await
}

/// What a shell asks a live Google Workspace pull for: signed in as a service account (its key
/// file, read when the pull starts, and the administrator it acts for) or as an administrator
/// (an access token). The key and the tokens stay in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PullGoogleReq {
    /// The service account's JSON key file; none with `token`.
    pub key_file: Option<PathBuf>,
    /// The administrator the service account acts for (domain-wide delegation's `sub`); not
    /// used with `token` (the token's user is the administrator).
    pub admin: Option<String>,
    /// A signed-in administrator's OAuth access token with the read-only directory scopes,
    /// instead of a key file. Never serialized.
    #[serde(skip)]
    #[ts(skip)]
    pub token: Option<crate::idp::Secret>,
    /// Default `my_customer`.
    pub customer: Option<String>,
    /// Only this domain's users and groups.
    pub domain: Option<String>,
    /// Default `https://admin.googleapis.com`.
    pub endpoint_url: Option<String>,
    /// The least time between two requests; default 50 ms (20 a second).
    #[serde(skip)]
    #[ts(skip)]
    pub interval: Option<std::time::Duration>,
}

pub use crate::idp::google::PullProgress as GooglePullProgress;

/// What a Google Workspace pull stored, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PullGoogleRes {
    pub directory: DirectoryInfo,
    pub calls: u64,
    pub throttled: u64,
    pub seconds: f64,
}

/// Google Workspace's directory pulled live (Admin SDK `users.list`, `groups.list`,
/// `members.list`, read-only), stored as one directory import in one transaction; a failed or
/// cancelled pull stores nothing.
pub async fn pull_google_directory(
    ws: &Workspace,
    req: &PullGoogleReq,
    now: DateTime<Utc>,
    cancel: &CancelToken,
    progress: &(dyn Fn(&GooglePullProgress) + Send + Sync),
) -> Result<PullGoogleRes> {
    use crate::idp::google;
    let credentials = match (&req.key_file, &req.token) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidArgument(
                "sign in to Google Workspace with a service account's key file or with an \
                 access token, not both"
                    .to_string(),
            ));
        }
        (None, None) => {
            return Err(Error::InvalidArgument(
                "sign in to Google Workspace: a service account's key file with the \
                 administrator it acts for (--key-file, --admin), or an administrator's access \
                 token (SCIMLENS_GOOGLE_TOKEN or --token-file)"
                    .to_string(),
            ));
        }
        (None, Some(token)) if token.is_empty() => {
            return Err(Error::InvalidArgument(
                "the Google access token is empty".to_string(),
            ));
        }
        (None, Some(token)) => google::Credentials::Token(token.clone()),
        (Some(path), None) => {
            let admin = req.admin.as_deref().unwrap_or("").trim();
            if !admin.contains('@') {
                return Err(Error::InvalidArgument(format!(
                    "--admin {admin:?}: give the email of a Google Workspace administrator the \
                     service account acts for"
                )));
            }
            google::Credentials::ServiceAccount {
                key: google::read_key_file(path)?,
                admin: admin.to_string(),
            }
        }
    };
    let opts = google::PullOptions {
        credentials,
        customer: req
            .customer
            .clone()
            .unwrap_or_else(|| "my_customer".to_string()),
        domain: req.domain.clone(),
        api: req
            .endpoint_url
            .clone()
            .unwrap_or_else(|| google::DEFAULT_API.to_string()),
        interval: req.interval.unwrap_or(std::time::Duration::from_millis(50)),
    };
    let pulled = google::pull(&opts, now, cancel, progress).await?;
    let who = match &opts.credentials {
        google::Credentials::ServiceAccount { admin, .. } => format!("as {admin}"),
        google::Credentials::Token(_) => "as the signed-in administrator".to_string(),
    };
    let label = match &opts.domain {
        Some(d) => format!("Google Workspace {d} (Admin SDK, {who})"),
        None => format!("Google Workspace {} (Admin SDK, {who})", opts.customer),
    };
    let id = directories::insert(ws, &label, &format_time(&now), &pulled.directory).await?;
    Ok(PullGoogleRes {
        directory: directories::info(ws, id).await?,
        calls: pulled.progress.calls,
        throttled: pulled.progress.throttled,
        seconds: pulled.seconds,
    })
}

pub async fn list_directories(ws: &Workspace) -> Result<Vec<DirectoryInfo>> {
    directories::list(ws).await
}

/// A mapping with what it implies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MappingView {
    pub mapping: AttributeMapping,
    pub is_default: bool,
    pub warnings: Vec<String>,
}

fn view(mapping: AttributeMapping) -> MappingView {
    MappingView {
        is_default: mapping == AttributeMapping::default_for(mapping.idp),
        warnings: mapping.warnings(),
        mapping,
    }
}

pub async fn get_mapping(ws: &Workspace, idp: DirectoryIdp) -> Result<MappingView> {
    Ok(view(directories::mapping(ws, idp).await?))
}

/// One edit of a mapping: map `source` onto `target` (replacing what fed it, or beside it when
/// `add`); an empty `source` unmaps `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MappingEdit {
    pub idp: DirectoryIdp,
    pub kind: EntityKind,
    pub target: String,
    pub source: String,
    pub add: bool,
}

pub async fn edit_mapping(ws: &Workspace, edit: &MappingEdit) -> Result<MappingView> {
    let mut mapping = directories::mapping(ws, edit.idp).await?;
    if edit.add {
        mapping.add(edit.kind, &edit.target, &edit.source)?;
    } else {
        mapping.set(edit.kind, &edit.target, &edit.source)?;
    }
    directories::save_mapping(ws, &mapping).await?;
    Ok(view(mapping))
}

/// Replaces a whole mapping (the app's mapping editor saves this way).
pub async fn save_mapping(ws: &Workspace, mapping: &AttributeMapping) -> Result<MappingView> {
    for (kind, rows) in [
        (EntityKind::User, &mapping.users),
        (EntityKind::Group, &mapping.groups),
    ] {
        let mut check = AttributeMapping {
            idp: mapping.idp,
            users: Vec::new(),
            groups: Vec::new(),
        };
        for r in rows {
            check.add(kind, &r.target, &r.source)?;
        }
    }
    directories::save_mapping(ws, mapping).await?;
    Ok(view(mapping.clone()))
}

pub async fn reset_mapping(ws: &Workspace, idp: DirectoryIdp) -> Result<MappingView> {
    Ok(view(directories::reset_mapping(ws, idp).await?))
}

/// The user match order in force (saved in the workspace; externalId, userName, email by default).
pub async fn match_order(ws: &Workspace) -> Result<Vec<MatchKey>> {
    let saved: Option<Vec<MatchKey>> = settings::get(ws, directories::MATCH_ORDER).await?;
    Ok(saved
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| MatchKey::USER_DEFAULT.to_vec()))
}

pub async fn set_match_order(ws: &Workspace, order: &[MatchKey]) -> Result<Vec<MatchKey>> {
    let mut clean: Vec<MatchKey> = Vec::new();
    for k in order {
        if *k == MatchKey::DisplayName {
            return Err(Error::InvalidArgument(
                "users match on externalId, userName or email".to_string(),
            ));
        }
        if !clean.contains(k) {
            clean.push(*k);
        }
    }
    if clean.is_empty() {
        return Err(Error::InvalidArgument(
            "the match order needs at least one of externalId, userName, email".into(),
        ));
    }
    settings::set(ws, directories::MATCH_ORDER, &clean).await?;
    Ok(clean)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct CompareReq {
    /// Default: the newest directory import.
    pub directory_id: Option<i64>,
    /// Default: the newest store snapshot.
    pub snapshot_id: Option<i64>,
    /// This run only; default: the workspace's saved order.
    pub match_order: Option<Vec<MatchKey>>,
    pub include_in_sync: bool,
    pub extra_reserved: Vec<String>,
}

/// The workspace's report (log diagnosis, refreshed) with the `compare` section: the newest
/// directory import beside the newest store snapshot, linked to the log evidence.
pub async fn compare_store(ws: &Workspace, req: &CompareReq, now: DateTime<Utc>) -> Result<Report> {
    let dir_id = directory_id(ws, req.directory_id).await?;
    let snap_id = snapshot_id(ws, req.snapshot_id).await?;
    let mut report = api::build_report(ws, &req.extra_reserved, now).await?;
    let rules = crate::db::diagnosis::rules_for(ws, &req.extra_reserved).await?;
    let dir_info = directories::info(ws, dir_id).await?;
    let directory = directories::load(ws, dir_id).await?;
    let mapping = directories::mapping(ws, dir_info.idp).await?;
    let snap_info = snapshots::info(ws, snap_id).await?;
    let snap = snapshots::load(ws, snap_id).await?;
    let logs = LogIndex::new(
        log_links::entities(ws).await?,
        log_links::skip_reasons(ws).await?,
        log_links::any_events(ws).await?,
    );
    let opts = CompareOptions {
        match_order: match &req.match_order {
            Some(o) if !o.is_empty() => o.clone(),
            _ => match_order(ws).await?,
        },
        include_in_sync: req.include_in_sync,
    };
    let section = tokio::task::spawn_blocking(move || {
        let inputs = CompareInputs {
            directory: &directory,
            directory_info: &dir_info,
            mapping: &mapping,
            snapshot: &snap,
            snapshot_info: &snap_info,
            logs: &logs,
            rules: &rules,
        };
        compare::compare(&inputs, &opts)
    })
    .await
    .map_err(|e| Error::internal("the comparison", e))?;
    report.compare = Some(section);
    Ok(report)
}

/// What changed in the store between snapshot `from` and `to` (default: the two newest).
pub async fn diff_snapshots(
    ws: &Workspace,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<SnapshotDiff> {
    let all = snapshots::list(ws).await?;
    let (from, to) = match (from, to) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => {
            if all.len() < 2 && (a.is_none() || b.is_none()) {
                return Err(Error::InvalidArgument(format!(
                    "comparing over time needs two store snapshots; the workspace has {}",
                    all.len()
                )));
            }
            let newest = all[all.len() - 1].id;
            let before = all[all.len() - 2].id;
            (a.unwrap_or(before), b.unwrap_or(newest))
        }
    };
    let (fi, ti) = (
        snapshots::info(ws, from).await?,
        snapshots::info(ws, to).await?,
    );
    let (fs, ts) = (
        snapshots::load(ws, from).await?,
        snapshots::load(ws, to).await?,
    );
    let mut diff = compare::diff_snapshots(&fs, &fi, &ts, &ti);
    // The log's word on each re-creation: the records that deleted the old id and created the
    // new one (CloudTrail's DeleteUser, the IdP's create), when imported.
    for c in &mut diff.identity_changes {
        if c.old_id == c.new_id {
            continue;
        }
        for id in [c.old_id.clone(), c.new_id.clone()] {
            for r in log_links::creates_and_deletes(ws, &id, EVIDENCE_PER_ID).await? {
                c.evidence.push(format!(
                    "{} {} {} of {id} ({} #{})",
                    crate::db::sources::ms_to_text(r.time).unwrap_or_else(|| "undated".into()),
                    r.operation.or(r.action).unwrap_or_default(),
                    r.outcome.unwrap_or_default(),
                    r.path,
                    r.seq
                ));
            }
        }
    }
    Ok(diff)
}

/// Log records quoted per id of an identity change.
const EVIDENCE_PER_ID: i64 = 5;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct PreflightReq {
    /// The export files to check; none: the workspace's newest directory import.
    pub paths: Vec<PathBuf>,
    /// Also check uniqueness against a store snapshot (needs a workspace).
    pub against_store: bool,
    /// Default: the newest snapshot.
    pub snapshot_id: Option<i64>,
    pub extra_reserved: Vec<String>,
}

/// AWS's rules against IdP exports, as a predicted report. `ws` supplies the saved mapping,
/// the reserved-name list and the store snapshot; without one the defaults apply.
pub async fn preflight_export(
    ws: Option<&Workspace>,
    req: &PreflightReq,
    now: DateTime<Utc>,
) -> Result<Report> {
    let (directory, inputs) = match ws {
        // No file named: the directory already imported into the workspace.
        Some(ws) if req.paths.is_empty() => {
            let id = directory_id(ws, None).await?;
            let info = directories::info(ws, id).await?;
            (directories::load(ws, id).await?, vec![info.label])
        }
        _ => {
            let paths = req.paths.clone();
            let directory = tokio::task::spawn_blocking(move || directory::read_files(&paths))
                .await
                .map_err(|e| Error::internal("reading the export", e))??;
            let inputs = req.paths.iter().map(|p| p.display().to_string()).collect();
            (directory, inputs)
        }
    };
    let idp = directory.idp.unwrap_or(DirectoryIdp::Scim);
    let (mapping, rules) = match ws {
        Some(ws) => (
            directories::mapping(ws, idp).await?,
            crate::db::diagnosis::rules_for(ws, &req.extra_reserved).await?,
        ),
        None => (
            AttributeMapping::default_for(idp),
            diagnose::Rules::new(&req.extra_reserved),
        ),
    };
    let store = match (req.against_store, ws) {
        (false, _) => None,
        (true, None) => {
            return Err(Error::InvalidArgument(
                "--against-store needs a workspace with a store snapshot (scimlens fetch or store-import)".into(),
            ));
        }
        (true, Some(ws)) => {
            let id = snapshot_id(ws, req.snapshot_id).await?;
            Some((
                snapshots::info(ws, id).await?,
                snapshots::load(ws, id).await?,
            ))
        }
    };
    tokio::task::spawn_blocking(move || {
        let result =
            preflight::preflight(&directory, &mapping, &rules, store.as_ref().map(|(_, s)| s));
        // The blast radius: the export beside the snapshot, as compare sees it.
        let at_risk = match &store {
            Some((info, snapshot)) if snapshot.access.is_some() => {
                let export = DirectoryInfo {
                    id: 0,
                    idp,
                    label: inputs.join(", "),
                    formats: directory.formats.clone(),
                    imported_at: crate::input::value::format_time(&now),
                    users: directory.users.len() as u64,
                    groups: directory.groups.len() as u64,
                    memberships: directory.members.len() as u64,
                    assignments_known: directory.assignments.is_some(),
                    warnings: directory.warnings.clone(),
                };
                let section = compare::compare(
                    &compare::CompareInputs {
                        directory: &directory,
                        directory_info: &export,
                        mapping: &mapping,
                        snapshot,
                        snapshot_info: info,
                        logs: &compare::LogIndex::default(),
                        rules: &rules,
                    },
                    &compare::CompareOptions::default(),
                );
                compare::at_risk(&section)
            }
            _ => Vec::new(),
        };
        crate::report::preflight::to_report(
            result,
            &directory,
            inputs,
            store.map(|(i, _)| i),
            at_risk,
            now,
        )
    })
    .await
    .map_err(|e| Error::internal("the preflight", e))
}

/// An entity's state in the store: the objects of a snapshot matching a name or id (for the
/// link from a problem entity of the log diagnosis to the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StoreObjects {
    pub snapshot: SnapshotInfo,
    pub users: Vec<StoreUser>,
    pub groups: Vec<StoreGroup>,
}

pub async fn find_store_objects(
    ws: &Workspace,
    query: &str,
    snapshot: Option<i64>,
) -> Result<StoreObjects> {
    let id = snapshot_id(ws, snapshot).await?;
    let (users, groups) = snapshots::find_objects(ws, id, query).await?;
    Ok(StoreObjects {
        snapshot: snapshots::info(ws, id).await?,
        users,
        groups,
    })
}

/// Whose access to show, from which snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct UserAccessReq {
    /// A userName (case-insensitive), user id or externalId.
    pub user: String,
    /// Default: the newest snapshot.
    pub snapshot_id: Option<i64>,
}

/// A group a user is a member of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GroupRef {
    pub group_id: String,
    pub display_name: Option<String>,
}

/// One user's effective access: every account x permission set, direct and through its groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserAccess {
    pub user_id: String,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<GroupRef>,
    pub access: Vec<EffectiveAccess>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserAccessRes {
    pub snapshot: SnapshotInfo,
    /// Every user the query matches (usually one); none when it matches no user.
    pub users: Vec<UserAccess>,
}

/// Snapshot `id` (default: the newest), which must hold account assignments.
async fn snapshot_id_with_access(ws: &Workspace, id: Option<i64>) -> Result<i64> {
    let id = snapshot_id(ws, id).await?;
    if snapshots::info(ws, id).await?.permission_sets.is_none() {
        return Err(Error::NotFound {
            what: "account assignments",
            name: format!(
                "(snapshot #{id} was taken without them: run `scimlens fetch` without --no-access, \
                 with sso-admin read permission, or store-import the AWS CLI's sso-admin output)"
            ),
        });
    }
    Ok(id)
}

/// A user's effective access in a snapshot that holds account assignments.
pub async fn user_access(ws: &Workspace, req: &UserAccessReq) -> Result<UserAccessRes> {
    let id = snapshot_id_with_access(ws, req.snapshot_id).await?;
    let info = snapshots::info(ws, id).await?;
    let (users, _) = snapshots::find_objects(ws, id, req.user.trim()).await?;
    let mut found = Vec::with_capacity(users.len());
    for u in users {
        let groups = db_access::groups_of(ws, id, &u.user_id).await?;
        let rows = db_access::for_user(ws, id, &u.user_id).await?;
        found.push(UserAccess {
            groups: groups
                .into_iter()
                .map(|(group_id, display_name)| GroupRef {
                    group_id,
                    display_name,
                })
                .collect(),
            access: crate::access::effective(rows),
            user_id: u.user_id,
            user_name: u.user_name,
            display_name: u.display_name,
        });
    }
    Ok(UserAccessRes {
        snapshot: info,
        users: found,
    })
}

/// The orphaned assignments of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OrphanedAssignmentsRes {
    pub snapshot: SnapshotInfo,
    pub orphaned: Vec<OrphanedAssignment>,
}

/// Assignments of snapshot `snapshot_id` (default: the newest) whose principal is none of its
/// users or groups, each with who the principal was (from an earlier snapshot), its likely
/// successor and the fix.
pub async fn orphaned_assignments(
    ws: &Workspace,
    snapshot_id: Option<i64>,
) -> Result<OrphanedAssignmentsRes> {
    let id = snapshot_id_with_access(ws, snapshot_id).await?;
    let info = snapshots::info(ws, id).await?;
    if info.users == 0 && info.groups == 0 {
        // Assignments imported without the users and groups: every one would look orphaned.
        return Err(Error::InvalidArgument(format!(
            "snapshot #{id} holds account assignments but no users or groups, so it cannot tell \
             an orphaned assignment: store-import the list-users and list-groups output with the \
             sso-admin output"
        )));
    }
    let orphaned = crate::access::orphaned_in(ws, id).await?;
    Ok(OrphanedAssignmentsRes {
        snapshot: info,
        orphaned,
    })
}
