//! Every fixture under `tests/fixtures` (see its MANIFEST.md) is detected as the right format
//! and yields the expected number of records; bad inputs fail with an error that names the file
//! and where in it the problem is.

use std::path::PathBuf;

use crate::Error;
use crate::import::plan::plan;
use crate::import::{Input, VecSink, WarningKind, import_path, run_importer};
use crate::model::{EntityKind, Format, Outcome};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn imports(rel: &str, format: Format, records: usize) -> VecSink {
    let (got, sink) = import_path(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(got, format, "{rel}: detected format");
    assert_eq!(sink.events.len(), records, "{rel}: record count");
    sink
}

#[test]
fn entra_graph_page_imports_and_says_it_is_one_page_of_more() {
    let sink = imports("entra-graph/page1.json", Format::EntraGraph, 12);
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.kind == WarningKind::IncompletePage)
    );
}

#[test]
fn entra_graph_page_gzip_imports_like_the_plain_file() {
    imports("entra-graph/page1.json.gz", Format::EntraGraph, 12);
}

#[test]
fn entra_portal_json_download_imports() {
    imports(
        "entra-portal-json/download.json",
        Format::EntraPortalJson,
        10,
    );
}

#[test]
fn entra_diagnostic_export_imports() {
    imports("entra-diagnostic/export.jsonl", Format::EntraDiagnostic, 6);
}

#[test]
fn entra_log_analytics_csv_imports() {
    let sink = imports(
        "entra-log-analytics/AADProvisioningLogs.csv",
        Format::EntraLogAnalyticsCsv,
        6,
    );
    let conflict = sink
        .events
        .iter()
        .find(|e| e.entity.name.as_deref() == Some("Finance-Analysts"))
        .expect("Finance-Analysts is in the Log Analytics export");
    assert_eq!(conflict.http_status, Some(409));
    assert_eq!(conflict.outcome, Some(Outcome::Failure));
    assert!(
        sink.events.iter().all(|e| e.time.is_some()),
        "every time parses"
    );
}

#[test]
fn entra_portal_csv_main_file_imports_alone() {
    imports(
        "entra-portal-csv/ProvisioningLogs.csv",
        Format::EntraPortalCsv,
        5,
    );
}

#[test]
fn entra_portal_csv_alias_headers_import() {
    let sink = imports(
        "entra-portal-csv-alt/provisioning_logs.csv",
        Format::EntraPortalCsv,
        5,
    );
    assert!(
        sink.events
            .iter()
            .all(|e| e.time.is_some() && e.outcome.is_some())
    );
    assert!(sink.events.iter().all(|e| e.change_id.is_some()));
}

#[test]
fn entra_portal_csv_companions_alone_are_refused_by_name() {
    for rel in [
        "entra-portal-csv/ProvisioningLogs_ProvisioningSteps.csv",
        "entra-portal-csv/ProvisioningLogs_ModifiedProperties.csv",
    ] {
        let err = import_path(&fixture(rel)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{rel}: {err}");
        assert!(
            err.to_string().contains(rel.rsplit('/').next().unwrap()),
            "{err}"
        );
        let err = plan(&[fixture(rel)]).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{rel}: {err}");
    }
}

#[test]
fn entra_portal_csv_download_joins_steps_and_modified_properties() {
    let dir = "entra-portal-csv/";
    let paths: Vec<PathBuf> = [
        "ProvisioningLogs_ModifiedProperties.csv",
        "ProvisioningLogs.csv",
        "ProvisioningLogs_ProvisioningSteps.csv",
    ]
    .iter()
    .map(|f| fixture(&format!("{dir}{f}")))
    .collect();
    let jobs = plan(&paths).unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].format, Format::EntraPortalCsv);
    assert_eq!(jobs[0].companions.len(), 2);
    let mut sink = VecSink::default();
    let input = Input::open(&jobs[0].path).unwrap();
    run_importer(jobs[0].format, input, &jobs[0].companions, &mut sink).unwrap();
    assert_eq!(sink.events.len(), 5);
    let steps: usize = sink.events.iter().map(|e| e.steps.len()).sum();
    let properties: usize = sink.events.iter().map(|e| e.attributes.len()).sum();
    assert_eq!(steps, 24, "every step row joined");
    assert_eq!(properties, 15, "every modified-property row joined");
}

#[test]
fn okta_system_log_array_imports() {
    let sink = imports("okta/systemlog.json", Format::OktaSystemlog, 11);
    assert_eq!(sink.events.iter().filter(|e| e.connection_level).count(), 2);
    let hank = sink
        .events
        .iter()
        .find(|e| e.entity.name.as_deref() == Some("hank.miller@example.com"))
        .unwrap();
    assert_eq!(hank.http_status, Some(400));
    assert!(
        hank.aws_detail
            .as_deref()
            .unwrap()
            .starts_with("Request is unparsable")
    );
}

#[test]
fn okta_system_log_json_lines_import() {
    imports("okta/systemlog.jsonl", Format::OktaSystemlog, 4);
}

#[test]
fn okta_system_log_gzip_with_a_misleading_name_imports() {
    imports("okta/systemlog-compressed.log", Format::OktaSystemlog, 11);
}

#[test]
fn cloudtrail_records_file_imports() {
    let sink = imports("cloudtrail/records.json", Format::Cloudtrail, 19);
    assert!(
        sink.events
            .iter()
            .all(|e| e.entity.name.as_deref() != Some("HIDDEN_DUE_TO_SECURITY_REASONS"))
    );
    let scim_failures = sink
        .events
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Failure) && e.masked)
        .count();
    assert!(scim_failures > 0);
}

#[test]
fn cloudtrail_single_event_imports() {
    let sink = imports("cloudtrail/single-event.json", Format::Cloudtrail, 1);
    let ev = &sink.events[0];
    assert!(ev.masked && ev.entity.name.is_none());
    assert_eq!(ev.entity.kind, Some(EntityKind::User));
}

#[test]
fn cloudtrail_json_lines_import() {
    imports("cloudtrail/events.jsonl", Format::Cloudtrail, 3);
}

#[test]
fn ssosync_json_lines_import() {
    let sink = imports("ssosync/ssosync.jsonl", Format::Ssosync, 5);
    let failures = sink
        .events
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Failure))
        .count();
    assert_eq!(failures, 4);
    assert!(sink.warnings.iter().any(|w| w.kind == WarningKind::Ignored));
}

#[test]
fn idp_scim_sync_json_lines_import() {
    let sink = imports("idp-scim-sync/idpscim.jsonl", Format::IdpScimSync, 5);
    assert_eq!(
        sink.events.last().unwrap().outcome,
        None,
        "the log ends on `creating user`"
    );
}

#[test]
fn idp_scim_sync_console_capture_attributes_cobra_error_to_the_last_user() {
    let sink = imports("idp-scim-sync/idpscim-console.log", Format::IdpScimSync, 5);
    let last = sink.events.last().unwrap();
    assert_eq!(last.entity.name.as_deref(), Some("priya.raman@example.com"));
    assert_eq!(last.outcome, Some(Outcome::Failure));
    assert_eq!(last.http_status, Some(400));
    assert!(
        last.aws_detail
            .as_deref()
            .unwrap()
            .contains("User.manager.value")
    );
}

fn bad(rel: &str) -> Error {
    match import_path(&fixture(rel)) {
        Ok((format, sink)) => panic!(
            "{rel}: imported as {format} with {} records",
            sink.events.len()
        ),
        Err(e) => e,
    }
}

#[test]
fn bad_empty_file_says_it_is_empty() {
    assert!(matches!(bad("bad/empty.json"), Error::Empty { .. }));
}

#[test]
fn bad_prose_json_and_binary_files_are_unrecognised() {
    for rel in [
        "bad/wrong-format.txt",
        "bad/not-a-log.json",
        "bad/binary.bin",
    ] {
        let err = bad(rel);
        assert!(matches!(err, Error::UnknownFormat { .. }), "{rel}: {err}");
        assert!(
            err.to_string().contains(rel.rsplit('/').next().unwrap()),
            "{err}"
        );
    }
}

#[test]
fn bad_truncated_graph_page_names_where_it_ends() {
    let err = bad("bad/truncated.json");
    let msg = err.to_string();
    assert!(matches!(err, Error::Parse { .. }), "{msg}");
    assert!(
        msg.contains("truncated.json") && msg.contains("line "),
        "{msg}"
    );
}

#[test]
fn bad_invalid_utf8_names_line_3() {
    let err = bad("bad/invalid-utf8.jsonl");
    assert!(matches!(err, Error::NotUtf8 { .. }), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn bad_cut_okta_line_names_record_3() {
    let err = bad("bad/broken-line-3.jsonl");
    let msg = err.to_string();
    assert!(msg.contains("broken-line-3.jsonl"), "{msg}");
    assert!(msg.contains("line 3") || msg.contains("record 3"), "{msg}");
}

#[test]
fn sync_tool_text_format_is_detected_by_content() {
    use crate::import::detect_bytes;
    let ssosync =
        b"time=\"2026-11-20T10:00:07Z\" level=info msg=\"creating user\" user=dave@example.com\n";
    let idp = b"time=2026-11-20T11:00:00.412Z level=INFO msg=\"starting sync groups\" codeVersion=v0.45.1\n";
    let path = std::path::Path::new("sync.log");
    assert_eq!(detect_bytes(path, ssosync).unwrap(), Format::Ssosync);
    assert_eq!(detect_bytes(path, idp).unwrap(), Format::IdpScimSync);
}

#[test]
fn cloudtrail_lookup_events_output_is_detected_by_content() {
    use crate::import::detect_bytes;
    let head = br#"{"Events": [{"EventId": "e1", "EventName": "CreateUser", "CloudTrailEvent": "{\"eventVersion\":\"1.10\",\"eventSource\":\"identitystore-scim.amazonaws.com\"}"}]}"#;
    assert_eq!(
        detect_bytes(std::path::Path::new("events.json"), head).unwrap(),
        Format::Cloudtrail
    );
}
