//! The workspace: one SQLite file per investigation. This module owns the pool, the migrations
//! and every SQL statement; nothing outside `db` runs SQL (the import pipeline and the api
//! call the functions here).
//!
//! Tables, one module each (the migrations in `migrations/` are the schema):
//! - logs: `sources` (one per imported file) and `source_warnings` (`sources`), `events`
//!   (normalized records with their classification; `events`) and `evidence_blocks` (their raw
//!   records, lz4-compressed in blocks; `evidence`);
//! - the diagnosis: `entity_stats` and `event_buckets` (aggregates every import adds to;
//!   `stats`), `entities` (the materialized diagnosis; `entities`, `diagnosis`, read by
//!   `view_queries` and `log_links`), `entity_search` (the trigram index of entity names that
//!   searches read; `search`);
//! - the AWS identity store: `store_snapshots`, `store_users`, `store_groups`,
//!   `store_memberships` (`snapshots`); who may use what, with each snapshot:
//!   `store_permission_sets`, `store_account_assignments`, `store_accounts` (`access`);
//! - the IdP: `directories`, `directory_users`, `directory_groups`, `directory_members`,
//!   `directory_assignments` (`directories`);
//! - `settings` (reserved names, the attribute mapping, the rules the diagnosis was made with).
//!
//! Typed TEXT columns (`columns`) read back strictly; `bulk` and `defensive` reach SQLite's C
//! API for what sqlx does not expose.

pub mod access;
mod bulk;
mod columns;
mod defensive;
pub mod diagnosis;
pub mod directories;
pub mod entities;
pub mod events;
pub mod evidence;
pub mod log_links;
pub mod search;
pub mod settings;
pub mod snapshots;
pub mod sources;
pub mod stats;
pub mod view_queries;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection as _, SqlitePool};

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// `PRAGMA application_id` of a scimlens workspace: "SCML" in ASCII. It sits in the file's
/// header (offset 68), so a file is recognised before SQLite opens it for writing.
pub const APPLICATION_ID: i32 = i32::from_be_bytes(*b"SCML");

/// The schema version this build reads and writes (`PRAGMA user_version`, offset 60 of the
/// header): the number of migrations, which are forward-only, so it only grows.
pub fn schema_version() -> i64 {
    MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .count() as i64
}

/// What a file about to be opened turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Missing, empty, or a SQLite database without any table: becomes a workspace.
    New,
    /// Stamped with our application id, at this schema version or an older one.
    Workspace,
    /// Made by scimlens before workspaces were stamped (`_sqlx_migrations` with our versions).
    Unstamped,
}

/// SQLite's file header: the magic string, then the fields read here.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Tells what `path` is without writing to it: its header first (no SQLite at all), then, for
/// an unstamped SQLite file, its tables through a read-only connection.
async fn inspect(path: &Path) -> Result<Found> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::New),
        Err(e) => return Err(io(e)),
    };
    let mut header = Vec::with_capacity(100);
    file.by_ref()
        .take(100)
        .read_to_end(&mut header)
        .map_err(io)?;
    drop(file);
    if header.is_empty() {
        return Ok(Found::New);
    }
    let refuse = |reason: &str| Error::NotAWorkspace {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if header.len() < 100 || !header.starts_with(SQLITE_MAGIC) {
        return Err(refuse("it is not a SQLite database"));
    }
    let field = |at: usize| {
        i32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let (user_version, application_id) = (field(60), field(68));
    if application_id == APPLICATION_ID {
        return check_version(path, i64::from(user_version)).map(|()| Found::Workspace);
    }
    if application_id != 0 {
        return Err(refuse(&format!(
            "it is another application's SQLite database (application id {application_id:#010x})"
        )));
    }
    // Unstamped: an empty database, an older workspace, or someone else's. A stamp written
    // by a session that never checkpointed lives in the WAL, which only SQLite reads.
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .pragma("trusted_schema", "OFF");
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| Error::Workspace {
            path: path.to_path_buf(),
            source,
        })?;
    let found = inspect_unstamped(path, &mut conn).await;
    conn.close().await.ok();
    found
}

async fn inspect_unstamped(path: &Path, conn: &mut SqliteConnection) -> Result<Found> {
    {
        let mut handle = conn.lock_handle().await?;
        defensive::harden(&mut handle)?;
    }
    let refuse = |reason: String| Error::NotAWorkspace {
        path: path.to_path_buf(),
        reason,
    };
    let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await?;
    let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *conn)
        .await?;
    if application_id == i64::from(APPLICATION_ID) {
        return check_version(path, user_version).map(|()| Found::Workspace);
    }
    if application_id != 0 {
        return Err(refuse(format!(
            "it is another application's SQLite database (application id {application_id:#010x})"
        )));
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| refuse(format!("its schema cannot be read: {e}")))?;
    if tables.is_empty() {
        return Ok(Found::New);
    }
    if !tables.iter().any(|t| t == "_sqlx_migrations") {
        let mut names = tables
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if tables.len() > 5 {
            names.push_str(", ...");
        }
        return Err(refuse(format!("it holds other tables: {names}")));
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| refuse(format!("its migrations cannot be read: {e}")))?;
    let ours: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let first = ours.iter().min().copied().unwrap_or_default();
    if !applied.contains(&first) {
        return Err(refuse(
            "its migrations are another application's".to_string(),
        ));
    }
    let latest = ours.iter().max().copied().unwrap_or_default();
    if applied.iter().any(|v| *v > latest) {
        return Err(Error::WorkspaceTooNew {
            path: path.to_path_buf(),
            found: applied.len() as i64,
            supported: schema_version(),
        });
    }
    Ok(Found::Unstamped)
}

fn check_version(path: &Path, found: i64) -> Result<()> {
    let supported = schema_version();
    if found > supported {
        return Err(Error::WorkspaceTooNew {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(())
}

/// Every connection of a pool: defensive settings first, before it reads anything.
fn hardened(options: SqlitePoolOptions) -> SqlitePoolOptions {
    options.after_connect(|conn, _meta| {
        Box::pin(async move {
            let mut handle = conn.lock_handle().await?;
            defensive::harden(&mut handle)
        })
    })
}

/// How long a writer waits for another one: an import holds the workspace for the whole file
/// (one transaction), which on the largest logs takes minutes.
const WRITER_WAIT: Duration = Duration::from_secs(30 * 60);

/// True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes).
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| c & 0xff == 5)
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

/// Runs `attempt` (which starts a write: `BEGIN IMMEDIATE`) until it is not refused as busy:
/// each try already waits the busy timeout inside SQLite; after [`WRITER_WAIT`] the caller gets
/// [`Error::Busy`], never "database is locked".
async fn wait_for_writer<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, sqlx::Error>>,
{
    let started = std::time::Instant::now();
    let mut told = false;
    loop {
        match attempt().await {
            Err(e) if is_busy(&e) => {
                if started.elapsed() >= WRITER_WAIT {
                    return Err(Error::Busy {
                        minutes: WRITER_WAIT.as_secs() / 60,
                    });
                }
                if !told {
                    tracing::info!("another import or fetch is writing the workspace; waiting");
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// A write transaction on `pool`, taken at once (`BEGIN IMMEDIATE`, so it never fails half-way
/// on a lock upgrade), waiting for another writer as long as [`WRITER_WAIT`].
pub(crate) async fn begin_write(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    wait_for_writer(|| pool.begin_with("BEGIN IMMEDIATE")).await
}

/// `BEGIN IMMEDIATE` on a connection the caller holds, waiting like [`begin_write`].
pub(crate) async fn begin_immediate(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        match sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            Err(e) if is_busy(&e) && started.elapsed() < WRITER_WAIT => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) if is_busy(&e) => {
                return Err(Error::Busy {
                    minutes: WRITER_WAIT.as_secs() / 60,
                });
            }
            other => return other.map(|_| ()).map_err(Error::from),
        }
    }
}

/// Ends a transaction started with [`begin_immediate`]: `COMMIT` when `keep`, else `ROLLBACK`.
pub(crate) async fn end_immediate(conn: &mut sqlx::SqliteConnection, keep: bool) -> Result<()> {
    let sql = if keep { "COMMIT" } else { "ROLLBACK" };
    match sqlx::query(sql).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        // After a full disk or an I/O error SQLite may have rolled the transaction back itself:
        // there is nothing left to undo.
        Err(e) if !keep && e.to_string().contains("no transaction is active") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Ends a transaction begun by [`begin_immediate`] after `failure`, undoing everything: the
/// failure is what the caller reports; a rollback that fails too is only logged, since its
/// error would hide the cause.
pub(crate) async fn abandon_immediate(conn: &mut sqlx::SqliteConnection, failure: Error) -> Error {
    if let Err(e) = end_immediate(conn, false).await {
        tracing::warn!(error = %e, "rolling back after a failed write");
    }
    failure
}

/// An open workspace. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct Workspace {
    pool: SqlitePool,
    path: Option<PathBuf>,
}

impl Workspace {
    /// Opens the workspace at `path`, or starts one there when the file is missing, empty or
    /// an empty SQLite database: WAL, foreign keys, busy timeout, SQLite's defensive settings,
    /// migrations applied. Any other file is refused before it is opened for writing, and so
    /// left exactly as it was; so is a workspace of a newer schema version.
    pub async fn open(path: &Path) -> Result<Workspace> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let found = inspect(path).await?;
        tracing::debug!(path = %path.display(), ?found, "opening workspace");
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .pragma("trusted_schema", "OFF")
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 16 MiB of pages per connection: the import writes in key order or appends, so
            // 32 MiB bought no time (1,000,000 records: 43.1 s against 42.8 s) and cost 20 MiB
            // of peak memory; the report, a rules change and search were unchanged.
            .pragma("cache_size", "-16384");
        let pool = hardened(SqlitePoolOptions::new())
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
        // The header read above can predate a stamp still in the WAL.
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&ws.pool)
            .await?;
        check_version(path, version)?;
        ws.migrate().await?;
        ws.stamp().await?;
        if stats::build_missing(&ws.pool).await? {
            tracing::info!(path = %path.display(), "entity aggregates built from the records");
        }
        if access::refresh_impact_if_stale(&ws.pool).await? {
            tracing::info!(path = %path.display(), "the diagnosis weighed against the newest snapshot's access");
        }
        Ok(ws)
    }

    /// A workspace that lives only in memory (one-shot `analyze`). One connection, so every
    /// query sees the same database.
    pub async fn in_memory() -> Result<Workspace> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?
            .pragma("trusted_schema", "OFF")
            .foreign_keys(true);
        let pool = hardened(SqlitePoolOptions::new())
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let ws = Workspace { pool, path: None };
        ws.migrate().await?;
        ws.stamp().await?;
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

    /// Marks the file as a workspace of this schema version, once the migrations are applied
    /// (a crash in between leaves an unstamped workspace, which the next open migrates and
    /// stamps). Checkpointed, so the file's header says so for the next [`inspect`].
    async fn stamp(&self) -> Result<()> {
        let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&self.pool)
            .await?;
        let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.pool)
            .await?;
        let version = schema_version();
        if application_id == i64::from(APPLICATION_ID) && user_version == version {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        // PRAGMA takes no bound values; both are integers of the code.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version}"
        )))
        .execute(&mut *conn)
        .await?;
        if self.path.is_some() {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
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
