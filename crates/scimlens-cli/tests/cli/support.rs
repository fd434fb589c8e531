//! What every command test needs: the shared fixtures and the binary on a workspace of its own.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A file under the repository's `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// `scimlens --workspace WS`, blind to the user's own workspace and AWS profile.
pub fn scimlens(ws: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scimlens").unwrap();
    cmd.env_remove("SCIMLENS_WORKSPACE")
        .env_remove("AWS_PROFILE")
        .arg("--workspace")
        .arg(ws);
    cmd
}
