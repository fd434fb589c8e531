//! `pull_cloudtrail` against a CloudTrail of our own (moto has no LookupEvents): a small HTTP
//! server speaking CloudTrail's JSON 1.1 protocol, serving events built from the CloudTrail
//! fixtures (the documented shape, the real AWS examples among them) newest first, 50 a page
//! behind `NextToken`, filtered by the request's event source and time window.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::aws::{BodyHandler, FakeAws, Reply, credentials, error, fake_aws_reading, ok};
use crate::api::{self, ImportFilesReq, ImportOutcome, PullCloudTrailReq, PullCloudTrailRes};
use crate::db::Workspace;
use crate::error::Error;
use crate::import::pipeline::CancelToken;

const SCIM: &str = "identitystore-scim.amazonaws.com";
const API: &str = "identitystore.amazonaws.com";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// The CloudTrail events of the fixtures: the story of `cloudtrail/records.json` and AWS's own
/// published examples (`real/cloudtrail`).
fn templates() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture("cloudtrail/records.json")).unwrap();
    let mut events: Vec<Value> = serde_json::from_str::<Value>(&text).unwrap()["Records"]
        .as_array()
        .unwrap()
        .clone();
    let mut real: Vec<PathBuf> = std::fs::read_dir(fixture("real/cloudtrail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    real.sort();
    for path in real {
        events.push(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
    }
    events
}

/// `n` events cycling through the templates, 37 s apart from 2026-11-20, each with its own id;
/// then reads of the Identity Store API (which a pull leaves out) in the same span.
fn trail(n: usize) -> Vec<Value> {
    let templates = templates();
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    let at = |i: usize| (start + chrono::Duration::seconds(37 * i as i64)).to_rfc3339();
    let mut events: Vec<Value> = (0..n)
        .map(|i| {
            let mut e = templates[i % templates.len()].clone();
            e["eventID"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
            e["eventTime"] = json!(at(i));
            e
        })
        .collect();
    let delete = templates.iter().find(|e| e["eventSource"] == API).unwrap();
    for (k, name) in ["ListUsers", "DescribeUser", "GetUserId"]
        .iter()
        .enumerate()
    {
        let mut e = delete.clone();
        e["eventName"] = json!(name);
        e["readOnly"] = json!(true);
        e["eventID"] = json!(format!("00000000-0000-4000-9000-{k:012}"));
        e["eventTime"] = json!(at(k * 7 + 3));
        events.push(e);
    }
    events
}

fn time_of(e: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The entry `aws cloudtrail lookup-events` prints for a trail event.
fn lookup_entry(e: &Value) -> Value {
    json!({
        "EventId": e["eventID"],
        "EventName": e["eventName"],
        "ReadOnly": if e["readOnly"] == json!(true) { "true" } else { "false" },
        "EventTime": time_of(e).timestamp(),
        "EventSource": e["eventSource"],
        "Username": "scim",
        "Resources": [],
        "CloudTrailEvent": e.to_string(),
    })
}

/// What a pull should keep: the SCIM calls and the Identity Store API's writes.
fn kept(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| {
            let name = e["eventName"].as_str().unwrap();
            e["eventSource"] == SCIM
                || (e["eventSource"] == API
                    && ["Create", "Update", "Delete"]
                        .iter()
                        .any(|v| name.starts_with(v)))
        })
        .cloned()
        .collect()
}

struct FakeCloudTrail {
    aws: FakeAws,
    /// The events CloudTrail holds; a test may add some between pulls.
    events: Arc<Mutex<Vec<Value>>>,
    /// Pages answered, as (event source, offset).
    pages: Arc<Mutex<Vec<(String, usize)>>>,
}

/// `misbehave(n)` may answer LookupEvents request `n` itself (a throttle, a closed connection).
fn fake_cloudtrail(
    events: Vec<Value>,
    misbehave: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> FakeCloudTrail {
    let events = Arc::new(Mutex::new(events));
    let pages: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let (held, served) = (events.clone(), pages.clone());
    let handler: Arc<BodyHandler> = Arc::new(move |op, n, body| {
        if op != "LookupEvents" {
            return error(400, "UnknownOperationException", json!({}));
        }
        if let Some(reply) = misbehave(n) {
            return reply;
        }
        let req: Value = serde_json::from_str(body).unwrap();
        let attrs = req["LookupAttributes"].as_array().unwrap();
        assert_eq!(
            attrs.len(),
            1,
            "LookupEvents takes one lookup attribute: {req}"
        );
        assert_eq!(attrs[0]["AttributeKey"], "EventSource");
        assert_eq!(req["MaxResults"], 50);
        let source = attrs[0]["AttributeValue"].as_str().unwrap().to_string();
        let secs = |k: &str| req[k].as_f64().unwrap();
        let (from, to) = (secs("StartTime"), secs("EndTime"));
        let mut matching: Vec<Value> = held
            .lock()
            .unwrap()
            .iter()
            .filter(|e| {
                let t = time_of(e).timestamp() as f64;
                e["eventSource"] == source.as_str() && t >= from && t <= to
            })
            .cloned()
            .collect();
        matching.sort_by_key(|e| std::cmp::Reverse(time_of(e)));
        let offset: usize = req["NextToken"].as_str().map_or(0, |t| t.parse().unwrap());
        served.lock().unwrap().push((source, offset));
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(50)
            .map(lookup_entry)
            .collect();
        let mut body = json!({ "Events": page });
        if offset + 50 < matching.len() {
            body["NextToken"] = json!((offset + 50).to_string());
        }
        ok(body)
    });
    FakeCloudTrail {
        aws: fake_aws_reading(Duration::ZERO, handler),
        events,
        pages,
    }
}

fn request(endpoint: &str) -> PullCloudTrailReq {
    PullCloudTrailReq {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        credentials: Some(credentials()),
        ..PullCloudTrailReq::default()
    }
}

async fn pull(ws: &Workspace, req: PullCloudTrailReq) -> crate::error::Result<PullCloudTrailRes> {
    api::pull_cloudtrail(ws, req, &CancelToken::default(), now(), &|_| {}).await
}

async fn records(ws: &Workspace) -> u64 {
    api::views::sources(ws)
        .await
        .unwrap()
        .iter()
        .map(|s| s.records)
        .sum()
}

/// The report with what names the source left out: the diagnosis itself.
async fn diagnosis(ws: &Workspace) -> Value {
    let report = api::build_report(ws, &[], now()).await.unwrap();
    let mut v = serde_json::to_value(&report).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("sources");
    o.remove("generated_at");
    v
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("cloudtrail"))
        .collect()
}

fn throttle_second_request(n: usize) -> Option<Reply> {
    (n == 1).then(|| error(400, "ThrottlingException", json!({})))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_reads_every_page_once_under_two_requests_a_second_and_retries_a_throttle() {
    let events = trail(140);
    let scim = events.iter().filter(|e| e["eventSource"] == SCIM).count();
    assert!(scim > 100, "three pages of SCIM calls at least, got {scim}");
    let fake = fake_cloudtrail(events.clone(), throttle_second_request);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let progress: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let seen = progress.clone();
    let res = api::pull_cloudtrail(
        &ws,
        request(&fake.aws.endpoint),
        &CancelToken::default(),
        now(),
        &move |p| seen.lock().unwrap().push((p.pages, p.events)),
    )
    .await
    .unwrap();

    let pages = fake.pages.lock().unwrap().clone();
    let mut once = pages.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), pages.len(), "a page was read twice: {pages:?}");
    let scim_pages = scim.div_ceil(50);
    assert_eq!(pages.len(), scim_pages + 1, "{pages:?}");
    let s = &res.stats;
    assert_eq!(s.pages as usize, pages.len());
    assert_eq!(s.minimum_calls as usize, pages.len());
    assert_eq!((s.throttled, s.retries), (1, 1));
    assert_eq!(
        s.calls as usize,
        pages.len() + 1,
        "every page plus the throttled request"
    );
    assert_eq!(
        progress.lock().unwrap().len(),
        pages.len(),
        "progress after every page"
    );

    let times: Vec<_> = fake
        .aws
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| *t)
        .collect();
    for w in times.windows(3) {
        let gap = w[2] - w[0];
        assert!(
            gap >= Duration::from_millis(980),
            "three LookupEvents within {gap:?}: more than 2 requests in a second"
        );
    }

    let kept = kept(&events);
    assert_eq!(res.new_events as usize, kept.len());
    assert_eq!(
        s.api_reads_skipped, 3,
        "the Identity Store API's reads are left out"
    );
    assert_eq!(s.scim_events as usize + s.api_writes as usize, kept.len());
    assert!(!res.clamped && !res.incremental);
    assert_eq!(records(&ws).await as usize, kept.len());
    let sources = api::views::sources(&ws).await.unwrap();
    assert_eq!(sources.len(), 1, "one source per pull");
    assert!(
        sources[0]
            .path
            .starts_with("CloudTrail LookupEvents us-east-1"),
        "{:?}",
        sources[0].path
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    eprintln!(
        "cloudtrail pull: {} events in {} calls (floor {}), {:.2} s",
        kept.len(),
        s.calls,
        s.minimum_calls,
        s.seconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_imports_the_same_records_and_report_as_the_downloaded_file() {
    let events = trail(60);
    let fake = fake_cloudtrail(events.clone(), |_| None);
    let dir = tempfile::tempdir().unwrap();
    let pulled = Workspace::open(&dir.path().join("pulled.sqlite"))
        .await
        .unwrap();
    pull(&pulled, request(&fake.aws.endpoint)).await.unwrap();

    // What `aws cloudtrail lookup-events` would have written for the same events.
    let file = dir.path().join("lookup-events.json");
    let entries: Vec<Value> = kept(&events).iter().map(lookup_entry).collect();
    std::fs::write(&file, json!({ "Events": entries }).to_string()).unwrap();
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
async fn a_second_pull_adds_only_the_newer_events() {
    let all = trail(80);
    let fake = fake_cloudtrail(all[..50].to_vec(), |_| None);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let first = pull(&ws, request(&fake.aws.endpoint)).await.unwrap();
    assert_eq!(first.new_events as usize, kept(&all[..50]).len());

    let again = pull(&ws, request(&fake.aws.endpoint)).await.unwrap();
    assert!(
        again.incremental,
        "without --since a pull starts from the newest event held"
    );
    assert_eq!(again.new_events, 0);
    assert!(
        again.already_held > 0,
        "the overlap is read again and dropped"
    );
    assert!(again.outcome.is_none(), "nothing new, nothing stored");
    assert_eq!(api::views::sources(&ws).await.unwrap().len(), 1);

    fake.events
        .lock()
        .unwrap()
        .extend(all[50..80].iter().cloned());
    let newer = pull(&ws, request(&fake.aws.endpoint)).await.unwrap();
    let newest_held = time_of(&all[49]);
    assert!(
        DateTime::parse_from_rfc3339(&newer.since).unwrap()
            > newest_held - chrono::Duration::minutes(16),
        "since {} for events held up to {newest_held}",
        newer.since
    );
    assert_eq!(newer.new_events as usize, kept(&all[50..80]).len());
    assert!(matches!(
        newer.outcome,
        Some(ImportOutcome::Imported { .. })
    ));
    assert_eq!(
        records(&ws).await as usize,
        kept(&all).len(),
        "no event stored twice"
    );
    assert_eq!(api::views::sources(&ws).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_whose_server_goes_away_mid_way_stores_nothing() {
    let fake = fake_cloudtrail(trail(140), |n| {
        (n >= 1).then(|| (0, Vec::new(), String::new()))
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let err = pull(&ws, request(&fake.aws.endpoint)).await.unwrap_err();
    assert!(matches!(err, Error::Aws { .. }), "{err:?}");
    assert!(api::views::sources(&ws).await.unwrap().is_empty());
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_pull_stores_nothing() {
    let fake = fake_cloudtrail(trail(140), |_| None);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("case.sqlite"))
        .await
        .unwrap();
    let cancel = CancelToken::default();
    let stop = cancel.clone();
    let err = api::pull_cloudtrail(
        &ws,
        request(&fake.aws.endpoint),
        &cancel,
        now(),
        &move |_| stop.cancel(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert_eq!(
        fake.pages.lock().unwrap().len(),
        1,
        "no call after the cancel"
    );
    assert!(api::views::sources(&ws).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_before_cloudtrails_ninety_days_is_clamped_and_said() {
    let fake = fake_cloudtrail(trail(5), |_| None);
    let ws = Workspace::in_memory().await.unwrap();
    let req = PullCloudTrailReq {
        since: Some("2026-01-01".into()),
        ..request(&fake.aws.endpoint)
    };
    let res = pull(&ws, req).await.unwrap();
    assert!(res.clamped);
    assert_eq!(
        DateTime::parse_from_rfc3339(&res.since).unwrap(),
        now() - chrono::Duration::days(90)
    );
    let bad = PullCloudTrailReq {
        since: Some("last tuesday".into()),
        ..request(&fake.aws.endpoint)
    };
    assert!(matches!(
        pull(&ws, bad).await.unwrap_err(),
        Error::InvalidArgument(_)
    ));
}

#[test]
fn since_reads_dates_times_and_durations_back_from_now() {
    let cases: BTreeMap<&str, DateTime<Utc>> = [
        (
            "2026-11-01",
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        ),
        (
            "2026-11-01T06:30:00Z",
            Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap(),
        ),
        ("7d", now() - chrono::Duration::days(7)),
        ("12h", now() - chrono::Duration::hours(12)),
        ("30m", now() - chrono::Duration::minutes(30)),
        ("2w", now() - chrono::Duration::weeks(2)),
    ]
    .into_iter()
    .collect();
    for (text, want) in cases {
        assert_eq!(api::parse_when(text, now()).unwrap(), want, "{text}");
    }
    assert!(api::parse_when("7y", now()).is_err());
}

/// Regression: a pulled document was imported under its temporary file's path and renamed in a
/// second statement after the import's transaction; a crash between the two left a source named
/// `.scimlens-cloudtrail-....json`. The name is now written by the import itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_document_is_recorded_under_its_name_by_the_import_itself() {
    use crate::import::pipeline::import_job_as;
    use crate::import::plan::ImportJob;
    let ws = Workspace::in_memory().await.unwrap();
    let job = ImportJob {
        path: fixture("cloudtrail/records.json"),
        format: crate::model::Format::Cloudtrail,
        companions: Vec::new(),
    };
    let rules = crate::diagnose::Rules::new(&[]);
    let name = "CloudTrail LookupEvents us-east-1 2026-11-20 .. 2026-11-22";
    let outcome = import_job_as(
        &ws,
        &job,
        Some(name),
        &rules,
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(
        matches!(&outcome, ImportOutcome::Imported { path, .. } if path == name),
        "{outcome:?}"
    );
    let sources = api::views::sources(&ws).await.unwrap();
    assert_eq!(
        sources.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        [name]
    );
}
