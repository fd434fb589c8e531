//! The built-in demo set: small logs in several formats that together show every failure
//! category, the IdP's directory export (Entra: users, groups and the app's assignments) and a
//! snapshot of the AWS identity store, all telling one story, so every view has something to
//! show. `scimlens demo` and the app's first launch use it. The files are the project's test
//! fixtures, built from the documented formats (`tests/fixtures/MANIFEST.md`,
//! `tests/fixtures/directory/MANIFEST.md`), embedded in the binary.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::api::{self, ImportFilesReq, ImportFilesRes};
use crate::db::directories::{self, DirectoryInfo};
use crate::db::snapshots::{self, SnapshotInfo};
use crate::db::{Workspace, sources};
use crate::error::{Error, Result};
use crate::import::pipeline::{CancelToken, ImportOutcome};
use crate::input::value::format_time;

/// One demo file: its name in the set (a path relative to where the set is written, and what
/// the workspace shows for it) and its bytes.
type DemoFile = (&'static str, &'static [u8]);

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!("../../../../tests/fixtures/", $path)) as &[u8],
        )
    };
}

/// The provisioning logs.
const LOGS: &[DemoFile] = &[
    fixture!("entra-graph/page1.json"),
    fixture!("entra-portal-json/download.json"),
    fixture!("entra-diagnostic/export.jsonl"),
    fixture!("entra-log-analytics/AADProvisioningLogs.csv"),
    fixture!("entra-portal-csv/ProvisioningLogs.csv"),
    fixture!("entra-portal-csv/ProvisioningLogs_ProvisioningSteps.csv"),
    fixture!("entra-portal-csv/ProvisioningLogs_ModifiedProperties.csv"),
    fixture!("cloudtrail/records.json"),
    fixture!("okta/systemlog.json"),
    fixture!("ssosync/ssosync.jsonl"),
    fixture!("idp-scim-sync/idpscim.jsonl"),
];

/// The Entra directory export (the users and groups of the Entra logs, with their object ids).
const DIRECTORY: &[DemoFile] = &[
    fixture!("directory/entra-graph-users.json"),
    fixture!("directory/entra-graph-groups.json"),
    fixture!("directory/entra-graph-assignments.json"),
];

/// `aws identitystore list-users` / `list-groups` / `list-group-memberships` output, and who may
/// use what: `aws sso-admin list-permission-sets` / `describe-permission-set` /
/// `list-account-assignments` and `aws organizations list-accounts`.
const STORE: &[DemoFile] = &[
    fixture!("identitystore/list-users.json"),
    fixture!("identitystore/list-groups.json"),
    fixture!("identitystore/list-group-memberships.json"),
    fixture!("identitystore/list-permission-sets.json"),
    fixture!("identitystore/describe-permission-set.json"),
    fixture!("identitystore/list-account-assignments.json"),
    fixture!("identitystore/list-accounts.json"),
];

/// Every file of the set, by its name in the set.
pub fn files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    LOGS.iter().chain(DIRECTORY).chain(STORE).copied()
}

fn write(dir: &Path, set: &[DemoFile]) -> std::io::Result<Vec<PathBuf>> {
    set.iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
            Ok(path)
        })
        .collect()
}

/// Writes the whole demo set into `dir` (created if needed) and returns the paths of its logs
/// (the directory export and the store snapshot land beside them, under `directory/` and
/// `identitystore/`).
pub fn write_demo_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let logs = write(dir, LOGS)?;
    write(dir, DIRECTORY)?;
    write(dir, STORE)?;
    Ok(logs)
}

/// What [`populate`] added to a workspace (a part already there is `None`).
#[derive(Debug, Clone)]
pub struct DemoImport {
    pub logs: Option<ImportFilesRes>,
    pub snapshot: Option<SnapshotInfo>,
    pub directory: Option<DirectoryInfo>,
}

/// Writes the demo set into `dir` and imports into `ws` whatever of it `ws` lacks: the logs
/// (when it has no source), the store snapshot (when it has none) and the directory export
/// (when it has none). Everything is shown by its name in the set (`entra-graph/page1.json`),
/// not by where it was written.
pub async fn populate(ws: &Workspace, dir: &Path, now: DateTime<Utc>) -> Result<DemoImport> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let log_paths = write_demo_files(dir).map_err(io)?;
    let logs = if sources::list(ws).await?.is_empty() {
        let req = ImportFilesReq {
            paths: log_paths.clone(),
            extra_reserved: Vec::new(),
        };
        let mut res = api::import_files(ws, req, &CancelToken::default(), now, &|_| {}).await?;
        for ((name, _), path) in LOGS.iter().zip(&log_paths) {
            sources::rename(ws, &path.display().to_string(), name).await?;
        }
        for outcome in &mut res.outcomes {
            match outcome {
                ImportOutcome::Imported { path, .. } => *path = set_name(&log_paths, path),
                ImportOutcome::AlreadyImported {
                    path,
                    existing_path,
                    ..
                } => {
                    *path = set_name(&log_paths, path);
                    *existing_path = set_name(&log_paths, existing_path);
                }
            }
        }
        Some(res)
    } else {
        None
    };
    let snapshot = if snapshots::latest(ws).await?.is_none() {
        Some(import_snapshot(ws, dir, now).await?)
    } else {
        None
    };
    let directory = if directories::latest(ws).await?.is_none() {
        let paths: Vec<PathBuf> = DIRECTORY.iter().map(|(name, _)| dir.join(name)).collect();
        let read = tokio::task::spawn_blocking(move || crate::directory::read_files(&paths))
            .await
            .map_err(|e| Error::internal("reading the demo directory", e))??;
        let id = directories::insert(ws, &names(DIRECTORY), &format_time(&now), &read).await?;
        Some(directories::info(ws, id).await?)
    } else {
        None
    };
    Ok(DemoImport {
        logs,
        snapshot,
        directory,
    })
}

/// The name in the set of the file written at `path` (`path` itself when it is not one).
fn set_name(written: &[PathBuf], path: &str) -> String {
    LOGS.iter()
        .zip(written)
        .find(|(_, w)| w.display().to_string() == path)
        .map_or_else(|| path.to_string(), |((name, _), _)| name.to_string())
}

fn names(set: &[DemoFile]) -> String {
    set.iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn import_snapshot(ws: &Workspace, dir: &Path, now: DateTime<Utc>) -> Result<SnapshotInfo> {
    let paths: Vec<_> = STORE.iter().map(|(name, _)| dir.join(name)).collect();
    crate::api::identity_store::import_store_files_as(ws, &paths, names(STORE), now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_set_has_a_distinct_name() {
        let mut names: Vec<&str> = files().map(|(n, _)| n).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(files().all(|(_, bytes)| !bytes.is_empty()));
    }
}
