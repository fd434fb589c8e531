//! The real corpus (`tests/fixtures/real`, origins in its `SOURCES.md`, expectations in its
//! `EXPECTED.md`): vendor documentation examples, open-source pipeline test data and logs pasted
//! into public issue threads, each read as a user would, through a workspace and its report.
//! Files that are not provisioning logs, or invalid as published, are rejected with the file,
//! its position in the file and what was expected, or with what the file is.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::import::pipeline::{CancelToken, ImportOutcome};
use crate::model::{Category, EntityKind, EntityStatus, Format};
use crate::report::{ConnectionFinding, Report, ReportEntity};
use chrono::{TimeZone, Utc};

fn real(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/real")
        .join(rel)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

/// What `scimlens analyze FILE` shows: the detected format, the record count, the source's
/// warnings and the report.
struct Seen {
    format: Format,
    records: u64,
    warnings: Vec<String>,
    report: Report,
}

async fn import(ws: &Workspace, path: PathBuf) -> Result<Vec<ImportOutcome>, Error> {
    let req = ImportFilesReq {
        paths: vec![path],
        extra_reserved: Vec::new(),
    };
    api::import_files(ws, req, &CancelToken::default(), now(), &|_| {})
        .await
        .map(|r| r.outcomes)
}

async fn analyze(rel: &str) -> Seen {
    let ws = Workspace::in_memory().await.unwrap();
    let outcomes = import(&ws, real(rel))
        .await
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let ImportOutcome::Imported {
        format,
        records,
        warnings,
        ..
    } = outcomes[0].clone()
    else {
        panic!("{rel}: {:?}", outcomes[0]);
    };
    let report = api::build_report(&ws, &[], now()).await.unwrap();
    Seen {
        format,
        records,
        warnings,
        report,
    }
}

/// The error a user gets for `rel`, which must name the file.
async fn rejection(rel: &str) -> Error {
    let ws = Workspace::in_memory().await.unwrap();
    let err = import(&ws, real(rel))
        .await
        .expect_err("the file is rejected");
    let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
    assert!(err.to_string().contains(name), "names the file: {err}");
    err
}

/// The reason of an "unknown format" rejection (what the file is, when scimlens knows it).
async fn unknown_reason(rel: &str) -> String {
    match rejection(rel).await {
        Error::UnknownFormat { reason, .. } => reason,
        other => panic!("{rel}: expected an unknown-format rejection, got {other}"),
    }
}

fn entity<'a>(r: &'a Report, name: &str) -> &'a ReportEntity {
    r.entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| {
            panic!(
                "{name} is not among the problem entities: {:?}",
                r.entities.iter().map(|e| &e.name).collect::<Vec<_>>()
            )
        })
}

fn expect_entity(
    r: &Report,
    name: &str,
    kind: EntityKind,
    status: EntityStatus,
    category: Category,
    attribute: Option<&str>,
) {
    let e = entity(r, name);
    assert_eq!(e.kind, kind, "{name}");
    assert_eq!(e.status, status, "{name}");
    assert_eq!(e.category, Some(category), "{name}");
    assert_eq!(e.attribute.as_deref(), attribute, "{name}");
}

fn only_connection_finding(r: &Report) -> &ConnectionFinding {
    assert_eq!(r.connection.len(), 1, "{:#?}", r.connection);
    &r.connection[0]
}

fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is missing from: {text}");
    }
}

/// A file invalid as published: rejected at its line and column in the file (as any JSON
/// parser reports them), saying what was expected.
async fn assert_rejected_at(rel: &str, line: u64, column: u64, expected_part: &str) {
    let err = rejection(rel).await;
    let Error::Parse {
        position,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("{rel}: expected a parse error, got {err}");
    };
    assert_eq!(
        (position.line, position.column),
        (Some(line), Some(column)),
        "{err}"
    );
    assert!(expected.contains(expected_part), "{err}");
    assert!(found.contains("trailing comma"), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("line {line}, column {column}")),
        "{err}"
    );
}

// ---- Entra: Graph provisioning pages ----

#[tokio::test]
async fn graph_docs_example_1_is_rejected_at_its_trailing_comma_in_the_file() {
    assert_rejected_at(
        "entra-graph/graph-docs-list-provisioning-example1-success.json",
        62,
        13,
        "Entra provisioning record",
    )
    .await;
}

#[tokio::test]
async fn graph_docs_example_2_shows_the_group_failing_on_a_duplicate_display_name() {
    let seen = analyze("entra-graph/graph-docs-list-provisioning-example2-error.json").await;
    assert_eq!((seen.format, seen.records), (Format::EntraGraph, 1));
    assert!(seen.warnings.is_empty(), "{:?}", seen.warnings);
    let r = &seen.report;
    assert_eq!(r.entities.len(), 1);
    expect_entity(
        r,
        "Self-service Pilot",
        EntityKind::Group,
        EntityStatus::Failing,
        Category::DuplicateConflict,
        Some("displayName"),
    );
    assert!(r.connection.is_empty(), "{:?}", r.connection);
    assert_eq!((r.totals.failure, r.totals.problem_entities), (1, 1));
}

#[tokio::test]
async fn a_graph_record_with_the_old_action_and_a_flat_status_info_shows_the_same_conflict() {
    let seen = analyze("entra-graph/graph-docs-configure-api-beta-statusinfo.json").await;
    assert_eq!((seen.format, seen.records), (Format::EntraGraph, 1));
    let r = &seen.report;
    assert_eq!(r.entities.len(), 1);
    expect_entity(
        r,
        "Self-service Pilot",
        EntityKind::Group,
        EntityStatus::Failing,
        Category::DuplicateConflict,
        Some("displayName"),
    );
    assert!(r.connection.is_empty(), "{:?}", r.connection);
}

// ---- Entra: Azure Monitor diagnostic exports (Elastic test data) ----

const ELLIE: &str = "ellie@mauriziobrancaoutlook.onmicrosoft.com";

fn expect_ellie_missing_family_name(r: &Report) {
    expect_entity(
        r,
        ELLIE,
        EntityKind::User,
        EntityStatus::Failing,
        Category::MissingRequiredAttribute,
        Some("name.familyName"),
    );
}

#[tokio::test]
async fn diagnostic_records_with_both_spellings_import_and_ellie_misses_her_family_name() {
    let seen = analyze("entra-diagnostic/elastic-provisioninglogs-raw.log").await;
    assert_eq!((seen.format, seen.records), (Format::EntraDiagnostic, 3));
    assert!(seen.warnings.is_empty(), "{:?}", seen.warnings);
    let r = &seen.report;
    expect_ellie_missing_family_name(r);
    // Record 3 holds `statusInfo.Status: 0` beside `provisioningStatusInfo.Status: failure`:
    // the current name wins, so it is a 409 conflict. Its source id is Joel Miller's, whose
    // creation (record 2, another job) succeeded in the same second; which of the two is the
    // later one is not stated, so the entity's status is not pinned here.
    let conflict = r
        .entities
        .iter()
        .find(|e| e.ids.source_id.as_deref() == Some("e3b2b242-4ccb-4cf1-9b8b-004cf034a458"))
        .expect("the conflict of record 3 is shown");
    assert_eq!(conflict.category, Some(Category::DuplicateConflict));
    assert_eq!(r.entities.len(), 2, "{:#?}", r.entities);
    assert_eq!(
        (r.totals.success, r.totals.failure, r.totals.skipped),
        (1, 1, 1)
    );
    assert!(r.connection.is_empty(), "{:?}", r.connection);
}

#[tokio::test]
async fn a_diagnostic_record_whose_duration_is_a_string_imports() {
    let seen = analyze("entra-diagnostic/elastic-duration-as-string.log").await;
    assert_eq!((seen.format, seen.records), (Format::EntraDiagnostic, 1));
    expect_ellie_missing_family_name(&seen.report);
    assert_eq!(seen.report.entities.len(), 1);
}

#[tokio::test]
async fn a_skipped_record_wins_over_its_envelope_result_type_success() {
    let seen = analyze("entra-diagnostic/elastic-provisioning-caller-ip.log").await;
    assert_eq!((seen.format, seen.records), (Format::EntraDiagnostic, 1));
    // `callerIpAddress` is a documented envelope field: no warning.
    assert!(seen.warnings.is_empty(), "{:?}", seen.warnings);
    expect_ellie_missing_family_name(&seen.report);
    assert_eq!(seen.report.entities.len(), 1);
}

#[tokio::test]
async fn diagnostic_envelopes_without_properties_are_rejected_as_holding_no_record() {
    let reason = unknown_reason("entra-diagnostic/elastic-time-formats-corner-cases.log").await;
    assert_contains(
        &reason,
        &[
            "ProvisioningLogs envelopes without `properties`",
            "no provisioning record",
        ],
    );
}

// ---- Entra: provisioning job status ----

#[tokio::test]
async fn a_paused_job_status_imports_as_one_job_without_entities() {
    let seen = analyze("entra-job-status/graph-docs-get-job-v1.json").await;
    assert_eq!((seen.format, seen.records), (Format::EntraJobStatus, 1));
    let r = &seen.report;
    assert!(r.entities.is_empty(), "a job is never an entity");
    // `0001-01-01T00:00:00Z` means never, and the empty quarantine dates mean not stated.
    let text = serde_json::to_string(r).unwrap();
    assert!(!text.contains("0001-01-01"), "{text}");
    // Regression: a paused job was one skipped record and no finding, although it provisions
    // nothing.
    let paused = only_connection_finding(r);
    assert_contains(
        &paused.message,
        &[
            "is Paused",
            "its schedule is disabled",
            "another application",
        ],
    );
}

#[tokio::test]
async fn graph_docs_job_list_is_rejected_at_its_trailing_comma_in_the_file() {
    assert_rejected_at(
        "entra-job-status/graph-docs-list-jobs-v1.json",
        22,
        13,
        "Entra provisioning job",
    )
    .await;
}

#[tokio::test]
async fn a_quarantined_aws_job_is_a_connection_failure_with_its_dates_and_the_bad_tenant_url() {
    let seen = analyze("entra-job-status/graph-docs-configure-api-aws-job-quarantine.json").await;
    assert_eq!((seen.format, seen.records), (Format::EntraJobStatus, 1));
    let r = &seen.report;
    assert!(r.entities.is_empty(), "a job is never an entity");
    let q = only_connection_finding(r);
    assert_eq!(q.category, Category::AuthFailure);
    assert_contains(
        &q.message,
        &[
            "quarantined since 2021-05-24T21:45:54",
            "EncounteredQuarantineException",
            "successive complete failures: 1",
            "last steady state never",
            "next attempt 2021-05-24T21:50:54",
            "SystemForCrossDomainIdentityManagementInvalidCredentials",
            "Please provide a valid tenant URL for your application",
        ],
    );
    assert_contains(&q.fix, &["new access token"]);
    assert_eq!(r.totals.connection_failures, 1);
}

#[tokio::test]
async fn a_quarantined_box_job_is_a_connection_finding_with_its_dates_and_error() {
    let seen =
        analyze("entra-job-status/graph-docs-synchronization-job-resource-quarantine.json").await;
    assert_eq!((seen.format, seen.records), (Format::EntraJobStatus, 1));
    let r = &seen.report;
    assert!(r.entities.is_empty(), "a job is never an entity");
    let q = only_connection_finding(r);
    assert_contains(
        &q.message,
        &[
            "BoxOutDelta quarantined since 2017-07-19T12:35:27",
            "EncounteredQuarantineException",
            "last steady state never",
            "BoxInsufficientPermissions",
        ],
    );
    // `nextAttempt: 0001-01-01T00:00:00Z` is not stated, not year 1.
    assert!(!q.message.contains("0001"), "{}", q.message);
    // Regression: Box's quarantine was explained as AWS refusing the SCIM token.
    assert!(!q.message.contains("AWS:"), "{}", q.message);
    assert_contains(&q.message, &["another application"]);
    assert_contains(&q.fix, &["aWSSingleSignOn"]);
}

// ---- AWS CloudTrail (the IAM Identity Center user guide's examples) ----

#[tokio::test]
async fn a_successful_create_user_event_shows_no_problem() {
    let seen = analyze("cloudtrail/aws-docs-scim-createuser-success.json").await;
    assert_eq!((seen.format, seen.records), (Format::Cloudtrail, 1));
    let r = &seen.report;
    assert_eq!((r.totals.success, r.totals.failure), (1, 0));
    assert!(r.entities.is_empty(), "{:?}", r.entities);
    assert!(r.connection.is_empty() && r.findings.is_empty());
}

#[tokio::test]
async fn a_patch_group_without_path_is_an_unsupported_patch() {
    let seen = analyze("cloudtrail/aws-docs-scim-patchgroup-missing-path.json").await;
    assert_eq!((seen.format, seen.records), (Format::Cloudtrail, 1));
    expect_entity(
        &seen.report,
        "xxxx",
        EntityKind::Group,
        EntityStatus::Failing,
        Category::PatchInvalid,
        None,
    );
    assert_eq!(seen.report.entities.len(), 1);
}

#[tokio::test]
async fn a_create_group_with_a_taken_display_name_is_a_duplicate_conflict() {
    let seen = analyze("cloudtrail/aws-docs-scim-creategroup-duplicate.json").await;
    assert_eq!((seen.format, seen.records), (Format::Cloudtrail, 1));
    let r = &seen.report;
    // No id and a masked name: the entity is named after its operation. (Its kind should be
    // group, from `CreateGroup`; today it is unknown, so the kind is not pinned.)
    assert_eq!(r.entities.len(), 1, "{:?}", r.entities);
    let e = &r.entities[0];
    assert!(e.name.starts_with("CreateGroup"), "{}", e.name);
    assert_eq!(e.status, EntityStatus::Failing);
    assert_eq!(e.category, Some(Category::DuplicateConflict));
    assert_eq!(e.attribute.as_deref(), Some("displayName"));
}

#[tokio::test]
async fn a_patch_user_with_two_emails_is_a_multivalue_not_supported() {
    let seen = analyze("cloudtrail/aws-docs-scim-patchuser-emails-limit.json").await;
    assert_eq!((seen.format, seen.records), (Format::Cloudtrail, 1));
    expect_entity(
        &seen.report,
        "xxxx",
        EntityKind::User,
        EntityStatus::Failing,
        Category::MultivalueNotSupported,
        Some("emails"),
    );
    assert_eq!(seen.report.entities.len(), 1);
}

// ---- ssosync (logs pasted into issue threads) ----

#[tokio::test]
async fn a_cloudwatch_copy_with_the_409_line_after_the_error_shows_a_duplicate_user() {
    let seen = analyze("ssosync/issue-104-cloudwatch-409.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    let r = &seen.report;
    expect_entity(
        r,
        "john.doe@example.com",
        EntityKind::User,
        EntityStatus::Failing,
        Category::DuplicateConflict,
        None,
    );
    assert_eq!(r.entities.len(), 1);
    assert!(r.connection.is_empty(), "{:?}", r.connection);
}

#[tokio::test]
async fn a_cloudwatch_copy_with_a_blank_line_before_the_409_shows_a_duplicate_user() {
    let seen = analyze("ssosync/issue-111-cloudwatch-409.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    expect_entity(
        &seen.report,
        "xpto@acme.com",
        EntityKind::User,
        EntityStatus::Failing,
        Category::DuplicateConflict,
        None,
    );
    assert_eq!(seen.report.entities.len(), 1);
}

/// A sync tool that could not read Google Workspace: one connection-level finding naming the
/// Google error, never an AWS schema violation, no entity.
fn expect_google_unreadable(r: &Report, google_error: &str, aborted: bool) {
    assert!(r.entities.is_empty(), "{:?}", r.entities);
    let f = only_connection_finding(r);
    assert_ne!(f.category, Category::SchemaViolationUnspecified);
    assert_contains(
        &f.message,
        &[
            "could not read Google Workspace",
            google_error,
            "not an AWS failure",
        ],
    );
    assert_eq!(
        f.message.contains("the sync run aborted"),
        aborted,
        "{}",
        f.message
    );
    assert_contains(&f.fix, &["nothing needs fixing in AWS"]);
    assert_eq!(r.categories["SCHEMA_VIOLATION_UNSPECIFIED"], 0);
}

#[tokio::test]
async fn an_aborted_run_on_a_google_400_is_a_job_level_finding_not_an_aws_failure() {
    let seen = analyze("ssosync/issue-148-googleapi-400-fatal.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    expect_google_unreadable(
        &seen.report,
        "googleapi: Error 400: Invalid Input: query, invalid",
        true,
    );
}

#[tokio::test]
async fn one_bare_ssosync_object_in_a_json_file_is_an_aborted_run_on_a_google_503() {
    let seen = analyze("ssosync/issue-234-googleapi-503-fatal.json").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    expect_google_unreadable(&seen.report, "googleapi: Error 503", true);
}

// The text (TTY) logs end with `FATA`, which also ends the run; the finding does not say
// "aborted" for them today (reported), so `aborted` is pinned as false below.

#[tokio::test]
async fn logrus_tty_text_with_a_fatal_google_400_is_a_job_level_finding() {
    let seen = analyze("ssosync/issue-32-text-googleapi-400.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    assert_eq!(seen.warnings.len(), 1, "{:?}", seen.warnings);
    expect_google_unreadable(
        &seen.report,
        "googleapi: Error 400: Invalid Input, invalid",
        false,
    );
}

#[tokio::test]
async fn logrus_tty_text_with_an_escaped_multiline_value_is_a_job_level_google_400() {
    let seen = analyze("ssosync/issue-196-text-googleapi-400.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 1));
    expect_google_unreadable(
        &seen.report,
        "googleapi: Error 400: Invalid Input, invalid",
        false,
    );
}

#[tokio::test]
async fn google_503s_while_caching_are_one_job_level_finding_and_removing_a_member_is_no_failure() {
    let seen = analyze("ssosync/issue-278-text-googleapi-503.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 2));
    expect_google_unreadable(
        &seen.report,
        "googleapi: Error 503: The service is currently unavailable.",
        false,
    );
}

#[tokio::test]
async fn a_fatal_membership_not_found_after_deleting_a_user_is_a_missing_target_object() {
    let seen = analyze("ssosync/issue-135-text-membership-not-found.log").await;
    assert_eq!((seen.format, seen.records), (Format::Ssosync, 2));
    let r = &seen.report;
    // The paste names no user or group: the entity is named after its operation.
    assert_eq!(r.entities.len(), 1, "{:?}", r.entities);
    let e = &r.entities[0];
    assert!(e.name.starts_with("removing user from group"), "{}", e.name);
    assert_eq!(e.status, EntityStatus::Failing);
    assert_eq!(e.category, Some(Category::TargetObjectMissing));
    assert!(r.connection.is_empty(), "{:?}", r.connection);
}

// ---- idp-scim-sync ----

#[tokio::test]
async fn an_idp_scim_sync_cloudwatch_console_copy_is_detected_and_shows_no_failure() {
    let seen = analyze("idp-scim-sync/issue-70-cloudwatch-console-text.log").await;
    // Not fooled by the `SSOSync...` secret names. No user or group operation in this part of
    // the run: the eight lines are counted in a warning, and a member that is a group (nested
    // groups are flattened) is not a failure.
    assert_eq!((seen.format, seen.records), (Format::IdpScimSync, 0));
    assert_contains(&seen.warnings.join("\n"), &["8 log lines"]);
    let r = &seen.report;
    assert!(r.entities.is_empty(), "{:?}", r.entities);
    assert!(r.connection.is_empty() && r.findings.is_empty());
}

#[tokio::test]
async fn the_idp_scim_sync_cli_error_line_is_rejected_saying_it_quotes_an_aws_error_body() {
    let reason = unknown_reason("idp-scim-sync/issue-98-error-with-body.log").await;
    assert_contains(
        &reason,
        &[
            "quotes an AWS SCIM error body",
            r#"its detail is "Request is unparsable, syntactically incorrect, or violates schema.""#,
        ],
    );
}

#[tokio::test]
async fn an_idp_scim_sync_state_file_is_rejected_as_a_state_file() {
    let reason = unknown_reason("idp-scim-sync/docs-state-file-example.json").await;
    assert_contains(&reason, &["an idp-scim-sync state file", "not a log"]);
}

// ---- AWS SCIM error bodies (not logs) ----

#[tokio::test]
async fn a_minified_aws_scim_error_body_is_rejected_as_such_with_its_detail() {
    let reason =
        unknown_reason("aws-scim-error-body/idp-scim-sync-issue-62-400-unparsable.json").await;
    assert_eq!(
        reason,
        r#"an AWS SCIM error body, not a log: its detail is "Request is unparsable, syntactically incorrect, or violates schema.""#
    );
}

#[tokio::test]
async fn an_aws_scim_error_body_with_only_the_schema_key_is_rejected_as_such() {
    let reason =
        unknown_reason("aws-scim-error-body/idp-scim-sync-issue-30-400-schema-only.json").await;
    assert_contains(
        &reason,
        &[
            "an AWS SCIM error body, not a log",
            "Request is unparsable, syntactically incorrect, or violates schema.",
        ],
    );
}

#[tokio::test]
async fn a_keycloak_log_line_quoting_an_aws_body_is_rejected_saying_so_with_its_detail() {
    let reason = unknown_reason("aws-scim-error-body/keycloak-scim-issue-73-log-line.log").await;
    assert_contains(
        &reason,
        &[
            "quotes an AWS SCIM error body",
            r#"its detail is "Replacing group memberships is not supported.""#,
        ],
    );
}

// ---- Okta ----

#[tokio::test]
async fn oktas_documented_sign_in_event_is_read_as_the_system_log_and_skipped_as_not_provisioning()
{
    // Published with an impossible date (2017-09-31): the event is skipped before its time
    // matters, so the date does not fail the import.
    let seen = analyze("okta/okta-docs-logevent-example.json").await;
    assert_eq!(seen.format, Format::OktaSystemlog);
    assert_eq!(seen.records, 0);
    assert_eq!(
        seen.warnings,
        ["1 events that are not provisioning events were skipped"]
    );
    assert!(seen.report.entities.is_empty());
}

// ---- Other files that are not logs say which command imports them ----

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn detect_reason(path: &Path) -> String {
    match crate::import::detect(path) {
        Err(Error::UnknownFormat { reason, .. }) => reason,
        other => panic!("{}: expected a rejection, got {other:?}", path.display()),
    }
}

#[test]
fn identity_store_output_is_rejected_pointing_to_store_import() {
    for file in [
        "list-users.json",
        "list-groups.json",
        "list-group-memberships.json",
    ] {
        let reason = detect_reason(&fixture(&format!("identitystore/{file}")));
        assert_contains(&reason, &["aws identitystore", "scimlens store-import"]);
    }
}

#[test]
fn a_scim_list_response_is_rejected_pointing_to_directory_import() {
    let reason = detect_reason(&fixture("directory/scim-list-response.json"));
    assert_contains(
        &reason,
        &["a SCIM ListResponse", "scimlens directory-import"],
    );
}

#[test]
fn graph_directory_exports_are_rejected_pointing_to_directory_import_not_read_as_logs() {
    // Regression: any JSON with `@odata.context` was taken for a provisioning page, so a Graph
    // `/users` export imported as ten "records" and a clean report.
    for file in [
        "entra-graph-users.json",
        "entra-graph-groups.json",
        "entra-graph-assignments.json",
    ] {
        let reason = detect_reason(&fixture(&format!("directory/{file}")));
        assert_contains(
            &reason,
            &["a directory export", "scimlens directory-import"],
        );
    }
}

#[test]
fn a_long_aws_error_detail_is_cut_to_about_200_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.json");
    let detail = "x".repeat(500);
    std::fs::write(
        &path,
        format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"{detail}","status":"400"}}"#
        ),
    )
    .unwrap();
    let reason = detect_reason(&path);
    assert!(reason.starts_with("an AWS SCIM error body, not a log: its detail is \""));
    assert!(reason.contains(&"x".repeat(200)), "{reason}");
    assert!(!reason.contains(&"x".repeat(201)), "{reason}");
}

/// The files the tests above read; a file added to the corpus needs its test.
const COVERED: [&str; 34] = [
    "aws-scim-error-body/idp-scim-sync-issue-30-400-schema-only.json",
    "aws-scim-error-body/idp-scim-sync-issue-62-400-unparsable.json",
    "aws-scim-error-body/keycloak-scim-issue-73-log-line.log",
    "cloudtrail/aws-docs-scim-creategroup-duplicate.json",
    "cloudtrail/aws-docs-scim-createuser-success.json",
    "cloudtrail/aws-docs-scim-patchgroup-missing-path.json",
    "cloudtrail/aws-docs-scim-patchuser-emails-limit.json",
    "entra-diagnostic/elastic-duration-as-string.log",
    "entra-diagnostic/elastic-provisioning-caller-ip.log",
    "entra-diagnostic/elastic-provisioninglogs-raw.log",
    "entra-diagnostic/elastic-time-formats-corner-cases.log",
    "entra-graph/graph-docs-configure-api-beta-statusinfo.json",
    "entra-graph/graph-docs-list-provisioning-example1-success.json",
    "entra-graph/graph-docs-list-provisioning-example2-error.json",
    "entra-job-status/graph-docs-configure-api-aws-job-quarantine.json",
    "entra-job-status/graph-docs-get-job-v1.json",
    "entra-job-status/graph-docs-list-jobs-v1.json",
    "entra-job-status/graph-docs-synchronization-job-resource-quarantine.json",
    "google-workspace/admin-console-users-download-header.csv",
    "google-workspace/gam-print-group-members.csv",
    "google-workspace/gam-print-users-name.csv",
    "google-workspace/gam-print-users-phones.csv",
    "idp-scim-sync/docs-state-file-example.json",
    "idp-scim-sync/issue-70-cloudwatch-console-text.log",
    "idp-scim-sync/issue-98-error-with-body.log",
    "okta/okta-docs-logevent-example.json",
    "ssosync/issue-104-cloudwatch-409.log",
    "ssosync/issue-111-cloudwatch-409.log",
    "ssosync/issue-135-text-membership-not-found.log",
    "ssosync/issue-148-googleapi-400-fatal.log",
    "ssosync/issue-196-text-googleapi-400.log",
    "ssosync/issue-234-googleapi-503-fatal.json",
    "ssosync/issue-278-text-googleapi-503.log",
    "ssosync/issue-32-text-googleapi-400.log",
];

#[test]
fn every_file_of_the_real_corpus_has_its_test_here() {
    let root = real("");
    let mut on_disk = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let rel = file.strip_prefix(&root).unwrap().to_string_lossy();
            on_disk.push(rel.replace('\\', "/"));
        }
    }
    on_disk.sort();
    assert_eq!(
        on_disk, COVERED,
        "files of tests/fixtures/real and the tests here"
    );
}

/// Google Workspace's directory files as published: a real Admin console user download's header,
/// and GAM's printed users and group members from its wiki.
fn google_real(file: &str) -> crate::directory::Directory {
    crate::directory::read_files(&[real(&format!("google-workspace/{file}"))])
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn a_real_admin_console_user_download_header_is_recognised_as_a_google_directory_not_a_log() {
    let path = real("google-workspace/admin-console-users-download-header.csv");
    let reason = detect_reason(&path);
    assert_contains(
        &reason,
        &[
            "a directory export (google-users-csv)",
            "scimlens directory-import",
        ],
    );
    let dir = google_real("admin-console-users-download-header.csv");
    assert_eq!(dir.idp, Some(crate::directory::DirectoryIdp::Google));
    assert!(dir.users.is_empty(), "the header alone holds no user");
}

#[test]
fn gam_print_users_reads_with_the_full_name_and_an_indexed_phone_column() {
    let dir = google_real("gam-print-users-name.csv");
    assert_eq!(dir.users.len(), 2);
    let u = &dir.users[0];
    assert_eq!(u.first("primaryEmail"), Some("testuser1@domain.com"));
    assert_eq!(u.first("name.givenName"), Some("Test"));
    assert_eq!(u.first("name.fullName"), Some("Test User1"));
    let dir = google_real("gam-print-users-phones.csv");
    assert_eq!(dir.users.len(), 3);
    assert_eq!(dir.users[2].first("phones.value"), Some("510 555-1212"));
    assert_eq!(dir.users[2].first("name.fullName"), Some("Test User3"));
}

#[test]
fn gam_print_group_members_reads_an_external_member_by_email() {
    let dir = google_real("gam-print-group-members.csv");
    assert_eq!(dir.members.len(), 1);
    let m = &dir.members[0];
    assert_eq!(
        (m.group_id.as_str(), m.member_id.as_str()),
        ("testexternal@domain.com", "user@external.com")
    );
    assert_eq!(m.kind, crate::directory::MemberKind::User);
}
