//! `scimlens okta` and `scimlens entra` against small servers of the test's own that answer as
//! Okta's System Log API and Microsoft Graph document (one page, no next link; Graph's 401).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use predicates::prelude::*;

use crate::support::{fixture, scimlens};

const OKTA_TOKEN: &str = "00QCjAl4MlV-WPXM-cliSecretToken000000000";
const GRAPH_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJncmFwaCJ9.Y2xpLXNlY3JldA";

/// Serves `answer(path_and_query, authorization) -> (status, body)` on 127.0.0.1.
fn server(answer: fn(&str, &str) -> (u16, String)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, answer));
        }
    });
    url
}

fn serve(stream: TcpStream, answer: fn(&str, &str) -> (u16, String)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first).unwrap_or(0) == 0 {
            return;
        }
        let target = first
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let (mut auth, mut length) = (String::new(), 0usize);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "authorization" => auth = v.trim().to_string(),
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, body) = answer(&target, &auth);
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             X-Rate-Limit-Limit: 100\r\nX-Rate-Limit-Remaining: 99\r\nX-Rate-Limit-Reset: 0\r\n\r\n",
            body.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

/// The System Log fixture's events, moved to the last hours (inside any `since`), filtered by
/// the request's `since` and `until` as a bounded request is.
fn okta_answer(target: &str, auth: &str) -> (u16, String) {
    if auth != format!("SSWS {OKTA_TOKEN}") {
        return (
            401,
            r#"{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}"#.into(),
        );
    }
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let params: Vec<(String, String)> = url_decode(query);
    let param = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| chrono::DateTime::parse_from_rfc3339(v).unwrap())
            .unwrap()
    };
    let (since, until) = (param("since"), param("until"));
    let text = std::fs::read_to_string(fixture("okta/systemlog.json")).unwrap();
    let mut events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let start = chrono::Utc::now() - chrono::Duration::hours(3);
    for (i, e) in events.iter_mut().enumerate() {
        e["published"] = serde_json::json!(
            (start + chrono::Duration::minutes(7 * i as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
    }
    let kept: Vec<serde_json::Value> = events
        .into_iter()
        .filter(|e| {
            let t = chrono::DateTime::parse_from_rfc3339(e["published"].as_str().unwrap()).unwrap();
            t >= since && t < until
        })
        .collect();
    (200, serde_json::Value::Array(kept).to_string())
}

fn url_decode(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn token_nowhere(dir: &Path, token: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is in {}",
            path.display()
        );
    }
}

#[test]
fn okta_pulls_the_events_once_and_the_token_is_in_no_file_and_no_output() {
    let org = server(okta_answer);
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token_file.path(), format!("{OKTA_TOKEN}\n")).unwrap();
    let first = scimlens(&ws)
        .args(["okta", "--org", &org, "--token-file"])
        .arg(token_file.path())
        .env("SCIMLENS_LOG", "trace")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "11 new Okta events imported as Okta System Log 127.0.0.1",
        ))
        .stderr(predicate::str::contains("1 pages, 1 calls"));
    let out = first.get_output();
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(OKTA_TOKEN));
    }
    scimlens(&ws)
        .args(["okta", "--org", &org])
        .env("OKTA_API_TOKEN", OKTA_TOKEN)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "No new Okta events; nothing stored.",
        ))
        .stderr(predicate::str::contains("after the newest event held"));
    token_nowhere(dir.path(), OKTA_TOKEN);

    scimlens(&ws)
        .args(["okta", "--org", &org])
        .env("OKTA_API_TOKEN", "00WrongTokenWrongTokenWrongToken0")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "HTTP 401 (E0000011: Invalid token provided)",
        ))
        .stderr(predicate::str::contains("WrongToken").not());
}

#[test]
fn entra_says_how_to_sign_in_and_what_a_refused_token_means_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    scimlens(&ws)
        .arg("entra")
        .env_remove("SCIMLENS_GRAPH_TOKEN")
        .env_remove("SCIMLENS_GRAPH_CLIENT_ID")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("set SCIMLENS_GRAPH_TOKEN"));

    let graph = server(|_, _| {
        (
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}"#.into(),
        )
    });
    scimlens(&ws)
        .args(["entra", "--app", "AWS IAM Identity Center"])
        .env("SCIMLENS_GRAPH_TOKEN", GRAPH_TOKEN)
        .env("SCIMLENS_GRAPH_URL", format!("{graph}/v1.0"))
        .env("SCIMLENS_LOG", "trace")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Microsoft Graph: the app's service principal: HTTP 401",
        ))
        .stderr(predicate::str::contains("az account get-access-token"))
        .stderr(predicate::str::contains("Y2xpLXNlY3JldA").not());
    token_nowhere(dir.path(), GRAPH_TOKEN);
}
