//! The workspace end to end: fixtures in the documented formats go in, the diagnosis and report
//! come out; bad input is rejected with its position and leaves the workspace as it was.

use std::path::{Path, PathBuf};

use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::import::pipeline::{CancelToken, ImportOutcome};
use crate::model::{Category, EntityStatus};
use crate::report::Report;
use crate::{Error, ErrorCode};
use chrono::{TimeZone, Utc};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

async fn import(ws: &Workspace, files: &[PathBuf]) -> Result<Vec<ImportOutcome>, Error> {
    let req = ImportFilesReq {
        paths: files.to_vec(),
        extra_reserved: Vec::new(),
    };
    api::import_files(ws, req, &CancelToken::default(), now(), &|_| {})
        .await
        .map(|r| r.outcomes)
}

async fn report(ws: &Workspace) -> Report {
    api::build_report(ws, &[], now()).await.unwrap()
}

fn entity<'a>(r: &'a Report, name: &str) -> &'a crate::report::ReportEntity {
    r.entities
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| {
            panic!(
                "{name} is not among the problem entities: {:?}",
                r.entities.iter().map(|e| &e.name).collect::<Vec<_>>()
            )
        })
}

/// What the workspace holds, to prove a failed import changed nothing.
async fn fingerprint(ws: &Workspace) -> (i64, i64, i64, i64) {
    let q = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(ws.pool())
            .await
            .unwrap()
    };
    (
        q("SELECT count(*) FROM sources").await,
        q("SELECT count(*) FROM events").await,
        q("SELECT count(*) FROM evidence_blocks").await,
        q("SELECT count(*) FROM entity_stats").await,
    )
}

#[tokio::test]
async fn entra_logs_explain_each_failure_with_category_attribute_and_status() {
    let ws = Workspace::in_memory().await.unwrap();
    import(
        &ws,
        &[
            fixture("entra-graph/page1.json"),
            fixture("entra-portal-json/download.json"),
            fixture("entra-diagnostic/export.jsonl"),
        ],
    )
    .await
    .unwrap();
    let r = report(&ws).await;

    let expect = |name: &str, category: Category, attribute: Option<&str>, status: EntityStatus| {
        let e = entity(&r, name);
        assert_eq!(e.category, Some(category), "{name}");
        assert_eq!(e.attribute.as_deref(), attribute, "{name}");
        assert_eq!(e.status, status, "{name}");
    };
    expect(
        "alice@contoso.com",
        Category::MissingRequiredAttribute,
        Some("name.givenName"),
        EntityStatus::Failing,
    );
    expect(
        "bruno.diaz@contoso.com",
        Category::MultivalueNotSupported,
        Some("emails"),
        EntityStatus::Failing,
    );
    expect(
        "Administrator",
        Category::ReservedName,
        Some("displayName"),
        EntityStatus::Failing,
    );
    expect(
        "Finance-Analysts",
        Category::DuplicateConflict,
        Some("displayName"),
        EntityStatus::Failing,
    );
    expect(
        "dmitri.volkov@contoso.com",
        Category::MissingRequiredAttribute,
        Some("name.familyName"),
        EntityStatus::Resolved,
    );
    expect(
        "ivan.petrov@contoso.com",
        Category::InvalidValue,
        Some("userName"),
        EntityStatus::Failing,
    );
    expect(
        "paul.murphy@contoso.com",
        Category::TargetObjectMissing,
        None,
        EntityStatus::Failing,
    );
    expect(
        "guest.user_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        Category::InvalidValue,
        Some("userName"),
        EntityStatus::Failing,
    );
    expect(
        "Data-Platform",
        Category::PatchInvalid,
        None,
        EntityStatus::Failing,
    );
    expect(
        "xss.probe@contoso.com",
        Category::MissingRequiredAttribute,
        Some("name.familyName"),
        EntityStatus::Failing,
    );
    expect(
        "lena.schmidt@contoso.com",
        Category::Throttled,
        None,
        EntityStatus::Resolved,
    );
    expect(
        "rachel.green@contoso.com",
        Category::MultivalueNotSupported,
        Some("addresses"),
        EntityStatus::Failing,
    );

    // Benign skips and successes are not problems.
    for ok in [
        "henry.ford@contoso.com",
        "tom.baker@contoso.com",
        "grace.hopper@contoso.com",
    ] {
        assert!(
            !r.entities.iter().any(|e| e.name == ok),
            "{ok} must not be a problem"
        );
    }
    // Root causes group like failures and carry a fix.
    let given = r
        .root_causes
        .iter()
        .find(|c| c.attribute.as_deref() == Some("name.givenName"))
        .unwrap();
    assert!(given.entities.contains(&"alice@contoso.com".to_string()));
    assert!(given.fix.contains("Entra"), "{}", given.fix);
    // Job-level findings: one page of more, a silent gap, a throttling burst.
    use crate::report::JobFindingKind as K;
    for kind in [K::IncompletePage, K::SilentGap, K::ThrottlingBurst] {
        assert!(
            r.findings.iter().any(|f| f.kind == kind),
            "missing finding {kind:?}: {:?}",
            r.findings
        );
    }
    assert_eq!(r.schema_version, 1);
    assert_eq!(
        r.totals.problem_entities as usize,
        r.entities
            .iter()
            .filter(|e| e.status == EntityStatus::Failing)
            .count()
    );
}

#[tokio::test]
async fn importing_the_same_file_twice_adds_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let first = import(&ws, &[fixture("entra-graph/page1.json")])
        .await
        .unwrap();
    assert!(matches!(
        first[0],
        ImportOutcome::Imported { records: 12, .. }
    ));
    let before = fingerprint(&ws).await;
    // The gzip copy has other bytes on disk; the plain file again is the same content.
    let again = import(&ws, &[fixture("entra-graph/page1.json")])
        .await
        .unwrap();
    assert!(
        matches!(again[0], ImportOutcome::AlreadyImported { .. }),
        "{again:?}"
    );
    assert_eq!(fingerprint(&ws).await, before);
}

#[tokio::test]
async fn gzip_is_read_transparently() {
    let ws = Workspace::in_memory().await.unwrap();
    let out = import(&ws, &[fixture("entra-graph/page1.json.gz")])
        .await
        .unwrap();
    assert!(
        matches!(
            out[0],
            ImportOutcome::Imported {
                records: 12,
                format: crate::model::Format::EntraGraph,
                ..
            }
        ),
        "{out:?}"
    );
}

async fn rejected(name: &str, path: &Path) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    import(&ws, &[fixture("entra-diagnostic/export.jsonl")])
        .await
        .unwrap();
    let before = fingerprint(&ws).await;
    let err = import(&ws, &[path.to_path_buf()]).await.expect_err(name);
    assert_eq!(
        fingerprint(&ws).await,
        before,
        "{name}: a failed import must leave the workspace unchanged"
    );
    assert!(
        err.to_string()
            .contains(&path.file_name().unwrap().to_string_lossy().to_string()),
        "{name}: the error must name the file: {err}"
    );
    err
}

#[tokio::test]
async fn a_truncated_file_is_rejected_with_its_position_and_nothing_is_kept() {
    let err = rejected("truncated", &fixture("bad/truncated.json")).await;
    assert_eq!(err.code(), ErrorCode::Parse);
    let msg = err.to_string();
    assert!(msg.contains("line") && msg.contains("expected"), "{msg}");
}

#[tokio::test]
async fn empty_wrong_format_binary_and_unrelated_json_are_rejected_clearly() {
    assert_eq!(
        rejected("empty", &fixture("bad/empty.json")).await.code(),
        ErrorCode::Empty
    );
    let wrong = rejected("wrong format", &fixture("bad/wrong-format.txt")).await;
    assert_eq!(wrong.code(), ErrorCode::UnknownFormat);
    assert!(wrong.to_string().contains("supported"), "{wrong}");
    assert_eq!(
        rejected("binary", &fixture("bad/binary.bin")).await.code(),
        ErrorCode::UnknownFormat
    );
    assert_eq!(
        rejected("not a log", &fixture("bad/not-a-log.json"))
            .await
            .code(),
        ErrorCode::UnknownFormat
    );
}

#[tokio::test]
async fn invalid_utf8_is_rejected_with_its_line() {
    let err = rejected("invalid utf-8", &fixture("bad/invalid-utf8.jsonl")).await;
    assert_eq!(err.code(), ErrorCode::NotUtf8);
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[tokio::test]
async fn a_broken_line_is_rejected_with_its_line_number() {
    let err = rejected("broken line", &fixture("bad/broken-line-3.jsonl")).await;
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[tokio::test]
async fn a_50_mb_single_line_is_rejected_without_reading_it_into_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-line.jsonl");
    let mut line = String::from(
        "{\"time\":\"2026-11-20T10:00:00Z\",\"category\":\"ProvisioningLogs\",\"operationName\":\"x\",\"properties\":{\"Id\":\"",
    );
    line.push_str(&"A".repeat(50 * 1024 * 1024));
    line.push_str("\"}}\n");
    std::fs::write(&path, line).unwrap();
    let err = rejected("50 MB line", &path).await;
    assert_eq!(err.code(), ErrorCode::RecordTooLarge);
    assert!(err.to_string().contains("line 1"), "{err}");
}

/// The definitions of the indexes on `events` (a first import builds them after its rows).
async fn event_indexes(ws: &Workspace) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(ws.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_cancelled_import_keeps_nothing() {
    let ws = Workspace::in_memory().await.unwrap();
    let indexes = event_indexes(&ws).await;
    assert!(indexes.len() >= 4, "{indexes:?}");
    let cancel = CancelToken::default();
    cancel.cancel();
    let req = ImportFilesReq {
        paths: vec![fixture("entra-graph/page1.json")],
        extra_reserved: Vec::new(),
    };
    let err = api::import_files(&ws, req, &cancel, now(), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert_eq!(fingerprint(&ws).await, (0, 0, 0, 0));
    assert_eq!(event_indexes(&ws).await, indexes);
}

#[tokio::test]
async fn reserved_names_added_to_the_workspace_reclassify_generic_failures() {
    let ws = Workspace::in_memory().await.unwrap();
    import(&ws, &[fixture("entra-portal-json/download.json")])
        .await
        .unwrap();
    let before = report(&ws).await;
    let name = before
        .entities
        .iter()
        .find(|e| {
            e.category == Some(Category::SchemaViolationUnspecified)
                || e.category == Some(Category::Other)
        })
        .map(|e| e.name.clone());
    if let Some(name) = name {
        api::add_reserved_names(&ws, std::slice::from_ref(&name))
            .await
            .unwrap();
        let after = report(&ws).await;
        assert_eq!(entity(&after, &name).category, Some(Category::ReservedName));
    } else {
        // No generic failure in this file: the list is still stored and read back.
        let names = api::add_reserved_names(&ws, &["AWSControlTowerAdmins".to_string()])
            .await
            .unwrap();
        assert_eq!(names, vec!["AWSControlTowerAdmins".to_string()]);
    }
}

#[tokio::test]
async fn an_entity_timeline_carries_the_raw_record_as_text() {
    let ws = Workspace::in_memory().await.unwrap();
    import(&ws, &[fixture("entra-portal-json/download.json")])
        .await
        .unwrap();
    report(&ws).await;
    let detail = api::get_entity(&ws, "xss.probe@contoso.com").await.unwrap();
    assert!(!detail.timeline.is_empty());
    assert!(
        detail.timeline[0]
            .raw
            .contains("<img src=x onerror=alert(1)>")
    );
    let html = crate::report::render::render(
        &report(&ws).await,
        crate::report::render::ReportFormat::Html,
    );
    assert!(
        !html.contains("<img src=x"),
        "log content must be escaped in HTML"
    );
    assert!(
        !html.contains("<script"),
        "the HTML report carries no script"
    );
}

/// Every row of the diagnosis, of the entity aggregates and of the per-cycle counts.
async fn diagnosis(ws: &Workspace) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT json_array(entity_key, kind, name, status, category, attribute, message, fix,
             idp_id, target_id, external_id, events, failures, first_seen, last_seen, source_ids)
         FROM entities ORDER BY entity_key",
        "SELECT json_array(entity_key, kind, name, display_name, idp_id, target_id, external_id,
             events, failures, first_seen, last_seen, source_ids, d_time, d_source, d_seq,
             d_outcome, d_category, d_attribute, d_message, f_time, f_source, f_seq, f_outcome,
             f_category, f_attribute, f_message)
         FROM entity_stats ORDER BY entity_key",
        "SELECT json_array(bucket, cycle_id, start, end, records, success, failure, skipped,
             failures) FROM event_buckets ORDER BY bucket",
    ] {
        let part: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(ws.pool())
            .await
            .unwrap();
        rows.extend(part);
    }
    rows
}

async fn statuses(ws: &Workspace) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT entity_key, status, category FROM entities ORDER BY entity_key")
        .fetch_all(ws.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_diagnosis_imports_keep_up_equals_one_rebuilt_from_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let files = crate::api::demo::write_demo_files(dir.path()).unwrap();
    let rules = crate::diagnose::Rules::default();
    // One import per file (the portal CSV download's three files together), so later imports
    // correlate with earlier ones.
    let (portal_csv, others): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| {
        f.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ProvisioningLogs"))
    });
    let mut imports: Vec<Vec<PathBuf>> = others.into_iter().map(|f| vec![f]).collect();
    imports.push(portal_csv);

    let forward = Workspace::in_memory().await.unwrap();
    for files in &imports {
        import(&forward, files).await.unwrap();
    }
    let backward = Workspace::in_memory().await.unwrap();
    for files in imports.iter().rev() {
        import(&backward, files).await.unwrap();
    }
    let fresh = Workspace::in_memory().await.unwrap();
    assert_eq!(event_indexes(&forward).await, event_indexes(&fresh).await);
    let kept = diagnosis(&forward).await;
    let kept_statuses = statuses(&forward).await;
    assert!(kept_statuses.iter().any(|(_, s, _)| s == "failing"));
    assert!(kept_statuses.iter().any(|(_, s, _)| s == "resolved"));
    let across_sources: i64 =
        sqlx::query_scalar("SELECT count(*) FROM entities WHERE instr(source_ids, ',') > 0")
            .fetch_one(forward.pool())
            .await
            .unwrap();
    assert!(
        across_sources > 0,
        "correlation joins records of several sources into one entity"
    );

    crate::db::diagnosis::rebuild(&forward, &rules)
        .await
        .unwrap();
    assert_eq!(diagnosis(&forward).await, kept);
    assert_eq!(statuses(&backward).await, kept_statuses);
}

/// Each entity's row with its rowid: a row written again gets a new one.
async fn rows_with_rowids(ws: &Workspace) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT rowid, json_array(entity_key, kind, name, status, category, attribute, message,
             fix, idp_id, target_id, external_id, events, failures, first_seen, last_seen,
             source_ids)
         FROM entities ORDER BY entity_key",
    )
    .fetch_all(ws.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_change_of_the_rules_writes_only_the_rows_it_changes_and_leaves_what_a_rebuild_makes() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import(
        &ws,
        &crate::api::demo::write_demo_files(dir.path()).unwrap(),
    )
    .await
    .unwrap();
    // A user failing with a generic cause: reserving its name makes it a reserved-name failure.
    let generic = crate::diagnose::classify::GENERIC_CATEGORIES.map(Category::as_str);
    let (key, name): (String, String) = sqlx::query_as(
        "SELECT entity_key, name FROM entities WHERE status = 'failing' AND kind = 'user'
             AND category IN (?, ?) ORDER BY entity_key LIMIT 1",
    )
    .bind(generic[0])
    .bind(generic[1])
    .fetch_one(ws.pool())
    .await
    .expect("the demo has a user failing with a generic cause");
    let before = rows_with_rowids(&ws).await;
    let generic_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM entity_stats WHERE d_category IN (?1, ?2) OR f_category IN (?1, ?2)",
    )
    .bind(generic[0])
    .bind(generic[1])
    .fetch_one(ws.pool())
    .await
    .unwrap();
    assert!(
        generic_rows > 1,
        "the change decides several entities again"
    );

    let rules = crate::db::diagnosis::rules_for(&ws, std::slice::from_ref(&name))
        .await
        .unwrap();
    crate::db::diagnosis::refresh(&ws, &rules).await.unwrap();
    let after = rows_with_rowids(&ws).await;

    assert_eq!(before.len(), after.len());
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(_, (_, row))| row)
        .collect();
    assert_eq!(changed.len(), 1, "only {name}'s row changes: {changed:?}");
    assert!(
        changed[0].contains(&key) && changed[0].contains("RESERVED_NAME"),
        "{changed:?}"
    );
    let rowids = |rows: &[(i64, String)]| rows.iter().map(|(id, _)| *id).collect::<Vec<_>>();
    assert_eq!(
        rowids(&before),
        rowids(&after),
        "the changed row is updated in place"
    );
    assert_eq!(
        crate::db::entities::find(&ws, &name, 5).await.unwrap()[0].entity_key,
        key,
        "the search still finds it"
    );

    let kept = diagnosis(&ws).await;
    crate::db::diagnosis::rebuild(&ws, &rules).await.unwrap();
    assert_eq!(diagnosis(&ws).await, kept);
}

#[tokio::test]
async fn a_workspace_made_before_the_aggregates_existed_gets_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.sqlite");
    let ws = Workspace::open(&path).await.unwrap();
    import(&ws, &[fixture("entra-portal-json/download.json")])
        .await
        .unwrap();
    let before = diagnosis(&ws).await;
    sqlx::query("DELETE FROM entity_stats")
        .execute(ws.pool())
        .await
        .unwrap();
    ws.close().await;

    let reopened = Workspace::open(&path).await.unwrap();
    assert_eq!(diagnosis(&reopened).await, before);
}

/// Regression: a disk that filled up during an import showed "cannot rollback - no transaction
/// is active" (SQLite had rolled the transaction back itself; the second rollback's error
/// replaced the first), hiding the cause.
#[tokio::test]
async fn a_full_disk_during_an_import_says_the_disk_is_full_and_leaves_the_workspace_as_it_was() {
    let ws = Workspace::in_memory().await.unwrap();
    import(&ws, &[fixture("okta/systemlog.json")])
        .await
        .unwrap();
    let before = fingerprint(&ws).await;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(ws.pool())
        .await
        .unwrap();
    // The database may grow by a few pages only: the next import runs out of room.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {}",
        pages + 3
    )))
    .execute(ws.pool())
    .await
    .unwrap();
    let err = import(&ws, &[fixture("entra-portal-json/download.json")])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("full"), "the cause is named: {text}");
    assert!(!text.contains("cannot rollback"), "{text}");
    assert_eq!(
        fingerprint(&ws).await,
        before,
        "nothing of the failed import is kept"
    );
}
