//! The workspace: one SQLite file per investigation. This module owns the pool, the migrations
//! and every SQL statement; nothing outside `store` writes SQL.
//!
//! Tables: `sources` (one per imported file), `source_warnings`, `events` (normalized records
//! with their classification and compressed raw evidence), `entity_stats` and `event_buckets`
//! (aggregates every import adds to), `entities` (the materialized diagnosis), `settings`.

mod bulk;
pub mod directories;
pub mod entities;
pub mod events;
pub mod evidence;
pub mod import;
pub mod log_links;
pub mod settings;
pub mod snapshots;
pub mod sources;
pub mod stats;
pub mod view_queries;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An open workspace. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct Workspace {
    pool: SqlitePool,
    path: Option<PathBuf>,
}

impl Workspace {
    /// Opens (creating if needed) the workspace at `path`: WAL, foreign keys, busy timeout,
    /// migrations applied.
    pub async fn open(path: &Path) -> Result<Workspace> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32768");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| Error::Workspace {
                path: path.to_path_buf(),
                source,
            })?;
        let ws = Workspace {
            pool,
            path: Some(path.to_path_buf()),
        };
        ws.migrate().await?;
        if stats::build_missing(&ws.pool).await? {
            tracing::info!(path = %path.display(), "entity aggregates built from the records");
        }
        Ok(ws)
    }

    /// A workspace that lives only in memory (one-shot `analyze`). One connection, so every
    /// query sees the same database.
    pub async fn in_memory() -> Result<Workspace> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let ws = Workspace { pool, path: None };
        ws.migrate().await?;
        Ok(ws)
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| Error::Migrate {
                path: self
                    .path
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(":memory:")),
                source,
            })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The file behind the workspace; `None` for an in-memory one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}
