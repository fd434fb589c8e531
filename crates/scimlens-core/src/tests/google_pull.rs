//! The live Google Workspace pull against a small Google of the test's own on 127.0.0.1: an
//! OAuth token endpoint that checks the service account's JWT (RS256 signature with the key's
//! public half, issuer, subject, scopes, audience, lifetime) and an Admin SDK that serves the
//! fixture tenant's `users.list` / `groups.list` / `members.list` pages with `pageToken`
//! paging, checks the bearer token on every call, and throttles (429, 403 rateLimitExceeded) or
//! refuses (403) where a test asks.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::api::identity_store::{self, CompareReq, PullGoogleReq};
use crate::cancel::CancelToken;
use crate::db::Workspace;
use crate::error::{Error, IdpErrorKind};
use crate::idp::google::SCOPES;

const TOKEN: &str = "ya29.test-access-token-0123456789";
const ADMIN: &str = "admin@example.com";
const CLIENT: &str = "scimlens-reader@example-project.iam.gserviceaccount.com";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn read_json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(rel)).unwrap()).unwrap()
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
    body: String,
    at: Instant,
}

type Reply = (u16, Vec<(&'static str, String)>, String);
type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct FakeGoogle {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Answers every request with `handler(request, n)`, `n` counting earlier requests of the same
/// method and target.
fn fake_google(handler: Arc<Handler>) -> FakeGoogle {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let (handler, log) = (handler.clone(), log.clone());
            std::thread::spawn(move || serve(stream, &*handler, &log));
        }
    });
    FakeGoogle { base, seen }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let (mut length, mut authorization) = (0usize, None);
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let h = header.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Seen {
            method,
            target,
            authorization,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        };
        let n = {
            let mut log = log.lock().unwrap();
            let n = log
                .iter()
                .filter(|s| s.method == request.method && s.target == request.target)
                .count();
            log.push(request.clone());
            n
        };
        let (status, headers, body) = handler(&request, n);
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\n",
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

/// A service account key file for `token_uri`, with a fresh RSA key; the public key's DER too.
fn key_file(dir: &Path, token_uri: &str) -> (PathBuf, Vec<u8>) {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let b64 = STANDARD.encode(der.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    let file = json!({
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": CLIENT,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    });
    let path = dir.join("key.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    (path, pair.public_key().as_ref().to_vec())
}

/// The token endpoint's check of the JWT bearer grant: `None` when the assertion is good.
fn jwt_problem(form: &str, public_key: &[u8], token_uri: &str) -> Option<String> {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    if fields.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return Some("grant_type".into());
    }
    let assertion = fields.get("assertion")?;
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return Some("not three parts".into());
    }
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).ok()?;
    let signed = format!("{}.{}", parts[0], parts[1]);
    if UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(signed.as_bytes(), &signature)
        .is_err()
    {
        return Some("Invalid JWT Signature.".into());
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).ok()?).ok()?;
    let scopes: Vec<&str> = claims["scope"].as_str()?.split(' ').collect();
    let ok = header["alg"] == "RS256"
        && claims["iss"] == CLIENT
        && claims["sub"] == ADMIN
        && claims["aud"] == token_uri
        && scopes == SCOPES
        && claims["exp"].as_i64()? - claims["iat"].as_i64()? == 3600;
    (!ok).then(|| format!("claims {claims}"))
}

fn google_error(status: u16, reason: &str, message: &str) -> Reply {
    let body = json!({"error": {"code": status, "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}]}});
    (status, Vec::new(), body.to_string())
}

/// The fixture tenant's pages: users in pages of two, then groups, then members per group.
fn tenant_answer(seen: &Seen) -> Reply {
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let query: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let token = query.get("pageToken").map(String::as_str);
    if path == "/admin/directory/v1/users" {
        assert_eq!(
            query.get("customer").map(String::as_str),
            Some("my_customer")
        );
        let users = read_json("directory/google-api/users.json")["users"].clone();
        let users = users.as_array().unwrap();
        let (from, next) = match token {
            None => (0, Some("users-p2")),
            Some("users-p2") => (2, Some("users-p3")),
            Some("users-p3") => (4, None),
            Some(other) => panic!("unknown page token {other}"),
        };
        let mut page = json!({"kind": "admin#directory#users", "users": users[from..from + 2]});
        if let Some(n) = next {
            page["nextPageToken"] = json!(n);
        }
        return (200, Vec::new(), page.to_string());
    }
    if path == "/admin/directory/v1/groups" {
        return (
            200,
            Vec::new(),
            read_json("directory/google-api/groups.json").to_string(),
        );
    }
    if let Some(id) = path
        .strip_prefix("/admin/directory/v1/groups/")
        .and_then(|p| p.strip_suffix("/members"))
    {
        let groups = read_json("directory/google-api/groups.json");
        let email = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == id)
            .map(|g| g["email"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("unknown group {id}"));
        let page = read_json(&format!("directory/google-api/{email}.json"));
        return (200, Vec::new(), page.to_string());
    }
    (404, Vec::new(), "{}".to_string())
}

struct Setup {
    google: FakeGoogle,
    req: PullGoogleReq,
    _dir: tempfile::TempDir,
    ws_path: PathBuf,
}

/// A fake Google whose token endpoint checks the JWT and whose API answers with `api(request,
/// n)` once the bearer token is right.
fn setup(api: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let public_key: Arc<Mutex<Vec<u8>>> = Arc::default();
    let token_uri: Arc<Mutex<String>> = Arc::default();
    let (pk, tu) = (public_key.clone(), token_uri.clone());
    let google = fake_google(Arc::new(move |seen: &Seen, n: usize| {
        if seen.target == "/token" {
            return match jwt_problem(&seen.body, &pk.lock().unwrap(), &tu.lock().unwrap()) {
                None => (
                    200,
                    Vec::new(),
                    json!({"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"})
                        .to_string(),
                ),
                Some(problem) => (
                    400,
                    Vec::new(),
                    json!({"error": "invalid_grant", "error_description": problem}).to_string(),
                ),
            };
        }
        if seen.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return google_error(401, "authError", "Invalid Credentials");
        }
        api(seen, n)
    }));
    let uri = format!("{}/token", google.base);
    let (path, public) = key_file(dir.path(), &uri);
    *public_key.lock().unwrap() = public;
    *token_uri.lock().unwrap() = uri;
    let req = PullGoogleReq {
        key_file: Some(path),
        admin: Some(ADMIN.to_string()),
        token: None,
        customer: None,
        domain: None,
        endpoint_url: Some(google.base.clone()),
        interval: Some(Duration::from_millis(20)),
    };
    let ws_path = dir.path().join("ws.sqlite");
    Setup {
        google,
        req,
        _dir: dir,
        ws_path,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_pull_reads_every_page_once_through_throttling_and_compares_like_the_downloads() {
    // The second users page is throttled twice: 429 with Retry-After, then 403 rateLimitExceeded.
    let s = setup(|seen, n| {
        if seen.target.contains("pageToken=users-p2") {
            match n {
                0 => {
                    return (
                        429,
                        vec![("Retry-After", "0".to_string())],
                        "{}".to_string(),
                    );
                }
                1 => return google_error(403, "rateLimitExceeded", "Rate Limit Exceeded"),
                _ => {}
            }
        }
        tenant_answer(seen)
    });
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let progress: Arc<Mutex<Vec<crate::idp::google::PullProgress>>> = Arc::default();
    let log = progress.clone();
    let res = identity_store::pull_google_directory(
        &ws,
        &s.req,
        now(),
        &CancelToken::default(),
        &move |p| log.lock().unwrap().push(*p),
    )
    .await
    .unwrap();
    let info = &res.directory;
    assert_eq!(
        (info.users, info.groups, info.memberships),
        (6, 3, 7),
        "{info:?}"
    );
    assert_eq!(info.idp, crate::api::DirectoryIdp::Google);
    // 1 token + 3 user pages + 1 group page + 3 member pages, and the 2 throttled answers.
    assert_eq!((res.calls, res.throttled), (10, 2));
    let seen = s.google.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 10);
    let mut targets: Vec<&str> = seen.iter().map(|r| r.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(
        targets.len(),
        8,
        "every page asked for once, bar the retries"
    );
    let last = *progress.lock().unwrap().last().unwrap();
    assert_eq!((last.users, last.groups, last.groups_done), (6, 3, 3));

    // The same verdicts as the downloaded pages against the store ssosync left.
    let store: Vec<PathBuf> = [
        "list-users.json",
        "list-groups.json",
        "list-group-memberships.json",
    ]
    .iter()
    .map(|f| fixture(&format!("directory/google-store/{f}")))
    .collect();
    identity_store::import_store_files(&ws, &store, now())
        .await
        .unwrap();
    let report = identity_store::compare_store(
        &ws,
        &CompareReq {
            include_in_sync: true,
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    let c = report.compare.as_ref().unwrap();
    assert_eq!(
        (
            c.users.in_sync,
            c.users.drift,
            c.users.not_provisioned,
            c.users.unmanaged_in_store
        ),
        (3, 1, 2, 1)
    );
    ws.close().await;

    // Neither the token nor the key is anywhere in the workspace.
    let key: Value =
        serde_json::from_slice(&std::fs::read(s.req.key_file.as_ref().unwrap()).unwrap()).unwrap();
    let key_line = key["private_key"].as_str().unwrap().lines().nth(1).unwrap();
    for file in std::fs::read_dir(s.ws_path.parent().unwrap()).unwrap() {
        let path = file.unwrap().path();
        if Some(&path) == s.req.key_file.as_ref() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(TOKEN), "{} holds the token", path.display());
        assert!(!text.contains(key_line), "{} holds the key", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_without_domain_wide_delegation_is_told_what_to_grant_and_nothing_is_stored()
 {
    let mut s = setup(|seen, _| tenant_answer(seen));
    // A token endpoint that refuses the delegation, as Google does.
    let refusing = fake_google(Arc::new(|_: &Seen, _| {
        (
            401,
            Vec::new(),
            json!({"error": "unauthorized_client", "error_description": "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}).to_string(),
        )
    }));
    let mut key: Value =
        serde_json::from_slice(&std::fs::read(s.req.key_file.as_ref().unwrap()).unwrap()).unwrap();
    key["token_uri"] = json!(format!("{}/token", refusing.base));
    std::fs::write(s.req.key_file.as_ref().unwrap(), key.to_string()).unwrap();
    s.req.endpoint_url = Some(s.google.base.clone());
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    match &err {
        Error::Idp { kind, message, .. } => {
            assert_eq!(*kind, IdpErrorKind::AccessDenied);
            for part in [
                "Domain-wide delegation",
                CLIENT,
                "admin.directory.group.member.readonly",
                "unauthorized_client",
            ] {
                assert!(message.contains(part), "{part:?} in {message}");
            }
        }
        other => panic!("expected an access-denied IdP error, got {other}"),
    }
    assert!(
        identity_store::list_directories(&ws)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.google.seen.lock().unwrap().is_empty(),
        "no API call without a token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_access_token_pulls_the_directory_without_a_key_and_a_refused_one_says_how_to_get_another()
 {
    let mut s = setup(|seen, _| tenant_answer(seen));
    s.req.key_file = None;
    s.req.admin = None;
    s.req.token = Some(crate::idp::Secret::new(&format!("{TOKEN}\n")));
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let res =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap();
    let info = &res.directory;
    assert_eq!(
        (info.users, info.groups, info.memberships),
        (6, 3, 7),
        "{info:?}"
    );
    assert_eq!(
        info.label,
        "Google Workspace my_customer (Admin SDK, as the signed-in administrator)"
    );
    // 3 user pages + 1 group page + 3 member pages: no token endpoint.
    assert_eq!(res.calls, 7);
    assert!(
        s.google
            .seen
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.target != "/token"),
        "a user's token is used as it is"
    );

    let expired = "ya29.expired-access-token-9876543210";
    s.req.token = Some(crate::idp::Secret::new(expired));
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    match &err {
        Error::Idp { kind, message, .. } => {
            assert_eq!(*kind, IdpErrorKind::SignIn);
            assert!(
                message.contains("gcloud auth print-access-token --scopes="),
                "{message}"
            );
            assert!(!message.contains(expired), "{message}");
        }
        other => panic!("expected a sign-in IdP error, got {other}"),
    }
    assert_eq!(
        identity_store::list_directories(&ws).await.unwrap().len(),
        1,
        "the refused pull stored nothing"
    );

    s.req.key_file = Some(s.ws_path.with_file_name("sa-key.json"));
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    assert!(err.to_string().contains("not both"), "{err}");
    ws.close().await;
    for file in std::fs::read_dir(s.ws_path.parent().unwrap()).unwrap() {
        let path = file.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert!(!text.contains(TOKEN), "{} holds the token", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_without_the_privilege_gets_the_403_explained_and_nothing_is_stored() {
    let s = setup(|seen, _| {
        if seen.target.starts_with("/admin/directory/v1/groups/") {
            return google_error(
                403,
                "forbidden",
                "Not Authorized to access this resource/api",
            );
        }
        tenant_answer(seen)
    });
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    match &err {
        Error::Idp { kind, message, .. } => {
            assert_eq!(*kind, IdpErrorKind::AccessDenied);
            assert!(
                message.contains("forbidden") && message.contains(ADMIN),
                "{message}"
            );
            assert!(!message.contains(TOKEN));
        }
        other => panic!("expected an access-denied IdP error, got {other}"),
    }
    assert!(
        identity_store::list_directories(&ws)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_throttled_beyond_its_retries_fails_as_throttled_and_stores_nothing() {
    let s = setup(|seen, _| {
        if seen.target.starts_with("/admin/directory/v1/groups?") {
            return (
                429,
                vec![("Retry-After", "0".to_string())],
                "{}".to_string(),
            );
        }
        tenant_answer(seen)
    });
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Idp {
                kind: IdpErrorKind::Throttled,
                ..
            }
        ),
        "{err}"
    );
    let groups_calls = s
        .google
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.target.starts_with("/admin/directory/v1/groups?"))
        .count();
    assert_eq!(groups_calls, 7, "the first try and 6 retries");
    assert!(
        identity_store::list_directories(&ws)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_cancelled_after_its_first_page_stores_nothing() {
    let s = setup(|seen, _| tenant_answer(seen));
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let cancel = CancelToken::default();
    let on_progress = {
        let cancel = cancel.clone();
        move |p: &crate::idp::google::PullProgress| {
            if p.users > 0 {
                cancel.cancel();
            }
        }
    };
    let err = identity_store::pull_google_directory(&ws, &s.req, now(), &cancel, &on_progress)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(
        identity_store::list_directories(&ws)
            .await
            .unwrap()
            .is_empty()
    );
    let users_pages = s
        .google
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.target.starts_with("/admin/directory/v1/users"))
        .count();
    assert_eq!(users_pages, 1);
}

#[test]
fn a_key_file_that_is_not_a_service_account_key_is_refused_naming_it_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client_secret.json");
    std::fs::write(
        &path,
        r#"{"installed":{"client_id":"x.apps.googleusercontent.com","client_secret":"GOCSPX-secret-value"}}"#,
    )
    .unwrap();
    let err = crate::idp::google::read_key_file(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("client_secret.json") && text.contains("service account key"),
        "{text}"
    );
    assert!(!text.contains("GOCSPX"), "{text}");
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        r#"{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"}"#,
    )
    .unwrap();
    let text = crate::idp::google::read_key_file(&path)
        .unwrap_err()
        .to_string();
    assert!(text.contains("not an RSA key"), "{text}");
    assert!(!text.contains("bm90IGEga2V5"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_paced_at_the_interval_asked_for() {
    let mut s = setup(|seen, _| tenant_answer(seen));
    s.req.interval = Some(Duration::from_millis(100));
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let res =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!((res.calls, res.throttled), (8, 0));
    let seen = s.google.seen.lock().unwrap().clone();
    // Measured where the requests arrive: the span of 8 requests sent 100 ms apart is at least
    // 700 ms, less what the first one's arrival may lag behind its sending.
    let span = seen.last().unwrap().at.duration_since(seen[0].at);
    assert!(span >= Duration::from_millis(650), "{span:?}");
    assert!(res.seconds >= 0.7, "{}", res.seconds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_repeats_its_page_token_is_stopped_not_read_forever() {
    let s = setup(|seen, _| {
        if seen.target.starts_with("/admin/directory/v1/groups?") {
            let page = json!({"kind": "admin#directory#groups", "groups": [],
                "nextPageToken": "same-again"});
            return (200, Vec::new(), page.to_string());
        }
        tenant_answer(seen)
    });
    let ws = Workspace::open(&s.ws_path).await.unwrap();
    let err =
        identity_store::pull_google_directory(&ws, &s.req, now(), &CancelToken::default(), &|_| {})
            .await
            .unwrap_err();
    match &err {
        Error::Idp { kind, message, .. } => {
            assert_eq!(*kind, IdpErrorKind::BadResponse);
            assert!(message.contains("groups.list page 2"), "{message}");
        }
        other => panic!("expected a bad-response IdP error, got {other}"),
    }
    assert!(
        identity_store::list_directories(&ws)
            .await
            .unwrap()
            .is_empty()
    );
}
