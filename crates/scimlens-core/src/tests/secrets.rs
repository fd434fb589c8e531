//! Secrets in logs never reach the workspace: each kind of secret is planted in a copy of a
//! fixture of every format, imported, and looked for in the workspace's files, in every record
//! read back (evidence is compressed, so a grep of the file alone proves little), in the entity
//! view and in every export format of the report.

use std::path::{Path, PathBuf};

use crate::api::{self, ImportFilesReq};
use crate::db::Workspace;
use crate::db::evidence;
use crate::import::pipeline::CancelToken;
use crate::report::render::{ReportFormat, render};
use chrono::{TimeZone, Utc};

const SCIM_TOKEN: &str = "Kx7Qp2Lm9Vt4Rz8Wn3Ys6Bd1Fh5Gj0Ca2Ue7Io4Pl9Mk3Nb8Vc1Xz6Sd5Af";
const BASIC: &str = "c2NpbWxlbnM6aHVudGVyMi1wbGFudGVk";
const ACCESS_KEY_ID: &str = "AKIA4PLANTED7TEST2QX";
const SECRET_ACCESS_KEY: &str = "pLaNtEd/SeCrEt+AcCeSsKeY0123456789abcdEF";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEPLANTEDsessionTOKEN0123456789/abcdefg+hijk=";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwbGFudGVkIn0.cGxhbnRlZC1zaWduYXR1cmU";
const PASSWORD: &str = "Pl4nted-Passw0rd!";
const OKTA_TOKEN: &str = "00q7PlAnTeDoKtA9x8c7v6b5n4m3l2k1j0h9g8f";
const CLIENT_SECRET: &str = "cLiEnT~sEcReT.pLaNtEd_0123456789";
const PRIVATE_KEY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCplanted";

/// Every planted secret: none may appear anywhere after the import.
const SECRETS: [&str; 10] = [
    SCIM_TOKEN,
    BASIC,
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    JWT,
    PASSWORD,
    OKTA_TOKEN,
    CLIENT_SECRET,
    PRIVATE_KEY,
];

/// Every marker the planted text must leave in the records.
const MARKERS: [&str; 8] = [
    "[redacted: bearer token]",
    "[redacted: authorization header]",
    "[redacted: aws access key id]",
    "[redacted: aws secret access key]",
    "[redacted: aws session token]",
    "[redacted: jwt]",
    "[redacted: password]",
    "[redacted: private key]",
];

/// The planted text: what sync tools print at debug level. It has no quote, backslash, comma or
/// line break, so it can be put inside any JSON string or CSV cell as it is.
fn plant() -> String {
    format!(
        "debug dump: sent Bearer {SCIM_TOKEN} ; Authorization: Basic {BASIC} ; key \
         {ACCESS_KEY_ID} ; aws_secret_access_key={SECRET_ACCESS_KEY} ; X-Amz-Security-Token: \
         {SESSION_TOKEN} ; id {JWT} ; password={PASSWORD} ; SSWS {OKTA_TOKEN} ; \
         client_secret={CLIENT_SECRET} ; -----BEGIN PRIVATE KEY-----{PRIVATE_KEY}-----END \
         PRIVATE KEY----- ; "
    )
}

/// One format: fixture files copied together, and the text in front of which the plant goes
/// (in every file, at every occurrence) for a reason, message or value field.
struct Case {
    format: &'static str,
    files: &'static [&'static str],
    before: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        format: "entra graph json",
        files: &["entra-graph/page1.json"],
        before: &["Failed to create"],
    },
    Case {
        format: "entra portal json",
        files: &["entra-portal-json/download.json"],
        before: &["Failed to create"],
    },
    Case {
        format: "entra diagnostic jsonl",
        files: &["entra-diagnostic/export.jsonl"],
        before: &["Failed to create"],
    },
    Case {
        format: "entra log analytics csv",
        files: &["entra-log-analytics/AADProvisioningLogs.csv"],
        before: &["Failed to create"],
    },
    Case {
        format: "entra portal csv",
        files: &[
            "entra-portal-csv/ProvisioningLogs.csv",
            "entra-portal-csv/ProvisioningLogs_ProvisioningSteps.csv",
            "entra-portal-csv/ProvisioningLogs_ModifiedProperties.csv",
        ],
        // The reason, a step's description and an attribute's new value.
        before: &["Failed to", "Received User", "Lead Designer"],
    },
    Case {
        format: "okta system log json",
        files: &["okta/systemlog.json"],
        before: &["Rate limit exceeded", "Automatic provisioning"],
    },
    Case {
        format: "cloudtrail json",
        files: &["cloudtrail/records.json"],
        before: &[
            "1 validation error",
            "2 validation errors",
            "Request is unparsable",
        ],
    },
    Case {
        format: "ssosync jsonl",
        files: &["ssosync/ssosync.jsonl"],
        before: &[r#""msg":""#],
    },
    Case {
        format: "idp-scim-sync jsonl",
        files: &["idp-scim-sync/idpscim.jsonl"],
        before: &[r#""msg":""#],
    },
];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// Copies the case's files into `dir` with the plant in front of every `before` text.
fn planted_copy(case: &Case, dir: &Path) -> Vec<PathBuf> {
    let plant = plant();
    let mut planted = 0;
    let paths = case
        .files
        .iter()
        .map(|rel| {
            let mut text = std::fs::read_to_string(fixture(rel)).unwrap();
            for before in case.before {
                // After a JSON key's opening quote, or in front of a reason's text.
                let (anchor, with) = match before.strip_suffix('"') {
                    Some(key) => (*before, format!("{key}\"{plant}")),
                    None => (*before, format!("{plant}{before}")),
                };
                planted += text.matches(anchor).count();
                text = text.replace(anchor, &with);
            }
            let path = dir.join(Path::new(rel).file_name().unwrap());
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    assert!(planted > 0, "{}: nothing was planted", case.format);
    paths
}

fn leaks(what: &str, haystack: &[u8]) -> Vec<String> {
    SECRETS
        .iter()
        .filter(|secret| memchr::memmem::find(haystack, secret.as_bytes()).is_some())
        .map(|secret| format!("{what} holds {secret}"))
        .collect()
}

fn workspace_files(path: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            std::fs::read(&file)
                .ok()
                .map(|bytes| (file.display().to_string(), bytes))
        })
        .collect()
}

/// Everything a user can see of the workspace, as text: every record's evidence, the entity
/// view of every entity, every export format of the report.
async fn everything_shown(ws: &Workspace) -> Vec<(String, String)> {
    let mut shown = Vec::new();
    let blocks: Vec<Vec<u8>> = sqlx::query_scalar("SELECT data FROM evidence_blocks")
        .fetch_all(ws.pool())
        .await
        .unwrap();
    assert!(!blocks.is_empty(), "the import stored records");
    for (i, block) in blocks.iter().enumerate() {
        for (j, e) in evidence::unpack(block).unwrap().into_iter().enumerate() {
            let text = format!("{}\n{}\n{}", e.raw, e.attributes, e.steps);
            shown.push((format!("evidence block {i} record {j}"), text));
        }
    }
    let keys: Vec<String> = sqlx::query_scalar("SELECT entity_key FROM entities")
        .fetch_all(ws.pool())
        .await
        .unwrap();
    for key in keys {
        let detail = api::get_entity(ws, &key).await.unwrap();
        shown.push((
            format!("entity {key}"),
            serde_json::to_string(&detail).unwrap(),
        ));
    }
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let report = api::build_report(ws, &[], now).await.unwrap();
    for format in [
        ReportFormat::Text,
        ReportFormat::Json,
        ReportFormat::Csv,
        ReportFormat::Md,
        ReportFormat::Html,
    ] {
        shown.push((format!("{format:?} report"), render(&report, format)));
    }
    shown
}

async fn check(case: &Case) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    let paths = planted_copy(case, &inputs);
    let db = dir.path().join("case.scimlens");
    let ws = Workspace::open(&db).await.unwrap();
    let req = ImportFilesReq {
        paths,
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let res = api::import_files(&ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap();

    let mut problems = leaks("the import's outcome", format!("{res:?}").as_bytes());
    let shown = everything_shown(&ws).await;
    for (what, text) in &shown {
        problems.extend(leaks(what, text.as_bytes()));
    }
    let evidence: String = shown
        .iter()
        .filter(|(what, _)| what.starts_with("evidence"))
        .map(|(_, text)| text.as_str())
        .collect();
    for marker in MARKERS {
        if !evidence.contains(marker) {
            problems.push(format!("no record holds the marker {marker}"));
        }
    }
    for (file, bytes) in workspace_files(&db) {
        problems.extend(leaks(&file, &bytes));
    }
    ws.close().await;
    for (file, bytes) in workspace_files(&db) {
        problems.extend(leaks(&format!("{file} (closed)"), &bytes));
    }
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", case.format))
        .collect()
}

#[tokio::test]
async fn secrets_planted_in_every_format_are_redacted_before_anything_is_stored() {
    let mut problems = Vec::new();
    for case in CASES {
        problems.extend(check(case).await);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
