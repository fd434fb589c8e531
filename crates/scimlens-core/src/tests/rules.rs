//! What counts as evidence and the failure messages users report (issue 10): reads decide
//! nothing, source-side failures are the job's, each reported message has its category, and the
//! rules that explain a bare 400 when the values are visible.

use std::path::PathBuf;

use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::diagnose::classify::{
    UNSPECIFIED_CANDIDATES, allowed_in_user_name, check_name, classify_text, is_decisive, is_read,
};
use crate::diagnose::fixes::{fix_for_cause, quarantine_reason_explanation};
use crate::diagnose::keys::{CONNECTION_KEY, entity_key};
use crate::diagnose::{Classification, Rules, classify};
use crate::import::pipeline::CancelToken;
use crate::model::{
    Action, Category, EntityKind, EntityRef, EntityStatus, Idp, Outcome, ProvisioningEvent,
    SentAttribute,
};
use crate::report::Report;
use chrono::{TimeZone, Utc};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
}

/// Imports `files` (name, contents) into a fresh in-memory workspace and returns its report.
async fn report_of(files: &[(&str, &str)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let ws = Workspace::in_memory().await.unwrap();
    let req = ImportFilesReq {
        paths,
        extra_reserved: Vec::new(),
    };
    api::import_files(&ws, req, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    api::build_report(&ws, &[], now()).await.unwrap()
}

fn failed(detail: &str) -> ProvisioningEvent {
    ProvisioningEvent {
        outcome: Some(Outcome::Failure),
        aws_detail: Some(detail.to_string()),
        entity: EntityRef {
            kind: Some(EntityKind::User),
            name: Some("ann@example.com".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn with_reason(reason: &str) -> ProvisioningEvent {
    ProvisioningEvent {
        outcome: Some(Outcome::Failure),
        reason: Some(reason.to_string()),
        entity: EntityRef {
            kind: Some(EntityKind::User),
            name: Some("ann@example.com".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn class(event: &ProvisioningEvent) -> Classification {
    classify(event, &Rules::default()).expect("a failure is classified")
}

fn text(message: &str) -> Classification {
    classify_text(message).unwrap_or_else(|| panic!("no rule for {message:?}"))
}

/// A failure AWS answered with the bare 400, carrying what was sent.
fn bare_400(kind: EntityKind, attributes: Vec<SentAttribute>) -> ProvisioningEvent {
    ProvisioningEvent {
        outcome: Some(Outcome::Failure),
        http_status: Some(400),
        aws_detail: Some(
            "Request is unparsable, syntactically incorrect, or violates schema.".into(),
        ),
        action: Some(Action::Update),
        entity: EntityRef {
            kind: Some(kind),
            name: Some(match kind {
                EntityKind::Group => "Engineering".into(),
                _ => "ann@example.com".into(),
            }),
            ..Default::default()
        },
        attributes,
        ..Default::default()
    }
}

fn sent(name: &str, values: &[&str]) -> SentAttribute {
    SentAttribute {
        name: name.to_string(),
        old_value: None,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

// --- Read-only calls decide nothing ------------------------------------------------------------

const PATCH_THROTTLED: &str = r#"{"eventTime":"2026-11-20T10:57:52Z","eventSource":"identitystore-scim.amazonaws.com","eventName":"PatchGroup","errorCode":"ThrottlingException","errorMessage":"Rate exceeded","requestParameters":{"httpBody":{"operations":[{"op":"ADD","path":"members","value":"HIDDEN_DUE_TO_SECURITY_REASONS"}]},"tenantId":"t1","id":"9067-g1"},"responseElements":null,"requestID":"r1","eventID":"e1"}"#;
const MEMBERSHIPS_READ: &str = r#"{"eventTime":"2026-11-20T11:02:10Z","eventSource":"identitystore.amazonaws.com","eventName":"ListGroupMemberships","requestParameters":{"identityStoreId":"d-1234567890","groupId":"9067-g1"},"responseElements":null,"requestID":"r2","eventID":"e2"}"#;
const LIST_USERS_BAD_FILTER: &str = r#"{"eventTime":"2026-11-20T11:05:00Z","eventSource":"identitystore-scim.amazonaws.com","eventName":"ListUsers","errorCode":"ValidationException","errorMessage":"Invalid Filter format","requestParameters":{"tenantId":"t1","filter":"HIDDEN_DUE_TO_SECURITY_REASONS"},"responseElements":null,"requestID":"r3","eventID":"e3"}"#;

/// Regression: a `ListGroupMemberships` that succeeded after a throttled membership PATCH
/// resolved the group, as if the PATCH had gone through.
#[tokio::test]
async fn a_membership_read_after_a_throttled_patch_leaves_the_group_failing() {
    let trail = format!("{{\"Records\": [{PATCH_THROTTLED}, {MEMBERSHIPS_READ}]}}");
    let r = report_of(&[("trail.json", &trail)]).await;
    let group = r
        .entities
        .iter()
        .find(|e| e.ids.target_id.as_deref() == Some("9067-g1"))
        .unwrap_or_else(|| panic!("the group is a problem entity: {:#?}", r.entities));
    assert_eq!(group.status, EntityStatus::Failing, "{group:#?}");
    assert_eq!(group.category, Some(Category::Throttled));
    assert_eq!(
        group.events, 2,
        "the read is still evidence that the group exists"
    );
}

#[test]
fn identity_store_reads_and_scim_gets_never_decide_a_status() {
    let read = |op: &str| ProvisioningEvent {
        operation: Some(op.to_string()),
        outcome: Some(Outcome::Success),
        ..Default::default()
    };
    for op in [
        "ListGroupMemberships",
        "ListGroupMembershipsForMember",
        "ListUsers",
        "DescribeGroup",
        "GetUserId",
        "GetGroup",
        "IsMemberInGroups",
        "GET /scim/v2/Users?filter=userName eq \"ann\"",
    ] {
        assert!(is_read(&read(op)), "{op} is a read");
        assert!(!is_decisive(&read(op), None), "{op} decides nothing");
    }
    for op in [
        "PatchGroup",
        "CreateUser",
        "DeleteGroup",
        "creating user",
        "Getaway",
    ] {
        assert!(!is_read(&read(op)), "{op} is not a read");
        assert!(is_decisive(&read(op), None), "{op} decides");
    }
}

#[tokio::test]
async fn a_failed_list_users_with_an_invalid_filter_is_a_job_finding_not_a_failing_entity() {
    let trail = format!("{{\"Records\": [{LIST_USERS_BAD_FILTER}]}}");
    let r = report_of(&[("trail.json", &trail)]).await;
    assert!(
        r.entities.is_empty(),
        "a read concerns no entity: {:#?}",
        r.entities
    );
    let finding = r
        .connection
        .iter()
        .find(|c| c.message.contains("Invalid Filter format"))
        .unwrap_or_else(|| panic!("a job-level finding: {:#?}", r.connection));
    assert_eq!(finding.category, Category::Other);
    assert!(
        finding.fix.contains("client"),
        "the fix blames the client, not the data: {}",
        finding.fix
    );
}

// --- Failures on the source side are not AWS's --------------------------------------------------

#[tokio::test]
async fn ssosync_google_api_errors_are_a_job_finding_never_a_schema_violation() {
    // One run fails reading a group's members; another aborts on Google's 503.
    let members = [
        r#"{"level":"info","msg":"Syncing AWS users and groups from Google Workspace","time":"2026-11-20T10:00:00Z"}"#,
        r#"{"level":"info","msg":"creating group","group":"Engineering","time":"2026-11-20T10:00:01Z"}"#,
        r#"{"level":"error","msg":"googleapi: Error 400: Invalid Input: memberKey, invalid","time":"2026-11-20T10:00:02Z"}"#,
    ]
    .join("\n");
    let aborted = [
        r#"{"level":"info","msg":"Syncing AWS users and groups from Google Workspace","time":"2026-11-20T11:00:00Z"}"#,
        r#"{"level":"fatal","msg":"Notifying Lambda and mark this execution as Failure: googleapi: Error 503: The service is currently unavailable., backendError","time":"2026-11-20T11:00:03Z"}"#,
    ]
    .join("\n");
    let r = report_of(&[("members.log", &members), ("aborted.log", &aborted)]).await;
    assert!(
        r.entities
            .iter()
            .all(|e| e.category != Some(Category::SchemaViolationUnspecified)),
        "{:#?}",
        r.entities
    );
    assert_eq!(r.categories["SCHEMA_VIOLATION_UNSPECIFIED"], 0);
    let google: Vec<_> = r
        .connection
        .iter()
        .filter(|c| c.message.contains("could not read Google Workspace"))
        .collect();
    assert!(!google.is_empty(), "{:#?}", r.connection);
    assert!(google.iter().any(|c| c.message.contains("Error 400")));
    assert!(
        google
            .iter()
            .any(|c| c.message.starts_with("the sync run aborted") && c.message.contains("503")),
        "the abort and its Google reason: {google:#?}"
    );
    assert!(
        google
            .iter()
            .all(|c| c.fix.contains("nothing needs fixing in AWS"))
    );
}

#[test]
fn an_aborted_ssosync_run_is_a_job_finding_with_its_reason() {
    let mut ev = with_reason(
        "Notifying Lambda and mark this execution as Failure: failed to list AWS groups: \
         context deadline exceeded",
    );
    ev.entity = EntityRef::default();
    ev.connection_level = true;
    let c = class(&ev);
    assert!(c.job_level);
    assert_eq!(
        c.message,
        "the sync run aborted: failed to list AWS groups: context deadline exceeded"
    );
    assert_eq!(entity_key(&ev, Some(&c)), CONNECTION_KEY);
    let fix = fix_for_cause(c.category, None, Some(&c.message), Idp::SyncTool);
    assert!(fix.contains("aborted"), "{fix}");
}

#[test]
fn an_abort_after_an_entity_s_own_conflict_stays_that_entity_s_failure() {
    let mut ev = with_reason(
        "error creating user; Notifying Lambda and mark this execution as Failure: status of \
         http response was 409",
    );
    ev.http_status = Some(409);
    let c = class(&ev);
    assert!(!c.job_level);
    assert_eq!(c.category, Category::DuplicateConflict);
}

// --- Messages users report ----------------------------------------------------------------------

#[test]
fn okta_matching_user_not_found_is_target_object_missing() {
    let ev = with_reason(
        "Automatic provisioning of user Ann Lee to app AWS IAM Identity Center failed: Matching \
         user not found",
    );
    assert_eq!(class(&ev).category, Category::TargetObjectMissing);
}

#[test]
fn aws_user_or_group_does_not_exist_is_target_object_missing() {
    for detail in ["USER does not exist.", "GROUP does not exist."] {
        assert_eq!(
            text(detail).category,
            Category::TargetObjectMissing,
            "{detail}"
        );
    }
}

#[test]
fn okta_unauthorized_while_verifying_a_user_is_a_connection_level_auth_failure() {
    let ev = with_reason("Error while verifying if user ann@example.com exists: Unauthorized");
    let c = class(&ev);
    assert_eq!(c.category, Category::AuthFailure);
    assert_eq!(entity_key(&ev, Some(&c)), CONNECTION_KEY);
}

#[test]
fn a_patch_omitting_path_for_several_attributes_is_patch_invalid() {
    let c = text(
        "Current PATCH support allows omitting \"path\" attribute only for Add and Replace \
         operations modifying a single attribute.",
    );
    assert_eq!(c.category, Category::PatchInvalid);
}

#[test]
fn invalid_json_or_filter_is_a_client_request_error_not_a_schema_violation() {
    for detail in ["Invalid JSON from RequestBody", "Invalid Filter format"] {
        let mut ev = failed(detail);
        ev.http_status = Some(400);
        ev.operation = Some("CreateUser".into());
        let c = class(&ev);
        assert_eq!(c.category, Category::Other, "{detail}");
        assert!(
            c.message.contains(detail) && c.message.contains("client"),
            "{c:?}"
        );
        assert!(!c.job_level, "a write names its entity");
        ev.operation = Some("ListUsers".into());
        assert!(class(&ev).job_level, "on a read it concerns no entity");
    }
}

#[test]
fn list_attribute_email_in_the_singular_is_multivalue_on_emails() {
    let c = text("List attribute email exceeds allowed limit of 1");
    assert_eq!(c.category, Category::MultivalueNotSupported);
    assert_eq!(c.attribute.as_deref(), Some("emails"));
}

#[test]
fn an_empty_enterprise_manager_is_an_invalid_value_not_a_missing_required_attribute() {
    let c = text(
        "1 validation error detected: Value at \
         'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value' failed to \
         satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert_eq!(c.category, Category::InvalidValue);
    assert_eq!(c.attribute.as_deref(), Some("manager"));
    assert!(
        c.message.starts_with("an empty value was sent for manager"),
        "{c:?}"
    );
    let fix = fix_for_cause(
        c.category,
        c.attribute.as_deref(),
        Some(&c.message),
        Idp::Entra,
    );
    assert!(fix.contains("left out"), "{fix}");
}

#[test]
fn several_validation_errors_name_every_attribute_and_a_required_one_wins() {
    let c = text(
        "3 validation errors detected: Value at 'title' failed to satisfy constraint: Member \
         must have length greater than or equal to 1; Value at 'name.familyName' failed to \
         satisfy constraint: Member must have length greater than or equal to 1; Value at \
         'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: \
         [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r ]+",
    );
    assert_eq!(c.category, Category::MissingRequiredAttribute);
    assert_eq!(c.attribute.as_deref(), Some("name.familyName"));
    assert!(
        c.message.contains("title") && c.message.contains("department"),
        "{}",
        c.message
    );
    let pattern = text(
        "2 validation errors detected: Value at 'name.familyName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\p{L}]+; Value at \
         'name.familyName' failed to satisfy constraint: Member must have length less than or \
         equal to 1024",
    );
    assert_eq!(pattern.category, Category::InvalidValue);
    assert_eq!(pattern.attribute.as_deref(), Some("name.familyName"));
    assert!(
        !pattern.message.contains("also"),
        "one attribute: {}",
        pattern.message
    );
}

#[test]
fn entra_duplicate_target_entries_is_a_duplicate_conflict() {
    let ev = ProvisioningEvent {
        outcome: Some(Outcome::Failure),
        error_code: Some("DuplicateTargetEntries".into()),
        ..Default::default()
    };
    assert_eq!(class(&ev).category, Category::DuplicateConflict);
}

#[test]
fn not_effectively_entitled_is_a_benign_skip_that_decides_nothing() {
    let ev = ProvisioningEvent {
        outcome: Some(Outcome::Skipped),
        skip_reason: Some("NotEffectivelyEntitled".into()),
        ..Default::default()
    };
    assert!(classify(&ev, &Rules::default()).is_none(), "not a failure");
    assert!(!is_decisive(&ev, None));
}

#[test]
fn every_quarantine_reason_has_its_own_meaning_and_fix() {
    let reasons = [
        "EncounteredQuarantineException",
        "EncounteredBaseEscrowThreshold",
        "EncounteredTotalEscrowThreshold",
        "EncounteredEscrowProportionThreshold",
        "TooManyDeletes",
        "IngestionInterrupted",
        "QuarantinedOnDemand",
    ];
    let unknown = quarantine_reason_explanation("SomethingNew");
    let mut seen = Vec::new();
    for reason in reasons {
        let (meaning, fix) = quarantine_reason_explanation(reason);
        assert_ne!((meaning, fix), unknown, "{reason} is known");
        assert!(!seen.contains(&meaning), "{reason} has its own meaning");
        seen.push(meaning);
    }
    let (meaning, _) = quarantine_reason_explanation("toomanydeletes");
    assert!(
        meaning.contains("Accidental-deletion prevention"),
        "{meaning}"
    );
    let (meaning, fix) = quarantine_reason_explanation("EncounteredQuarantineException");
    assert!(meaning.contains("token") && fix.contains("access token"));
}

// --- Rules that explain a bare 400 --------------------------------------------------------------

/// Regression: only whitespace was checked against AWS's userName pattern, so a userName with a
/// control character such as BEL passed.
#[test]
fn a_bel_in_a_user_name_breaks_aws_s_pattern() {
    let c = check_name("userName", "ann\u{7}@example.com", true).expect("BEL is refused");
    assert_eq!(c.category, Category::InvalidValue);
    assert!(c.message.contains("control character"), "{}", c.message);
}

#[test]
fn the_user_name_pattern_is_letters_marks_symbols_numbers_and_punctuation() {
    for ok in [
        "ann@example.com",
        "josé.núñez",
        "ann+aws@x.com",
        "李小龍",
        "a\u{301}",
        "ann😀",
        "O'Brien",
    ] {
        assert!(check_name("userName", ok, true).is_none(), "{ok:?} fits");
    }
    for bad in [
        "ann\u{200B}lee",
        "ann\u{FEFF}",
        "ann\u{E000}",
        "ann\u{2028}",
        "ann\u{378}",
    ] {
        assert!(
            check_name("userName", bad, true).is_some(),
            "{bad:?} does not"
        );
    }
    assert!(allowed_in_user_name('%') && !allowed_in_user_name(' '));
    // Display names take spaces, tabs and line breaks; a control character is refused there too.
    assert!(check_name("displayName", "Ann Lee", false).is_none());
    assert!(check_name("displayName", "Ann\u{1B}Lee", false).is_some());
}

#[test]
fn a_control_character_in_any_value_explains_a_bare_400() {
    let ev = bare_400(
        EntityKind::User,
        vec![
            sent("userName", &["ann@example.com"]),
            sent("title", &["Engineer\u{7}"]),
        ],
    );
    let c = class(&ev);
    assert_eq!(c.category, Category::InvalidValue);
    assert_eq!(c.attribute.as_deref(), Some("title"));
    assert!(c.message.contains("control character"), "{}", c.message);
}

#[test]
fn an_empty_string_for_an_optional_attribute_explains_a_bare_400() {
    let ev = bare_400(
        EntityKind::User,
        vec![sent("userName", &["ann@example.com"]), sent("title", &[""])],
    );
    let c = class(&ev);
    assert_eq!(c.category, Category::InvalidValue);
    assert_eq!(c.attribute.as_deref(), Some("title"));
    assert!(
        c.message.starts_with("an empty value was sent for title"),
        "{}",
        c.message
    );
}

#[test]
fn more_than_100_members_in_one_patch_explain_a_bare_400() {
    let members: Vec<String> = (0..101).map(|i| format!("user-{i}")).collect();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    let ev = bare_400(EntityKind::Group, vec![sent("members", &members)]);
    let c = class(&ev);
    assert_eq!(c.category, Category::PatchInvalid);
    assert_eq!(c.attribute.as_deref(), Some("members"));
    let hundred = bare_400(EntityKind::Group, vec![sent("members", &members[..100])]);
    assert_eq!(
        class(&hundred).category,
        Category::SchemaViolationUnspecified
    );
}

#[test]
fn a_put_of_a_group_explains_a_bare_400() {
    let mut ev = bare_400(EntityKind::Group, Vec::new());
    ev.operation = Some("PutGroup".into());
    assert_eq!(class(&ev).category, Category::PatchInvalid);
}

#[test]
fn an_unexplained_400_lists_the_new_rules_among_its_candidates() {
    let all = UNSPECIFIED_CANDIDATES.join("\n");
    for rule in [
        "control character",
        "pattern",
        "100 members",
        "PUT",
        "empty string",
    ] {
        assert!(all.contains(rule), "{rule} is a candidate");
    }
}
