//! The built-in demo set: small logs in several formats that together show every failure
//! category. `scimlens demo` and the app's first launch use it. The files are the project's
//! test fixtures, built from the documented formats.

use std::path::{Path, PathBuf};

macro_rules! fixture {
    ($name:literal, $path:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../tests/fixtures/", $path)) as &[u8],
        )
    };
}

const FILES: &[(&str, &[u8])] = &[
    fixture!("entra-graph-page1.json", "entra-graph/page1.json"),
    fixture!(
        "entra-portal-download.json",
        "entra-portal-json/download.json"
    ),
    fixture!(
        "entra-diagnostic-export.jsonl",
        "entra-diagnostic/export.jsonl"
    ),
    fixture!(
        "AADProvisioningLogs.csv",
        "entra-log-analytics/AADProvisioningLogs.csv"
    ),
    fixture!(
        "ProvisioningLogs.csv",
        "entra-portal-csv/ProvisioningLogs.csv"
    ),
    fixture!(
        "ProvisioningLogs_ProvisioningSteps.csv",
        "entra-portal-csv/ProvisioningLogs_ProvisioningSteps.csv"
    ),
    fixture!(
        "ProvisioningLogs_ModifiedProperties.csv",
        "entra-portal-csv/ProvisioningLogs_ModifiedProperties.csv"
    ),
    fixture!("cloudtrail-records.json", "cloudtrail/records.json"),
    fixture!("okta-systemlog.json", "okta/systemlog.json"),
    fixture!("ssosync.jsonl", "ssosync/ssosync.jsonl"),
    fixture!("idpscim.jsonl", "idp-scim-sync/idpscim.jsonl"),
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
