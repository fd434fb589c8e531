//! Where a command's workspace (the SQLite case file) is and how it is opened: `--workspace`,
//! else `$SCIMLENS_WORKSPACE`, else a file in the user's data directory. Commands that only
//! read a workspace refuse a missing one rather than create an empty one. Also the extra
//! reserved names a command adds on top of the workspace's own list.

use std::path::PathBuf;

use clap::Args;
use scimlens_core::api::Workspace;

/// The global `--workspace` option.
#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// Workspace (SQLite case file) to use.
    #[arg(
        long = "workspace",
        id = WORKSPACE_ARG,
        global = true,
        env = "SCIMLENS_WORKSPACE",
        value_name = "PATH"
    )]
    path: Option<PathBuf>,
}

const WORKSPACE_ARG: &str = "workspace";

impl WorkspaceArgs {
    /// `cmd` with `--help` naming the default workspace, which depends on the user.
    pub fn show_default(cmd: clap::Command) -> clap::Command {
        cmd.mut_arg(WORKSPACE_ARG, |a| {
            a.help(format!(
                "Workspace (SQLite case file) to use [default: {}]",
                default_path().display()
            ))
        })
    }

    /// The workspace asked for, else the default one.
    pub fn resolve(self) -> WorkspacePath {
        WorkspacePath(self.path.unwrap_or_else(default_path))
    }
}

fn default_path() -> PathBuf {
    directories::ProjectDirs::from("dev", "scimlens", "scimlens")
        .map(|d| d.data_dir().join("workspace.scimlens.sqlite"))
        .unwrap_or_else(|| PathBuf::from("scimlens-workspace.sqlite"))
}

/// The path of the workspace a command works on; nothing is opened or created until a
/// command asks.
#[derive(Debug)]
pub struct WorkspacePath(PathBuf);

impl WorkspacePath {
    pub fn display(&self) -> std::path::Display<'_> {
        self.0.display()
    }

    /// Opens the workspace, creating it if there is none: for commands that add to it.
    pub async fn open_or_create(&self) -> anyhow::Result<Workspace> {
        Ok(Workspace::open(&self.0).await?)
    }

    /// Opens the workspace; commands that read a workspace must not silently create an empty
    /// one.
    pub async fn open_existing(&self) -> anyhow::Result<Workspace> {
        if !self.0.exists() {
            anyhow::bail!(
                "no workspace at {}; import logs first with `scimlens import FILE...` (or pass --workspace)",
                self.0.display()
            );
        }
        self.open_or_create().await
    }

    /// Opens the workspace when there is one: for commands that use its settings when they
    /// can and defaults when they cannot.
    pub async fn open_if_exists(&self) -> anyhow::Result<Option<Workspace>> {
        if self.0.exists() {
            Ok(Some(self.open_or_create().await?))
        } else {
            Ok(None)
        }
    }
}

/// `--reserved-name`: names this run treats as reserved besides the built-in ones and those
/// saved in the workspace (`scimlens reserved`).
#[derive(Debug, Args)]
pub struct ReservedArgs {
    /// An extra reserved name (repeatable), on top of Administrator and AWSAdministrators.
    #[arg(long = "reserved-name", value_name = "NAME")]
    pub reserved: Vec<String>,
}
