//! Google Workspace as a directory, end to end: the Admin console's downloads (users, groups,
//! group members) and the Admin SDK's `users.list` / `groups.list` / `members.list` pages of the
//! same tenant (`tests/fixtures/directory/google-*`), imported into a workspace, preflighted and
//! compared with the identity store ssosync left behind (`directory/google-store`).

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};

use crate::api::identity_store::{self, CompareReq, MappingEdit, PreflightReq};
use crate::compare::{CompareState, EntityComparison, NotProvisionedReason};
use crate::db::Workspace;
use crate::directory::{DirectoryFormat, DirectoryIdp};
use crate::error::Error;
use crate::model::{Category, EntityKind};
use crate::preflight::{PreflightFinding, Severity};
use crate::report::Report;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn console_downloads() -> Vec<PathBuf> {
    [
        "google-users.csv",
        "google-groups.csv",
        "google-members.csv",
    ]
    .iter()
    .map(|f| fixture(&format!("directory/{f}")))
    .collect()
}

fn api_pages() -> Vec<PathBuf> {
    [
        "users.json",
        "groups.json",
        "aws-engineering@example.com.json",
        "platform@example.com.json",
        "administrator@example.com.json",
    ]
    .iter()
    .map(|f| fixture(&format!("directory/google-api/{f}")))
    .collect()
}

fn store_files() -> Vec<PathBuf> {
    [
        "list-users.json",
        "list-groups.json",
        "list-group-memberships.json",
    ]
    .iter()
    .map(|f| fixture(&format!("directory/google-store/{f}")))
    .collect()
}

async fn preflight(ws: &Workspace) -> Report {
    let req = PreflightReq {
        paths: Vec::new(),
        against_store: false,
        snapshot_id: None,
        extra_reserved: Vec::new(),
    };
    identity_store::preflight_export(Some(ws), &req, now())
        .await
        .unwrap()
}

fn findings(report: &Report) -> Vec<(String, Category, Option<String>)> {
    let p = report.preflight.as_ref().expect("a preflight section");
    p.findings
        .iter()
        .filter(|f: &&PreflightFinding| f.severity == Severity::Error)
        .map(|f| (f.name.clone(), f.category, f.attribute.clone()))
        .collect()
}

fn compared<'r>(report: &'r Report, kind: EntityKind, name: &str) -> &'r EntityComparison {
    let c = report.compare.as_ref().expect("a compare section");
    c.entities
        .iter()
        .find(|e| e.kind == kind && e.name == name)
        .unwrap_or_else(|| panic!("{name} not in {:#?}", c.entities))
}

#[tokio::test]
async fn the_admin_console_downloads_import_as_one_google_directory_with_what_the_sync_tools_would_see()
 {
    let ws = Workspace::in_memory().await.unwrap();
    let info = identity_store::import_directory(&ws, &console_downloads(), now())
        .await
        .unwrap();
    assert_eq!(info.idp, DirectoryIdp::Google);
    assert_eq!(
        info.formats,
        vec![
            DirectoryFormat::GoogleUsersCsv,
            DirectoryFormat::GoogleGroupsCsv,
            DirectoryFormat::GoogleMembersCsv
        ]
    );
    assert_eq!((info.users, info.groups), (6, 3));
    // ann, bo, dmitri, contractor and (through the nested Platform group) eve in AWS
    // Engineering; eve in Platform; frank in Administrator. The nested group itself is gone.
    assert_eq!(info.memberships, 7);
    let said = info.warnings.join("\n");
    for part in [
        "no user id",
        "1 nested group membership(s) flattened",
        "1 membership(s) name a member that is not among the users read",
        "1 suspended user(s)",
    ] {
        assert!(said.contains(part), "{part:?} in {said}");
    }
    assert!(
        !said.contains("****"),
        "the masked passwords are neither stored nor quoted"
    );
}

#[tokio::test]
async fn preflight_of_the_downloads_predicts_the_missing_family_name_and_the_reserved_group_and_no_multi_value_with_the_sync_tools_mapping()
 {
    let ws = Workspace::in_memory().await.unwrap();
    identity_store::import_directory(&ws, &console_downloads(), now())
        .await
        .unwrap();
    let report = preflight(&ws).await;
    let p = report.preflight.as_ref().unwrap();
    assert_eq!((p.users_checked, p.groups_checked), (6, 3));
    let errors = findings(&report);
    assert!(
        errors.contains(&(
            "carla@example.com".to_string(),
            Category::MissingRequiredAttribute,
            Some("name.familyName".to_string())
        )),
        "{errors:?}"
    );
    assert!(
        errors.contains(&(
            "Administrator".to_string(),
            Category::ReservedName,
            Some("displayName".to_string())
        )),
        "{errors:?}"
    );
    assert_eq!(
        errors.len(),
        2,
        "ssosync and idp-scim-sync send one email and no second phone: {errors:?}"
    );
}

#[tokio::test]
async fn mapping_the_secondary_emails_and_both_phones_as_a_custom_app_would_predicts_the_multi_value_failures()
 {
    let ws = Workspace::in_memory().await.unwrap();
    identity_store::import_directory(&ws, &console_downloads(), now())
        .await
        .unwrap();
    for (target, source) in [
        (
            "phoneNumbers[type eq \"work\"].value",
            "phones[type eq \"work\"].value",
        ),
        (
            "phoneNumbers[type eq \"mobile\"].value",
            "phones[type eq \"mobile\"].value",
        ),
        (
            "emails[type eq \"other\"].value",
            "emails[type eq \"work\"].address",
        ),
    ] {
        let edit = MappingEdit {
            idp: DirectoryIdp::Google,
            kind: EntityKind::User,
            target: target.to_string(),
            source: source.to_string(),
            add: true,
        };
        identity_store::edit_mapping(&ws, &edit).await.unwrap();
    }
    let report = preflight(&ws).await;
    let p = report.preflight.as_ref().unwrap();
    let multi: Vec<(&str, Option<&str>, Option<&str>)> = p
        .findings
        .iter()
        .filter(|f| f.category == Category::MultivalueNotSupported)
        .map(|f| (f.name.as_str(), f.attribute.as_deref(), f.value.as_deref()))
        .collect();
    assert!(
        multi.contains(&(
            "ann.lee@example.com",
            Some("phoneNumbers"),
            Some("+1 650 555 0100, +1 650 555 0199")
        )),
        "{multi:?}"
    );
    // The primary email plus the two secondary ones the download holds in one cell.
    assert!(
        multi.contains(&(
            "bo.chen@example.com",
            Some("emails"),
            Some("bo.chen@example.com, bo@example.com, b.chen@example.com")
        )),
        "{multi:?}"
    );
    assert_eq!(multi.len(), 2, "{multi:?}");
    assert!(
        p.mapping_warnings
            .iter()
            .any(|w| w.contains("onto phoneNumbers")),
        "{:?}",
        p.mapping_warnings
    );
    assert_eq!(report.categories["MULTIVALUE_NOT_SUPPORTED"], 2);
}

#[tokio::test]
async fn compare_with_the_store_names_the_suspended_user_the_failed_one_and_keeps_nested_members_in_sync()
 {
    let ws = Workspace::in_memory().await.unwrap();
    identity_store::import_store_files(&ws, &store_files(), now())
        .await
        .unwrap();
    identity_store::import_directory(&ws, &console_downloads(), now())
        .await
        .unwrap();
    let req = CompareReq {
        include_in_sync: true,
        ..Default::default()
    };
    let report = identity_store::compare_store(&ws, &req, now())
        .await
        .unwrap();
    let c = report.compare.as_ref().unwrap();
    assert_eq!(
        (
            c.users.in_sync,
            c.users.drift,
            c.users.not_provisioned,
            c.users.unmanaged_in_store
        ),
        (3, 1, 2, 1),
        "{:#?}",
        c.entities
    );
    let dmitri = compared(&report, EntityKind::User, "dmitri.volkov@example.com");
    assert_eq!(dmitri.state, CompareState::NotProvisioned);
    assert_eq!(dmitri.reason, Some(NotProvisionedReason::NotAssigned));
    assert!(
        dmitri.detail.as_deref().is_some_and(
            |d| d.contains("suspended in Google Workspace") && d.contains("--suspended")
        ),
        "{dmitri:?}"
    );
    let carla = compared(&report, EntityKind::User, "carla@example.com");
    assert_eq!(carla.state, CompareState::NotProvisioned);
    assert_ne!(carla.reason, Some(NotProvisionedReason::NotAssigned));
    let frank = compared(&report, EntityKind::User, "frank.ortiz@example.com");
    assert_eq!(frank.state, CompareState::Drift);
    assert!(
        frank
            .differences
            .iter()
            .any(|d| d.attribute == "displayName"
                && d.idp.as_deref() == Some("Frank Ortiz")
                && d.store.as_deref() == Some("Francisco Ortiz")),
        "{frank:?}"
    );
    assert_eq!(
        compared(&report, EntityKind::User, "eve.park@example.com").state,
        CompareState::InSync
    );
    assert_eq!(
        compared(&report, EntityKind::Group, "Administrator").state,
        CompareState::NotProvisioned
    );
    // Eve reaches AWS Engineering only through Platform: flattened as the sync tools read it,
    // her membership there is in sync, and no nested group is reported.
    assert!(c.nested_groups.is_empty(), "{:?}", c.nested_groups);
    assert!(
        !c.membership_differences
            .iter()
            .any(|m| m.member.contains("eve.park")),
        "{:#?}",
        c.membership_differences
    );
    assert!(
        c.membership_differences
            .iter()
            .any(|m| m.member.contains("dmitri.volkov") && m.group == "AWS Engineering"),
        "{:#?}",
        c.membership_differences
    );
}

#[tokio::test]
async fn the_admin_sdk_pages_read_as_the_same_directory_as_the_console_downloads() {
    let ws = Workspace::in_memory().await.unwrap();
    let info = identity_store::import_directory(&ws, &api_pages(), now())
        .await
        .unwrap();
    assert_eq!(info.idp, DirectoryIdp::Google);
    assert_eq!((info.users, info.groups, info.memberships), (6, 3, 7));
    let csv = crate::directory::read_files(&console_downloads()).unwrap();
    let api = crate::directory::read_files(&api_pages()).unwrap();
    // Memberships by email on both sides (the API links by Google's ids, the CSV by email).
    let by_email = |d: &crate::directory::Directory| {
        let email = |id: &str| {
            d.users
                .iter()
                .chain(&d.groups)
                .find(|e| e.idp_id.as_deref() == Some(id))
                .and_then(|e| e.first("primaryEmail").or(e.first("email")))
                .unwrap_or(id)
                .to_lowercase()
        };
        let mut pairs: Vec<(String, String)> = d
            .members
            .iter()
            .map(|m| (email(&m.group_id), email(&m.member_id)))
            .collect();
        pairs.sort();
        pairs
    };
    assert_eq!(by_email(&api), by_email(&csv));
    // Against the same store the API's ids match by externalId, and the verdicts are the same.
    identity_store::import_store_files(&ws, &store_files(), now())
        .await
        .unwrap();
    let report = identity_store::compare_store(
        &ws,
        &CompareReq {
            include_in_sync: true,
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    let c = report.compare.as_ref().unwrap();
    assert_eq!(
        (
            c.users.in_sync,
            c.users.drift,
            c.users.not_provisioned,
            c.users.unmanaged_in_store
        ),
        (3, 1, 2, 1)
    );
    let ann = compared(&report, EntityKind::User, "ann.lee@example.com");
    assert_eq!(ann.matched_by, Some(crate::compare::MatchKey::ExternalId));
    let report = preflight(&ws).await;
    let errors = findings(&report);
    assert!(
        errors
            .iter()
            .any(|(n, c, _)| n == "carla@example.com" && *c == Category::MissingRequiredAttribute)
    );
    assert!(
        errors
            .iter()
            .any(|(n, c, _)| n == "Administrator" && *c == Category::ReservedName)
    );
}

#[test]
fn the_user_download_is_no_longer_rejected_as_not_a_provisioning_log_but_pointed_to_directory_import()
 {
    for file in [
        "google-users.csv",
        "google-groups.csv",
        "google-members.csv",
        "google-api/users.json",
        "google-api/groups.json",
        "google-api/platform@example.com.json",
    ] {
        match crate::import::detect(&fixture(&format!("directory/{file}"))) {
            Err(Error::UnknownFormat { reason, .. }) => assert!(
                reason.contains("a directory export (google-")
                    && reason.contains("scimlens directory-import"),
                "{file}: {reason}"
            ),
            other => {
                panic!("{file}: expected a rejection pointing to directory-import, got {other:?}")
            }
        }
    }
}

#[test]
fn a_members_download_without_its_member_column_is_refused_naming_the_file_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("members.csv");
    std::fs::write(
        &path,
        "Group Email [Required],Member Email\r\neng@x.com,\r\n",
    )
    .unwrap();
    let err = crate::directory::read_files(std::slice::from_ref(&path)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("members.csv") && text.contains("line 2") && text.contains("Member Email"),
        "{text}"
    );
}

#[test]
fn the_user_download_reads_the_same_with_a_bom_quoted_headers_lf_lines_or_gzip() {
    let original = std::fs::read_to_string(fixture("directory/google-users.csv")).unwrap();
    let (header, rows) = original.split_once("\r\n").unwrap();
    let quoted: Vec<String> = header.split(',').map(|h| format!("\"{h}\"")).collect();
    let rewritten = format!(
        "\u{feff}{}\n{}",
        quoted.join(","),
        rows.replace("\r\n", "\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("users.csv");
    std::fs::write(&plain, &rewritten).unwrap();
    let gz = dir.path().join("users.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, original.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let expected = crate::directory::read_files(&[fixture("directory/google-users.csv")]).unwrap();
    for path in [plain, gz] {
        let got = crate::directory::read_files(std::slice::from_ref(&path)).unwrap();
        assert_eq!(got.users, expected.users, "{}", path.display());
        assert_eq!(got.formats, vec![DirectoryFormat::GoogleUsersCsv]);
    }
}
