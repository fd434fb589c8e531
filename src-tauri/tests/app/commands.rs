//! Every command answers over IPC with the shapes the UI's bindings describe.

use serde_json::json;

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
    let opened = app.ok("open_workspace", json!({ "path": case }));
    assert_eq!(opened["name"], "case");
    assert_eq!(opened["demo"], false);

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
fn the_capability_grants_no_more_than_dialogs_and_the_apps_commands() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    // Granted: open and save only. Message boxes, the file system and the shell are not.
    for denied in [
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
