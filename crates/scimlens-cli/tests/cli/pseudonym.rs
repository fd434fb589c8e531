//! Pseudonymized reports from the command line: the key comes from a file, the environment or
//! the workspace, never from argv.

use assert_cmd::Command;

use crate::support::fixture;

fn analyze(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("scimlens").unwrap();
    cmd.env_remove("SCIMLENS_WORKSPACE")
        .env_remove("SCIMLENS_PSEUDONYMIZE_KEY")
        .args(["analyze", "--format", "csv"])
        .args(args)
        .arg(fixture("entra-diagnostic/export.jsonl"));
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_key_on_the_command_line_is_refused_pointing_at_the_file_and_the_environment() {
    let out = analyze(&["--pseudonymize-key", "secret"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--pseudonymize-key-file") && err.contains("SCIMLENS_PSEUDONYMIZE_KEY"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report printed");
}

#[test]
fn the_key_comes_from_a_file_or_the_environment_and_gives_the_same_pseudonyms() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "shared team key\n").unwrap();
    let from_file = stdout(&mut analyze(&[
        "--pseudonymize-key-file",
        key_file.to_str().unwrap(),
    ]));
    let from_env =
        stdout(analyze(&["--pseudonymize"]).env("SCIMLENS_PSEUDONYMIZE_KEY", "shared team key"));
    assert_eq!(from_file, from_env, "one key, one set of pseudonyms");
    assert!(!from_file.contains("rachel.green"), "{from_file}");
    assert!(from_file.contains("@example.invalid"), "{from_file}");

    // Without a key anywhere, `analyze` draws a new random one each run.
    let first = stdout(&mut analyze(&["--pseudonymize"]));
    let second = stdout(&mut analyze(&["--pseudonymize"]));
    assert!(!first.contains("rachel.green"));
    assert_ne!(first, second);

    std::fs::write(&key_file, "  \n").unwrap();
    let out = analyze(&["--pseudonymize-key-file", key_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));
}
