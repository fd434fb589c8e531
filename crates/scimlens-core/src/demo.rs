//! The built-in demo set: small logs in several formats that together show every failure
//! category. `scimlens demo` and the app's first launch use it. The files are the project's
//! test fixtures, built from the documented formats.

use std::path::{Path, PathBuf};

const FILES: &[(&str, &[u8])] = &[
    ("entra-graph-page1.json", include_bytes!("../../../tests/fixtures/entra-graph/page1.json")),
    ("entra-portal-download.json", include_bytes!("../../../tests/fixtures/entra-portal-json/download.json")),
    ("entra-diagnostic-export.jsonl", include_bytes!("../../../tests/fixtures/entra-diagnostic/export.jsonl")),
];

/// Writes the demo files into `dir` (created if needed) and returns their paths.
pub fn write_demo_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    FILES
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes)?;
            Ok(path)
        })
        .collect()
}
