//! The app's state: where its files live, the open workspace (opened on first use: the most
//! recent one, or the demo workspace on a first launch), and the cancel tokens of the running
//! import and the running identity-store fetch (one each, so cancelling one never stops the
//! other).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use scimlens_core::api::CancelToken;
use scimlens_core::api::Workspace;
use scimlens_core::api::views;
use scimlens_core::api::{Error, Result};
use serde::Serialize;
use tauri::Manager;
use tokio::sync::RwLock;
use ts_rs::TS;

use crate::grants::{Access, Grants};
use crate::recent;

/// The identifier of end-to-end runs (`SCIMLENS_E2E=1` in a debug build): its own data directory
/// and webview storage, so tests never see or touch a user's workspaces.
pub const E2E_IDENTIFIER: &str = "dev.scimlens.app.e2e";

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct WorkspaceInfo {
    pub path: String,
    /// The file name without its extension.
    pub name: String,
    /// The built-in demo workspace (labelled as such in the UI).
    pub demo: bool,
    /// Why this is not the workspace the user had open last (it did not open: damaged, not a
    /// workspace, from a newer scimlens); shown until another workspace is opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RecentWorkspace {
    pub path: String,
    pub name: String,
    /// False when the file has been moved or deleted since.
    pub exists: bool,
}

struct Open {
    ws: Workspace,
    info: WorkspaceInfo,
}

pub struct AppState {
    pub started: Instant,
    pub e2e: bool,
    data_dir: OnceLock<PathBuf>,
    open: RwLock<Option<Open>>,
    cancel: Mutex<CancelToken>,
    fetch_cancel: Mutex<CancelToken>,
    grants: Grants,
    pub ready_ms: OnceLock<u64>,
}

fn info(path: &Path, demo: bool) -> WorkspaceInfo {
    WorkspaceInfo {
        path: path.display().to_string(),
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        demo,
        notice: None,
    }
}

/// Resolves the data directory once the app exists: `SCIMLENS_DATA_DIR` when set (benchmarks,
/// tests), otherwise the platform's data directory for the app's identifier.
pub fn init<R: tauri::Runtime>(
    app: &mut tauri::App<R>,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::var_os("SCIMLENS_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    tracing::info!(data_dir = %dir.display(), "scimlens-app starting");
    let state = app.state::<AppState>();
    let _ = state.data_dir.set(dir);
    Ok(())
}

impl AppState {
    pub fn new(started: Instant, e2e: bool) -> AppState {
        AppState {
            started,
            e2e,
            data_dir: OnceLock::new(),
            open: RwLock::new(None),
            cancel: Mutex::new(CancelToken::default()),
            fetch_cancel: Mutex::new(CancelToken::default()),
            grants: Grants::default(),
            ready_ms: OnceLock::new(),
        }
    }

    /// A state whose files live in `dir` (tests and benchmarks).
    pub fn with_data_dir(dir: &Path) -> AppState {
        let state = AppState::new(Instant::now(), false);
        let _ = state.data_dir.set(dir.to_path_buf());
        state
    }

    fn data_dir(&self) -> &Path {
        self.data_dir
            .get()
            .expect("the data directory is set during setup, before any command")
    }

    fn recent_file(&self) -> PathBuf {
        self.data_dir().join("recent.json")
    }

    /// The open workspace, opening one on first use: the most recent, else the demo.
    pub async fn workspace(&self) -> Result<(Workspace, WorkspaceInfo)> {
        if let Some(open) = self.open.read().await.as_ref() {
            return Ok((open.ws.clone(), open.info.clone()));
        }
        let mut slot = self.open.write().await;
        if let Some(open) = slot.as_ref() {
            return Ok((open.ws.clone(), open.info.clone()));
        }
        let last = recent::load(&self.recent_file())
            .into_iter()
            .find(|p| p.exists());
        let opened = match last {
            Some(path) => match Workspace::open(&path).await {
                Ok(ws) => Ok(Open {
                    ws,
                    info: info(&path, false),
                }),
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "the last workspace did not open; showing the demo");
                    Err(format!(
                        "The workspace you had open last, {}, did not open: {err}. You are \
                         looking at the demo; open another workspace under Sources.",
                        path.display()
                    ))
                }
            },
            None => Err(String::new()),
        };
        let open = match opened {
            Ok(open) => open,
            Err(notice) => {
                let mut demo = self.demo().await?;
                demo.info.notice = Some(notice).filter(|n| !n.is_empty());
                demo
            }
        };
        let out = (open.ws.clone(), open.info.clone());
        *slot = Some(open);
        Ok(out)
    }

    async fn demo(&self) -> Result<Open> {
        let dir = self.data_dir().join("demo");
        let ws = views::open_demo(&dir, chrono::Utc::now()).await?;
        let path = ws
            .path()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join("demo.sqlite"));
        Ok(Open {
            ws,
            info: info(&path, true),
        })
    }

    async fn replace(&self, open: Open) -> WorkspaceInfo {
        let info = open.info.clone();
        let previous = self.open.write().await.replace(open);
        if let Some(previous) = previous {
            previous.ws.close().await;
        }
        info
    }

    /// Records that the user chose `paths` for `access` (a dialog the Rust side opened, a drop
    /// on the window).
    pub fn grant(&self, access: Access, paths: impl IntoIterator<Item = PathBuf>) {
        self.grants.grant(access, paths);
    }

    /// Refuses any of `paths` the user did not choose for `access` (see `grants`). End-to-end
    /// runs (debug builds only) type paths into test fields instead: WebDriver cannot drive
    /// native dialogs.
    pub fn check<'a>(
        &self,
        access: Access,
        paths: impl IntoIterator<Item = &'a Path>,
    ) -> Result<()> {
        if self.e2e {
            return Ok(());
        }
        self.grants.check(access, paths)
    }

    /// Opens (creating if needed) the workspace at `path` and remembers it: one the user picked
    /// or created in a dialog, or one of the recent workspaces.
    pub async fn open_path(&self, path: &Path) -> Result<WorkspaceInfo> {
        if path.as_os_str().is_empty() {
            return Err(Error::InvalidArgument(
                "no workspace file given".to_string(),
            ));
        }
        if !recent::load(&self.recent_file()).iter().any(|p| p == path) {
            self.check(Access::Workspace, [path])?;
        }
        let ws = Workspace::open(path).await?;
        recent::remember(&self.recent_file(), path);
        Ok(self
            .replace(Open {
                ws,
                info: info(path, false),
            })
            .await)
    }

    pub async fn open_demo(&self) -> Result<WorkspaceInfo> {
        let open = self.demo().await?;
        Ok(self.replace(open).await)
    }

    pub fn recent(&self) -> Vec<RecentWorkspace> {
        recent::load(&self.recent_file())
            .iter()
            .map(|p| recent_entry(p))
            .collect()
    }

    pub fn forget(&self, path: &Path) -> Vec<RecentWorkspace> {
        recent::forget(&self.recent_file(), path)
            .iter()
            .map(|p| recent_entry(p))
            .collect()
    }

    /// A fresh token for a new import (the previous import's token stays cancelled).
    pub fn new_cancel(&self) -> CancelToken {
        let token = CancelToken::default();
        *self.cancel.lock().expect("cancel lock is never poisoned") = token.clone();
        token
    }

    pub fn cancel(&self) {
        self.cancel
            .lock()
            .expect("cancel lock is never poisoned")
            .cancel();
    }

    /// A fresh token for a new fetch of the identity store.
    pub fn new_fetch_cancel(&self) -> CancelToken {
        let token = CancelToken::default();
        *self
            .fetch_cancel
            .lock()
            .expect("cancel lock is never poisoned") = token.clone();
        token
    }

    pub fn cancel_fetch(&self) {
        self.fetch_cancel
            .lock()
            .expect("cancel lock is never poisoned")
            .cancel();
    }
}

fn recent_entry(path: &Path) -> RecentWorkspace {
    let i = info(path, false);
    RecentWorkspace {
        path: i.path,
        name: i.name,
        exists: path.exists(),
    }
}
