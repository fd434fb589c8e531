//! The store-side subcommands as a user runs them: `store-import`, `store-export`,
//! `directory-import`, `mapping`, `compare`, `preflight` on the fixtures of
//! `tests/fixtures/identitystore` and `tests/fixtures/directory` (the same Entra story as the
//! provisioning-log fixtures), and `fetch` against a tiny local AWS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::support::{fixture, scimlens};
use predicates::prelude::*;

fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A workspace holding the Entra logs, the store snapshot and the Entra directory export.
fn story(ws: &Path) {
    scimlens(ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .arg(fixture("entra-portal-json/download.json"))
        .arg(fixture("entra-log-analytics/AADProvisioningLogs.csv"))
        .assert()
        .success();
    scimlens(ws)
        .arg("store-import")
        .arg(fixture("identitystore/list-users.json"))
        .arg(fixture("identitystore/list-groups.json"))
        .arg(fixture("identitystore/list-group-memberships.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains("6 users, 2 groups, 4 memberships"));
    scimlens(ws)
        .arg("directory-import")
        .arg(fixture("directory/entra-graph-users.json"))
        .arg(fixture("directory/entra-graph-groups.json"))
        .arg(fixture("directory/entra-graph-assignments.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "10 users, 4 groups, 7 memberships, app assignments",
        ))
        .stderr(predicate::str::contains(
            "(telephoneNumber, mobile) are mapped onto phoneNumbers",
        ));
}

fn entity<'a>(c: &'a serde_json::Value, kind: &str, name: &str) -> &'a serde_json::Value {
    c["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} not in the comparison"))
}

#[test]
fn compare_puts_every_entity_in_one_state_with_reasons_linked_to_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    story(&ws);
    let report = json(scimlens(&ws).args(["compare", "--format", "json"]));
    assert_eq!(report["schema_version"], 1);
    assert!(
        report["entities"].as_array().unwrap().len() > 5,
        "the log diagnosis is still there"
    );
    let c = &report["compare"];
    let counts = |k: &str| {
        let s = &c[k];
        (
            s["in_sync"].as_u64().unwrap(),
            s["drift"].as_u64().unwrap(),
            s["not_provisioned"].as_u64().unwrap(),
            s["unmanaged_in_store"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts("users"), (3, 1, 6, 2));
    assert_eq!(counts("groups"), (1, 0, 2, 1));
    assert_eq!(counts("memberships"), (3, 0, 2, 1));

    let karen = entity(c, "user", "karen.lee@contoso.com");
    assert_eq!(karen["state"], "DRIFT");
    assert_eq!(karen["matched_by"], "externalId");
    assert_eq!(
        karen["differences"][0],
        serde_json::json!({"attribute": "title", "idp": "Director", "store": "Manager", "note": null})
    );

    let alice = entity(c, "user", "alice@contoso.com");
    assert_eq!(
        (alice["state"].as_str(), alice["reason"].as_str()),
        (Some("NOT_PROVISIONED"), Some("failed"))
    );
    assert_eq!(alice["evidence"]["category"], "MISSING_REQUIRED_ATTRIBUTE");
    assert_eq!(
        alice["evidence"]["entity_key"],
        "user|idp|edc17e6d-487a-58a9-a9b5-79b3349369fc"
    );
    assert_eq!(
        entity(c, "user", "paul.murphy@contoso.com")["evidence"]["category"],
        "TARGET_OBJECT_MISSING"
    );
    assert_eq!(
        entity(c, "user", "xander.young@contoso.com")["reason"],
        "not-assigned"
    );
    assert_eq!(
        entity(c, "user", "zed.nobody@contoso.com")["reason"],
        "nested-group-only"
    );
    assert_eq!(
        entity(c, "user", "yusuf.ali@contoso.com")["reason"],
        "never-attempted"
    );
    assert_eq!(
        entity(c, "group", "Administrator")["evidence"]["category"],
        "RESERVED_NAME"
    );
    assert_eq!(
        entity(c, "group", "Platform-Team")["reason"],
        "nested-group-only"
    );
    assert_eq!(
        entity(c, "user", "breakglass.admin@contoso.com")["state"],
        "UNMANAGED_IN_STORE"
    );
    let ct = entity(c, "group", "AWSSecurityAuditors");
    assert_eq!(ct["state"], "UNMANAGED_IN_STORE");
    assert!(ct["detail"].as_str().unwrap().contains("Control Tower"));
    assert_eq!(
        entity(c, "user", "grace.hopper@contoso.com")["state"],
        "IN_SYNC"
    );
    assert_eq!(c["nested_groups"][0]["child"], "Platform-Team");

    // The entity named in the evidence opens in `scimlens entity`.
    scimlens(&ws)
        .args(["entity", "user|idp|edc17e6d-487a-58a9-a9b5-79b3349369fc"])
        .assert()
        .success()
        .stdout(predicate::str::contains("MISSING_REQUIRED_ATTRIBUTE"));
    // And a problem entity's state in the store is one command away.
    let found = json(scimlens(&ws).args(["store-find", "karen.lee@contoso.com"]));
    assert_eq!(found["Users"][0]["Title"], "Manager");

    scimlens(&ws)
        .args(["compare", "--state", "drift"])
        .assert()
        .success()
        .stdout(predicate::str::contains("title").and(predicate::str::contains("Director")))
        .stdout(predicate::str::contains("alice@contoso.com").not());
    scimlens(&ws)
        .args(["compare", "--format", "html"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "IdP directory beside the AWS identity store",
        ));
}

#[test]
fn the_match_order_is_configurable_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    story(&ws);
    let report = json(scimlens(&ws).args([
        "compare",
        "--format",
        "json",
        "--match-order",
        "email,userName",
    ]));
    assert_eq!(
        report["compare"]["match_order"],
        serde_json::json!(["email", "userName"])
    );
    assert_eq!(
        entity(&report["compare"], "user", "karen.lee@contoso.com")["matched_by"],
        "email"
    );
    let again = json(scimlens(&ws).args(["compare", "--format", "json"]));
    assert_eq!(
        again["compare"]["match_order"],
        serde_json::json!(["email", "userName"]),
        "saved in the workspace"
    );
    scimlens(&ws)
        .args(["compare", "--match-order", "phone"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown match key"));
}

#[test]
fn two_snapshots_compare_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let users = fixture("identitystore/list-users.json");
    scimlens(&ws)
        .arg("store-import")
        .arg(&users)
        .assert()
        .success();
    let mut later: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    let list = later["Users"].as_array_mut().unwrap();
    list.retain(|u| u["UserName"] != "old.contractor@contoso.com");
    list[0]["Title"] = "Admiral".into();
    list.push(serde_json::json!({"UserId": "9067a6b1c2-new", "UserName": "new.hire@contoso.com"}));
    let later_path = dir.path().join("later.json");
    std::fs::write(&later_path, later.to_string()).unwrap();
    scimlens(&ws)
        .arg("store-import")
        .arg(&later_path)
        .assert()
        .success();
    let diff = json(scimlens(&ws).args(["compare", "--over-time", "--format", "json"]));
    assert_eq!(diff["users"]["added"][0]["name"], "new.hire@contoso.com");
    assert_eq!(
        diff["users"]["removed"][0]["name"],
        "old.contractor@contoso.com"
    );
    assert_eq!(
        diff["users"]["changed"][0]["differences"][0],
        serde_json::json!({"attribute": "title", "idp": "Rear Admiral", "store": "Admiral", "note": null})
    );
    assert_eq!(
        diff["memberships_compared"], false,
        "users files alone carry no memberships"
    );
    scimlens(&ws)
        .args(["compare", "--over-time"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "users: 1 added, 1 removed, 1 changed",
        ));
}

#[test]
fn store_export_writes_what_the_aws_cli_prints_and_reimports() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .arg("store-import")
        .arg(fixture("identitystore/list-users.json"))
        .arg(fixture("identitystore/list-groups.json"))
        .arg(fixture("identitystore/list-group-memberships.json"))
        .assert()
        .success();
    let out = dir.path().join("out");
    scimlens(&ws)
        .arg("store-export")
        .arg(&out)
        .assert()
        .success();
    let users: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("list-users.json")).unwrap())
            .unwrap();
    let original: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("identitystore/list-users.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        users, original,
        "the export is the AWS CLI's shape, field for field"
    );
    let ws2 = dir.path().join("ws2.sqlite");
    scimlens(&ws2)
        .arg("store-import")
        .args(
            [
                "list-users.json",
                "list-groups.json",
                "list-group-memberships.json",
            ]
            .map(|f| out.join(f)),
        )
        .assert()
        .success()
        .stderr(predicate::str::contains("6 users, 2 groups, 4 memberships"));
    scimlens(&ws)
        .arg("store-import")
        .arg(fixture("directory/okta-users.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("okta-users.csv"));
}

#[test]
fn preflight_predicts_failures_in_the_report_format_without_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("never.sqlite");
    scimlens(&ws)
        .arg("preflight")
        .arg(fixture("directory/entra-graph-users.json"))
        .arg(fixture("directory/entra-graph-groups.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("PREDICTED"))
        .stdout(predicate::str::contains(
            "MISSING_REQUIRED_ATTRIBUTE (name.givenName)",
        ))
        .stdout(predicate::str::contains(
            "MULTIVALUE_NOT_SUPPORTED (phoneNumbers)",
        ))
        .stdout(predicate::str::contains("RESERVED_NAME (displayName)"))
        .stdout(predicate::str::contains("#EXT#"));
    assert!(!ws.exists(), "preflight creates no workspace");
    let report = json(
        scimlens(&ws)
            .args(["preflight", "--format", "json"])
            .arg(fixture("directory/okta-users.csv")),
    );
    assert_eq!(report["preflight"]["predicted"], true);
    assert_eq!(report["preflight"]["idp"], "okta");
    assert_eq!(report["entities"][0]["name"], "tom.lee@example.com");
    assert_eq!(report["entities"][0]["attribute"], "displayName");
    let warning = report["preflight"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "warning")
        .unwrap();
    assert_eq!(
        warning["name"], "sam:ops@example.com",
        "<>;:% are the IdP guides' rule: a warning"
    );
    scimlens(&ws)
        .args(["preflight", "--fail-on", "any"])
        .arg(fixture("directory/scim-list-response.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("RESERVED_NAME"))
        .stdout(predicate::str::contains(
            "MULTIVALUE_NOT_SUPPORTED (emails)",
        ));
    scimlens(&ws)
        .args(["preflight", "--against-store"])
        .arg(fixture("directory/okta-users.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--against-store needs a workspace",
        ));
}

#[test]
fn preflight_against_the_store_predicts_collisions() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    story(&ws);
    let report = json(
        scimlens(&ws)
            .args(["preflight", "--against-store", "--format", "json"])
            .arg(fixture("directory/entra-graph-users.json"))
            .arg(fixture("directory/entra-graph-groups.json")),
    );
    assert_eq!(report["preflight"]["against_store"]["id"], 1);
    let conflict = report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "AWSSecurityAuditors")
        .unwrap();
    assert_eq!(conflict["category"], "DUPLICATE_CONFLICT");
    assert_eq!(report["totals"]["problem_entities"], 5);
    scimlens(&ws)
        .args(["preflight", "--format", "md"])
        .arg(fixture("directory/entra-graph-users.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Predicted by preflight"));
}

#[test]
fn mapping_edits_are_saved_and_change_what_preflight_sees() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .args([
            "mapping",
            "entra",
            "--unset",
            "phoneNumbers[type eq \"mobile\"].value",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("(edited)"));
    let view = json(scimlens(&ws).args(["mapping", "entra", "--format", "json"]));
    assert!(
        !view["mapping"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "mobile")
    );
    let report = json(
        scimlens(&ws)
            .args(["preflight", "--format", "json"])
            .arg(fixture("directory/entra-download-users.csv")),
    );
    let failing: Vec<&str> = report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        failing,
        vec!["alice@contoso.com"],
        "yusuf's mobile is no longer sent"
    );
    scimlens(&ws)
        .args(["mapping", "entra", "--set", "jobTitle=title"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an AWS user attribute"));
    scimlens(&ws)
        .args(["mapping", "entra", "--reset"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(default)"));
}

/// A one-connection-at-a-time AWS JSON 1.1 server: one page of each list.
fn tiny_aws() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    endpoint
}

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let (mut target, mut length, mut line) = (String::new(), 0usize, String::new());
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "x-amz-target" => target = v.trim().to_string(),
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let op = target.rsplit('.').next().unwrap_or_default();
        // One SCIM call, whatever the window; the Identity Store API source has none.
        let scim_events = (op == "LookupEvents"
            && String::from_utf8_lossy(&body).contains("identitystore-scim"))
        .then(one_scim_event);
        let reply = match op {
            "LookupEvents" => scim_events.as_deref().unwrap_or(r#"{"Events":[]}"#),
            "ListUsers" => {
                r#"{"Users":[{"UserId":"u-1","UserName":"ann@example.com","IdentityStoreId":"d-1111111111"},{"UserId":"u-2","UserName":"bob@example.com","IdentityStoreId":"d-1111111111"}]}"#
            }
            "ListGroups" => {
                r#"{"Groups":[{"GroupId":"g-1","DisplayName":"Readers","IdentityStoreId":"d-1111111111"}]}"#
            }
            "ListGroupMemberships" => {
                r#"{"GroupMemberships":[{"MembershipId":"m-1","GroupId":"g-1","MemberId":{"UserId":"u-1"},"IdentityStoreId":"d-1111111111"}]}"#
            }
            _ => {
                r#"{"Instances":[{"InstanceArn":"arn:aws:sso:::instance/ssoins-1","IdentityStoreId":"d-1111111111"}]}"#
            }
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(reply.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

/// LookupEvents' answer holding the CloudTrail fixture's one event.
fn one_scim_event() -> String {
    let event = std::fs::read_to_string(fixture("cloudtrail/single-event.json")).unwrap();
    let event: serde_json::Value = serde_json::from_str(&event).unwrap();
    serde_json::json!({"Events": [{
        "EventId": event["eventID"],
        "EventName": event["eventName"],
        "EventSource": event["eventSource"],
        "CloudTrailEvent": event.to_string(),
    }]})
    .to_string()
}

fn with_test_credentials(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
}

#[test]
fn fetch_json_is_one_object_with_the_summary_keys() {
    let endpoint = tiny_aws();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let summary = json(with_test_credentials(&mut scimlens(&ws)).args([
        "fetch",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
        "--format",
        "json",
        "--no-access",
    ]));
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec!["calls", "groups", "memberships", "seconds", "users"]
    );
    assert_eq!(
        (
            summary["users"].as_u64(),
            summary["groups"].as_u64(),
            summary["memberships"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(summary["calls"], 4, "ListInstances + one page of each list");
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
    with_test_credentials(&mut scimlens(&ws))
        .args([
            "fetch",
            "--region",
            "us-east-1",
            "--identity-store-id",
            "d-1111111111",
            "--endpoint-url",
            &endpoint,
            "--no-access",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 users, 1 groups, 1 memberships"))
        .stdout(predicate::str::contains("3 API calls"))
        .stdout(predicate::str::contains("snapshot #2"));
    let listed = json(scimlens(&ws).args(["snapshots", "--format", "json"]));
    assert_eq!(listed["snapshots"].as_array().unwrap().len(), 2);
}

#[test]
fn fetch_from_an_unreachable_endpoint_fails_clearly_and_stores_nothing() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let endpoint = format!("http://127.0.0.1:{port}");
    with_test_credentials(&mut scimlens(&ws))
        .args([
            "fetch",
            "--region",
            "us-east-1",
            "--identity-store-id",
            "d-1111111111",
            "--endpoint-url",
            &endpoint,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("cannot reach {endpoint}")))
        .stderr(predicate::str::contains("test-secret").not());
    let listed = json(scimlens(&ws).args(["snapshots", "--format", "json"]));
    assert!(listed["snapshots"].as_array().unwrap().is_empty());
}

/// The AWS CLI's output for a store with access, as an admin would save it: users, groups,
/// memberships, and sso-admin's permission sets and assignments.
fn write_store_with_access(dir: &Path) -> Vec<PathBuf> {
    let files = [
        (
            "users.json",
            r#"{"Users": [
  {"UserId": "u-ann", "UserName": "ann@example.com", "DisplayName": "Ann Lee", "IdentityStoreId": "d-1111111111"},
  {"UserId": "u-bob", "UserName": "bob@example.com", "DisplayName": "Bob", "IdentityStoreId": "d-1111111111"}]}"#,
        ),
        (
            "groups.json",
            r#"{"Groups": [{"GroupId": "g-ops", "DisplayName": "Ops", "IdentityStoreId": "d-1111111111"}]}"#,
        ),
        (
            "memberships.json",
            r#"{"GroupMemberships": [{"MembershipId": "m-1", "GroupId": "g-ops", "MemberId": {"UserId": "u-ann"}}]}"#,
        ),
        (
            "permission-sets.json",
            r#"{"PermissionSets": ["arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "arn:aws:sso:::permissionSet/ssoins-1/ps-read"]}
{"PermissionSet": {"Name": "AdministratorAccess", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-admin"}}
{"PermissionSet": {"Name": "ReadOnly", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-read"}}"#,
        ),
        (
            "assignments.json",
            r#"{"AccountAssignments": [
  {"AccountId": "111122223333", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "PrincipalType": "GROUP", "PrincipalId": "g-ops"},
  {"AccountId": "111122223333", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-read", "PrincipalType": "USER", "PrincipalId": "u-ann"},
  {"AccountId": "444455556666", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-read", "PrincipalType": "GROUP", "PrincipalId": "g-ops"}]}"#,
        ),
    ];
    files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn access_shows_a_users_accounts_and_permission_sets_direct_and_through_groups() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let files = write_store_with_access(dir.path());
    scimlens(&ws)
        .arg("store-import")
        .args(&files)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2 permission sets, 3 account assignments",
        ));
    scimlens(&ws)
        .args(["access", "ann@example.com"])
        .assert()
        .success()
        .stdout(predicate::str::contains("groups: Ops"))
        .stdout(predicate::str::contains(
            "111122223333  AdministratorAccess  via group Ops",
        ))
        .stdout(predicate::str::contains(
            "111122223333  ReadOnly  via direct",
        ))
        .stdout(predicate::str::contains(
            "444455556666  ReadOnly  via group Ops",
        ))
        .stdout(predicate::str::contains(
            "3 permission set assignments in 2 accounts",
        ));
    let res = json(scimlens(&ws).args(["access", "u-ann", "--format", "json"]));
    let access = res["users"][0]["access"].as_array().unwrap();
    assert_eq!(access.len(), 3);
    assert_eq!(access[1]["permission_set_name"], "ReadOnly");
    assert_eq!(access[1]["via"][0]["kind"], "direct");
    assert_eq!(access[0]["via"][0]["group_name"], "Ops");
    scimlens(&ws)
        .args(["access", "bob@example.com"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no access"));
    scimlens(&ws)
        .args(["access", "nobody@example.com"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no user"));
}

/// A workspace of two snapshots: cid, then cid deleted and created again under a new id (and a
/// new userName), while an assignment still names the old id.
fn workspace_with_an_orphaned_assignment(dir: &Path) -> PathBuf {
    let ws = dir.join("ws.sqlite");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let before = write(
        "before.json",
        r#"{"Users": [{"UserId": "u-old", "UserName": "cid@example.com", "ExternalIds": [{"Issuer": "idp", "Id": "ext-cid"}]}]}"#,
    );
    let after = write(
        "after.json",
        r#"{"Users": [{"UserId": "u-new", "UserName": "cid.new@example.com", "ExternalIds": [{"Issuer": "idp", "Id": "ext-cid"}]}]}
{"AccountAssignments": [{"AccountId": "111122223333", "PermissionSetArn": "arn:ps-admin", "PrincipalType": "USER", "PrincipalId": "u-old"}]}"#,
    );
    for file in [&before, &after] {
        scimlens(&ws)
            .arg("store-import")
            .arg(file)
            .assert()
            .success();
    }
    ws
}

#[test]
fn access_orphaned_names_the_deleted_principal_its_successor_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace_with_an_orphaned_assignment(dir.path());
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    scimlens(&ws)
        .args(["access", "--orphaned"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 orphaned assignments in snapshot #2",
        ))
        .stdout(predicate::str::contains(
            "111122223333  arn:ps-admin  USER u-old (was cid@example.com)",
        ))
        .stdout(predicate::str::contains(
            "likely successor: cid.new@example.com (u-new), same externalId",
        ))
        .stdout(predicate::str::contains("fix: assign arn:ps-admin"));
    let res = json(scimlens(&ws).args(["access", "--orphaned", "--format", "json"]));
    assert_eq!(res["orphaned"][0]["successor"]["matched_on"], "external_id");

    // Assignments imported without users or groups prove nothing about orphans.
    let alone = write(
        "alone.json",
        r#"{"AccountAssignments": [{"AccountId": "1", "PermissionSetArn": "arn:p", "PrincipalType": "USER", "PrincipalId": "u-x"}]}"#,
    );
    let other = dir.path().join("other.sqlite");
    scimlens(&other)
        .arg("store-import")
        .arg(&alone)
        .assert()
        .success();
    scimlens(&other)
        .args(["access", "--orphaned"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no users or groups"));
}

#[test]
fn the_report_says_who_lost_access_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace_with_an_orphaned_assignment(dir.path());
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success();
    let line = "arn:ps-admin in 111122223333 was assigned to cid@example.com, deleted user u-old; \
                likely successor cid.new@example.com (u-new)";
    scimlens(&ws)
        .arg("report")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "WHO LOST ACCESS (1 orphaned account assignment in store snapshot #2)",
        ))
        .stdout(predicate::str::contains(line))
        .stdout(predicate::str::contains("fix: assign arn:ps-admin"));
    // An orphaned assignment fails a gate on access, and on anything.
    for gate in ["access", "any"] {
        scimlens(&ws)
            .args(["report", "--fail-on", gate])
            .assert()
            .code(1);
    }
    let res = json(scimlens(&ws).args(["report", "--format", "json"]));
    assert_eq!(res["access"]["snapshot_id"], 2);
    assert_eq!(res["access"]["orphaned"][0]["principal_id"], "u-old");
    assert_eq!(res["access"]["orphaned"][0]["successor"]["id"], "u-new");
    for format in ["md", "html"] {
        scimlens(&ws)
            .args(["report", "--format", format])
            .assert()
            .success()
            .stdout(predicate::str::contains("Who lost access"))
            .stdout(predicate::str::contains(
                "cid@example.com, deleted user u-old",
            ));
    }
}

#[test]
fn cloudtrail_pulls_the_events_once_and_a_second_pull_stores_nothing() {
    let endpoint = tiny_aws();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let pull = |ws: &Path| {
        let mut cmd = scimlens(ws);
        with_test_credentials(&mut cmd).args([
            "cloudtrail",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
        ]);
        cmd
    };
    pull(&ws)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 new events imported as CloudTrail LookupEvents",
        ))
        .stderr(predicate::str::contains("2 pages, 2 calls (floor 2)"));
    pull(&ws)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "No new CloudTrail events; nothing stored.",
        ))
        .stderr(predicate::str::contains("after the newest event held"));
    let sources = json(scimlens(&ws).args(["sources", "--format", "json"]));
    assert_eq!(sources.as_array().unwrap().len(), 1, "{sources}");
    assert_eq!(sources[0]["format"], "cloudtrail");
}

#[test]
fn cloudtrail_refuses_a_since_it_cannot_read_before_calling_aws() {
    let dir = tempfile::tempdir().unwrap();
    with_test_credentials(&mut scimlens(&dir.path().join("ws.sqlite")))
        .args([
            "cloudtrail",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .args(["--since", "last tuesday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither a date"));
}

#[test]
fn ctrl_c_stops_a_cloudtrail_pull_waiting_for_aws_and_stores_nothing() {
    // A CloudTrail that takes the request and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().flatten().collect();
        drop(held);
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scimlens"));
    cmd.env_remove("SCIMLENS_WORKSPACE")
        .env_remove("AWS_PROFILE")
        .arg("--workspace")
        .arg(&ws)
        .args([
            "cloudtrail",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let started = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?} to stop",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.to_lowercase().contains("cancel"), "{stderr}");
    let sources = json(scimlens(&ws).args(["sources", "--format", "json"]));
    assert_eq!(sources, serde_json::json!([]));
}

#[test]
fn google_workspace_downloads_import_show_their_mapping_and_preflight_as_an_admin_runs_them() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let files = [
        fixture("directory/google-users.csv"),
        fixture("directory/google-groups.csv"),
        fixture("directory/google-members.csv"),
    ];
    scimlens(&ws)
        .arg("directory-import")
        .args(&files)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "(google: google-users-csv, google-groups-csv, google-members-csv): 6 users, 3 groups, 7 memberships",
        ))
        .stderr(predicate::str::contains("1 suspended user(s)"));
    let mapping = json(scimlens(&ws).args(["mapping", "google", "--format", "json"]));
    let rows = mapping["mapping"]["users"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["target"] == "userName" && r["source"] == "primaryEmail"),
        "{rows:?}"
    );
    let report = json(
        scimlens(&ws)
            .arg("preflight")
            .args(&files)
            .args(["--format", "json"]),
    );
    let names: Vec<&str> = report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"carla@example.com") && names.contains(&"Administrator"));
}

#[test]
fn the_google_pull_refuses_a_key_file_that_is_not_one_naming_it_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let key = dir.path().join("not-a-key.json");
    std::fs::write(
        &key,
        "{\"web\": {\"client_secret\": \"GOCSPX-do-not-show\"}}",
    )
    .unwrap();
    scimlens(&ws)
        .args(["google", "--admin", "admin@example.com", "--key-file"])
        .arg(&key)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not-a-key.json"))
        .stderr(predicate::str::contains("no client_email"))
        .stderr(predicate::str::contains("GOCSPX").not());
}

#[test]
fn the_google_pull_without_a_key_file_or_a_token_says_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .arg("google")
        .env_remove("SCIMLENS_GOOGLE_TOKEN")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--key-file, --admin"))
        .stderr(predicate::str::contains(
            "SCIMLENS_GOOGLE_TOKEN or --token-file",
        ));
    let empty = dir.path().join("token.txt");
    std::fs::write(&empty, "\n").unwrap();
    scimlens(&ws)
        .args(["google", "--token-file"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the token file is empty"));
    scimlens(&ws)
        .args(["google", "--key-file", "k.json", "--token-file"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}
