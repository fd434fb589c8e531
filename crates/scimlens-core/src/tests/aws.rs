//! The live identity store against real peers: moto_server (seeded through the Rust SDK with
//! enough users, groups and members to need several pages) for fetch, snapshots, compare and
//! preflight with known answers; and a small local HTTP server of our own for what moto cannot
//! do (throttling with RetryAfterSeconds, refused credentials, a wrong store id).
//!
//! moto_server and its seed are in `moto.rs` (shared with the CLI's tests).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::identity_store::{self, CompareReq, PreflightReq};
use crate::aws::{FetchOptions, StaticCredentials};
use crate::compare::{CompareState, MatchKey, NotProvisionedReason};
use crate::db::Workspace;
use crate::error::{AwsErrorKind, Error};
use crate::import::pipeline::CancelToken;
use crate::model::{Category, EntityKind};
use aws_sdk_identitystore::types::{MemberId, Name};
use chrono::{TimeZone, Utc};

use super::moto::{MEMBERSHIPS, TEAMS, USERS, free_port, sdk_config, seed, start_moto, user_name};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

pub(super) fn credentials() -> StaticCredentials {
    StaticCredentials {
        access_key_id: "AKIDSCIMLENSTEST".into(),
        secret_access_key: "not-a-secret".into(),
        session_token: None,
    }
}

fn options(endpoint: &str, store: Option<&str>) -> FetchOptions {
    FetchOptions {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        identity_store_id: store.map(str::to_string),
        credentials: Some(credentials()),
        // The identity store alone; access has its own tests (`access.rs`).
        access: false,
        ..FetchOptions::default()
    }
}

fn scim_user(i: usize, extra: serde_json::Value) -> serde_json::Value {
    let mut u = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": format!("idp-u{i}"),
        "userName": user_name(i),
        "displayName": format!("User {i}"),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}")},
        "emails": [{"value": user_name(i), "type": "work", "primary": true}],
        "active": true
    });
    for (k, v) in extra.as_object().unwrap() {
        u[k] = v.clone();
    }
    u
}

fn scim_group(id: &str, name: &str, members: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": id, "displayName": name, "members": members})
}

fn member(id: &str) -> serde_json::Value {
    serde_json::json!({"value": id})
}

/// The IdP: users 0..249 (5 and 6 drifted, 7 with an externalId the store lacks), five new
/// users, Administrator and a user without a given name; Engineering (151 direct members and
/// the nested group Platform), Everyone (250), Team 000..099, Platform (new000 only).
fn idp_export(dir: &std::path::Path) -> PathBuf {
    let mut resources = Vec::new();
    for i in 0..250 {
        let extra = match i {
            5 => serde_json::json!({"displayName": "User 5 Renamed"}),
            6 => serde_json::json!({"name": {"givenName": "Changed", "familyName": "Family6"}}),
            7 => serde_json::json!({"externalId": "ext-7"}),
            _ => serde_json::json!({}),
        };
        resources.push(scim_user(i, extra));
    }
    for n in 0..5 {
        resources.push(serde_json::json!({
            "id": format!("idp-new{n}"), "userName": format!("new{n:03}@example.com"), "displayName": format!("New {n}"),
            "name": {"givenName": "New", "familyName": format!("Person{n}")},
            "emails": [{"value": format!("new{n:03}@example.com"), "type": "work", "primary": true}]
        }));
    }
    resources.push(serde_json::json!({"id": "idp-admin", "userName": "Administrator", "displayName": "Admin",
        "name": {"givenName": "Ad", "familyName": "Min"}, "emails": [{"value": "admin@example.com", "primary": true}]}));
    resources.push(serde_json::json!({"id": "idp-noname", "userName": "noname@example.com", "displayName": "No Name",
        "name": {"givenName": "", "familyName": "Nobody"}, "emails": [{"value": "noname@example.com", "primary": true}]}));
    let mut eng: Vec<serde_json::Value> = (0..=150).map(|i| member(&format!("idp-u{i}"))).collect();
    eng.push(serde_json::json!({"value": "idp-g-platform", "type": "Group"}));
    resources.push(scim_group("idp-g-eng", "Engineering", eng));
    resources.push(scim_group(
        "idp-g-everyone",
        "Everyone",
        (0..250).map(|i| member(&format!("idp-u{i}"))).collect(),
    ));
    resources.push(scim_group(
        "idp-g-team0",
        "Team 000",
        (0..3).map(|i| member(&format!("idp-u{i}"))).collect(),
    ));
    for t in 1..100 {
        resources.push(scim_group(
            &format!("idp-g-team{t}"),
            &format!("Team {t:03}"),
            Vec::new(),
        ));
    }
    resources.push(scim_group(
        "idp-g-platform",
        "Platform",
        vec![member("idp-new0")],
    ));
    let doc = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": resources.len(), "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources
    });
    let path = dir.join("idp.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moto_store_is_fetched_compared_and_preflighted_with_known_answers() {
    let moto = start_moto();
    let store_id = seed(&moto.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();

    // Fetch with discovery (ListInstances) at 20 requests/s.
    let progress_calls = Arc::new(AtomicUsize::new(0));
    let seen = progress_calls.clone();
    let opts = FetchOptions {
        rate: 20.0,
        ..options(&moto.endpoint, None)
    };
    let res = identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &move |_| {
        seen.fetch_add(1, Ordering::Relaxed);
    })
    .await
    .unwrap();
    let s = &res.stats;
    assert_eq!(s.identity_store_id, store_id, "found through ListInstances");
    assert_eq!(
        (s.users, s.groups, s.memberships),
        (USERS as u64, TEAMS as u64 + 3, MEMBERSHIPS as u64)
    );
    // 1 ListInstances + 3 user pages + 2 group pages + (2 + 3 + 119) membership pages.
    assert_eq!(s.minimum_calls, 130);
    assert_eq!(
        s.calls, s.minimum_calls,
        "no call beyond what pagination needs: {s:?}"
    );
    assert_eq!(
        (
            s.calls_list_users,
            s.calls_list_groups,
            s.calls_list_group_memberships
        ),
        (3, 2, 124)
    );
    // How close the fetch comes to the 20/s floor is a benchmark (`make fetch-bench`); here only
    // the limit itself: never faster than 20 requests/s.
    assert!(
        s.seconds >= (s.calls - 1) as f64 / 20.0 * 0.95,
        "the pace stays at or under 20/s: {:.2} s",
        s.seconds
    );
    assert!(
        progress_calls.load(Ordering::Relaxed) > 3,
        "progress is reported while fetching"
    );
    assert_eq!(res.snapshot.users, USERS as u64);
    assert!(res.snapshot.memberships_known);

    // The snapshot round-trips through the AWS CLI shape.
    let export_dir = dir.path().join("export");
    let files = identity_store::export_store(&ws, None, &export_dir)
        .await
        .unwrap();
    assert_eq!(files.len(), 3);
    let reimported = identity_store::import_store_files(&ws, &files, now())
        .await
        .unwrap();
    assert_eq!(
        (reimported.users, reimported.groups, reimported.memberships),
        (260, 121, 413)
    );
    let same = identity_store::diff_snapshots(&ws, Some(res.snapshot.id), Some(reimported.id))
        .await
        .unwrap();
    assert!(
        same.users.added.is_empty()
            && same.users.removed.is_empty()
            && same.users.changed.is_empty(),
        "{same:?}"
    );
    assert_eq!(same.users.unchanged, 260);
    assert!(same.memberships_added.is_empty() && same.memberships_removed.is_empty());

    // Compare the IdP export with the fetched snapshot.
    let export = idp_export(dir.path());
    let directory = identity_store::import_directory(&ws, std::slice::from_ref(&export), now())
        .await
        .unwrap();
    assert_eq!((directory.users, directory.groups), (257, 103));
    let req = CompareReq {
        snapshot_id: Some(res.snapshot.id),
        include_in_sync: true,
        ..Default::default()
    };
    let report = identity_store::compare_store(&ws, &req, now())
        .await
        .unwrap();
    let c = report.compare.as_ref().unwrap();
    assert_eq!(c.match_order, MatchKey::USER_DEFAULT.to_vec());
    assert_eq!(
        (
            c.users.in_sync,
            c.users.drift,
            c.users.not_provisioned,
            c.users.unmanaged_in_store
        ),
        (247, 2, 7, 11),
        "{:?}",
        c.users
    );
    assert_eq!(
        (
            c.groups.in_sync,
            c.groups.drift,
            c.groups.not_provisioned,
            c.groups.unmanaged_in_store
        ),
        (102, 0, 1, 19),
        "{:?}",
        c.groups
    );
    let m = c.memberships.unwrap();
    assert_eq!(
        (m.in_sync, m.not_provisioned, m.unmanaged_in_store),
        (403, 1, 10),
        "{m:?}"
    );
    let find = |kind: EntityKind, name: &str| {
        c.entities
            .iter()
            .find(|e| e.kind == kind && e.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let u5 = find(EntityKind::User, &user_name(5));
    assert_eq!(u5.state, CompareState::Drift);
    assert_eq!(u5.differences.len(), 1);
    assert_eq!(
        (
            u5.differences[0].attribute.as_str(),
            u5.differences[0].idp.as_deref(),
            u5.differences[0].store.as_deref()
        ),
        ("displayName", Some("User 5 Renamed"), Some("User 5"))
    );
    assert_eq!(
        find(EntityKind::User, &user_name(6)).differences[0].attribute,
        "name.givenName"
    );
    let u7 = find(EntityKind::User, &user_name(7));
    assert_eq!(
        (u7.state, u7.matched_by),
        (CompareState::UnmanagedInStore, Some(MatchKey::UserName))
    );
    assert!(u7.detail.as_deref().unwrap().contains("409"));
    assert_eq!(
        find(EntityKind::User, &user_name(255)).state,
        CompareState::UnmanagedInStore
    );
    let new0 = find(EntityKind::User, "new000@example.com");
    assert_eq!(
        (new0.state, new0.reason),
        (
            CompareState::NotProvisioned,
            Some(NotProvisionedReason::NestedGroupOnly)
        )
    );
    assert!(
        new0.detail
            .as_deref()
            .unwrap()
            .contains("Platform (inside Engineering)"),
        "{:?}",
        new0.detail
    );
    assert_eq!(
        find(EntityKind::User, "new001@example.com").reason,
        Some(NotProvisionedReason::Unknown),
        "no logs imported"
    );
    let platform = find(EntityKind::Group, "Platform");
    assert_eq!(
        (platform.state, platform.reason),
        (
            CompareState::NotProvisioned,
            Some(NotProvisionedReason::NestedGroupOnly)
        )
    );
    let ct = find(EntityKind::Group, "AWSControlTowerAdmins");
    assert_eq!(ct.state, CompareState::UnmanagedInStore);
    assert!(ct.detail.as_deref().unwrap().contains("Control Tower"));
    assert_eq!(c.nested_groups.len(), 1);
    assert_eq!(
        (
            c.nested_groups[0].parent.as_str(),
            c.nested_groups[0].child.as_str(),
            c.nested_groups[0].members_only_through_child
        ),
        ("Engineering", "Platform", 1)
    );
    assert!(
        c.membership_differences
            .iter()
            .any(|d| d.state == CompareState::NotProvisioned
                && d.member == user_name(150)
                && d.group == "Engineering")
    );
    // The JSON report keeps its schema: the new section is additive.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert!(json.get("compare").is_some() && json.get("preflight").is_none());

    // A different match order is honoured (email first finds the same pairs here).
    let by_email = CompareReq {
        match_order: Some(vec![MatchKey::Email]),
        ..req.clone()
    };
    let c2 = identity_store::compare_store(&ws, &by_email, now())
        .await
        .unwrap()
        .compare
        .unwrap();
    assert_eq!(c2.users.drift, 2);
    assert!(
        c2.entities
            .iter()
            .filter(|e| e.kind == EntityKind::User && e.matched_by.is_some())
            .all(|e| e.matched_by == Some(MatchKey::Email))
    );

    // Preflight the same export against the store.
    let pre = PreflightReq {
        paths: vec![export.clone()],
        against_store: true,
        snapshot_id: Some(res.snapshot.id),
        extra_reserved: Vec::new(),
    };
    let report = identity_store::preflight_export(Some(&ws), &pre, now())
        .await
        .unwrap();
    let p = report.preflight.as_ref().unwrap();
    assert!(p.predicted);
    assert_eq!((p.users_checked, p.groups_checked), (257, 103));
    let failing: Vec<(&str, Category)> = report
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.category.unwrap()))
        .collect();
    assert_eq!(failing.len(), 3, "{failing:?}");
    assert!(failing.contains(&("Administrator", Category::ReservedName)));
    assert!(failing.contains(&("noname@example.com", Category::MissingRequiredAttribute)));
    assert!(failing.contains(&(user_name(7).as_str(), Category::DuplicateConflict)));
    assert_eq!(
        p.warnings, 2,
        "Engineering and Everyone have over 100 direct members: {:#?}",
        p.findings
    );
    assert_eq!(report.categories["RESERVED_NAME"], 1);

    // Over time: a user added, one removed, a membership added.
    let cfg = sdk_config(&moto.endpoint).await;
    let ids = aws_sdk_identitystore::Client::new(&cfg);
    let added = ids
        .create_user()
        .identity_store_id(&store_id)
        .user_name("late@example.com")
        .display_name("Late")
        .name(Name::builder().given_name("La").family_name("Te").build())
        .send()
        .await
        .unwrap();
    let gone = ids
        .list_users()
        .identity_store_id(&store_id)
        .max_results(1)
        .send()
        .await
        .unwrap()
        .users()[0]
        .user_id()
        .to_string();
    ids.delete_user()
        .identity_store_id(&store_id)
        .user_id(&gone)
        .send()
        .await
        .unwrap();
    let team5 = ids
        .list_groups()
        .identity_store_id(&store_id)
        .max_results(100)
        .send()
        .await
        .unwrap();
    let team5 = team5
        .groups()
        .iter()
        .find(|g| g.display_name() == Some("Team 005"))
        .unwrap()
        .group_id()
        .to_string();
    ids.create_group_membership()
        .identity_store_id(&store_id)
        .group_id(&team5)
        .member_id(MemberId::UserId(added.user_id().to_string()))
        .send()
        .await
        .unwrap();
    let again = identity_store::fetch_store(
        &ws,
        &options(&moto.endpoint, Some(&store_id)),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let diff = identity_store::diff_snapshots(&ws, None, None)
        .await
        .unwrap();
    assert_eq!(
        (diff.from.id, diff.to.id),
        (reimported.id, again.snapshot.id)
    );
    assert_eq!(diff.users.added.len(), 1);
    assert_eq!(
        diff.users.added[0].name.as_deref(),
        Some("late@example.com")
    );
    assert_eq!(diff.users.removed.len(), 1);
    assert_eq!(diff.users.removed[0].id.as_deref(), Some(gone.as_str()));
    assert!(
        diff.memberships_added
            .iter()
            .any(|m| m.group.as_deref() == Some("Team 005")
                && m.user.as_deref() == Some("late@example.com"))
    );
    drop(moto);
}

// --- A small AWS of our own --------------------------------------------------------------------

/// What the fake answers: HTTP status, extra headers, JSON body.
/// Status 0 closes the connection without an answer (a server going away mid-way).
pub(super) type Reply = (u16, Vec<(&'static str, String)>, String);
type Handler = dyn Fn(&str, usize) -> Reply + Send + Sync;
/// Also given the request's JSON body.
pub(super) type BodyHandler = dyn Fn(&str, usize, &str) -> Reply + Send + Sync;

pub(super) struct FakeAws {
    pub(super) endpoint: String,
    pub(super) requests: Arc<Mutex<Vec<(String, Instant)>>>,
}

/// Answers AWS JSON 1.1 requests by `X-Amz-Target` operation with `handler(operation, n)`, where
/// `n` counts that operation's requests from 0. Optionally sleeps before answering.
fn fake_aws(delay: Duration, handler: Arc<Handler>) -> FakeAws {
    fake_aws_reading(delay, Arc::new(move |op, n, _body| handler(op, n)))
}

/// [`fake_aws`] with a handler that reads the request's body.
pub(super) fn fake_aws_reading(delay: Duration, handler: Arc<BodyHandler>) -> FakeAws {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let (handler, log) = (handler.clone(), log.clone());
            std::thread::spawn(move || serve(stream, delay, &*handler, &log));
        }
    });
    FakeAws { endpoint, requests }
}

fn serve(
    stream: TcpStream,
    delay: Duration,
    handler: &BodyHandler,
    log: &Mutex<Vec<(String, Instant)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut target = String::new();
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "x-amz-target" => {
                        target = v.trim().rsplit('.').next().unwrap_or_default().to_string()
                    }
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let n = {
            let mut log = log.lock().unwrap();
            let n = log.iter().filter(|(t, _)| *t == target).count();
            log.push((target.clone(), Instant::now()));
            n
        };
        std::thread::sleep(delay);
        let (status, headers, body) = handler(&target, n, &String::from_utf8_lossy(&body));
        if status == 0 {
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: test\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

pub(super) fn ok(body: serde_json::Value) -> Reply {
    (200, Vec::new(), body.to_string())
}

pub(super) fn error(status: u16, kind: &str, extra: serde_json::Value) -> Reply {
    let mut body =
        serde_json::json!({"__type": kind, "Message": format!("{kind} from the test server")});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    (
        status,
        vec![("x-amzn-ErrorType", kind.to_string())],
        body.to_string(),
    )
}

fn users_page(from: usize, n: usize) -> Vec<serde_json::Value> {
    (from..from + n)
        .map(|i| serde_json::json!({"UserId": format!("u-{i}"), "UserName": format!("u{i}@example.com"), "IdentityStoreId": "d-fake000001"}))
        .collect()
}

async fn snapshot_count(ws: &Workspace) -> usize {
    identity_store::list_snapshots(ws).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_calls_wait_retry_after_seconds_and_succeed() {
    let handler: Arc<Handler> = Arc::new(|op, n| match (op, n) {
        ("ListUsers", 0 | 1) => {
            let mut r = error(
                400,
                "ThrottlingException",
                serde_json::json!({"RetryAfterSeconds": 1}),
            );
            r.1.push(("Retry-After", "1".into()));
            r
        }
        ("ListUsers", _) => ok(serde_json::json!({"Users": users_page(0, 3)})),
        ("ListGroups", _) => ok(
            serde_json::json!({"Groups": [{"GroupId": "g-1", "DisplayName": "G", "IdentityStoreId": "d-fake000001"}]}),
        ),
        ("ListGroupMemberships", _) => ok(serde_json::json!({"GroupMemberships": [
            {"MembershipId": "m-1", "GroupId": "g-1", "MemberId": {"UserId": "u-0"}, "IdentityStoreId": "d-fake000001"}]})),
        _ => error(400, "UnknownOperationException", serde_json::json!({})),
    });
    let aws = fake_aws(Duration::ZERO, handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let started = Instant::now();
    let res = identity_store::fetch_store(
        &ws,
        &options(&aws.endpoint, Some("d-fake000001")),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(
        (res.stats.users, res.stats.groups, res.stats.memberships),
        (3, 1, 1)
    );
    assert_eq!((res.stats.throttled, res.stats.retries), (2, 2));
    assert_eq!(
        res.stats.calls, 5,
        "3 ListUsers (two throttled) + ListGroups + ListGroupMemberships"
    );
    assert!(
        took >= Duration::from_millis(1900),
        "two RetryAfterSeconds of 1 s were honoured: {took:?}"
    );
    // Every caller paused after a throttle: nothing was sent within the second after one.
    let log = aws.requests.lock().unwrap().clone();
    let throttled_at: Vec<Instant> = log
        .iter()
        .filter(|(t, _)| t == "ListUsers")
        .take(2)
        .map(|(_, at)| *at)
        .collect();
    for at in &throttled_at {
        // A request granted its token before the throttle was answered may still arrive just
        // after it; anything later inside the second is a request sent during the pause.
        let during = log
            .iter()
            .filter(|(_, t)| {
                *t > *at + Duration::from_millis(30)
                    && t.duration_since(*at) < Duration::from_millis(900)
            })
            .count();
        assert_eq!(
            during, 0,
            "a request went out during the RetryAfterSeconds pause"
        );
    }
    assert_eq!(snapshot_count(&ws).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_store_id_is_named_and_nothing_is_stored() {
    let handler: Arc<Handler> = Arc::new(|_, _| {
        error(
            400,
            "ResourceNotFoundException",
            serde_json::json!({"ResourceType": "IDENTITY_STORE", "ResourceId": "d-0000000000"}),
        )
    });
    let aws = fake_aws(Duration::ZERO, handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let err = identity_store::fetch_store(
        &ws,
        &options(&aws.endpoint, Some("d-0000000000")),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap_err();
    match &err {
        Error::Aws { code, message, .. } => {
            assert_eq!(*code, AwsErrorKind::NotFound);
            assert!(
                message.contains("identity store d-0000000000 not found"),
                "{message}"
            );
        }
        other => panic!("expected an AWS error, got {other}"),
    }
    assert_eq!(snapshot_count(&ws).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_and_denied_access_are_said_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    for (kind, status, expected, words) in [
        (
            "UnrecognizedClientException",
            400,
            AwsErrorKind::Credentials,
            "the credentials were refused: check --profile / aws sso login",
        ),
        (
            "ExpiredTokenException",
            400,
            AwsErrorKind::Credentials,
            "aws sso login",
        ),
        (
            "AccessDeniedException",
            403,
            AwsErrorKind::AccessDenied,
            "identitystore:ListUsers",
        ),
    ] {
        let handler: Arc<Handler> =
            Arc::new(move |_, _| error(status, kind, serde_json::json!({})));
        let aws = fake_aws(Duration::ZERO, handler);
        let err = identity_store::fetch_store(
            &ws,
            &options(&aws.endpoint, Some("d-fake000001")),
            &CancelToken::default(),
            now(),
            &|_| {},
        )
        .await
        .unwrap_err();
        match &err {
            Error::Aws { code, message, .. } => {
                assert_eq!(*code, expected, "{kind}: {message}");
                assert!(message.contains(words), "{kind}: {message}");
                assert!(!message.contains("not-a-secret"), "the secret never shows");
            }
            other => panic!("{kind}: expected an AWS error, got {other}"),
        }
    }
    assert_eq!(snapshot_count(&ws).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_said_clearly_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let err = identity_store::fetch_store(
        &ws,
        &options(&endpoint, Some("d-fake000001")),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap_err();
    match &err {
        Error::Aws { code, message, .. } => {
            assert_eq!(*code, AwsErrorKind::Unreachable, "{message}");
            assert!(
                message.starts_with(&format!("cannot reach {endpoint}")),
                "{message}"
            );
            assert!(
                !message.contains("DispatchFailure"),
                "no debug dump: {message}"
            );
        }
        other => panic!("expected an AWS error, got {other}"),
    }
    assert_eq!(snapshot_count(&ws).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_fetch_stores_nothing() {
    // Endless pages, each slow: only a cancel ends this fetch.
    let handler: Arc<Handler> = Arc::new(|op, n| match op {
        "ListUsers" => {
            ok(serde_json::json!({"Users": users_page(n * 100, 100), "NextToken": format!("t{n}")}))
        }
        _ => ok(serde_json::json!({"Groups": []})),
    });
    let aws = fake_aws(Duration::from_millis(50), handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let cancel = CancelToken::default();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = identity_store::fetch_store(
        &ws,
        &options(&aws.endpoint, Some("d-fake000001")),
        &cancel,
        now(),
        &|_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the cancel was noticed promptly"
    );
    assert!(err.to_string().contains("workspace is unchanged"), "{err}");
    assert_eq!(snapshot_count(&ws).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_deleted_during_the_fetch_is_noted_not_fatal() {
    let handler: Arc<Handler> = Arc::new(|op, n| match op {
        "ListUsers" => ok(serde_json::json!({"Users": users_page(0, 2)})),
        "ListGroups" => ok(serde_json::json!({"Groups": [
            {"GroupId": "g-1", "DisplayName": "Kept", "IdentityStoreId": "d-fake000001"},
            {"GroupId": "g-2", "DisplayName": "Gone", "IdentityStoreId": "d-fake000001"}]})),
        // The second group's listing finds it deleted.
        _ if n == 1 => error(
            400,
            "ResourceNotFoundException",
            serde_json::json!({"ResourceType": "GROUP"}),
        ),
        _ => ok(serde_json::json!({"GroupMemberships": [
            {"MembershipId": "m-1", "GroupId": "g-1", "MemberId": {"UserId": "u-0"}, "IdentityStoreId": "d-fake000001"}]})),
    });
    let aws = fake_aws(Duration::ZERO, handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let opts = FetchOptions {
        concurrency: 1,
        ..options(&aws.endpoint, Some("d-fake000001"))
    };
    let res = identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    assert_eq!((res.stats.groups, res.stats.memberships), (2, 1));
    assert_eq!(res.stats.warnings.len(), 1, "{:?}", res.stats.warnings);
    assert!(res.stats.warnings[0].contains("g-2 was deleted while the fetch ran"));
    assert_eq!(
        res.snapshot.warnings, res.stats.warnings,
        "the note is kept with the snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sso_admin_permission_the_store_is_stored_with_a_warning_and_no_access() {
    // The decision this pins: access is read beside the store, not instead of it. A caller who
    // may read the identity store but not sso-admin gets its users, groups and memberships, no
    // access data (not an empty one), and a warning naming the permission to add.
    let handler: Arc<Handler> = Arc::new(|op, _| match op {
        "ListUsers" => ok(serde_json::json!({"Users": users_page(0, 2)})),
        "ListGroups" => ok(serde_json::json!({"Groups": []})),
        "ListInstances" => ok(serde_json::json!({"Instances": [
            {"InstanceArn": "arn:aws:sso:::instance/ssoins-1", "IdentityStoreId": "d-fake000001"}]})),
        _ => error(400, "AccessDeniedException", serde_json::json!({})),
    });
    let aws = fake_aws(Duration::ZERO, handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let opts = FetchOptions {
        access: true,
        ..options(&aws.endpoint, Some("d-fake000001"))
    };
    let res = identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    assert_eq!(res.stats.users, 2);
    let access = res.stats.access.as_ref().unwrap();
    assert!(!access.read);
    assert_eq!(
        res.stats.calls, 4,
        "ListUsers, ListGroups, ListInstances, the refused ListPermissionSets"
    );
    assert_eq!(res.stats.calls, res.stats.minimum_calls);
    let warning = res
        .snapshot
        .warnings
        .iter()
        .find(|w| w.contains("account assignments were not read"))
        .expect("the snapshot says access is missing");
    assert!(
        warning.contains("sso:ListPermissionSets")
            && warning.contains("users, groups and memberships are stored"),
        "{warning}"
    );
    assert_eq!(res.snapshot.permission_sets, None, "unknown, not zero");
    assert_eq!(snapshot_count(&ws).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_organizations_permission_access_is_stored_with_accounts_by_id() {
    let handler: Arc<Handler> = Arc::new(|op, _| match op {
        "ListUsers" => ok(serde_json::json!({"Users": users_page(0, 1)})),
        "ListGroups" => ok(serde_json::json!({"Groups": []})),
        "ListInstances" => ok(serde_json::json!({"Instances": [
            {"InstanceArn": "arn:aws:sso:::instance/ssoins-1", "IdentityStoreId": "d-fake000001"}]})),
        "ListPermissionSets" => ok(serde_json::json!({"PermissionSets": ["arn:ps-admin"]})),
        "DescribePermissionSet" => ok(
            serde_json::json!({"PermissionSet": {"Name": "Admin", "PermissionSetArn": "arn:ps-admin"}}),
        ),
        "ListAccountsForProvisionedPermissionSet" => {
            ok(serde_json::json!({"AccountIds": ["111122223333"]}))
        }
        "ListAccountAssignments" => ok(serde_json::json!({"AccountAssignments": [
            {"AccountId": "111122223333", "PermissionSetArn": "arn:ps-admin", "PrincipalType": "USER", "PrincipalId": "u-0"}]})),
        _ => error(400, "AccessDeniedException", serde_json::json!({})),
    });
    let aws = fake_aws(Duration::ZERO, handler);
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let opts = FetchOptions {
        access: true,
        ..options(&aws.endpoint, Some("d-fake000001"))
    };
    let res = identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    let access = res.stats.access.as_ref().unwrap();
    assert!(access.read);
    assert_eq!(
        (
            access.account_assignments,
            access.accounts_named,
            access.calls_list_accounts
        ),
        (1, 0, 1)
    );
    assert_eq!(res.stats.calls, res.stats.minimum_calls);
    assert!(
        res.snapshot
            .warnings
            .iter()
            .any(|w| w.contains("account names were not read")
                && w.contains("organizations:ListAccounts")),
        "{:?}",
        res.snapshot.warnings
    );
    let stored = crate::db::snapshots::load(&ws, res.snapshot.id)
        .await
        .unwrap()
        .access
        .unwrap();
    assert_eq!(stored.assignments.len(), 1);
    assert!(stored.accounts.is_empty(), "no name is invented");
}
