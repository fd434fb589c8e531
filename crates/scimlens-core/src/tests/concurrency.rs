//! Two users of one workspace at once (the app and the CLI, an import and a fetch): a writer
//! waits for the other instead of failing with "database is locked".

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::api::identity_store;
use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::import::pipeline::CancelToken;
use chrono::{TimeZone, Utc};
use sqlx::Connection;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn store_files() -> Vec<PathBuf> {
    [
        "list-users.json",
        "list-groups.json",
        "list-group-memberships.json",
    ]
    .iter()
    .map(|f| fixture(&format!("identitystore/{f}")))
    .collect()
}

async fn import_logs(ws: &Workspace, files: &[&str]) {
    let req = ImportFilesReq {
        paths: files.iter().map(|f| fixture(f)).collect(),
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    api::import_files(ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap();
}

#[tokio::test]
async fn a_snapshot_import_waits_for_a_writer_that_holds_the_workspace_past_the_busy_timeout() {
    // Regression: a fetch or store import during a long import failed after 10 s with
    // "database is locked" and its snapshot was lost.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.scimlens.sqlite");
    let ws = Workspace::open(&path).await.unwrap();
    // Another process's long import: a raw connection holding the write lock for 11 s.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(11)).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    });
    let started = Instant::now();
    let stored = identity_store::import_store_files(&ws, &store_files(), Utc::now())
        .await
        .expect("the snapshot import waits for the other writer and completes");
    release.await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(10), "it waited");
    assert!(stored.users > 0, "{stored:?}");
    assert_eq!(identity_store::list_snapshots(&ws).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_import_and_a_snapshot_import_on_one_workspace_from_two_handles_both_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.scimlens.sqlite");
    let app = Workspace::open(&path).await.unwrap();
    let cli = Workspace::open(&path).await.unwrap();
    let logs = import_logs(
        &app,
        &[
            "entra-graph/page1.json",
            "entra-portal-json/download.json",
            "okta/systemlog.json",
            "cloudtrail/records.json",
        ],
    );
    let files = store_files();
    let snapshot = identity_store::import_store_files(&cli, &files, Utc::now());
    let (_, stored) = tokio::join!(logs, snapshot);
    stored.expect("the snapshot import completes beside the log import");
    let sources: i64 = sqlx::query_scalar("SELECT count(*) FROM sources")
        .fetch_one(cli.pool())
        .await
        .unwrap();
    assert_eq!(sources, 4);
    assert_eq!(identity_store::list_snapshots(&app).await.unwrap().len(), 1);
}
