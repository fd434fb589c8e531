//! The `scimlens` binary as a user runs it: exit codes, formats, workspace commands.

use assert_cmd::Command;

use crate::support::{fixture, scimlens};
use predicates::prelude::*;

#[test]
fn analyze_prints_root_causes_with_counts_and_fixes() {
    let dir = tempfile::tempdir().unwrap();
    scimlens(&dir.path().join("unused.sqlite"))
        .arg("analyze")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("ROOT CAUSES"))
        .stdout(predicate::str::contains(
            "MISSING_REQUIRED_ATTRIBUTE (name.givenName)",
        ))
        .stdout(predicate::str::contains("fix:"))
        .stdout(predicate::str::contains("page 1 of more"));
    assert!(
        !dir.path().join("unused.sqlite").exists(),
        "analyze writes nothing"
    );
}

#[test]
fn analyze_json_follows_the_documented_schema() {
    let out = Command::cargo_bin("scimlens")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(fixture("entra-portal-json/download.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["sources"][0]["format"], "entra-portal-json");
    assert_eq!(v["sources"][0]["records"], 10);
    for key in [
        "records",
        "success",
        "failure",
        "skipped",
        "problem_entities",
        "connection_failures",
    ] {
        assert!(v["totals"][key].is_u64(), "totals.{key}");
    }
    let e = &v["entities"][0];
    for key in [
        "kind",
        "name",
        "ids",
        "status",
        "category",
        "attribute",
        "message",
        "fix",
        "events",
        "last_seen",
    ] {
        assert!(e.get(key).is_some(), "entities[].{key}");
    }
    let c = &v["root_causes"][0];
    for key in [
        "category",
        "attribute",
        "summary",
        "count",
        "entities",
        "fix",
    ] {
        assert!(c.get(key).is_some(), "root_causes[].{key}");
    }
    assert!(v["categories"]["RESERVED_NAME"].is_u64());
}

#[test]
fn fail_on_exits_1_only_when_that_category_is_present() {
    let file = fixture("entra-graph/page1.json");
    Command::cargo_bin("scimlens")
        .unwrap()
        .args(["analyze", "--fail-on", "any"])
        .arg(&file)
        .assert()
        .code(1);
    Command::cargo_bin("scimlens")
        .unwrap()
        .args(["analyze", "--fail-on", "RESERVED_NAME"])
        .arg(&file)
        .assert()
        .code(1);
    Command::cargo_bin("scimlens")
        .unwrap()
        .args(["analyze", "--fail-on", "UNMANAGED_IN_STORE"])
        .arg(&file)
        .assert()
        .code(0);
    Command::cargo_bin("scimlens")
        .unwrap()
        .args(["analyze", "--fail-on", "NOPE"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a category"));
}

#[test]
fn bad_input_exits_2_naming_the_file_and_position() {
    Command::cargo_bin("scimlens")
        .unwrap()
        .arg("analyze")
        .arg(fixture("bad/truncated.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("truncated.json"))
        .stderr(predicate::str::contains("line"));
    Command::cargo_bin("scimlens")
        .unwrap()
        .arg("analyze")
        .arg(fixture("bad/wrong-format.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a provisioning log"));
}

#[test]
fn an_error_names_its_cause_once() {
    // Regression: every I/O error printed its cause twice ("cannot read X: No such file or
    // directory (os error 2): No such file or directory (os error 2)").
    let out = Command::cargo_bin("scimlens")
        .unwrap()
        .arg("analyze")
        .arg("/nonexistent/provisioning.json")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("/nonexistent/provisioning.json"), "{text}");
    assert_eq!(text.matches("os error 2").count(), 1, "{text}");
}

#[test]
fn import_twice_says_already_imported_and_sources_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("case.sqlite");
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains("12 records"));
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains("already imported"));
    let out = scimlens(&ws)
        .args(["sources", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["format"], "entra-graph");
    assert_eq!(v[0]["records"], 12);
    assert!(
        v[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("page 1 of more")
    );
}

#[test]
fn a_failed_import_leaves_the_workspace_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("case.sqlite");
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-diagnostic/export.jsonl"))
        .assert()
        .success();
    let before = scimlens(&ws)
        .args(["report", "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    scimlens(&ws)
        .arg("import")
        .arg(fixture("bad/truncated.json"))
        .assert()
        .code(2);
    let after = scimlens(&ws)
        .args(["report", "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    let strip = |b: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
        v["generated_at"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&before), strip(&after));
}

#[test]
fn entity_shows_one_users_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("case.sqlite");
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success();
    scimlens(&ws)
        .args(["entity", "alice@contoso.com"])
        .assert()
        .success()
        .stdout(predicate::str::contains("MISSING_REQUIRED_ATTRIBUTE"))
        .stdout(predicate::str::contains("Timeline"))
        .stdout(predicate::str::contains("name.givenName"));
    scimlens(&ws)
        .args(["entity", "nobody@nowhere"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not found"));
}

#[test]
fn report_formats_carry_the_same_entities() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("case.sqlite");
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-portal-json/download.json"))
        .assert()
        .success();
    for (format, needle) in [
        ("csv", "kind,name,status"),
        ("md", "# scimlens failure report"),
        ("html", "<!doctype html>"),
    ] {
        let path = dir.path().join(format!("report.{format}"));
        scimlens(&ws)
            .args(["report", "-o"])
            .arg(&path)
            .assert()
            .success();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(needle), "{format}");
        assert!(
            text.contains("xss.probe@contoso.com"),
            "{format} lists the entities"
        );
        assert!(
            !text.contains("<img src=x"),
            "{format} never carries raw markup from a log"
        );
    }
}

#[test]
fn demo_shows_every_category_from_several_formats() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("scimlens")
        .unwrap()
        .args(["demo", "--format", "json", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let formats: std::collections::BTreeSet<&str> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["format"].as_str().unwrap())
        .collect();
    assert!(formats.len() >= 3, "{formats:?}");
    let mut seen: std::collections::BTreeSet<String> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["category"].as_str().map(str::to_string))
        .collect();
    seen.extend(
        v["connection"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["category"].as_str().map(str::to_string)),
    );
    for category in [
        "MISSING_REQUIRED_ATTRIBUTE",
        "MULTIVALUE_NOT_SUPPORTED",
        "RESERVED_NAME",
        "DUPLICATE_CONFLICT",
        "INVALID_VALUE",
        "TARGET_OBJECT_MISSING",
        "THROTTLED",
        "PATCH_INVALID",
    ] {
        assert!(seen.contains(category), "demo lacks {category}: {seen:?}");
    }
}

#[test]
fn help_names_the_default_workspace_and_shows_examples() {
    Command::cargo_bin("scimlens")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("workspace.scimlens.sqlite"))
        .stdout(predicate::str::contains("Examples:"));
}

/// Regression: a stored category the build does not know was read as nothing (or `OTHER`), and
/// an unknown status as "ok", so a tampered or damaged workspace was reported as if healthy.
#[test]
fn a_damaged_workspace_is_refused_with_exit_3_not_reported_as_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .arg("import")
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .success();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", ws.display()))
            .await
            .unwrap();
        let changed = sqlx::query("UPDATE entities SET category = 'FINE' WHERE status = 'failing'")
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        assert!(changed > 0);
        pool.close().await;
    });
    scimlens(&ws)
        .arg("report")
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("the workspace is damaged"))
        .stderr(predicate::str::contains("`FINE`"));
}

#[test]
fn an_unknown_report_format_is_refused_before_any_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .args(["analyze", "--format", "pdf"])
        .arg(fixture("entra-graph/page1.json"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("unknown report format 'pdf'"))
        .stderr(predicate::str::contains("imported").not());
    assert!(!ws.exists(), "nothing was written");
}

#[test]
fn sources_refuses_a_format_it_cannot_print_instead_of_printing_text() {
    let dir = tempfile::tempdir().unwrap();
    scimlens(&dir.path().join("ws.sqlite"))
        .args(["sources", "--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("text or json"));
}

#[test]
fn generate_to_standard_output_writes_the_same_log_as_to_a_file_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("unused.sqlite");
    let file = dir.path().join("log.json");
    let args = [
        "generate",
        "--format",
        "entra-portal-json",
        "--records",
        "50",
    ];
    scimlens(&ws)
        .args(args)
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    let streamed = scimlens(&ws)
        .current_dir(dir.path())
        .args(args)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert!(streamed.status.success());
    assert_eq!(
        streamed.stdout,
        std::fs::read(&file).unwrap(),
        "the same deterministic log, on standard output"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["log.json".to_string()], "no file named '-'");
}
