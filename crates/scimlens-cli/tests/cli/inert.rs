//! What the binary prints is inert: a name, file name or message from a log can neither drive
//! the terminal (ESC, OSC, C1 controls come out as visible escapes) nor a spreadsheet.

use std::path::{Path, PathBuf};

use crate::support::{fixture, scimlens};

const TITLE: &str = "\x1b]0;pwned\x07";

/// The Entra diagnostic fixture with a user named to retitle the terminal and one named as a
/// spreadsheet formula, in a file whose name also carries the escape sequence.
fn hostile_log(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("entra-diagnostic/export.jsonl"))
        .unwrap()
        .replace(
            "rachel.green@contoso.com",
            "\\u001b]0;pwned\\u0007rachel\\u009b2J",
        )
        .replace("sam.okafor@contoso.com", "=cmd|' /C calc'!A0");
    let path = dir.join(format!("{TITLE}export.jsonl"));
    std::fs::write(&path, text).unwrap();
    path
}

fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let active: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .collect();
    assert!(active.is_empty(), "{what} printed {active:?}:\n{text}");
}

#[test]
fn reports_listings_and_errors_print_control_characters_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("case.sqlite");
    let log = hostile_log(dir.path());

    let out = scimlens(&ws).arg("analyze").arg(&log).output().unwrap();
    assert!(out.status.success());
    assert_inert("analyze", &out.stdout);
    assert_inert("analyze (stderr)", &out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\\x1b]0;pwned\\x07rachel\\x9b2J"), "{text}");

    for format in ["json", "csv", "md", "html"] {
        let out = scimlens(&ws)
            .args(["analyze", "--format", format])
            .arg(&log)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_inert(format, &out.stdout);
    }
    let json = scimlens(&ws)
        .args(["analyze", "--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        report.to_string().contains("\\u001b]0;pwned\\u0007rachel"),
        "JSON keeps the name, escaped: {report}"
    );

    let out = scimlens(&ws).arg("import").arg(&log).output().unwrap();
    assert!(out.status.success());
    assert_inert("import", &out.stderr);
    let out = scimlens(&ws).arg("sources").output().unwrap();
    assert_inert("sources", &out.stdout);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\x1b]0;pwned\\x07export.jsonl"));
    let out = scimlens(&ws)
        .args(["sources", "--format", "json"])
        .output()
        .unwrap();
    assert_inert("sources json", &out.stdout);

    let broken = dir.path().join(format!("{TITLE}broken.json"));
    std::fs::write(&broken, "[{\"x\": \u{1b}]").unwrap();
    let out = scimlens(&ws).arg("import").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_inert("an error", &out.stderr);
}

#[test]
fn csv_cells_never_start_a_spreadsheet_formula() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let out = scimlens(&dir.path().join("unused.sqlite"))
        .args(["analyze", "--format", "csv"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    // Each cell starts at a line start or after a comma, maybe behind its opening quote.
    for (i, _) in csv.match_indices(['\n', ',']).chain([(usize::MAX, ",")]) {
        let start = i.wrapping_add(1);
        let cell = csv[start..].strip_prefix('"').unwrap_or(&csv[start..]);
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell starts a formula: {:?}",
            &cell[..cell.len().min(40)]
        );
    }
    assert!(
        csv.contains(",'=cmd|' /C calc'!A0,"),
        "the formula name is kept as text:\n{csv}"
    );
}
