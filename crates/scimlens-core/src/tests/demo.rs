//! The demo workspace (the app's first launch, `scimlens demo`) populates every view: the logs,
//! an IdP directory export and an identity store snapshot that tell one story, shown by the
//! names of the files in the set, never by the folder they were written to.

use crate::api::identity_store::{self, CompareReq, PreflightReq};
use crate::api::views;
use crate::compare::CompareState;
use crate::model::Category;

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-22T12:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn the_demo_workspace_has_logs_a_snapshot_and_a_directory_and_compare_and_preflight_show_rows()
 {
    let dir = tempfile::tempdir().unwrap();
    let ws = views::open_demo(dir.path(), now()).await.unwrap();

    let snapshots = identity_store::list_snapshots(&ws).await.unwrap();
    let directories = identity_store::list_directories(&ws).await.unwrap();
    assert_eq!(snapshots.len(), 1, "one store snapshot");
    assert_eq!(directories.len(), 1, "one directory export");
    assert_eq!((snapshots[0].users, snapshots[0].groups), (6, 2));
    assert_eq!((directories[0].users, directories[0].groups), (10, 4));

    let report = identity_store::compare_store(&ws, &CompareReq::default(), now())
        .await
        .unwrap();
    let c = report.compare.expect("a compare section");
    let state = |name: &str| {
        c.entities
            .iter()
            .find(|e| e.name.starts_with(name))
            .map(|e| e.state)
    };
    assert_eq!(state("karen.lee"), Some(CompareState::Drift));
    assert_eq!(state("alice@"), Some(CompareState::NotProvisioned));
    assert_eq!(
        state("breakglass.admin"),
        Some(CompareState::UnmanagedInStore)
    );
    let alice = c
        .entities
        .iter()
        .find(|e| e.name.starts_with("alice@"))
        .unwrap();
    let evidence = alice
        .evidence
        .as_ref()
        .expect("alice's failure is in the logs");
    assert_eq!(evidence.category, Some(Category::MissingRequiredAttribute));
    assert!(!c.membership_differences.is_empty());
    assert!(!report.entities.is_empty(), "the log diagnosis too");

    // Preflight without a file checks the directory import against the snapshot.
    let req = PreflightReq {
        against_store: true,
        ..PreflightReq::default()
    };
    let pre = identity_store::preflight_export(Some(&ws), &req, now())
        .await
        .unwrap();
    let p = pre.preflight.expect("a preflight section");
    assert_eq!((p.users_checked, p.groups_checked), (10, 4));
    assert!(p.against_store.is_some());
    let found = |cat: Category, name: &str| {
        p.findings
            .iter()
            .any(|f| f.category == cat && f.name.starts_with(name))
    };
    assert!(found(Category::MissingRequiredAttribute, "alice@"));
    assert!(found(Category::ReservedName, "Administrator"));
    assert!(found(Category::DuplicateConflict, "AWSSecurityAuditors"));

    // Reopening adds nothing.
    ws.close().await;
    let ws = views::open_demo(dir.path(), now()).await.unwrap();
    assert_eq!(
        identity_store::list_snapshots(&ws).await.unwrap(),
        snapshots
    );
    assert_eq!(
        identity_store::list_directories(&ws).await.unwrap(),
        directories
    );
}

#[tokio::test]
async fn the_demo_shows_its_files_by_their_names_in_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let ws = views::open_demo(dir.path(), now()).await.unwrap();
    let written = dir.path().display().to_string();
    let report = identity_store::compare_store(&ws, &CompareReq::default(), now())
        .await
        .unwrap();
    let paths: Vec<&str> = report.sources.iter().map(|s| s.path.as_str()).collect();
    assert!(paths.contains(&"entra-graph/page1.json"), "{paths:?}");
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(&written), "no path of the temporary folder");
    let page = report
        .findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .find(|f| f.contains("page 1 of more"))
        .expect("the incomplete-page alert");
    assert!(page.contains("entra-graph/page1.json"), "{page}");

    let req = PreflightReq::default();
    let pre = identity_store::preflight_export(Some(&ws), &req, now())
        .await
        .unwrap();
    assert!(!serde_json::to_string(&pre).unwrap().contains(&written));
}

#[tokio::test]
async fn preflight_without_a_file_needs_a_directory_import() {
    let ws = crate::db::Workspace::in_memory().await.unwrap();
    let err = identity_store::preflight_export(Some(&ws), &PreflightReq::default(), now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::NotFound);
}
