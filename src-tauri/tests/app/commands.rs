//! Every command answers over IPC with the shapes the UI's bindings describe.

use serde_json::json;

use scimlens_app::Access;

use crate::support::{TestApp, fixture};

#[test]
fn first_use_opens_the_labelled_demo_workspace_and_every_read_command_answers() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["workspace"]["demo"], true);
    assert_eq!(info["e2e"], false);
    assert!(
        dir.path().join("demo/demo.sqlite").exists(),
        "the demo lives in the app's data directory"
    );

    let overview = app.ok("overview", json!({}));
    assert!(overview["totals"]["problem_entities"].as_u64().unwrap() > 0);
    assert!(
        overview["totals"]["records"].is_number(),
        "64-bit counts travel as JSON numbers"
    );
    assert!(
        app.ok("sources", json!({})).as_array().unwrap().len() >= 3,
        "the demo set"
    );
    let causes = app.ok("root_causes", json!({}));
    assert!(!causes.as_array().unwrap().is_empty());
    assert_eq!(
        app.ok("categories", json!({})).as_array().unwrap().len(),
        14
    );

    let page = app.ok("problems_page", json!({ "query": { "limit": 5 } }));
    assert!(page["total"].as_u64().unwrap() >= page["rows"].as_array().unwrap().len() as u64);
    let key = page["rows"][0]["key"].as_str().unwrap().to_string();
    let entity = app.ok("entity", json!({ "key": key }));
    assert!(!entity["timeline"].as_array().unwrap().is_empty());
    assert!(app.ok("pseudonym_key", json!({})).as_str().unwrap().len() >= 16);
    assert!(app.ok("app_ready", json!({})).is_number());
    assert!(app.ok("cancel_import", json!({})).is_null());
}

#[test]
fn import_adds_sources_and_a_broken_file_fails_with_its_position_leaving_the_workspace_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let case = dir.path().join("case.sqlite");
    app.grant(Access::Workspace, [&case]);
    let opened = app.ok("open_workspace", json!({ "path": case }));
    assert_eq!(opened["name"], "case");
    assert_eq!(opened["demo"], false);

    app.grant(
        Access::Read,
        [
            fixture("okta/systemlog.json"),
            fixture("cloudtrail/records.json"),
            fixture("bad/truncated.json"),
        ],
    );
    let res = app.ok(
        "import_files",
        json!({ "paths": [fixture("okta/systemlog.json"), fixture("cloudtrail/records.json")], "onProgress": "__CHANNEL__:7" }),
    );
    let outcomes = res["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o["result"] == "imported"));
    let before = app.ok("sources", json!({}));
    let problems_before = app.ok("problems_page", json!({ "query": {} }))["total"].clone();

    let err = app
        .call(
            "import_files",
            json!({ "paths": [fixture("bad/truncated.json")], "onProgress": "__CHANNEL__:8" }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "PARSE", "{err}");
    assert!(err["path"].as_str().unwrap().ends_with("truncated.json"));
    assert!(err["position"].is_object());
    assert!(err["expected"].is_string());
    assert_eq!(
        app.ok("sources", json!({})),
        before,
        "nothing of the broken file was kept"
    );
    assert_eq!(
        app.ok("problems_page", json!({ "query": {} }))["total"],
        problems_before
    );

    let info = app.ok("app_info", json!({}));
    assert_eq!(info["recent"][0]["path"], case.display().to_string());
}

#[test]
fn an_unknown_entity_is_not_found_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let err = app
        .call("entity", json!({ "key": "user|nobody@nowhere" }))
        .unwrap_err();
    assert_eq!(err["code"], "NOT_FOUND");
}

#[test]
fn export_writes_the_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let out = dir.path().join("report.html");
    app.grant(Access::Write, [&out]);
    let res = app.ok(
        "export_report",
        json!({ "req": { "format": "html", "path": out, "pseudonymize": true, "key": null } }),
    );
    assert_eq!(res["path"], out.display().to_string());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.starts_with("<!doctype html>") || html.to_lowercase().starts_with("<!doctype html>")
    );
    assert!(!html.contains("alice@contoso.com"), "pseudonymized");
}

#[test]
fn the_capability_grants_no_more_than_the_apps_commands() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    // No dialog plugin command: the Rust side opens the dialogs, so the page can neither pick a
    // path itself nor show message boxes. The file system and the shell are not there at all.
    for denied in [
        "plugin:dialog|open",
        "plugin:dialog|save",
        "plugin:dialog|message",
        "plugin:dialog|ask",
        "plugin:dialog|confirm",
    ] {
        let err = app.call(denied, json!({})).unwrap_err();
        assert!(
            err.to_string().contains("not allowed"),
            "{denied} must be denied by the ACL: {err}"
        );
    }
    for absent in ["plugin:fs|read_file", "plugin:shell|open"] {
        assert!(
            app.call(absent, json!({})).is_err(),
            "{absent} does not exist in the app"
        );
    }
}

#[test]
fn a_missing_workspace_path_is_an_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let err = app
        .call("open_workspace", json!({ "path": "" }))
        .unwrap_err();
    assert_eq!(err["code"], "INVALID_ARGUMENT");
}

/// A workspace holding the Entra logs, the identity store snapshot (AWS CLI JSON) and the
/// Entra directory export: the story of `tests/fixtures/directory/MANIFEST.md`.
fn store_story(app: &TestApp, dir: &std::path::Path) {
    app.grant(Access::Workspace, [dir.join("store.sqlite")]);
    app.grant(
        Access::Read,
        [
            "entra-graph/page1.json",
            "entra-portal-json/download.json",
            "entra-log-analytics/AADProvisioningLogs.csv",
            "identitystore/list-users.json",
            "identitystore/list-groups.json",
            "identitystore/list-group-memberships.json",
            "directory/entra-graph-users.json",
            "directory/entra-graph-groups.json",
            "directory/entra-graph-assignments.json",
        ]
        .map(fixture),
    );
    app.ok(
        "open_workspace",
        json!({ "path": dir.join("store.sqlite") }),
    );
    app.ok(
        "import_files",
        json!({ "paths": [
            fixture("entra-graph/page1.json"),
            fixture("entra-portal-json/download.json"),
            fixture("entra-log-analytics/AADProvisioningLogs.csv"),
        ], "onProgress": "__CHANNEL__:3" }),
    );
    let snap = app.ok(
        "import_store_files",
        json!({ "paths": [
            fixture("identitystore/list-users.json"),
            fixture("identitystore/list-groups.json"),
            fixture("identitystore/list-group-memberships.json"),
        ] }),
    );
    assert_eq!(
        (&snap["users"], &snap["groups"], &snap["memberships"]),
        (&json!(6), &json!(2), &json!(4))
    );
    assert_eq!(snap["origin"], "file");
    let directory = app.ok(
        "import_directory",
        json!({ "paths": [
            fixture("directory/entra-graph-users.json"),
            fixture("directory/entra-graph-groups.json"),
            fixture("directory/entra-graph-assignments.json"),
        ] }),
    );
    assert_eq!(directory["idp"], "entra");
    assert_eq!(
        (&directory["users"], &directory["groups"]),
        (&json!(10), &json!(4))
    );
}

fn compared<'a>(c: &'a serde_json::Value, kind: &str, name: &str) -> &'a serde_json::Value {
    c["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} is not in the comparison"))
}

#[test]
fn imported_snapshot_and_directory_compare_with_the_expected_states_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    store_story(&app, dir.path());
    assert_eq!(app.ok("snapshots", json!({})).as_array().unwrap().len(), 1);
    assert_eq!(
        app.ok("directories", json!({})).as_array().unwrap().len(),
        1
    );

    let c = app.ok("compare_store", json!({ "req": {} }));
    let counts = |k: &str| {
        let s = &c[k];
        [
            &s["in_sync"],
            &s["drift"],
            &s["not_provisioned"],
            &s["unmanaged_in_store"],
        ]
        .map(|v| v.as_u64().unwrap())
    };
    assert_eq!(counts("users"), [3, 1, 6, 2]);
    assert_eq!(counts("groups"), [1, 0, 2, 1]);
    assert_eq!(counts("memberships"), [3, 0, 2, 1]);
    assert!(
        c["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] != "IN_SYNC"),
        "in-sync entities only when asked for"
    );
    let karen = compared(&c, "user", "karen.lee@contoso.com");
    assert_eq!(karen["state"], "DRIFT");
    assert_eq!(
        karen["differences"][0],
        json!({ "attribute": "title", "idp": "Director", "store": "Manager", "note": null })
    );
    let alice = compared(&c, "user", "alice@contoso.com");
    assert_eq!(
        (&alice["state"], &alice["reason"]),
        (&json!("NOT_PROVISIONED"), &json!("failed"))
    );
    let key = alice["evidence"]["entity_key"].as_str().unwrap();
    assert_eq!(
        app.ok("entity", json!({ "key": key }))["category"],
        "MISSING_REQUIRED_ATTRIBUTE",
        "the evidence opens in the entity view"
    );
    assert_eq!(
        compared(&c, "group", "AWSSecurityAuditors")["state"],
        "UNMANAGED_IN_STORE"
    );

    let all = app.ok(
        "compare_store",
        json!({ "req": { "include_in_sync": true } }),
    );
    assert_eq!(
        compared(&all, "user", "grace.hopper@contoso.com")["state"],
        "IN_SYNC"
    );

    // A problem entity's state in the store.
    let found = app.ok(
        "store_objects",
        json!({ "query": "karen.lee@contoso.com", "snapshot": null }),
    );
    assert_eq!(found["users"][0]["Title"], "Manager");
    assert_eq!(found["snapshot"]["users"], 6);
    let none = app.ok("store_objects", json!({ "query": "alice@contoso.com" }));
    assert!(none["users"].as_array().unwrap().is_empty());
}

#[test]
fn preflight_predicts_the_failures_of_an_export_against_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    store_story(&app, dir.path());
    let report = app.ok(
        "preflight_export",
        json!({ "req": {
            "paths": [
                fixture("directory/entra-graph-users.json"),
                fixture("directory/entra-graph-groups.json"),
            ],
            "against_store": true,
        } }),
    );
    let p = &report["preflight"];
    assert_eq!(p["predicted"], true);
    assert_eq!(p["idp"], "entra");
    assert_eq!(p["users_checked"], 10);
    assert_eq!(p["against_store"]["users"], 6);
    let findings: Vec<(String, String)> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, category) in [
        ("alice@contoso.com", "MISSING_REQUIRED_ATTRIBUTE"),
        ("yusuf.ali@contoso.com", "MULTIVALUE_NOT_SUPPORTED"),
        ("Administrator", "RESERVED_NAME"),
        ("AWSSecurityAuditors", "DUPLICATE_CONFLICT"),
    ] {
        assert!(
            findings.iter().any(|(n, c)| n == name && c == category),
            "{name} {category} not predicted: {findings:?}"
        );
    }
    assert!(
        findings
            .iter()
            .any(|(n, c)| n.contains("#EXT#") && c == "INVALID_VALUE"),
        "the guest's #EXT# userName: {findings:?}"
    );
    assert!(
        !report["root_causes"].as_array().unwrap().is_empty(),
        "predicted root causes, as in the log diagnosis"
    );
}

#[test]
fn compare_without_a_store_snapshot_is_not_found_and_fetch_choices_offer_regions() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("empty.sqlite")]);
    app.grant(Access::Read, [fixture("bad/truncated.json")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("empty.sqlite") }),
    );
    let err = app.call("compare_store", json!({ "req": {} })).unwrap_err();
    assert_eq!(err["code"], "NOT_FOUND", "{err}");
    let err = app
        .call(
            "import_store_files",
            json!({ "paths": [fixture("bad/truncated.json")] }),
        )
        .unwrap_err();
    assert!(err["code"].is_string(), "{err}");
    assert!(
        app.ok("snapshots", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
    );
    let choices = app.ok("fetch_choices", json!({}));
    assert!(
        choices["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "us-east-1")
    );
    assert!(app.ok("cancel_fetch", json!({})).is_null());
}

/// The fetch reads credentials from the environment, which a test may not change in its own
/// process (other tests run beside it): the test runs itself again in a child process with
/// test credentials and no AWS config, so the only thing that can fail is the connection.
#[test]
fn fetch_from_an_unreachable_endpoint_fails_clearly_and_stores_nothing() {
    const CHILD: &str = "SCIMLENS_APP_TEST_FETCH_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "commands::fetch_from_an_unreachable_endpoint_fails_clearly_and_stores_nothing",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child run failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("fetch.sqlite")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("fetch.sqlite") }),
    );
    let err = app
        .call(
            "fetch_store",
            json!({
                "req": {
                    "region": "us-east-1",
                    "identity_store_id": "d-1111111111",
                    "endpoint_url": endpoint,
                },
                "onProgress": "__CHANNEL__:9",
            }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "AWS", "{err}");
    assert_eq!(err["aws"], "UNREACHABLE", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("cannot reach {endpoint}")),
        "{message}"
    );
    assert!(!message.contains("test-secret"));
    assert!(
        app.ok("snapshots", json!({}))
            .as_array()
            .unwrap()
            .is_empty(),
        "a failed fetch stores nothing"
    );
}

/// Like the fetch above, the CloudTrail pull reads credentials from the environment: the test
/// runs itself again in a child process with test credentials and no AWS config.
#[test]
fn a_cloudtrail_pull_from_an_unreachable_endpoint_fails_by_kind_and_stores_nothing() {
    const CHILD: &str = "SCIMLENS_APP_TEST_CLOUDTRAIL_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "commands::a_cloudtrail_pull_from_an_unreachable_endpoint_fails_by_kind_and_stores_nothing",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child run failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("trail.sqlite")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("trail.sqlite") }),
    );
    let err = app
        .call(
            "pull_cloudtrail",
            json!({
                "req": {
                    "profile": null,
                    "region": "us-east-1",
                    "endpoint_url": endpoint,
                    "since": "2d",
                    "until": null,
                },
                "onProgress": "__CHANNEL__:9",
            }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "AWS", "{err}");
    assert_eq!(err["aws"], "UNREACHABLE", "{err}");
    assert!(!err.to_string().contains("test-secret"), "{err}");
    assert!(
        app.ok("sources", json!({})).as_array().unwrap().is_empty(),
        "a failed pull stores nothing"
    );
}

#[test]
fn a_google_pull_reads_only_a_key_file_the_user_picked_and_names_a_bad_one_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("google.sqlite")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("google.sqlite") }),
    );
    let key = dir.path().join("sa-key.json");
    let secret = "-----BEGIN PRIVATE KEY-----not-a-key";
    std::fs::write(
        &key,
        format!(
            r#"{{"type": "authorized_user", "client_email": "x@y", "private_key": "{secret}"}}"#
        ),
    )
    .unwrap();
    let req = json!({
        "req": { "key_file": key, "admin": "admin@example.com", "customer": null, "domain": null, "endpoint_url": null },
        "onProgress": "__CHANNEL__:9",
    });
    let err = app.call("pull_google_directory", req.clone()).unwrap_err();
    assert_eq!(err["code"], "INVALID_ARGUMENT", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("sa-key.json was not chosen by the user"),
        "{err}"
    );

    app.grant(Access::Read, [key.clone()]);
    let err = app.call("pull_google_directory", req).unwrap_err();
    assert_eq!(err["code"], "INVALID_ARGUMENT", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("sa-key.json"), "{message}");
    assert!(message.contains("not \"service_account\""), "{message}");
    assert!(!err.to_string().contains(secret), "{err}");
    assert!(
        app.ok("directories", json!({}))
            .as_array()
            .unwrap()
            .is_empty(),
        "a failed pull stores nothing"
    );
}

#[test]
fn diff_snapshots_names_a_user_deleted_and_created_again_with_both_ids() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("time.sqlite")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("time.sqlite") }),
    );
    let err = app.call("diff_snapshots", json!({})).unwrap_err();
    assert_eq!(err["code"], "INVALID_ARGUMENT", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("needs two store snapshots; the workspace has 0"),
        "{err}"
    );

    let users = fixture("identitystore/list-users.json");
    let mut later: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&users).unwrap()).unwrap();
    let grace = later["Users"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|u| u["UserName"] == "grace.hopper@contoso.com")
        .unwrap();
    let old_id = grace["UserId"].as_str().unwrap().to_string();
    grace["UserId"] = "9067a6b1c2-recreated-grace".into();
    let later_path = dir.path().join("later-users.json");
    std::fs::write(&later_path, later.to_string()).unwrap();
    app.grant(Access::Read, [users.clone().into(), later_path.clone()]);
    app.ok("import_store_files", json!({ "paths": [users] }));
    app.ok("import_store_files", json!({ "paths": [later_path] }));

    let diff = app.ok("diff_snapshots", json!({}));
    assert_eq!(diff["from"]["id"], 1, "{diff}");
    assert_eq!(diff["to"]["id"], 2, "{diff}");
    let changes = diff["identity_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{diff}");
    let change = &changes[0];
    assert_eq!(change["change"], "recreated");
    assert_eq!(change["kind"], "user");
    assert_eq!(change["name"], "grace.hopper@contoso.com");
    assert_eq!(change["old_id"], old_id.as_str());
    assert_eq!(change["new_id"], "9067a6b1c2-recreated-grace");
    assert_eq!(change["matched_on"], "externalId");
    let reversed = app.ok("diff_snapshots", json!({ "from": 2, "to": 1 }));
    assert_eq!(
        reversed["identity_changes"][0]["new_id"],
        old_id.as_str(),
        "from and to are the ones asked for"
    );
}

#[test]
fn an_idp_pull_that_cannot_reach_its_server_says_so_by_kind_and_never_echoes_the_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let org = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(Access::Workspace, [dir.path().join("pull.sqlite")]);
    app.ok(
        "open_workspace",
        json!({ "path": dir.path().join("pull.sqlite") }),
    );
    let token = "00AppSecretTokenAppSecretToken00";
    let err = app
        .call(
            "pull_okta",
            json!({
                "req": { "org": org, "since": null, "until": null, "token": token, "token_kind": null },
                "onProgress": "__CHANNEL__:9",
            }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "IDP", "{err}");
    assert_eq!(err["idp"], "UNREACHABLE", "{err}");
    assert!(!err.to_string().contains(token), "{err}");
    let err = app
        .call(
            "pull_entra",
            json!({
                "req": { "tenant": null, "since": null, "until": null, "app": null, "failures_only": false, "client_id": null },
                "onProgress": "__CHANNEL__:10",
            }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "INVALID_ARGUMENT", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("--client-id"),
        "{err}"
    );
    assert!(
        app.ok("sources", json!({})).as_array().unwrap().is_empty(),
        "a failed pull stores nothing"
    );
}

#[test]
fn the_demo_workspace_answers_compare_and_preflight_with_rows() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    assert_eq!(app.ok("app_info", json!({}))["workspace"]["demo"], true);
    let snapshots = app.ok("snapshots", json!({}));
    let directories = app.ok("directories", json!({}));
    assert_eq!(snapshots.as_array().unwrap().len(), 1, "{snapshots}");
    assert_eq!(directories.as_array().unwrap().len(), 1, "{directories}");
    assert!(
        directories[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("directory/entra-graph-users.json"),
        "shown by its name in the demo set: {directories}"
    );

    let compare = app.ok("compare_store", json!({ "req": {} }));
    assert!(!compare["entities"].as_array().unwrap().is_empty());
    assert_eq!(compare["users"]["drift"], 1);
    let preflight = app.ok(
        "preflight_export",
        json!({ "req": { "paths": [], "against_store": true } }),
    );
    assert!(
        !preflight["preflight"]["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let sources = app.ok("sources", json!({}));
    let data = dir.path().display().to_string();
    assert!(
        sources
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["path"].as_str().unwrap().contains(&data)),
        "the demo's sources are named by the set, not the data directory: {sources}"
    );
}

#[test]
fn a_last_workspace_that_no_longer_opens_shows_the_demo_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("notes.sqlite");
    std::fs::write(
        &foreign,
        b"not a database at all, just text someone saved here",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("recent.json"),
        serde_json::to_vec(&[&foreign]).unwrap(),
    )
    .unwrap();
    let app = TestApp::new(dir.path());
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["workspace"]["demo"], true);
    let notice = info["workspace"]["notice"]
        .as_str()
        .expect("a notice says why");
    assert!(notice.contains("notes.sqlite"), "{notice}");
    assert!(notice.contains("not a scimlens workspace"), "{notice}");
    assert!(notice.contains("open another workspace"), "{notice}");
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        b"not a database at all, just text someone saved here",
        "the file is left as it was"
    );
    // Opening the demo on purpose carries no notice.
    let demo = app.ok("open_demo", json!({}));
    assert!(demo.get("notice").is_none(), "{demo}");
}

/// A compromised page names files itself: every command that reads, writes or opens a file
/// refuses a path the user did not choose, says why, and touches nothing.
#[test]
fn paths_the_user_did_not_choose_are_refused_and_nothing_is_read_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    let victim = dir.path().join("bashrc");
    std::fs::write(&victim, "export PATH=/usr/bin\n").unwrap();
    let before_sources = app.ok("sources", json!({}));

    let refused = |cmd: &str, args: serde_json::Value| {
        let err = app.call(cmd, args).unwrap_err();
        assert_eq!(err["code"], "INVALID_ARGUMENT", "{cmd}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("was not chosen by the user"),
            "{cmd}: {err}"
        );
    };
    for format in ["text", "html", "csv", "json", "md"] {
        refused(
            "export_report",
            json!({ "req": { "format": format, "path": victim, "pseudonymize": false, "key": null } }),
        );
    }
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "export PATH=/usr/bin\n",
        "the file the page named is untouched"
    );
    let log = fixture("okta/systemlog.json");
    refused(
        "import_files",
        json!({ "paths": [log], "onProgress": "__CHANNEL__:9" }),
    );
    refused("import_store_files", json!({ "paths": [log] }));
    refused("import_directory", json!({ "paths": [log] }));
    refused(
        "preflight_export",
        json!({ "req": { "paths": [log], "against_store": false } }),
    );
    assert_eq!(
        app.ok("sources", json!({})),
        before_sources,
        "nothing imported"
    );
    let elsewhere = dir.path().join("elsewhere.sqlite");
    refused("open_workspace", json!({ "path": elsewhere }));
    assert!(!elsewhere.exists(), "no workspace was created");

    // A file chosen for one use is not granted for another.
    app.grant(Access::Read, [&log]);
    refused(
        "export_report",
        json!({ "req": { "format": "text", "path": log, "pseudonymize": false, "key": null } }),
    );
    // Chosen: accepted.
    app.ok(
        "import_files",
        json!({ "paths": [log], "onProgress": "__CHANNEL__:10" }),
    );
}

/// A workspace opened once is in the recent list and opens again from it without a dialog.
#[test]
fn a_recent_workspace_opens_again_without_a_new_grant() {
    let data = tempfile::tempdir().unwrap();
    let case = data.path().join("case.sqlite");
    {
        let app = TestApp::new(data.path());
        app.grant(Access::Workspace, [&case]);
        app.ok("open_workspace", json!({ "path": case }));
    }
    let app = TestApp::new(data.path());
    let opened = app.ok("open_workspace", json!({ "path": case }));
    assert_eq!(opened["name"], "case");
}
