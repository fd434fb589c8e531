//! `pull_entra` against a Microsoft Graph and identity platform of the test's own:
//! `GET /v1.0/auditLogs/provisioning` with the `$filter` the pull must send (checked, then
//! applied: time range, service principal, failures), newest first, `@odata.nextLink` with a
//! `$skiptoken`; `GET /v1.0/servicePrincipals?$filter=displayName eq '...'` and
//! `/servicePrincipals/{id}/synchronization/jobs`; `429` with `Retry-After`; `401`/`403` with
//! Graph's error bodies; the device-code and token endpoints (`authorization_pending`,
//! `slow_down`). The records are Graph's documentation examples (`real/entra-graph`) and the
//! written Graph page fixture; the job is the documented AWS job in quarantine.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::idp_peer::{Peer, Reply, Request, found_in_files, json as reply_json, peer};
use crate::api::{self, EntraEndpoints, ImportFilesReq, ImportOutcome, PullEntraReq, Secret};
use crate::db::Workspace;
use crate::error::{Error, IdpErrorKind};
use crate::import::pipeline::CancelToken;
use crate::model::Format;

/// Shaped like a Graph access token; looked for everywhere it must not be.
const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJncmFwaCJ9.c2VjcmV0LXNpZ25hdHVyZQ";
const SP_ID: &str = "29f68db3-1000-46bf-a940-f5ea3ecc39e7";
const APP: &str = "AWS IAM Identity Center";
const PAGE: usize = 30;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn value_of(rel: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(fixture(rel)).unwrap()).unwrap();
    v["value"].as_array().unwrap().clone()
}

/// The documented AWS provisioning job (in quarantine).
fn job() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture(
            "real/entra-job-status/graph-docs-configure-api-aws-job-quarantine.json",
        ))
        .unwrap(),
    )
    .unwrap()
}

/// `n` records cycling through the templates, 41 s apart from 2026-11-20, each its own id, all
/// of the AWS job and its service principal.
fn provisioning_log(n: usize) -> Vec<Value> {
    let mut templates =
        value_of("real/entra-graph/graph-docs-list-provisioning-example2-error.json");
    templates.extend(value_of(
        "real/entra-graph/graph-docs-configure-api-beta-statusinfo.json",
    ));
    templates.extend(value_of("entra-graph/page1.json"));
    let job_id = job()["id"].as_str().unwrap().to_string();
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let mut r = templates[i % templates.len()].clone();
            r["id"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
            r["activityDateTime"] = json!(
                (start + chrono::Duration::seconds(41 * i as i64))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            r["jobId"] = json!(job_id);
            r["servicePrincipal"] = json!({"id": SP_ID, "displayName": APP});
            r
        })
        .collect()
}

fn at(r: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r["activityDateTime"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn is_failure(r: &Value) -> bool {
    let info = if r["provisioningStatusInfo"].is_object() {
        &r["provisioningStatusInfo"]
    } else {
        &r["statusInfo"]
    };
    info["status"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("failure"))
}

/// Reads the pull's `$filter` as Graph would: `activityDateTime ge X and activityDateTime le Y`,
/// then optional `servicePrincipal/id eq '...'` and `provisioningStatusInfo/status eq 'failure'`.
fn apply_filter(filter: &str, records: &[Value]) -> Vec<Value> {
    let clauses: Vec<&str> = filter.split(" and ").collect();
    let time = |clause: &str, op: &str| {
        let t = clause
            .strip_prefix(&format!("activityDateTime {op} "))
            .unwrap_or_else(|| panic!("clause {clause:?} of {filter:?}"));
        DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
    };
    let (from, to) = (time(clauses[0], "ge"), time(clauses[1], "le"));
    let mut sp = None;
    let mut failures = false;
    for c in &clauses[2..] {
        if let Some(id) = c.strip_prefix("servicePrincipal/id eq '") {
            sp = Some(id.trim_end_matches('\'').to_string());
        } else if *c == "provisioningStatusInfo/status eq 'failure'" {
            failures = true;
        } else {
            panic!("a clause Graph's provisioning filter does not take: {c:?}");
        }
    }
    let mut out: Vec<Value> = records
        .iter()
        .filter(|r| at(r) >= from && at(r) <= to)
        .filter(|r| {
            sp.as_ref()
                .is_none_or(|id| r["servicePrincipal"]["id"] == id.as_str())
        })
        .filter(|r| !failures || is_failure(r))
        .cloned()
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(at(r)));
    out
}

struct FakeGraph {
    peer: Peer,
    records: Arc<Mutex<Vec<Value>>>,
    /// Provisioning pages answered, as their offset.
    pages: Arc<Mutex<Vec<usize>>>,
    /// The `$filter` of every first page.
    filters: Arc<Mutex<Vec<String>>>,
}

impl FakeGraph {
    fn endpoints(&self) -> EntraEndpoints {
        EntraEndpoints {
            graph: format!("{}/v1.0", self.peer.url),
            login: self.peer.url.clone(),
        }
    }
}

fn graph_error(status: u16, code: &str, message: &str) -> Reply {
    reply_json(
        status,
        &json!({"error": {"code": code, "message": message, "innerError": {"date": "2026-11-22T12:00:00", "request-id": "8a0e1b2c", "client-request-id": "8a0e1b2c"}}}),
    )
}

/// `misbehave(n)` may answer request `n` itself.
fn fake_graph(
    records: Vec<Value>,
    misbehave: impl Fn(&Request, usize) -> Option<Reply> + Send + Sync + 'static,
) -> FakeGraph {
    let records = Arc::new(Mutex::new(records));
    let pages: Arc<Mutex<Vec<usize>>> = Arc::default();
    let filters: Arc<Mutex<Vec<String>>> = Arc::default();
    let (held, served, asked) = (records.clone(), pages.clone(), filters.clone());
    let base: Arc<Mutex<String>> = Arc::default();
    let origin = base.clone();
    let peer = peer(move |req: &Request, n| {
        if let Some(reply) = misbehave(req, n) {
            return reply;
        }
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            );
        }
        let own = origin.lock().unwrap().clone();
        match req.path.as_str() {
            "/v1.0/servicePrincipals" => {
                assert_eq!(
                    req.param("$filter"),
                    Some(format!("displayName eq '{APP}'").as_str())
                );
                reply_json(
                    200,
                    &json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,appId,displayName)", "value": [{"id": SP_ID, "appId": "a8b07a3a-3d5c-4bb3-9f0e-4c5d3e1f2a6b", "displayName": APP}]}),
                )
            }
            p if p == format!("/v1.0/servicePrincipals/{SP_ID}/synchronization/jobs") => {
                reply_json(
                    200,
                    &json!({"@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('{SP_ID}')/synchronization/jobs"), "value": [job()]}),
                )
            }
            "/v1.0/auditLogs/provisioning" => {
                let offset: usize = req.param("$skiptoken").map_or(0, |t| t.parse().unwrap());
                let filter = req.param("$filter").expect("every page carries the filter");
                if req.param("$skiptoken").is_none() {
                    asked.lock().unwrap().push(filter.to_string());
                }
                let matching = apply_filter(filter, &held.lock().unwrap());
                served.lock().unwrap().push(offset);
                let page: Vec<Value> = matching.iter().skip(offset).take(PAGE).cloned().collect();
                let mut body = json!({
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning",
                    "value": page,
                });
                if offset + PAGE < matching.len() {
                    let q = url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("$filter", filter)
                        .append_pair("$skiptoken", &(offset + PAGE).to_string())
                        .finish();
                    body["@odata.nextLink"] =
                        json!(format!("{own}/v1.0/auditLogs/provisioning?{q}"));
                }
                reply_json(200, &body)
            }
            other => graph_error(404, "Request_ResourceNotFound", &format!("no {other}")),
        }
    });
    *base.lock().unwrap() = peer.url.clone();
    FakeGraph {
        peer,
        records,
        pages,
        filters,
    }
}

fn request(fake: &FakeGraph) -> PullEntraReq {
    PullEntraReq {
        token: Some(Secret::new(TOKEN)),
        endpoints: Some(fake.endpoints()),
        ..PullEntraReq::default()
    }
}

async fn pull(ws: &Workspace, req: PullEntraReq) -> crate::error::Result<api::PullEntraRes> {
    api::pull_entra(ws, req, &CancelToken::default(), now(), &|_| {}).await
}

async fn records_of(ws: &Workspace, format: Format) -> u64 {
    api::views::sources(ws)
        .await
        .unwrap()
        .iter()
        .filter(|s| s.format == format)
        .map(|s| s.records)
        .sum()
}

async fn diagnosis(ws: &Workspace) -> Value {
    let report = api::build_report(ws, &[], now()).await.unwrap();
    let mut v = serde_json::to_value(&report).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("sources");
    o.remove("generated_at");
    v
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".scimlens-"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_pull_reads_every_page_once_honours_retry_after_and_imports_the_job_status() {
    let log = provisioning_log(200);
    // The third provisioning page is throttled once, for a second.
    let throttled = Arc::new(Mutex::new(false));
    let once = throttled.clone();
    let fake = fake_graph(log.clone(), move |req, _| {
        let third = req.param("$skiptoken") == Some(&(2 * PAGE).to_string());
        let mut done = once.lock().unwrap();
        (third && !*done).then(|| {
            *done = true;
            let mut r = graph_error(429, "TooManyRequests", "Too many requests.");
            r.headers.push(("Retry-After".into(), "1".into()));
            r
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let req = PullEntraReq {
        app: Some(APP.into()),
        since: Some("2026-11-19".into()),
        ..request(&fake)
    };
    let started = std::time::Instant::now();
    let res = pull(&ws, req).await.unwrap();
    let took = started.elapsed().as_secs_f64();

    let filters = fake.filters.lock().unwrap().clone();
    assert_eq!(
        filters,
        [format!(
            "activityDateTime ge 2026-11-19T00:00:00Z and activityDateTime le \
             2026-11-22T12:00:00Z and servicePrincipal/id eq '{SP_ID}'"
        )],
        "the filter Graph received"
    );
    let pages = fake.pages.lock().unwrap().clone();
    let expected_pages = log.len().div_ceil(PAGE);
    let mut distinct = pages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), expected_pages, "{pages:?}");
    assert_eq!(
        pages.len(),
        expected_pages,
        "every page answered once (the throttled request served none): {pages:?}"
    );
    let requests = fake.peer.requests();
    let third: Vec<_> = requests
        .iter()
        .filter(|r| r.param("$skiptoken") == Some(&(2 * PAGE).to_string()))
        .collect();
    assert_eq!(third.len(), 2, "the throttled page asked again once");
    let gap = third[1].at - third[0].at;
    assert!(
        gap >= Duration::from_millis(980),
        "Retry-After: 1 honoured, waited {gap:?}"
    );

    let s = &res.stats;
    assert_eq!(s.pages as usize, expected_pages);
    assert_eq!(s.throttled, 1);
    // The app's lookup, its jobs, every page and the one retry.
    assert_eq!(s.calls as usize, 2 + expected_pages + 1);
    assert_eq!(res.service_principal.as_deref(), Some(SP_ID));
    assert_eq!(res.new_records as usize, log.len());
    assert_eq!(
        records_of(&ws, Format::EntraGraph).await as usize,
        log.len()
    );
    assert!(
        matches!(
            &res.job_outcome,
            Some(ImportOutcome::Imported {
                format: Format::EntraJobStatus,
                records: 1,
                ..
            })
        ),
        "{:?}",
        res.job_outcome
    );
    let report = api::build_report(&ws, &[], now()).await.unwrap();
    let report_text = serde_json::to_string(&report).unwrap();
    assert!(
        report_text.contains("EncounteredQuarantineException"),
        "the job's quarantine is in the diagnosis"
    );
    let sources = api::views::sources(&ws).await.unwrap();
    assert_eq!(sources.len(), 2, "the records and the job status");
    assert!(
        sources[0]
            .path
            .starts_with(&format!("Entra provisioning logs {APP} 2026-11-19")),
        "{:?}",
        sources[0].path
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    assert!(
        found_in_files(dir.path(), "case.sqlite", TOKEN).is_empty(),
        "the token is in {:?}",
        found_in_files(dir.path(), "case.sqlite", TOKEN)
    );
    eprintln!(
        "entra pull: {} records, {} pages, {} calls ({} throttled, {} ms waiting), {took:.2} s, \
         {:.0} records/s",
        log.len(),
        s.pages,
        s.calls,
        s.throttled,
        s.waited_ms,
        log.len() as f64 / took
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_pull_imports_the_same_records_and_report_as_the_downloaded_pages() {
    let log = provisioning_log(75);
    let fake = fake_graph(log.clone(), |_, _| None);
    let dir = tempfile::tempdir().unwrap();
    let pulled = Workspace::open(&dir.path().join("pulled.sqlite"))
        .await
        .unwrap();
    let res = pull(&pulled, request(&fake)).await.unwrap();
    assert!(res.job_outcome.is_none(), "no app, no job status");

    // The same records as one Graph page saved to a file.
    let file = dir.path().join("provisioning.json");
    let mut newest_first = log.clone();
    newest_first.sort_by_key(|r| std::cmp::Reverse(at(r)));
    std::fs::write(
        &file,
        json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning", "value": newest_first}).to_string(),
    )
    .unwrap();
    let imported = Workspace::open(&dir.path().join("imported.sqlite"))
        .await
        .unwrap();
    let req = ImportFilesReq {
        paths: vec![file],
        extra_reserved: Vec::new(),
    };
    api::import_files(&imported, req, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        records_of(&pulled, Format::EntraGraph).await,
        records_of(&imported, Format::EntraGraph).await
    );
    let (a, b) = (diagnosis(&pulled).await, diagnosis(&imported).await);
    assert!(a["entities"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_entra_pull_adds_only_the_newer_records_of_the_apps_job() {
    let all = provisioning_log(90);
    let fake = fake_graph(all[..50].to_vec(), |_, _| None);
    let ws = Workspace::in_memory().await.unwrap();
    let with_app = || PullEntraReq {
        app: Some(SP_ID.into()),
        ..request(&fake)
    };
    let first = pull(&ws, with_app()).await.unwrap();
    assert_eq!(first.new_records, 50);
    assert!(
        !fake
            .peer
            .requests()
            .iter()
            .any(|r| r.path == format!("/v1.0/servicePrincipals/{SP_ID}")),
        "an object id needs no lookup (and no Application.Read.All)"
    );
    assert!(!first.incremental);

    let again = pull(&ws, with_app()).await.unwrap();
    assert!(again.incremental, "from the newest record of the app's job");
    assert_eq!(again.new_records, 0);
    assert!(
        again.already_held > 0,
        "the overlap is read again and dropped"
    );
    assert!(again.outcome.is_none());

    fake.records
        .lock()
        .unwrap()
        .extend(all[50..].iter().cloned());
    let newer = pull(&ws, with_app()).await.unwrap();
    assert_eq!(newer.new_records, 40);
    assert_eq!(
        records_of(&ws, Format::EntraGraph).await,
        90,
        "no record stored twice"
    );

    let failures = PullEntraReq {
        failures_only: true,
        since: Some("2026-11-19".into()),
        ..request(&fake)
    };
    pull(&ws, failures).await.unwrap();
    assert!(
        fake.filters
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .ends_with(" and provisioningStatusInfo/status eq 'failure'")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_pull_refused_cancelled_or_cut_off_stores_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let fake = fake_graph(provisioning_log(100), |_, _| None);

    let expired = PullEntraReq {
        token: Some(Secret::new("eyJ0eXAiOiJKV1QifQ.eyJleHAiOjB9.ZXhwaXJlZA")),
        ..request(&fake)
    };
    let err = pull(&ws, expired).await.unwrap_err();
    assert!(
        matches!(&err, Error::Idp { kind: IdpErrorKind::SignIn, message, .. } if message.contains("az account get-access-token")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("ZXhwaXJlZA"), "{err}");

    let denied = fake_graph(provisioning_log(10), |req, _| {
        (req.path == "/v1.0/auditLogs/provisioning").then(|| {
            graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        })
    });
    let err = pull(
        &ws,
        PullEntraReq {
            app: Some(APP.into()),
            ..request(&denied)
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Idp { kind: IdpErrorKind::AccessDenied, message, .. } if message.contains("AuditLog.Read.All")),
        "{err:?}"
    );

    let cancel = CancelToken::default();
    let stop = cancel.clone();
    let err = api::pull_entra(&ws, request(&fake), &cancel, now(), &move |p| {
        if p.pages == 1 {
            stop.cancel();
        }
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");

    let cut = fake_graph(provisioning_log(100), |req, _| {
        (req.param("$skiptoken") == Some(&(2 * PAGE).to_string())).then(|| Reply {
            status: 0,
            headers: Vec::new(),
            body: String::new(),
        })
    });
    let err = pull(
        &ws,
        PullEntraReq {
            app: Some(APP.into()),
            ..request(&cut)
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Idp {
                kind: IdpErrorKind::Unreachable,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        api::views::sources(&ws).await.unwrap().is_empty(),
        "neither the records nor the job status of a failed pull are stored"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_code_sign_in_polls_at_the_interval_asked_slows_down_when_told_and_keeps_the_token_off_disk()
 {
    let log = provisioning_log(20);
    let polls = Arc::new(Mutex::new(0usize));
    let count = polls.clone();
    let fake = fake_graph(log, move |req, _| match req.path.as_str() {
        "/contoso.onmicrosoft.com/oauth2/v2.0/devicecode" => {
            let form = req.form();
            assert!(form.contains(&(
                "client_id".into(),
                "c0ffee00-0000-4000-8000-000000000001".into()
            )));
            let scope = &form.iter().find(|(k, _)| k == "scope").unwrap().1;
            assert!(
                scope
                    .split(' ')
                    .map(|s| s.rsplit('/').next().unwrap())
                    .collect::<Vec<_>>()
                    == [
                        "AuditLog.Read.All",
                        "Synchronization.Read.All",
                        "Application.Read.All"
                    ],
                "{scope}"
            );
            Some(reply_json(
                200,
                &json!({
                    "user_code": "FGHJ-KLMN",
                    "device_code": "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 1,
                    "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FGHJ-KLMN to authenticate."
                }),
            ))
        }
        "/contoso.onmicrosoft.com/oauth2/v2.0/token" => {
            let form = req.form();
            assert!(form.contains(&(
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:device_code".into()
            )));
            assert!(form.contains(&(
                "device_code".into(),
                "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8".into()
            )));
            let mut n = count.lock().unwrap();
            *n += 1;
            Some(match *n {
                1 => reply_json(
                    400,
                    &json!({"error": "authorization_pending", "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."}),
                ),
                2 => reply_json(
                    400,
                    &json!({"error": "slow_down", "error_description": "slow down"}),
                ),
                _ => reply_json(
                    200,
                    &json!({"token_type": "Bearer", "scope": "https://graph.microsoft.com/AuditLog.Read.All https://graph.microsoft.com/Synchronization.Read.All https://graph.microsoft.com/Application.Read.All", "expires_in": 3599, "access_token": TOKEN}),
                ),
            })
        }
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let prompts: Arc<Mutex<Vec<String>>> = Arc::default();
    let shown = prompts.clone();
    let req = PullEntraReq {
        token: None,
        client_id: Some("c0ffee00-0000-4000-8000-000000000001".into()),
        tenant: Some("contoso.onmicrosoft.com".into()),
        app: Some(APP.into()),
        endpoints: Some(fake.endpoints()),
        ..PullEntraReq::default()
    };
    let res = api::pull_entra(&ws, req, &CancelToken::default(), now(), &move |p| {
        if let Some(s) = &p.sign_in {
            shown
                .lock()
                .unwrap()
                .push(format!("{} {}", s.user_code, s.verification_uri));
        }
    })
    .await
    .unwrap();
    assert_eq!(
        *prompts.lock().unwrap(),
        ["FGHJ-KLMN https://microsoft.com/devicelogin"]
    );
    assert_eq!(res.new_records, 20, "signed in, then pulled");
    let requests = fake.peer.requests();
    let token_polls: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .collect();
    assert_eq!(token_polls.len(), 3);
    let first_gap = token_polls[1].at - token_polls[0].at;
    let slowed_gap = token_polls[2].at - token_polls[1].at;
    assert!(
        first_gap >= Duration::from_millis(950),
        "interval 1 s: {first_gap:?}"
    );
    assert!(
        slowed_gap >= Duration::from_millis(5950),
        "slow_down adds 5 s to the interval: {slowed_gap:?}"
    );
    assert!(
        found_in_files(dir.path(), "case.sqlite", TOKEN).is_empty(),
        "the token is in {:?}",
        found_in_files(dir.path(), "case.sqlite", TOKEN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_code_that_expires_before_the_sign_in_ends_the_pull_saying_so() {
    let fake = fake_graph(provisioning_log(5), |req, _| {
        if req.path.ends_with("/devicecode") {
            return Some(reply_json(
                200,
                &json!({
                    "user_code": "PQRS-TUVW",
                    "device_code": "expiring-device-code",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 1
                }),
            ));
        }
        req.path.ends_with("/token").then(|| {
            reply_json(400, &json!({"error": "expired_token", "error_description": "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired."}))
        })
    });
    let ws = Workspace::in_memory().await.unwrap();
    let req = PullEntraReq {
        client_id: Some("c0ffee00-0000-4000-8000-000000000001".into()),
        endpoints: Some(fake.endpoints()),
        ..PullEntraReq::default()
    };
    let err = pull(&ws, req).await.unwrap_err();
    assert!(
        matches!(&err, Error::Idp { kind: IdpErrorKind::SignIn, message, .. } if message.contains("expired")),
        "{err:?}"
    );
    let requests = fake.peer.requests();
    assert!(
        requests[0].path == "/organizations/oauth2/v2.0/devicecode",
        "without --tenant the sign-in goes to organizations: {}",
        requests[0].path
    );
    assert!(
        !requests.iter().any(|r| r.path.starts_with("/v1.0/")),
        "no Graph call without a token"
    );
    assert!(api::views::sources(&ws).await.unwrap().is_empty());
}
