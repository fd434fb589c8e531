//! `pull_okta` against an Okta of the test's own: `GET /api/v1/logs` as a bounded request
//! (`since`, `until`, the SCIM `filter` the pull must send, `limit`), events oldest first,
//! `Link: <...>; rel="self"` and `rel="next"` with an opaque `after` cursor, the
//! `X-Rate-Limit-Limit/-Remaining/-Reset` headers of one-second windows, `429` past the limit,
//! `401`/`403` with Okta's error bodies. The events are the System Log fixtures (the documented
//! LogEvent shape) and Okta's own documentation example, each given its own uuid and time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::idp_peer::{Peer, Reply, Request, found_in_files, json as reply_json, peer};
use crate::api::{self, ImportFilesReq, ImportOutcome, PullOktaReq, Secret};
use crate::db::Workspace;
use crate::error::{Error, IdpErrorKind};
use crate::import::pipeline::CancelToken;

/// Shaped like an Okta API token; the tests look for it everywhere it must not be.
const TOKEN: &str = "00QCjAl4MlV-WPXM-zSecretTokenValue0000000";
const FILTER: &str =
    r#"eventType sw "application.provision" or eventType sw "application.integration""#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// The System Log fixture's events and Okta's documented example LogEvent (a sign-in: the
/// filter leaves it out, as Okta would).
fn templates() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture("okta/systemlog.json")).unwrap();
    let mut events: Vec<Value> = serde_json::from_str(&text).unwrap();
    let doc =
        std::fs::read_to_string(fixture("real/okta/okta-docs-logevent-example.json")).unwrap();
    events.push(serde_json::from_str(&doc).unwrap());
    events
}

/// `n` events cycling through the templates, 37 s apart from 2026-11-20, each its own uuid.
fn system_log(n: usize) -> Vec<Value> {
    let templates = templates();
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let mut e = templates[i % templates.len()].clone();
            e["uuid"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
            e["published"] = json!(
                (start + chrono::Duration::seconds(37 * i as i64))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
            e
        })
        .collect()
}

fn published(e: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(e["published"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn provisioning(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| {
            let t = e["eventType"].as_str().unwrap();
            t.starts_with("application.provision") || t.starts_with("application.integration")
        })
        .cloned()
        .collect()
}

fn epoch_second(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

struct FakeOkta {
    peer: Peer,
    events: Arc<Mutex<Vec<Value>>>,
    /// Pages answered with events, as their offset.
    pages: Arc<Mutex<Vec<usize>>>,
}

/// `per_window`: requests allowed per one-second window; `page`: events a page at most (below
/// the asked `limit`, as Okta may); `misbehave(n)` may answer request `n` itself.
fn fake_okta(
    events: Vec<Value>,
    per_window: i64,
    page: usize,
    misbehave: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> FakeOkta {
    let events = Arc::new(Mutex::new(events));
    let pages: Arc<Mutex<Vec<usize>>> = Arc::default();
    let (held, served) = (events.clone(), pages.clone());
    let window: Arc<Mutex<(i64, i64)>> = Arc::default();
    let base: Arc<Mutex<String>> = Arc::default();
    let origin = base.clone();
    let peer = peer(move |req: &Request, n| {
        // The window of the second the request arrived in.
        let second = epoch_second(req.wall);
        let used = {
            let mut w = window.lock().unwrap();
            if w.0 != second {
                *w = (second, 0);
            }
            w.1 += 1;
            w.1
        };
        let limits = |remaining: i64| {
            vec![
                ("X-Rate-Limit-Limit".to_string(), per_window.to_string()),
                (
                    "X-Rate-Limit-Remaining".to_string(),
                    remaining.max(0).to_string(),
                ),
                ("X-Rate-Limit-Reset".to_string(), (second + 1).to_string()),
            ]
        };
        if used > per_window {
            let mut r = reply_json(
                429,
                &json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests.", "errorLink": "E0000047", "errorId": "oaeT", "errorCauses": []}),
            );
            r.headers.extend(limits(0));
            return r;
        }
        if let Some(reply) = misbehave(n) {
            return reply;
        }
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/api/v1/logs");
        if req.header("authorization") != Some(&format!("SSWS {TOKEN}")) {
            return reply_json(
                401,
                &json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorLink": "E0000011", "errorId": "oaeX", "errorCauses": []}),
            );
        }
        // The bounded request's parameters travel in every next link.
        assert_eq!(
            req.param("filter"),
            Some(FILTER),
            "the filter is echoed: {req:?}"
        );
        let limit: usize = req.param("limit").unwrap().parse().unwrap();
        assert!((1..=1000).contains(&limit));
        let at = |k: &str| {
            DateTime::parse_from_rfc3339(req.param(k).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        let (since, until) = (at("since"), at("until"));
        let matching: Vec<Value> = provisioning(&held.lock().unwrap())
            .into_iter()
            .filter(|e| published(e) >= since && published(e) < until)
            .collect();
        let offset: usize = req.param("after").map_or(0, |a| a.parse().unwrap());
        served.lock().unwrap().push(offset);
        let take = limit.min(page);
        let body: Vec<Value> = matching.iter().skip(offset).take(take).cloned().collect();
        let mut r = reply_json(200, &Value::Array(body));
        r.headers.extend(limits(per_window - used));
        let own = origin.lock().unwrap().clone();
        let link = |after: Option<usize>| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("since", req.param("since").unwrap())
                .append_pair("until", req.param("until").unwrap())
                .append_pair("filter", FILTER)
                .append_pair("limit", &limit.to_string());
            if let Some(a) = after {
                q.append_pair("after", &a.to_string());
            }
            format!("{own}/api/v1/logs?{}", q.finish())
        };
        r.headers.push((
            "Link".into(),
            format!(
                "<{}>; rel=\"self\"",
                link(req.param("after").map(|a| a.parse().unwrap()))
            ),
        ));
        if offset + take < matching.len() {
            r.headers.push((
                "Link".into(),
                format!("<{}>; rel=\"next\"", link(Some(offset + take))),
            ));
        }
        r
    });
    *base.lock().unwrap() = peer.url.clone();
    FakeOkta {
        peer,
        events,
        pages,
    }
}

fn request(fake: &FakeOkta) -> PullOktaReq {
    PullOktaReq {
        org: fake.peer.url.clone(),
        token: Some(Secret::new(TOKEN)),
        ..PullOktaReq::default()
    }
}

async fn pull(ws: &Workspace, req: PullOktaReq) -> crate::error::Result<api::PullOktaRes> {
    api::pull_okta(ws, req, &CancelToken::default(), now(), &|_| {}).await
}

async fn records(ws: &Workspace) -> u64 {
    api::views::sources(ws)
        .await
        .unwrap()
        .iter()
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
async fn an_okta_pull_reads_every_page_once_waits_for_the_rate_limit_window_and_retries_a_429() {
    let events = system_log(330);
    let wanted = provisioning(&events);
    // Request 2 meets a 429 whose window resets at the next second.
    let fake = fake_okta(events.clone(), 3, 40, |n| {
        (n == 2).then(|| {
            let second = epoch_second(SystemTime::now());
            let mut r = reply_json(429, &json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}));
            r.headers.extend([
                ("X-Rate-Limit-Limit".to_string(), "3".to_string()),
                ("X-Rate-Limit-Remaining".to_string(), "0".to_string()),
                ("X-Rate-Limit-Reset".to_string(), (second + 1).to_string()),
            ]);
            r
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let progress: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let seen = progress.clone();
    let started = std::time::Instant::now();
    let res = api::pull_okta(
        &ws,
        request(&fake),
        &CancelToken::default(),
        now(),
        &move |p| {
            if p.waiting_ms.is_none() {
                seen.lock().unwrap().push((p.pages, p.events));
            }
        },
    )
    .await
    .unwrap();
    let took = started.elapsed().as_secs_f64();

    let pages = fake.pages.lock().unwrap().clone();
    let mut once = pages.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), pages.len(), "a page was read twice: {pages:?}");
    let expected_pages = wanted.len().div_ceil(40);
    assert_eq!(pages.len(), expected_pages, "{pages:?}");
    let s = &res.stats;
    assert_eq!(s.pages as usize, expected_pages);
    assert_eq!(s.throttled, 1, "the one 429 was waited out and retried");
    assert_eq!(s.calls as usize, expected_pages + 1);
    assert!(
        s.paced > 0,
        "the pull waited for windows with nothing remaining"
    );
    assert_eq!(progress.lock().unwrap().len(), expected_pages);

    // Pacing, measured by the server: never more requests in a second than its window allows,
    // so the server's own limit never answered 429 (the only 429 was the staged one).
    let requests = fake.peer.requests();
    let mut per_second = std::collections::BTreeMap::<i64, usize>::new();
    for r in &requests {
        *per_second.entry(epoch_second(r.wall)).or_default() += 1;
    }
    assert!(
        per_second.values().all(|&n| n <= 3),
        "more than 3 requests in one window: {per_second:?}"
    );
    assert_eq!(res.new_events as usize, wanted.len());
    assert_eq!(records(&ws).await as usize, wanted.len());
    let sources = api::views::sources(&ws).await.unwrap();
    assert_eq!(sources.len(), 1, "one source per pull");
    assert!(
        sources[0].path.starts_with("Okta System Log 127.0.0.1 "),
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
        "okta pull: {} events, {} pages, {} calls ({} throttled, {} window waits, {} ms waiting), \
         {took:.2} s, {:.0} records/s",
        wanted.len(),
        s.pages,
        s.calls,
        s.throttled,
        s.paced,
        s.waited_ms,
        wanted.len() as f64 / took
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okta_pull_imports_the_same_records_and_report_as_the_downloaded_file() {
    let events = system_log(90);
    let fake = fake_okta(events.clone(), 100, 1000, |_| None);
    let dir = tempfile::tempdir().unwrap();
    let pulled = Workspace::open(&dir.path().join("pulled.sqlite"))
        .await
        .unwrap();
    pull(&pulled, request(&fake)).await.unwrap();

    // What the System Log API returns for the same query, saved to a file.
    let file = dir.path().join("systemlog.json");
    std::fs::write(&file, Value::Array(provisioning(&events)).to_string()).unwrap();
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
    assert_eq!(records(&pulled).await, records(&imported).await);
    let (a, b) = (diagnosis(&pulled).await, diagnosis(&imported).await);
    assert!(a["entities"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_okta_pull_adds_only_the_newer_events() {
    let all = system_log(120);
    let fake = fake_okta(all[..60].to_vec(), 100, 25, |_| None);
    let ws = Workspace::in_memory().await.unwrap();
    let first = pull(&ws, request(&fake)).await.unwrap();
    assert_eq!(first.new_events as usize, provisioning(&all[..60]).len());

    let again = pull(&ws, request(&fake)).await.unwrap();
    assert!(again.incremental);
    assert_eq!(again.new_events, 0);
    assert!(
        again.already_held > 0,
        "the overlap is read again and dropped"
    );
    assert!(again.outcome.is_none(), "nothing new, nothing stored");

    fake.events
        .lock()
        .unwrap()
        .extend(all[60..].iter().cloned());
    let newer = pull(&ws, request(&fake)).await.unwrap();
    assert_eq!(newer.new_events as usize, provisioning(&all[60..]).len());
    assert!(matches!(
        newer.outcome,
        Some(ImportOutcome::Imported { .. })
    ));
    assert_eq!(records(&ws).await as usize, provisioning(&all).len());
    assert_eq!(api::views::sources(&ws).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okta_pull_cancelled_or_cut_off_mid_way_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();

    let fake = fake_okta(system_log(200), 100, 20, |_| None);
    let cancel = CancelToken::default();
    let stop = cancel.clone();
    let err = api::pull_okta(&ws, request(&fake), &cancel, now(), &move |_| stop.cancel())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert_eq!(
        fake.pages.lock().unwrap().len(),
        1,
        "no call after the cancel"
    );

    let cut = fake_okta(system_log(200), 100, 20, |n| {
        (n == 3).then(|| Reply {
            status: 0,
            headers: Vec::new(),
            body: String::new(),
        })
    });
    let err = pull(&ws, request(&cut)).await.unwrap_err();
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
    assert!(api::views::sources(&ws).await.unwrap().is_empty());
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_refusals_say_what_to_do_and_never_quote_the_token() {
    let ws = Workspace::in_memory().await.unwrap();
    let fake = fake_okta(system_log(10), 100, 100, |_| None);
    let wrong = PullOktaReq {
        token: Some(Secret::new("00WrongTokenWrongTokenWrongToken")),
        ..request(&fake)
    };
    let err = pull(&ws, wrong).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            Error::Idp {
                kind: IdpErrorKind::SignIn,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        text.contains("E0000011") && text.contains("Security > API > Tokens"),
        "{text}"
    );
    assert!(!text.contains("WrongToken"), "{text}");

    let forbidden = fake_okta(system_log(10), 100, 100, |_| {
        Some(reply_json(
            403,
            &json!({"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"}),
        ))
    });
    let bearer = PullOktaReq {
        token: Some(Secret::new("eyJraWQiOiJrMSJ9.eyJzY3AiOltdfQ.c2lnbmF0dXJl")),
        ..request(&forbidden)
    };
    let err = pull(&ws, bearer).await.unwrap_err();
    assert!(
        matches!(&err, Error::Idp { kind: IdpErrorKind::AccessDenied, message, .. } if message.contains("okta.logs.read")),
        "{err:?}"
    );
    let requests = forbidden.peer.requests();
    assert!(
        requests[0]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer eyJ"),
        "an OAuth access token goes as Bearer"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = PullOktaReq {
        org: format!("http://127.0.0.1:{port}"),
        ..request(&fake)
    };
    let err = pull(&ws, gone).await.unwrap_err();
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

    let always = fake_okta(system_log(10), 100, 100, |_| {
        let mut r = reply_json(
            429,
            &json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}),
        );
        r.headers.push(("Retry-After".into(), "0".into()));
        Some(r)
    });
    let err = pull(&ws, request(&always)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Idp {
                kind: IdpErrorKind::Throttled,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(api::views::sources(&ws).await.unwrap().is_empty());
}
