//! The shapes real exports take beyond the documented ones (`tests/fixtures/variants`, each built
//! from a real shape named in its test): both spellings of a field in one record, logrus output
//! pretty-printed by the CloudWatch console or written as text, one bare record, invalid JSON as
//! published, stray objects in a known container.

use std::path::PathBuf;

use crate::Error;
use crate::import::{WarningKind, import_path};
use crate::model::{Action, EntityKind, Format, Outcome, ProvisioningEvent};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn import(rel: &str, format: Format) -> crate::import::VecSink {
    let (got, sink) = import_path(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(got, format, "{rel}: detected format");
    sink
}

/// What a replay of a sync tool's log decided, independent of how each line was written.
fn outcomes(
    events: &[ProvisioningEvent],
) -> Vec<(Option<Action>, Option<String>, Option<Outcome>)> {
    events
        .iter()
        .map(|e| (e.action, e.entity.name.clone(), e.outcome))
        .collect()
}

#[test]
fn a_diagnostic_record_with_old_and_new_field_names_imports_and_the_current_name_wins() {
    let sink = import(
        "variants/entra-diagnostic-both-spellings.jsonl",
        Format::EntraDiagnostic,
    );
    assert_eq!(sink.events.len(), 1);
    let ev = &sink.events[0];
    // `provisioningStatusInfo` over `statusInfo`: the AWS body lives only in the current one.
    assert_eq!(
        ev.error_code.as_deref(),
        Some("AWSSingleSignOnEntryConflict")
    );
    assert_eq!(
        ev.aws_detail.as_deref(),
        Some("Refused to create a new, duplicate resource.")
    );
    assert_eq!(ev.http_status, Some(409));
    assert_eq!(ev.action, Some(Action::Create));
    assert_eq!(ev.outcome, Some(Outcome::Failure));
    // `provisioningStepType: "export"` beside `ProvisioningStepType: 5`.
    assert_eq!(ev.steps[0].step_type.as_deref(), Some("export"));
    assert_eq!(ev.entity.name.as_deref(), Some("monica.geller@contoso.com"));
    assert_eq!(ev.entity.kind, Some(EntityKind::User));
}

#[test]
fn one_bare_graph_record_without_the_value_wrapper_imports() {
    let sink = import("variants/entra-bare-record.json", Format::EntraGraph);
    assert_eq!(sink.events.len(), 1);
    assert_eq!(sink.events[0].http_status, Some(409));
    assert!(
        sink.warnings.is_empty(),
        "a documented record has no unknown fields: {:?}",
        sink.warnings
    );
}

#[test]
fn one_okta_log_event_pretty_printed_imports() {
    let sink = import("variants/okta-single-event.json", Format::OktaSystemlog);
    let (_, lines) = import_path(&fixture("okta/systemlog.jsonl")).unwrap();
    assert_eq!(sink.events.len(), 1);
    assert_eq!(outcomes(&sink.events), outcomes(&lines.events[..1]));
}

#[test]
fn ssosync_objects_pretty_printed_over_lines_with_prose_between_import_like_json_lines() {
    let pretty = import("variants/ssosync-cloudwatch-pretty.log", Format::Ssosync);
    let lines = import("ssosync/ssosync.jsonl", Format::Ssosync);
    assert!(!lines.events.is_empty());
    assert_eq!(outcomes(&pretty.events), outcomes(&lines.events));
    assert_eq!(
        pretty
            .events
            .iter()
            .map(|e| e.http_status)
            .collect::<Vec<_>>(),
        lines
            .events
            .iter()
            .map(|e| e.http_status)
            .collect::<Vec<_>>()
    );
}

#[test]
fn idp_scim_sync_objects_pretty_printed_between_lambda_lines_import_like_json_lines() {
    let pretty = import(
        "variants/idpscim-cloudwatch-pretty.log",
        Format::IdpScimSync,
    );
    let lines = import("idp-scim-sync/idpscim.jsonl", Format::IdpScimSync);
    assert!(!lines.events.is_empty());
    assert_eq!(outcomes(&pretty.events), outcomes(&lines.events));
}

#[test]
fn ssosync_logrus_text_format_imports_like_json_lines() {
    let text = import("variants/ssosync-text.log", Format::Ssosync);
    let lines = import("ssosync/ssosync.jsonl", Format::Ssosync);
    assert_eq!(
        text.events
            .iter()
            .map(|e| (e.action, e.outcome))
            .collect::<Vec<_>>(),
        lines
            .events
            .iter()
            .map(|e| (e.action, e.outcome))
            .collect::<Vec<_>>()
    );
}

#[test]
fn invalid_json_as_published_is_reported_at_its_line_in_the_file() {
    // Regression: positions were counted from the start of the record, so a trailing comma on
    // line 248 of the file was reported on line 63 or so.
    let err = import_path(&fixture("variants/entra-graph-trailing-comma.json")).unwrap_err();
    let Error::Parse {
        position, expected, ..
    } = &err
    else {
        panic!("expected a parse error, got {err}");
    };
    assert_eq!(position.line, Some(249), "{err}");
    assert_eq!(position.column, Some(7), "{err}");
    assert_eq!(position.record, Some(2), "{err}");
    assert!(expected.contains("Entra provisioning record"), "{err}");
    assert!(err.to_string().contains("trailing comma"), "{err}");
}

#[test]
fn a_stray_object_in_a_portal_download_is_skipped_and_counted() {
    let sink = import(
        "variants/entra-portal-stray-object.json",
        Format::EntraPortalJson,
    );
    assert_eq!(sink.events.len(), 10);
    let skipped: Vec<_> = sink
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Ignored)
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", sink.warnings);
    assert!(
        skipped[0].message.starts_with("1 objects"),
        "{}",
        skipped[0].message
    );
}

#[test]
fn unknown_fields_are_counted_as_a_warning_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okta.json");
    let line = std::fs::read_to_string(fixture("okta/systemlog.jsonl")).unwrap();
    let first = line.lines().next().unwrap();
    let extended = format!(
        "[{},\"newOktaField\":{{\"x\":[1]}}}}]",
        &first[..first.len() - 1]
    );
    std::fs::write(&path, extended).unwrap();
    let (_, sink) = import_path(&path).unwrap();
    assert_eq!(sink.events.len(), 1);
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("fields scimlens does not know")),
        "{:?}",
        sink.warnings
    );
}

#[tokio::test]
async fn a_quarantined_job_status_is_a_connection_finding_and_explains_the_silent_gap() {
    use crate::api::{self, ImportFilesReq};
    use crate::db::Workspace;
    use crate::import::pipeline::{CancelToken, ImportOutcome};
    use crate::model::Category;
    use chrono::TimeZone;

    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let req = ImportFilesReq {
        paths: vec![
            fixture("entra-portal-json/download.json"),
            fixture("variants/entra-job-quarantined.json"),
        ],
        extra_reserved: Vec::new(),
    };
    let done = api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap();
    assert!(
        matches!(
            done.outcomes[1],
            ImportOutcome::Imported {
                format: Format::EntraJobStatus,
                records: 1,
                ..
            }
        ),
        "{:?}",
        done.outcomes[1]
    );
    let report = api::build_report(&ws, &[], now).await.unwrap();
    let quarantine = report
        .connection
        .iter()
        .find(|c| c.message.contains("quarantined since"))
        .expect("the quarantine is a connection-level finding");
    assert_eq!(quarantine.category, Category::AuthFailure);
    for part in [
        "quarantined since 2026-11-20T11:20:02Z (EncounteredQuarantineException)",
        "successive complete failures: 14",
        "last steady state 2026-11-19T08:00:00Z",
        "last successful run 2026-11-20T10:41:10Z",
    ] {
        assert!(
            quarantine.message.contains(part),
            "{part}: {}",
            quarantine.message
        );
    }
    assert!(
        quarantine.fix.contains("new access token"),
        "{}",
        quarantine.fix
    );
    let gap = report
        .findings
        .iter()
        .find(|f| f.message.starts_with("no provisioning cycle"))
        .expect("the log has a silent gap");
    assert!(
        gap.message.contains("the job status explains it"),
        "{}",
        gap.message
    );
    assert!(
        report
            .entities
            .iter()
            .all(|e| !e.name.contains("aWSSingleSignOn")),
        "a job is never an entity"
    );
}

#[tokio::test]
async fn records_of_the_same_time_decide_alike_in_either_order() {
    // Regression: at equal timestamps the earlier record in the file won, so the Elastic test
    // data's failure and success of one user in the same second read `resolved` oldest first
    // and `failing` newest first.
    use crate::api::{self, ImportFilesReq};
    use crate::db::Workspace;
    use crate::import::pipeline::CancelToken;
    use chrono::TimeZone;

    let text = std::fs::read_to_string(fixture(
        "real/entra-diagnostic/elastic-provisioninglogs-raw.log",
    ))
    .unwrap();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let mut seen = Vec::new();
    for order in ["oldest-first", "newest-first"] {
        let path = dir.path().join(format!("{order}.log"));
        std::fs::write(&path, lines.join("\n")).unwrap();
        lines.reverse();
        let ws = Workspace::open(&dir.path().join(format!("{order}.sqlite")))
            .await
            .unwrap();
        let req = ImportFilesReq {
            paths: vec![path],
            extra_reserved: Vec::new(),
        };
        api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
            .await
            .unwrap();
        let report = api::build_report(&ws, &[], now).await.unwrap();
        let statuses: Vec<_> = report
            .entities
            .iter()
            .map(|e| (e.name.clone(), e.status, e.category))
            .collect();
        seen.push(statuses);
    }
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen[0]
            .iter()
            .any(|(n, s, _)| n.starts_with("tlou@") && *s == crate::model::EntityStatus::Failing),
        "a failure and a success in the same instant prove no resolution: {:?}",
        seen[0]
    );
}
