//! What the failures put at stake: the diagnosis weighed against the newest store snapshot's
//! account assignments (Problems sorted by it, the report, the Overview, the Entity view), and the
//! assigned groups that reach nobody or that no IdP manages. Offline: the snapshot is the AWS
//! CLI's output, imported with `store-import`.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};

use crate::api::identity_store;
use crate::api::views::{self, ProblemQuery, ProblemSort};
use crate::api::{self, ImportFilesReq};
use crate::cancel::CancelToken;
use crate::db::Workspace;
use crate::error::ErrorCode;
use crate::model::AccessImpact;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// The store as `aws identitystore list-*` and `aws sso-admin` print it. alice (who fails to
/// update in the log) holds ReadOnly in 111 herself and, through Finance-Analysts, Admin in 111
/// and ReadOnly in 222; bruno holds ReadOnly in 333; Ops-Empty is assigned but has no members;
/// Console-Made has no externalId. Finance-Analysts carries the externalId the log states; the
/// store's Administrator (no externalId) is not the log's Administrator, which states another.
const STORE: &str = r#"{"Users": [
  {"UserId": "u-alice", "UserName": "alice@contoso.com", "ExternalIds": [{"Issuer": "idp", "Id": "ext-alice"}]},
  {"UserId": "u-bruno", "UserName": "bruno.diaz@contoso.com"},
  {"UserId": "u-carol", "UserName": "carol@contoso.com"}]}
{"Groups": [
  {"GroupId": "g-fin", "DisplayName": "Finance-Analysts", "ExternalIds": [{"Issuer": "idp", "Id": "b2d0bd90-0d47-54b2-96fb-da471228e4fc"}]},
  {"GroupId": "g-admin-ct", "DisplayName": "Administrator"},
  {"GroupId": "g-empty", "DisplayName": "Ops-Empty", "ExternalIds": [{"Issuer": "idp", "Id": "ext-ops"}]},
  {"GroupId": "g-console", "DisplayName": "Console-Made"}]}
{"GroupMemberships": [
  {"MembershipId": "m1", "GroupId": "g-fin", "MemberId": {"UserId": "u-alice"}},
  {"MembershipId": "m2", "GroupId": "g-console", "MemberId": {"UserId": "u-carol"}}]}
{"PermissionSets": ["arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "arn:aws:sso:::permissionSet/ssoins-1/ps-ro"]}
{"PermissionSet": {"Name": "AdministratorAccess", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-admin"}}
{"PermissionSet": {"Name": "ReadOnlyAccess", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-ro"}}
{"AccountAssignments": [
  {"AccountId": "111111111111", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "PrincipalType": "GROUP", "PrincipalId": "g-fin"},
  {"AccountId": "222222222222", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", "PrincipalType": "GROUP", "PrincipalId": "g-fin"},
  {"AccountId": "111111111111", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", "PrincipalType": "USER", "PrincipalId": "u-alice"},
  {"AccountId": "333333333333", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", "PrincipalType": "USER", "PrincipalId": "u-bruno"},
  {"AccountId": "111111111111", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", "PrincipalType": "GROUP", "PrincipalId": "g-empty"},
  {"AccountId": "222222222222", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "PrincipalType": "GROUP", "PrincipalId": "g-console"}]}
{"Accounts": [{"Id": "111111111111", "Name": "Production", "Status": "ACTIVE"}]}
"#;

async fn import_log(ws: &Workspace) {
    api::import_files(
        ws,
        ImportFilesReq {
            paths: vec![fixture("entra-graph/page1.json")],
            extra_reserved: Vec::new(),
        },
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
}

async fn import_store(ws: &Workspace, dir: &Path) {
    let path = dir.join("store.json");
    std::fs::write(&path, STORE).unwrap();
    identity_store::import_store_files(ws, &[path], now())
        .await
        .unwrap();
}

fn holds(accounts: u32, permission_sets: u32, assignments: u32) -> Option<AccessImpact> {
    Some(AccessImpact {
        accounts,
        permission_sets,
        assignments,
    })
}

async fn by_access(ws: &Workspace) -> Vec<(String, Option<AccessImpact>)> {
    let page = views::problems_page(
        ws,
        &ProblemQuery {
            sort: ProblemSort::Access,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    page.rows.into_iter().map(|r| (r.name, r.access)).collect()
}

#[tokio::test]
async fn problems_sort_by_the_access_each_entity_holds_whichever_came_first_log_or_snapshot() {
    for snapshot_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(&dir.path().join("ws.sqlite"))
            .await
            .unwrap();
        if snapshot_first {
            import_store(&ws, dir.path()).await;
            import_log(&ws).await;
        } else {
            import_log(&ws).await;
            import_store(&ws, dir.path()).await;
        }
        let rows = by_access(&ws).await;
        let top: Vec<(&str, Option<AccessImpact>)> =
            rows.iter().take(3).map(|(n, a)| (n.as_str(), *a)).collect();
        assert_eq!(
            top,
            vec![
                ("alice@contoso.com", holds(2, 2, 3)),
                ("Finance-Analysts", holds(2, 2, 2)),
                ("bruno.diaz@contoso.com", holds(1, 1, 1)),
            ],
            "snapshot first: {snapshot_first}"
        );
        assert!(
            rows[3..].iter().all(|(_, a)| a.is_none()),
            "entities the store does not hold come last, and a name alone does not make the \
             store's Administrator the log's: {rows:?}"
        );
    }
}

#[tokio::test]
async fn the_report_and_overview_show_what_failures_put_at_stake_and_the_groups_that_reach_nobody()
{
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import_log(&ws).await;
    import_store(&ws, dir.path()).await;

    let report = api::build_report(&ws, &[], now()).await.unwrap();
    let alice = report
        .entities
        .iter()
        .find(|e| e.name == "alice@contoso.com")
        .unwrap();
    assert_eq!(alice.access, holds(2, 2, 3));
    let access = report.access.as_ref().expect("the snapshot holds access");
    let names = |groups: &[crate::access::AssignedGroup]| -> Vec<String> {
        groups
            .iter()
            .map(|g| g.display_name.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(names(&access.empty_groups), vec!["Ops-Empty"]);
    assert_eq!(names(&access.unmanaged_groups), vec!["Console-Made"]);
    assert!(
        access.empty_groups[0]
            .fix
            .contains("1 permission set in 1 account"),
        "{}",
        access.empty_groups[0].fix
    );

    let text = crate::report::render::render(&report, crate::report::render::ReportFormat::Text);
    assert!(
        text.contains("ACCESS AT STAKE (3 failing entities"),
        "{text}"
    );
    assert!(
        text.contains("  - alice@contoso.com (user, MISSING_REQUIRED_ATTRIBUTE): 2 permission sets in 2 accounts"),
        "{text}"
    );
    assert!(
        text.contains("ASSIGNED GROUPS WITHOUT MEMBERS (1)"),
        "{text}"
    );
    assert!(
        text.contains("ASSIGNED GROUPS NO IDP MANAGES (no externalId) (1)"),
        "{text}"
    );
    let html = crate::report::render::render(&report, crate::report::render::ReportFormat::Html);
    assert!(html.contains("Access at stake"), "html");
    assert!(html.contains("2 permission sets in 2 accounts"), "html");
    assert!(
        html.contains("not in the store"),
        "the entity table's access column"
    );

    let overview = views::overview(&ws).await.unwrap();
    let a = overview.access.expect("the overview's access numbers");
    assert_eq!(
        (
            a.orphaned,
            a.failing_with_access,
            a.empty_groups,
            a.unmanaged_groups
        ),
        (0, 3, 1, 1)
    );

    let detail = api::get_entity(&ws, "alice@contoso.com").await.unwrap();
    let panel = detail.access.expect("the Access panel");
    assert_eq!(panel.principal_id, "u-alice");
    let pairs: Vec<(&str, Option<&str>, Option<&str>)> = panel
        .access
        .iter()
        .map(|e| {
            (
                e.account_id.as_str(),
                e.account_name.as_deref(),
                e.permission_set_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                "111111111111",
                Some("Production"),
                Some("AdministratorAccess")
            ),
            ("111111111111", Some("Production"), Some("ReadOnlyAccess")),
            ("222222222222", None, Some("ReadOnlyAccess")),
        ]
    );
    let ivan = api::get_entity(&ws, "ivan.petrov@contoso.com")
        .await
        .unwrap();
    assert!(ivan.access.is_none(), "not in the store: no panel");
}

#[tokio::test]
async fn a_pseudonymized_report_names_no_account_group_or_person_of_the_access_section() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import_log(&ws).await;
    import_store(&ws, dir.path()).await;
    // A second snapshot without alice: her direct assignment is orphaned.
    let path = dir.path().join("after.json");
    std::fs::write(
        &path,
        STORE.replace("\"u-alice\", \"UserName\"", "\"u-alice2\", \"UserName\""),
    )
    .unwrap();
    identity_store::import_store_files(&ws, &[path], now())
        .await
        .unwrap();
    let report = api::build_report(&ws, &[], now()).await.unwrap();
    let access = report.access.as_ref().unwrap();
    assert!(!access.orphaned.is_empty(), "alice's old id is orphaned");
    let hidden = crate::report::render::pseudonymize(&report, b"key");
    let json = serde_json::to_string(&hidden.access).unwrap();
    for secret in [
        "u-alice",
        "alice@contoso.com",
        "111111111111",
        "Production",
        "Ops-Empty",
        "Console-Made",
        "g-empty",
        "ssoins-1",
    ] {
        assert!(!json.contains(secret), "{secret} survived: {json}");
    }
    assert!(json.contains("ReadOnlyAccess"), "permission set names stay");
}

#[tokio::test]
async fn a_workspace_made_before_access_was_weighed_is_weighed_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ws.sqlite");
    {
        let ws = Workspace::open(&file).await.unwrap();
        import_log(&ws).await;
        import_store(&ws, dir.path()).await;
        // As an older scimlens left it: no weighing, no record of one.
        sqlx::query(
            "DELETE FROM entity_access; DELETE FROM settings WHERE key = 'access_weighed_against'",
        )
        .execute(ws.pool())
        .await
        .unwrap();
        ws.close().await;
    }
    let ws = Workspace::open(&file).await.unwrap();
    assert_eq!(by_access(&ws).await[0].1, holds(2, 2, 3));
}

#[tokio::test]
async fn a_tampered_access_count_is_a_damaged_workspace_not_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import_log(&ws).await;
    import_store(&ws, dir.path()).await;
    sqlx::query("UPDATE entity_access SET assignments = -5")
        .execute(ws.pool())
        .await
        .unwrap();
    let err = views::problems_page(
        &ws,
        &ProblemQuery {
            sort: ProblemSort::Access,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
}

/// The IdP's side for the blast radius: alice renamed (same externalId, a new userName and
/// email), which a sync matching on userName applies by deleting her and creating a new user.
const EXPORT: &str = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
 "totalResults": 1, "Resources": [
  {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "idp-alice",
   "externalId": "ext-alice", "userName": "alice.lee@contoso.com",
   "name": {"givenName": "Alice", "familyName": "Lee"}, "displayName": "Alice Lee",
   "emails": [{"value": "alice.lee@contoso.com", "type": "work", "primary": true}],
   "active": true}]}"#;

#[tokio::test]
async fn preflight_names_the_assignments_a_renamed_user_would_orphan_and_a_pseudonymized_one_hides_them()
 {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import_store(&ws, dir.path()).await;
    let export = dir.path().join("export.json");
    std::fs::write(&export, EXPORT).unwrap();
    let report = identity_store::preflight_export(
        Some(&ws),
        &identity_store::PreflightReq {
            paths: vec![export],
            against_store: true,
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    let at_risk = &report.preflight.as_ref().unwrap().at_risk;
    assert_eq!(
        at_risk.len(),
        1,
        "only the renamed user, not the store objects a one-user \
        export leaves unmatched: {at_risk:?}"
    );
    assert_eq!(at_risk[0].store_id.as_deref(), Some("u-alice"));
    assert!(
        at_risk[0].detail.ends_with(
            "its 3 assignments would be orphaned (AdministratorAccess in 111111111111, \
             ReadOnlyAccess in 111111111111, ReadOnlyAccess in 222222222222)"
        ),
        "{}",
        at_risk[0].detail
    );
    let text = crate::report::render::preflight::text(&report);
    assert!(text.contains("BLAST RADIUS (1 store object"), "{text}");

    let hidden = crate::report::render::pseudonymize(&report, b"key");
    let json = serde_json::to_string(&hidden.preflight).unwrap();
    for secret in ["alice", "111111111111", "u-alice"] {
        assert!(!json.contains(secret), "{secret} survived: {json}");
    }
}

#[tokio::test]
async fn over_time_a_user_deleted_and_created_again_is_one_identity_change_with_its_lost_access_and_the_logged_delete()
 {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let paul_old = "9067a6b1c2-0f27b8b0-5dd2-5991-a16c-a57917c44445";
    let store = |user_id: &str, user_name: &str| {
        format!(
            r#"{{"Users": [{{"UserId": "{user_id}", "UserName": "{user_name}", "ExternalIds": [{{"Issuer": "idp", "Id": "ext-paul"}}]}},
  {{"UserId": "u-ann", "UserName": "ann@contoso.com", "ExternalIds": [{{"Issuer": "idp", "Id": "ext-ann"}}]}}]}}
{{"AccountAssignments": [{{"AccountId": "111111111111", "PermissionSetArn": "arn:ps-admin", "PrincipalType": "USER", "PrincipalId": "{paul_old}"}}]}}"#
        )
    };
    for (name, text) in [
        ("before.json", store(paul_old, "paul.murphy@contoso.com")),
        ("after.json", store("u-paul-new", "paul.murphy@contoso.com")),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        identity_store::import_store_files(&ws, &[path], now())
            .await
            .unwrap();
    }
    api::import_files(
        &ws,
        ImportFilesReq {
            paths: vec![fixture("cloudtrail/records.json")],
            extra_reserved: Vec::new(),
        },
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let diff = identity_store::diff_snapshots(&ws, None, None)
        .await
        .unwrap();
    let [change] = diff.identity_changes.as_slice() else {
        panic!("one identity change: {:#?}", diff.identity_changes)
    };
    assert_eq!(change.change, crate::api::IdentityChangeKind::Recreated);
    assert_eq!(
        (change.old_id.as_str(), change.new_id.as_str()),
        (paul_old, "u-paul-new")
    );
    assert_eq!(change.matched_on.as_deref(), Some("externalId"));
    assert_eq!(change.assignments, vec!["arn:ps-admin in 111111111111"]);
    assert!(
        change.evidence.iter().any(|e| e.contains("DeleteUser")),
        "the logged delete: {:?}",
        change.evidence
    );
    let text = crate::report::render::compare::diff_text(&diff);
    assert!(
        text.contains(&format!(
            "  ! user paul.murphy@contoso.com: deleted and created again: {paul_old} -> u-paul-new (same externalId)"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "assignments of the old id (nobody gets them now): arn:ps-admin in 111111111111"
        ),
        "{text}"
    );
}
