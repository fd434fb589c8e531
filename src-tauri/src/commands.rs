//! The Tauri commands: each one a few lines over a `scimlens-core` operation. Arguments and
//! results are the core's wire types (exported to `ui/src/bindings`); errors are
//! [`CommandError`]s carrying the core's stable code. A command that reads or writes a file
//! takes only paths the user chose (`grants`): the dialogs are opened from here and drops come
//! from the window's own event.

use std::path::{Path, PathBuf};

use chrono::Utc;
use scimlens_core::api::CompareSection;
use scimlens_core::api::DirectoryInfo;
use scimlens_core::api::ImportProgress;
use scimlens_core::api::Report;
use scimlens_core::api::ReportFormat;
use scimlens_core::api::SnapshotDiff;
use scimlens_core::api::SnapshotInfo;
use scimlens_core::api::SourceSummary;
use scimlens_core::api::identity_store::{
    self, CompareReq, FetchChoices, FetchStoreReq, FetchStoreRes, GooglePullProgress, PreflightReq,
    PullGoogleReq, PullGoogleRes, StoreObjects,
};
use scimlens_core::api::views::{
    self, CategoryInfo, ExportReq, ExportRes, Overview, ProblemPage, ProblemQuery, RootCauseView,
};
use scimlens_core::api::{self, EntityDetail, ImportFilesReq, ImportFilesRes};
use scimlens_core::api::{
    CloudTrailProgress, EntraProgress, OktaProgress, PullCloudTrailReq, PullCloudTrailRes,
    PullEntraReq, PullEntraRes, PullOktaReq, PullOktaRes,
};
use scimlens_core::api::{FetchOptions, FetchProgress};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{DragDropEvent, Emitter, Manager, Runtime, State, Webview, WebviewEvent};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use ts_rs::TS;

use crate::error::CommandError;
use crate::grants::Access;
use crate::state::{AppState, RecentWorkspace, WorkspaceInfo};

type Res<T> = Result<T, CommandError>;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub workspace: WorkspaceInfo,
    pub recent: Vec<RecentWorkspace>,
    /// An end-to-end run: the UI shows its import-by-path field.
    pub e2e: bool,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    let (_, workspace) = state.workspace().await?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        workspace,
        recent: state.recent(),
        e2e: state.e2e,
    })
}

/// The UI calls this once its first view has data: the cold-start time, logged for benchmarks.
#[tauri::command]
pub fn app_ready(state: State<'_, AppState>) -> u64 {
    *state.ready_ms.get_or_init(|| {
        let ms = state.started.elapsed().as_millis() as u64;
        tracing::info!(ms, "interactive");
        eprintln!("scimlens-app: interactive after {ms} ms");
        ms
    })
}

#[tauri::command]
pub async fn open_workspace(state: State<'_, AppState>, path: PathBuf) -> Res<WorkspaceInfo> {
    Ok(state.open_path(&path).await?)
}

#[tauri::command]
pub async fn open_demo(state: State<'_, AppState>) -> Res<WorkspaceInfo> {
    Ok(state.open_demo().await?)
}

#[tauri::command]
pub fn forget_recent(state: State<'_, AppState>, path: PathBuf) -> Vec<RecentWorkspace> {
    state.forget(&path)
}

/// Imports files picked in the dialog, dropped on the window or (e2e runs) typed as paths.
#[tauri::command]
pub async fn import_files(
    state: State<'_, AppState>,
    paths: Vec<PathBuf>,
    on_progress: Channel<ImportProgress>,
) -> Res<ImportFilesRes> {
    state.check(Access::Read, paths.iter().map(PathBuf::as_path))?;
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_cancel();
    // A closed channel (the window went away) loses progress, never the import.
    let progress = move |p: &ImportProgress| drop(on_progress.send(p.clone()));
    let req = ImportFilesReq {
        paths,
        extra_reserved: Vec::new(),
    };
    Ok(api::import_files(&ws, req, &cancel, Utc::now(), &progress).await?)
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) {
    state.cancel();
}

#[tauri::command]
pub async fn overview(state: State<'_, AppState>) -> Res<Overview> {
    let (ws, _) = state.workspace().await?;
    Ok(views::overview(&ws).await?)
}

#[tauri::command]
pub async fn problems_page(state: State<'_, AppState>, query: ProblemQuery) -> Res<ProblemPage> {
    let (ws, _) = state.workspace().await?;
    Ok(views::problems_page(&ws, &query).await?)
}

#[tauri::command]
pub async fn root_causes(state: State<'_, AppState>) -> Res<Vec<RootCauseView>> {
    let (ws, _) = state.workspace().await?;
    Ok(views::root_causes(&ws).await?)
}

#[tauri::command]
pub async fn sources(state: State<'_, AppState>) -> Res<Vec<SourceSummary>> {
    let (ws, _) = state.workspace().await?;
    Ok(views::sources(&ws).await?)
}

#[tauri::command]
pub async fn entity(state: State<'_, AppState>, key: String) -> Res<EntityDetail> {
    let (ws, _) = state.workspace().await?;
    Ok(api::get_entity(&ws, &key).await?)
}

#[tauri::command]
pub fn categories() -> Vec<CategoryInfo> {
    views::categories()
}

#[tauri::command]
pub async fn pseudonym_key(state: State<'_, AppState>) -> Res<String> {
    let (ws, _) = state.workspace().await?;
    Ok(views::pseudonym_key(&ws).await?)
}

#[tauri::command]
pub async fn export_report(state: State<'_, AppState>, req: ExportReq) -> Res<ExportRes> {
    state.check(Access::Write, [Path::new(&req.path)])?;
    let (ws, _) = state.workspace().await?;
    Ok(views::export_report(&ws, &req, Utc::now()).await?)
}

/// The AWS profiles (from `~/.aws/config` and `credentials`) and regions the fetch dialog offers.
#[tauri::command]
pub fn fetch_choices() -> FetchChoices {
    identity_store::fetch_choices()
}

/// Fetches the live identity store into one snapshot; a failed or cancelled fetch stores
/// nothing.
#[tauri::command]
pub async fn fetch_store(
    state: State<'_, AppState>,
    req: FetchStoreReq,
    on_progress: Channel<FetchProgress>,
) -> Res<FetchStoreRes> {
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_fetch_cancel();
    let progress = move |p: &FetchProgress| drop(on_progress.send(p.clone()));
    let options = FetchOptions::from(req);
    Ok(identity_store::fetch_store(&ws, &options, &cancel, Utc::now(), &progress).await?)
}

#[tauri::command]
pub fn cancel_fetch(state: State<'_, AppState>) {
    state.cancel_fetch();
}

/// Pulls Okta's System Log provisioning events into one source; a failed or cancelled pull
/// (`cancel_fetch`) stores nothing. The token in `req` stays in memory.
#[tauri::command]
pub async fn pull_okta(
    state: State<'_, AppState>,
    req: PullOktaReq,
    on_progress: Channel<OktaProgress>,
) -> Res<PullOktaRes> {
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_fetch_cancel();
    let progress = move |p: &OktaProgress| drop(on_progress.send(p.clone()));
    Ok(api::pull_okta(&ws, req, &cancel, Utc::now(), &progress).await?)
}

/// Pulls Entra's provisioning logs (and the app's job status) from Microsoft Graph; the
/// device-code prompt arrives as progress. A failed or cancelled pull stores nothing.
#[tauri::command]
pub async fn pull_entra(
    state: State<'_, AppState>,
    req: PullEntraReq,
    on_progress: Channel<EntraProgress>,
) -> Res<PullEntraRes> {
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_fetch_cancel();
    let progress = move |p: &EntraProgress| drop(on_progress.send(p.clone()));
    Ok(api::pull_entra(&ws, req, &cancel, Utc::now(), &progress).await?)
}

/// Pulls the identity store's CloudTrail events (LookupEvents, read-only) with the AWS
/// credentials of the picked profile; incremental from the newest event held. A failed or
/// cancelled pull (`cancel_fetch`) stores nothing.
#[tauri::command]
pub async fn pull_cloudtrail(
    state: State<'_, AppState>,
    req: PullCloudTrailReq,
    on_progress: Channel<CloudTrailProgress>,
) -> Res<PullCloudTrailRes> {
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_fetch_cancel();
    let progress = move |p: &CloudTrailProgress| drop(on_progress.send(p.clone()));
    Ok(api::pull_cloudtrail(&ws, req, &cancel, Utc::now(), &progress).await?)
}

/// Pulls Google Workspace's directory (Admin SDK, read-only) as a service account acting for an
/// administrator, into one directory import; a failed or cancelled pull (`cancel_fetch`) stores
/// nothing. The key file must have been picked in the dialog; the key and the token stay in
/// memory.
#[tauri::command]
pub async fn pull_google_directory(
    state: State<'_, AppState>,
    req: PullGoogleReq,
    on_progress: Channel<GooglePullProgress>,
) -> Res<PullGoogleRes> {
    if let Some(key_file) = &req.key_file {
        state.check(Access::Read, [key_file.as_path()])?;
    }
    let (ws, _) = state.workspace().await?;
    let cancel = state.new_fetch_cancel();
    let progress = move |p: &GooglePullProgress| drop(on_progress.send(*p));
    Ok(identity_store::pull_google_directory(&ws, &req, Utc::now(), &cancel, &progress).await?)
}

/// Imports `aws identitystore list-users` / `list-groups` / `list-group-memberships` output as
/// one store snapshot.
#[tauri::command]
pub async fn import_store_files(
    state: State<'_, AppState>,
    paths: Vec<PathBuf>,
) -> Res<SnapshotInfo> {
    state.check(Access::Read, paths.iter().map(PathBuf::as_path))?;
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::import_store_files(&ws, &paths, Utc::now()).await?)
}

/// Imports IdP directory exports (SCIM ListResponse, Entra CSV / Graph JSON, Okta CSV).
#[tauri::command]
pub async fn import_directory(
    state: State<'_, AppState>,
    paths: Vec<PathBuf>,
) -> Res<DirectoryInfo> {
    state.check(Access::Read, paths.iter().map(PathBuf::as_path))?;
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::import_directory(&ws, &paths, Utc::now()).await?)
}

#[tauri::command]
pub async fn snapshots(state: State<'_, AppState>) -> Res<Vec<SnapshotInfo>> {
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::list_snapshots(&ws).await?)
}

#[tauri::command]
pub async fn directories(state: State<'_, AppState>) -> Res<Vec<DirectoryInfo>> {
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::list_directories(&ws).await?)
}

/// The IdP directory beside the store snapshot: the report's `compare` section (the log
/// diagnosis around it is the other views' business).
#[tauri::command]
pub async fn compare_store(state: State<'_, AppState>, req: CompareReq) -> Res<CompareSection> {
    let (ws, _) = state.workspace().await?;
    let report = identity_store::compare_store(&ws, &req, Utc::now()).await?;
    Ok(report
        .compare
        .expect("compare_store always fills the report's compare section"))
}

/// What changed in the store between snapshot `from` and `to` (default: the two newest): users,
/// groups and memberships, and the identity changes (re-created, renamed, externalId moved)
/// with the old id's assignments and the log's delete and create.
#[tauri::command]
pub async fn diff_snapshots(
    state: State<'_, AppState>,
    from: Option<i64>,
    to: Option<i64>,
) -> Res<SnapshotDiff> {
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::diff_snapshots(&ws, from, to).await?)
}

/// AWS's rules against IdP exports picked in the dialog: a predicted report.
#[tauri::command]
pub async fn preflight_export(state: State<'_, AppState>, req: PreflightReq) -> Res<Report> {
    state.check(Access::Read, req.paths.iter().map(PathBuf::as_path))?;
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::preflight_export(Some(&ws), &req, Utc::now()).await?)
}

/// The store objects (newest snapshot unless `snapshot` is given) matching a name or id: the
/// store state of a problem entity.
#[tauri::command]
pub async fn store_objects(
    state: State<'_, AppState>,
    query: String,
    snapshot: Option<i64>,
) -> Res<StoreObjects> {
    let (ws, _) = state.workspace().await?;
    Ok(identity_store::find_store_objects(&ws, &query, snapshot).await?)
}

/// What the user is asked to pick files for: the dialog's title and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    /// Provisioning logs to import (any supported format).
    Logs,
    /// `aws identitystore list-users` / `list-groups` / `list-group-memberships` output.
    StoreFiles,
    /// IdP directory exports: SCIM ListResponse, Entra users CSV / Graph JSON, Okta users CSV.
    DirectoryExports,
    /// IdP directory exports to check against AWS's rules.
    PreflightExports,
    /// A Google service account's JSON key file, for the live Google Workspace pull (one file).
    GoogleKeyFile,
}

const WORKSPACE_FILTER: (&str, &[&str]) = ("scimlens workspace", &["sqlite", "scimlens"]);

fn dialog<R: Runtime>(webview: &Webview<R>, title: &str) -> FileDialogBuilder<R> {
    let builder = webview.dialog().file().set_title(title);
    #[cfg(any(windows, target_os = "macos"))]
    let builder = builder.set_parent(&webview.window());
    builder
}

fn local_paths(picked: Vec<FilePath>) -> Vec<PathBuf> {
    picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect()
}

fn shown(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

async fn pick_many<R: Runtime>(builder: FileDialogBuilder<R>) -> Option<Vec<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    builder.pick_files(move |picked| drop(tx.send(picked)));
    rx.await.ok().flatten().map(local_paths)
}

async fn pick_one<R: Runtime>(builder: FileDialogBuilder<R>, save: bool) -> Option<PathBuf> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let done = move |picked: Option<FilePath>| drop(tx.send(picked));
    if save {
        builder.save_file(done);
    } else {
        builder.pick_file(done);
    }
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}

/// Opens the file dialog for `kind` and grants the picked files for reading; None when the user
/// cancels. The paths come back for display and to name the files in the next command.
#[tauri::command]
pub async fn pick_files<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
    kind: PickKind,
) -> Res<Option<Vec<String>>> {
    let (title, filter): (&str, Option<(&str, &[&str])>) = match kind {
        PickKind::Logs => ("Import provisioning logs", None),
        PickKind::StoreFiles => (
            "Import an identity store snapshot (AWS CLI JSON)",
            Some(("AWS CLI JSON", &["json", "gz"])),
        ),
        PickKind::DirectoryExports => (
            "Import an IdP directory export",
            Some(("Directory export", &["json", "csv", "gz"])),
        ),
        PickKind::PreflightExports => (
            "Pick the IdP export to preflight",
            Some(("Directory export", &["json", "csv", "gz"])),
        ),
        PickKind::GoogleKeyFile => (
            "Pick the Google service account's JSON key file",
            Some(("Service account key", &["json"])),
        ),
    };
    let mut builder = dialog(&webview, title);
    if let Some((name, extensions)) = filter {
        builder = builder.add_filter(name, extensions);
    }
    let picked = if kind == PickKind::GoogleKeyFile {
        pick_one(builder, false).await.map(|p| vec![p])
    } else {
        pick_many(builder).await
    };
    let Some(paths) = picked else {
        return Ok(None);
    };
    state.grant(Access::Read, paths.iter().cloned());
    Ok(Some(shown(&paths)))
}

/// Opens the dialog to pick an existing workspace; the pick may then be opened.
#[tauri::command]
pub async fn pick_workspace<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
) -> Res<Option<String>> {
    let (name, extensions) = WORKSPACE_FILTER;
    let builder = dialog(&webview, "Open a workspace").add_filter(name, extensions);
    Ok(pick_one(builder, false).await.map(|path| {
        state.grant(Access::Workspace, [path.clone()]);
        path.display().to_string()
    }))
}

/// Opens the save dialog for a new workspace; the choice may then be opened (created).
#[tauri::command]
pub async fn pick_new_workspace<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
) -> Res<Option<String>> {
    let (name, extensions) = WORKSPACE_FILTER;
    let builder = dialog(&webview, "Create a workspace")
        .set_file_name("investigation.sqlite")
        .add_filter(name, extensions);
    Ok(pick_one(builder, true).await.map(|path| {
        state.grant(Access::Workspace, [path.clone()]);
        path.display().to_string()
    }))
}

/// Opens the save dialog for a report in `format`; the choice may then be written by
/// `export_report`.
#[tauri::command]
pub async fn pick_export_path<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
    format: ReportFormat,
    default_name: String,
) -> Res<Option<String>> {
    let (name, extension) = match format {
        ReportFormat::Html => ("HTML report", "html"),
        ReportFormat::Csv => ("CSV", "csv"),
        ReportFormat::Json => ("JSON", "json"),
        ReportFormat::Md => ("Markdown", "md"),
        ReportFormat::Text => ("Text", "txt"),
    };
    let builder = dialog(&webview, "Export the failure report")
        .set_file_name(default_name)
        .add_filter(name, &[extension]);
    Ok(pick_one(builder, true).await.map(|path| {
        state.grant(Access::Write, [path.clone()]);
        path.display().to_string()
    }))
}

/// The event that carries files dropped on the window to the page, once they are granted.
pub const FILES_DROPPED: &str = "files-dropped";

/// Files dropped on the window: the window's own event (the page cannot make one), so the
/// files are granted for reading and handed to the page to import.
pub fn on_webview_event<R: Runtime>(webview: &Webview<R>, event: &WebviewEvent) {
    if let WebviewEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
        if paths.is_empty() {
            return;
        }
        let state = webview.state::<AppState>();
        state.grant(Access::Read, paths.iter().cloned());
        if let Err(err) = webview.emit(FILES_DROPPED, shown(paths)) {
            tracing::warn!(%err, "could not hand dropped files to the page");
        }
    }
}
