//! The HTTPS client of the IdP pulls: `GET` with headers and a query, `POST` of a form (OAuth
//! token endpoints), each answer read whole into memory up to a bound and returned as status,
//! headers and body. The caller interprets statuses; this module only fails when there is no
//! answer (unreachable, timed out, cancelled) or the answer is larger than allowed.
//!
//! TLS is rustls with aws-lc and the operating system's root certificates (the stack the AWS SDK
//! already uses). Plain `http` is refused except to a loopback address, where the tests' servers
//! listen. Redirects are not followed: a token is never sent to a host the caller did not name.
//! An `Authorization` header is marked sensitive and never appears in an error.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use url::Url;

use crate::cancel::CancelToken;
use crate::error::{Error, IdpErrorKind, Result, describe_size};

/// How long a request may take and how much of an answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// To open the TCP connection.
    pub connect_timeout: Duration,
    /// For the whole exchange: connect, TLS, request, and the last byte of the answer.
    pub timeout: Duration,
    /// The largest answer body read; a larger one is an error, not a truncation.
    pub max_body: u64,
}

impl Default for HttpLimits {
    /// 10 s to connect, 2 minutes in all (a Graph page of 1,000 provisioning records can take a
    /// while to render), 32 MB of body (Okta's 1,000 events a page are about 4 MB).
    fn default() -> Self {
        HttpLimits {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            max_body: 32 * 1024 * 1024,
        }
    }
}

/// An answer: any status, the caller decides what it means.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header that may repeat (`Link`).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// `Retry-After` as a wait: seconds, or an HTTP date measured from `now`.
    pub fn retry_after(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
        let value = self.header("retry-after")?.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        Some((at.with_timezone(&chrono::Utc) - now).to_std().unwrap_or_default())
    }

    /// The body as `T`. `service` and `what` name the answer in the error ("Okta", "a page of
    /// the System Log"); the body itself is never quoted (it is not ours to show).
    pub fn json<T: DeserializeOwned>(&self, service: &str, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Idp {
            service: service.to_string(),
            kind: IdpErrorKind::BadResponse,
            message: format!(
                "expected {what} as JSON, got HTTP {} with {} ({} bytes) that does not read as \
                 such: {e}",
                self.status,
                self.header("content-type").unwrap_or("no content type"),
                self.body.len()
            ),
        })
    }
}

/// Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    service: Arc<str>,
    limits: HttpLimits,
    /// Root certificates found on the system; an `https` request without any fails clearly.
    roots: usize,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("service", &self.service)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `service` (named in every error: "Microsoft Graph", "Okta"). Needs a tokio
    /// runtime when used.
    pub fn new(service: &str, limits: HttpLimits) -> Result<HttpClient> {
        let mut roots = rustls::RootCertStore::empty();
        let (added, _unparsable) =
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::internal("setting up TLS", e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(limits.connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Ok(HttpClient {
            client,
            service: service.into(),
            limits,
            roots: added,
        })
    }

    /// `GET url?query` with `headers` (an `Authorization` among them is kept out of errors).
    /// Query pairs are added to those `url` already has, percent-encoded.
    pub async fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        cancel: &CancelToken,
    ) -> Result<HttpResponse> {
        let mut url = self.checked_url(url)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let request = self.request(hyper::Method::GET, &url, headers, None)?;
        self.send(request, &url, cancel).await
    }

    /// `POST url` of an `application/x-www-form-urlencoded` form (OAuth 2.0 token and
    /// device-authorization endpoints).
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
        cancel: &CancelToken,
    ) -> Result<HttpResponse> {
        let url = self.checked_url(url)?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self.request(hyper::Method::POST, &url, headers, Some(body))?;
        self.send(request, &url, cancel).await
    }

    /// `url` parsed; `https`, or `http` to a loopback address only.
    fn checked_url(&self, url: &str) -> Result<Url> {
        let parsed = Url::parse(url).map_err(|e| {
            Error::InvalidArgument(format!("{}: {url:?} is not a URL: {e}", self.service))
        })?;
        match parsed.scheme() {
            "https" if parsed.host().is_some() => Ok(parsed),
            "http" if is_loopback(&parsed) => Ok(parsed),
            "http" => Err(Error::InvalidArgument(format!(
                "{}: {} uses plain http; only https is allowed (http only to this machine's \
                 loopback address)",
                self.service,
                shown(&parsed)
            ))),
            other => Err(Error::InvalidArgument(format!(
                "{}: {url:?} is not an https URL (scheme {other:?})",
                self.service
            ))),
        }
    }

    fn request(
        &self,
        method: hyper::Method,
        url: &Url,
        headers: &[(&str, &str)],
        form: Option<String>,
    ) -> Result<hyper::Request<Full<Bytes>>> {
        let mut map = HeaderMap::new();
        map.insert(
            hyper::header::USER_AGENT,
            HeaderValue::from_static(concat!("scimlens/", env!("CARGO_PKG_VERSION"))),
        );
        map.insert(
            hyper::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::InvalidArgument(format!("{}: {name:?} is not a header name", self.service))
            })?;
            let sensitive = header == hyper::header::AUTHORIZATION;
            // The value may be a token: never quoted in the error.
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                Error::InvalidArgument(format!(
                    "{}: the value given for the {name} header holds characters an HTTP header \
                     cannot carry (a line break in a token file?)",
                    self.service
                ))
            })?;
            value.set_sensitive(sensitive);
            map.insert(header, value);
        }
        let body = match form {
            Some(form) => {
                map.insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                Full::new(Bytes::from(form))
            }
            None => Full::new(Bytes::new()),
        };
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(url.as_str())
            .body(body)
            .map_err(|e| {
                Error::InvalidArgument(format!("{}: {}: {e}", self.service, shown(url)))
            })?;
        *request.headers_mut() = map;
        Ok(request)
    }

    async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        url: &Url,
        cancel: &CancelToken,
    ) -> Result<HttpResponse> {
        if url.scheme() == "https" && self.roots == 0 {
            return Err(self.error(
                IdpErrorKind::Unreachable,
                format!(
                    "cannot check {}'s certificate: no trusted root certificates were found on \
                     this system (install the ca-certificates package)",
                    shown(url)
                ),
            ));
        }
        let max = self.limits.max_body;
        let exchange = async {
            let answer = self.client.request(request).await.map_err(|e| {
                self.error(
                    IdpErrorKind::Unreachable,
                    format!("{} is unreachable: {}", shown(url), causes(&e)),
                )
            })?;
            let (parts, mut body) = answer.into_parts();
            let too_large = || {
                self.error(
                    IdpErrorKind::BadResponse,
                    format!(
                        "the answer of {} is larger than {}, the most read",
                        shown(url),
                        describe_size(max)
                    ),
                )
            };
            let announced = parts
                .headers
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if announced.is_some_and(|n| n > max) {
                return Err(too_large());
            }
            let mut out = Vec::with_capacity(announced.unwrap_or(0) as usize);
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    self.error(
                        IdpErrorKind::Unreachable,
                        format!(
                            "the answer of {} broke off after {} bytes: {}",
                            shown(url),
                            out.len(),
                            causes(&e)
                        ),
                    )
                })?;
                if let Ok(data) = frame.into_data() {
                    if (out.len() + data.len()) as u64 > max {
                        return Err(too_large());
                    }
                    out.extend_from_slice(&data);
                }
            }
            Ok(HttpResponse {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: out,
            })
        };
        tokio::select! {
            done = tokio::time::timeout(self.limits.timeout, exchange) => match done {
                Ok(answer) => answer,
                Err(_) => Err(self.error(
                    IdpErrorKind::Unreachable,
                    format!(
                        "{} did not answer within {} s",
                        shown(url),
                        self.limits.timeout.as_secs()
                    ),
                )),
            },
            () = cancelled(cancel) => Err(Error::Cancelled {
                path: format!("{} at {}", self.service, origin(url)).into(),
            }),
        }
    }

    fn error(&self, kind: IdpErrorKind, message: String) -> Error {
        Error::Idp {
            service: self.service.to_string(),
            kind,
            message,
        }
    }
}

/// Resolves once `cancel` is set (the token is a flag, looked at every 50 ms).
pub async fn cancelled(cancel: &CancelToken) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sleeps `wait`, or less when `cancel` is set first: false then.
pub async fn sleep_unless_cancelled(wait: Duration, cancel: &CancelToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => !cancel.is_cancelled(),
        () = cancelled(cancel) => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Scheme, host and port.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The URL as errors show it: without its query (paging cursors, filters) and fragment.
fn shown(url: &Url) -> String {
    format!("{}{}", origin(url), url.path())
}

/// An error and its causes, each once ("client error (Connect): tcp connect error: Connection
/// refused").
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::Mutex;

    use super::*;

    /// A one-connection-at-a-time HTTP/1.1 server answering every request with `answer(head,
    /// body)`; the requests' first lines and bodies are kept.
    struct Server {
        url: String,
        seen: Arc<Mutex<Vec<(String, String, String)>>>,
    }

    fn server(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut first = String::new();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        break;
                    }
                    let (mut head, mut length) = (String::new(), 0usize);
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty()
                        {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            length = v.trim().parse().unwrap();
                        }
                        head.push_str(&line);
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let first = first.trim().to_string();
                    log.lock().unwrap().push((
                        first.clone(),
                        head,
                        String::from_utf8(body).unwrap(),
                    ));
                    if writer.write_all(&answer(&first)).is_err() {
                        break;
                    }
                }
            }
        });
        Server { url, seen }
    }

    fn reply(status: u16, headers: &str, body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn client(limits: HttpLimits) -> HttpClient {
        HttpClient::new("Test IdP", limits).unwrap()
    }

    #[tokio::test]
    async fn a_get_sends_the_query_encoded_and_returns_status_headers_and_body() {
        let s = server(|_| reply(200, "Link: <a>; rel=\"self\"\r\nLink: <b>; rel=\"next\"\r\n", "[1]"));
        let res = client(HttpLimits::default())
            .get(
                &format!("{}/api/v1/logs?limit=2", s.url),
                &[("filter", "eventType sw \"application.provision\"")],
                &[("Authorization", "SSWS secret")],
                &CancelToken::default(),
            )
            .await
            .unwrap();
        assert_eq!(res.status, 200);
        assert_eq!(res.body, b"[1]");
        assert_eq!(res.headers_named("link").len(), 2);
        let (first, head, _) = s.seen.lock().unwrap()[0].clone();
        assert_eq!(
            first,
            "GET /api/v1/logs?limit=2&filter=eventType+sw+%22application.provision%22 HTTP/1.1"
        );
        assert!(head.to_ascii_lowercase().contains("authorization: ssws secret"), "{head}");
        assert!(head.contains("scimlens/"), "{head}");
    }

    #[tokio::test]
    async fn a_form_post_is_url_encoded() {
        let s = server(|_| reply(400, "", "{\"error\":\"authorization_pending\"}"));
        let res = client(HttpLimits::default())
            .post_form(
                &format!("{}/t/oauth2/v2.0/token", s.url),
                &[("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("scope", "a b")],
                &[],
                &CancelToken::default(),
            )
            .await
            .unwrap();
        assert_eq!(res.status, 400);
        let v: serde_json::Value = res.json("Test IdP", "a token answer").unwrap();
        assert_eq!(v["error"], "authorization_pending");
        let (_, head, body) = s.seen.lock().unwrap()[0].clone();
        assert!(head.contains("application/x-www-form-urlencoded"), "{head}");
        assert_eq!(
            body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&scope=a+b"
        );
    }

    #[tokio::test]
    async fn an_answer_larger_than_the_bound_is_an_error_not_a_truncation() {
        let big = "x".repeat(5000);
        let s = server(move |_| reply(200, "", &big));
        let limits = HttpLimits {
            max_body: 4096,
            ..HttpLimits::default()
        };
        let err = client(limits)
            .get(&s.url, &[], &[], &CancelToken::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Idp { kind: IdpErrorKind::BadResponse, message, .. } if message.contains("larger than 4 KB")),
            "{err:?}"
        );
        // Without Content-Length: the bound holds while reading.
        let big = "y".repeat(5000);
        let s = server(move |_| format!("HTTP/1.1 200 X\r\nConnection: close\r\n\r\n{big}").into_bytes());
        let err = client(limits)
            .get(&s.url, &[], &[], &CancelToken::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Idp { kind: IdpErrorKind::BadResponse, .. }), "{err:?}");
    }

    #[tokio::test]
    async fn plain_http_is_refused_except_to_loopback() {
        let c = client(HttpLimits::default());
        for url in ["http://graph.microsoft.com/v1.0/x", "ftp://127.0.0.1/x", "not a url"] {
            let err = c.get(url, &[], &[], &CancelToken::default()).await.unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{url}: {err:?}");
        }
    }

    #[tokio::test]
    async fn a_silent_server_times_out_and_a_cancel_stops_the_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                keep.lock().unwrap().push(s);
            }
        });
        let limits = HttpLimits {
            timeout: Duration::from_millis(300),
            ..HttpLimits::default()
        };
        let started = std::time::Instant::now();
        let err = client(limits)
            .get(&url, &[], &[], &CancelToken::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Idp { kind: IdpErrorKind::Unreachable, message, .. } if message.contains("did not answer")),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));

        let cancel = CancelToken::default();
        let stop = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            stop.cancel();
        });
        let started = std::time::Instant::now();
        let err = client(HttpLimits::default())
            .get(&url, &[], &[], &cancel)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_refused_connection_is_unreachable_and_the_error_holds_no_token() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = client(HttpLimits::default())
            .get(
                &format!("http://127.0.0.1:{port}/api?after=cursor"),
                &[],
                &[("Authorization", "Bearer eyJ0eXAiOi.secret")],
                &CancelToken::default(),
            )
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Idp { kind: IdpErrorKind::Unreachable, .. }), "{err:?}");
        assert!(!text.contains("secret") && !text.contains("cursor"), "{text}");
        assert!(text.starts_with("Test IdP: "), "{text}");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut res = HttpResponse {
            status: 429,
            headers: HeaderMap::new(),
            body: Vec::new(),
        };
        res.headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(res.retry_after(now), Some(Duration::from_secs(7)));
        res.headers.insert(
            "retry-after",
            HeaderValue::from_static("Sun, 22 Nov 2026 12:00:30 GMT"),
        );
        assert_eq!(res.retry_after(now), Some(Duration::from_secs(30)));
    }
}
