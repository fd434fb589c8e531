//! A workspace from someone else is input: opening it trusts nothing in it. Files that are not
//! workspaces are refused untouched, crafted schemas run no SQL of their own, damaged rows are
//! errors, not panics.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::api::{self, ImportFilesReq};
use crate::db::{self, Workspace};
use crate::import::pipeline::CancelToken;
use crate::{Error, ErrorCode};
use chrono::{TimeZone, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

async fn import(ws: &Workspace, file: &str) -> Result<(), Error> {
    let req = ImportFilesReq {
        paths: vec![fixture(file)],
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    api::import_files(ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .map(|_| ())
}

/// A plain connection without any of the workspace's defences: how a hostile file is made.
async fn raw(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(false);
    SqliteConnection::connect_with(&options).await.unwrap()
}

async fn run(path: &Path, sql: &str) {
    let mut conn = raw(path).await;
    conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// A workspace with one imported log, closed.
async fn workspace_with_records(path: &Path) {
    let ws = Workspace::open(path).await.unwrap();
    import(&ws, "entra-diagnostic/export.jsonl").await.unwrap();
    ws.close().await;
}

async fn event_indexes(ws: &Workspace) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(ws.pool())
    .await
    .unwrap()
}

/// The file as it is on disk, to prove that refusing it changed nothing.
fn snapshot(path: &Path) -> (Vec<u8>, SystemTime) {
    let bytes = std::fs::read(path).unwrap();
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    (bytes, modified)
}

fn siblings(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_crafted_index_definition_in_the_workspace_is_never_executed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.sqlite");
    let planted = dir.path().join("planted.sqlite");
    let ws = Workspace::open(&path).await.unwrap();
    ws.close().await;
    let tail = format!(
        "; COMMIT; ATTACH '{}' AS x; CREATE TABLE x.t(v); BEGIN",
        planted.display()
    );
    run(
        &path,
        &format!(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET sql = sql || '{}' WHERE name = 'events_time';",
            tail.replace('\'', "''")
        ),
    )
    .await;

    let ws = Workspace::open(&path).await.unwrap();
    let stored = event_indexes(&ws).await;
    assert!(
        stored.iter().any(|(_, sql)| sql.ends_with(&tail)),
        "the test must plant its SQL where the first import used to read it: {stored:?}"
    );
    import(&ws, "entra-diagnostic/export.jsonl").await.unwrap();
    assert!(
        !planted.exists(),
        "the planted ATTACH ran and wrote {}",
        planted.display()
    );
    let rebuilt = event_indexes(&ws).await;
    ws.close().await;

    let clean_path = dir.path().join("clean.sqlite");
    let clean = Workspace::open(&clean_path).await.unwrap();
    import(&clean, "entra-diagnostic/export.jsonl")
        .await
        .unwrap();
    assert_eq!(
        rebuilt,
        event_indexes(&clean).await,
        "the indexes after the import are the code's, not the file's"
    );
    assert!(!planted.exists());
}

#[tokio::test]
async fn connections_refuse_attach_and_schema_writes_and_distrust_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.sqlite");
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let memory = Workspace::in_memory().await.unwrap();
    for ws in [&ws, &memory] {
        let mut conn = ws.pool().acquire().await.unwrap();
        let attach = format!("ATTACH '{}' AS x", outside.display());
        let err = conn.execute(sqlx::AssertSqlSafe(attach)).await.unwrap_err();
        assert!(err.to_string().contains("too many attached"), "{err}");
        let written = conn
            .execute(
                "PRAGMA writable_schema = ON;
                 UPDATE sqlite_master SET sql = sql WHERE name = 'events_time'",
            )
            .await;
        assert!(written.is_err(), "defensive mode forbids schema writes");
        let trusted: i64 = sqlx::query_scalar("PRAGMA trusted_schema")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(trusted, 0);
    }
    assert!(!outside.exists());
}

#[tokio::test]
async fn a_file_that_is_not_a_workspace_is_refused_without_being_modified() {
    let dir = tempfile::tempdir().unwrap();
    let other_app = dir.path().join("other-app.db");
    run(
        &other_app,
        "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('alice');",
    )
    .await;
    let stamped = dir.path().join("stamped.db");
    run(
        &stamped,
        "PRAGMA application_id = 1234; CREATE TABLE t (v);",
    )
    .await;
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database at all, but longer than a SQLite header would be ".repeat(3),
    )
    .unwrap();
    let short = dir.path().join("short.bin");
    std::fs::write(&short, b"SQLite format 3\0").unwrap();

    for (path, reason) in [
        (&other_app, "other tables: contacts"),
        (&stamped, "another application's SQLite database"),
        (&text, "not a SQLite database"),
        (&short, "not a SQLite database"),
    ] {
        let before = snapshot(path);
        let files = siblings(path);
        // A coarse clock would hide a write made in the same tick.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let err = Workspace::open(path).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotAWorkspace, "{err}");
        let message = err.to_string();
        assert!(message.contains(reason), "{message}");
        assert!(message.contains("not modified"), "{message}");
        assert!(snapshot(path) == before, "{} was modified", path.display());
        assert_eq!(
            siblings(path),
            files,
            "no WAL or journal file was left beside {}",
            path.display()
        );
    }
    let mut conn = raw(&other_app).await;
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(tables, vec!["contacts"], "no _sqlx_migrations was added");
}

#[tokio::test]
async fn a_workspace_of_a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.sqlite");
    workspace_with_records(&path).await;
    let newer = db::schema_version() + 1;
    run(&path, &format!("PRAGMA user_version = {newer}")).await;
    let err = Workspace::open(&path).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceTooNew);
    let message = err.to_string();
    assert!(
        message.contains("newer version of scimlens")
            && message.contains(&format!("schema version {newer}")),
        "{message}"
    );

    // Made before workspaces were stamped, by a scimlens with a migration this one lacks.
    let unstamped = dir.path().join("unstamped-newer.sqlite");
    workspace_with_records(&unstamped).await;
    run(
        &unstamped,
        "PRAGMA application_id = 0; PRAGMA user_version = 0;
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99991231000000, 'from the future', 1, x'00', 0);",
    )
    .await;
    let err = Workspace::open(&unstamped).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceTooNew, "{err}");
}

#[tokio::test]
async fn an_older_unstamped_workspace_is_accepted_and_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("older.sqlite");
    workspace_with_records(&path).await;
    run(&path, "PRAGMA application_id = 0; PRAGMA user_version = 0;").await;

    let ws = Workspace::open(&path).await.unwrap();
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(ws.pool())
        .await
        .unwrap();
    assert!(records > 0, "the records are still there");
    ws.close().await;
    let header = std::fs::read(&path).unwrap();
    assert_eq!(
        &header[68..72],
        b"SCML",
        "application id in the file's header"
    );
    assert_eq!(
        i64::from(i32::from_be_bytes(header[60..64].try_into().unwrap())),
        db::schema_version(),
        "schema version in the file's header"
    );
    assert_eq!(db::APPLICATION_ID, i32::from_be_bytes(*b"SCML"));
}

#[tokio::test]
async fn an_empty_file_or_empty_database_becomes_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let blank = dir.path().join("blank.sqlite");
    run(&blank, "CREATE TABLE t (v); DROP TABLE t;").await;
    assert!(std::fs::metadata(&blank).unwrap().len() > 0);
    for path in [empty, blank] {
        let ws = Workspace::open(&path).await.unwrap();
        import(&ws, "entra-diagnostic/export.jsonl").await.unwrap();
        ws.close().await;
        Workspace::open(&path).await.unwrap().close().await;
    }
}

#[tokio::test]
async fn a_non_integer_record_number_is_a_damaged_workspace_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.sqlite");
    workspace_with_records(&path).await;
    // Without aggregates, opening folds every record again, reading `seq` among them.
    run(
        &path,
        "UPDATE events SET seq = 'twelve' WHERE id = (SELECT min(id) FROM events WHERE connection_level = 0);
         DELETE FROM entity_stats;",
    )
    .await;
    let err = Workspace::open(&path).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
    assert!(err.to_string().contains("damaged"), "{err}");
}

#[tokio::test]
async fn damaged_aggregates_are_a_damaged_workspace_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.sqlite");
    workspace_with_records(&path).await;
    // Aggregates emptied and records no longer of the types the schema declares.
    run(
        &path,
        "DELETE FROM entity_stats; UPDATE events SET decisive = 'yes', time = x'00';",
    )
    .await;
    let err = Workspace::open(&path).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
}

async fn counts(ws: &Workspace) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "sources",
        "events",
        "evidence_blocks",
        "entity_stats",
        "entities",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        out.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(ws.pool())
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn a_csv_whose_quote_never_closes_is_rejected_with_the_line_it_opened_on() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    import(&ws, "entra-diagnostic/export.jsonl").await.unwrap();
    let before = counts(&ws).await;

    let mut csv =
        std::fs::read_to_string(fixture("entra-portal-csv-alt/provisioning_logs.csv")).unwrap();
    let line = csv.lines().count() + 1;
    csv.push_str(
        "2026-11-20T14:00:00Z,b1,c1,create,failure,EntryConflict,\"Failed to create User\n\
         2026-11-20T14:01:00Z,b2,c2,create,success,,,Sales,Sales,Group\n",
    );
    let path = dir.path().join("provisioning_logs.csv");
    std::fs::write(&path, csv).unwrap();
    let req = ImportFilesReq {
        paths: vec![path],
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let err = api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Parse, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("provisioning_logs.csv")
            && message.contains(&format!("line {line}"))
            && message.contains("closing quote"),
        "{message}"
    );
    assert_eq!(counts(&ws).await, before, "the workspace is unchanged");
}

#[tokio::test]
async fn a_pseudonymized_report_holds_none_of_the_identifying_values_in_any_format() {
    use crate::report::render::{ReportFormat, pseudonymize, render};

    // The logs sit in a folder that names their owner, as downloads do.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home/jdoe.private/Downloads");
    std::fs::create_dir_all(&home).unwrap();
    let mut files = Vec::new();
    for rel in [
        "cloudtrail/events.jsonl",
        "entra-diagnostic/export.jsonl",
        "entra-graph/page1.json",
        "entra-log-analytics/AADProvisioningLogs.csv",
        "entra-portal-csv/ProvisioningLogs.csv",
        "entra-portal-csv/ProvisioningLogs_ModifiedProperties.csv",
        "entra-portal-csv/ProvisioningLogs_ProvisioningSteps.csv",
        "entra-portal-json/download.json",
        "idp-scim-sync/idpscim.jsonl",
        "okta/systemlog.json",
        "ssosync/ssosync.jsonl",
    ] {
        let to = home.join(rel.replace('/', "-").replace("entra-portal-csv-", ""));
        std::fs::copy(fixture(rel), &to).unwrap();
        files.push(to);
    }
    let ws = Workspace::in_memory().await.unwrap();
    let req = ImportFilesReq {
        paths: files,
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap();
    let report = api::build_report(&ws, &[], now).await.unwrap();
    assert!(report.entities.len() >= 10, "a report with something in it");

    // Every value the logs identify someone or something by.
    let mut identifying: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT v FROM (
             SELECT name AS v FROM events UNION SELECT display_name FROM events
             UNION SELECT idp_id FROM events UNION SELECT target_id FROM events
             UNION SELECT external_id FROM events)
         WHERE v IS NOT NULL AND length(v) >= 4",
    )
    .fetch_all(ws.pool())
    .await
    .unwrap();
    let generic = ["Administrator", "AWSAdministrators"];
    identifying.retain(|v| !generic.iter().any(|g| g.eq_ignore_ascii_case(v)));
    identifying.push("jdoe.private".to_string());
    assert!(identifying.len() >= 20, "{identifying:?}");
    let seen_before: Vec<&String> = identifying
        .iter()
        .filter(|v| {
            render(&report, ReportFormat::Json)
                .to_lowercase()
                .contains(&v.to_lowercase())
        })
        .collect();
    assert!(
        seen_before.len() >= 10,
        "the plain report shows them: {seen_before:?}"
    );

    let key = crate::report::pseudonym::new_key().unwrap();
    let pseudonymized = pseudonymize(&report, key.as_bytes());
    assert_eq!(pseudonymized.entities.len(), report.entities.len());
    for format in [
        ReportFormat::Text,
        ReportFormat::Json,
        ReportFormat::Csv,
        ReportFormat::Md,
        ReportFormat::Html,
    ] {
        let out = render(&pseudonymized, format).to_lowercase();
        let leaked: Vec<&String> = identifying
            .iter()
            .filter(|v| out.contains(&v.to_lowercase()))
            .collect();
        assert!(leaked.is_empty(), "{format:?} leaks {leaked:?}:\n{out}");
    }
}
