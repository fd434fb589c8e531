//! Okta's System Log API, read-only: `GET /api/v1/logs` for the provisioning events
//! (`eventType sw "application.provision" or eventType sw "application.integration"`), as a
//! bounded request (`since` and `until` both given: a finite number of pages, oldest first),
//! 1,000 events a page (the API's maximum), following the `Link: <...>; rel="next"` header.
//!
//! Pacing: Okta answers every call with `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (the
//! UTC epoch second the window starts again). When `Remaining` reaches 0 the next call waits
//! until `Reset`; a `429` waits until `Reset` too (or `Retry-After`) and is retried. The org's
//! limit is shared with everything else that calls Okta, so this never spends past it.
//!
//! Each event is handed to the caller as its page arrives (the API's own JSON), so the caller
//! writes them to one document and imports it in one transaction.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use super::Secret;
use super::http::{HttpClient, HttpResponse, sleep_unless_cancelled};
use crate::cancel::CancelToken;
use crate::error::{Error, IdpErrorKind, Result};

pub const SERVICE: &str = "Okta";
/// The provisioning events and the connection-level ones (authentication failure, rate limit).
pub const FILTER: &str =
    r#"eventType sw "application.provision" or eventType sw "application.integration""#;
/// The System Log's largest page.
pub const PAGE_LIMIT: u32 = 1000;
/// 429s in a row on one page before the pull gives up.
const MAX_THROTTLES: u32 = 6;
/// Server errors (5xx) in a row on one page before the pull gives up.
const MAX_SERVER_ERRORS: u32 = 3;
/// The longest wait a rate-limit header may ask for: Okta's windows are one minute; a later
/// `Reset` means the clocks disagree.
const MAX_WAIT: Duration = Duration::from_secs(65);

/// How the token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum OktaTokenKind {
    /// An API token (Security > API > Tokens): `Authorization: SSWS <token>`.
    Ssws,
    /// An OAuth 2.0 access token for the Okta API (scope `okta.logs.read`): `Bearer <token>`.
    Bearer,
}

impl OktaTokenKind {
    /// An OAuth access token is a JWT (`eyJ...` in three dot-separated parts); an API token
    /// (`00...`) is not.
    pub fn guess(token: &Secret) -> OktaTokenKind {
        let t = token.expose();
        if t.starts_with("eyJ") && t.split('.').count() == 3 {
            OktaTokenKind::Bearer
        } else {
            OktaTokenKind::Ssws
        }
    }
}

/// Progress of a pull, reported after every page and every wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OktaProgress {
    pub pages: u64,
    pub events: u64,
    pub calls: u64,
    pub throttled: u64,
    /// Waiting for the rate-limit window until this many ms from the start, if waiting.
    pub waiting_ms: Option<u64>,
    pub elapsed_ms: u64,
}

/// What a pull read and cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OktaPullStats {
    /// The org's origin (`https://ORG.okta.com`).
    pub org: String,
    pub pages: u64,
    pub events_read: u64,
    /// Every request sent, retries included.
    pub calls: u64,
    /// 429 answers (each waited out and retried).
    pub throttled: u64,
    /// Waits for a rate-limit window because `X-Rate-Limit-Remaining` reached 0.
    pub paced: u64,
    /// Time spent waiting for rate-limit windows and after throttles.
    pub waited_ms: u64,
    /// The lowest `X-Rate-Limit-Remaining` seen, and the window's limit.
    pub lowest_remaining: Option<u64>,
    pub rate_limit: Option<u64>,
    pub seconds: f64,
}

/// The org's origin from what an admin types: `https://ORG.okta.com`, `ORG.okta.com`, with or
/// without a trailing `/`. A path, query or user name is refused (the token must go nowhere else).
pub fn org_url(text: &str) -> Result<Url> {
    let t = text.trim().trim_end_matches('/');
    let with_scheme = if t.contains("://") {
        t.to_string()
    } else {
        format!("https://{t}")
    };
    let bad = |why: &str| {
        Error::InvalidArgument(format!(
            "--org {text:?}: {why}; give the org's address, e.g. https://example.okta.com"
        ))
    };
    let url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad("only the org's address is wanted, without a path"));
    }
    Ok(url)
}

/// Reads the System Log's provisioning events between `since` and `until` from `org`.
/// `keep` receives each event as its page arrives; `progress` hears of every page and wait;
/// `cancel` stops the pull at the next call or during a wait.
#[allow(clippy::too_many_arguments)]
pub async fn read_provisioning_events(
    client: &HttpClient,
    org: &Url,
    token: &Secret,
    kind: OktaTokenKind,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    cancel: &CancelToken,
    progress: &(dyn Fn(&OktaProgress) + Send + Sync),
    keep: &mut (dyn FnMut(serde_json::Value) -> Result<()> + Send),
) -> Result<OktaPullStats> {
    let started = Instant::now();
    let origin = super::http::origin(org);
    let mut stats = OktaPullStats {
        org: origin.clone(),
        ..OktaPullStats::default()
    };
    let authorization = match kind {
        OktaTokenKind::Ssws => format!("SSWS {}", token.expose()),
        OktaTokenKind::Bearer => format!("Bearer {}", token.expose()),
    };
    let headers = [("Authorization", authorization.as_str())];
    let since_text = since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let until_text = until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let limit = PAGE_LIMIT.to_string();
    let first = org
        .join("/api/v1/logs")
        .map_err(|e| Error::internal("building the System Log URL", e))?;
    let mut next: Option<Url> = None;
    let mut seen_links = std::collections::HashSet::new();
    let report = |stats: &OktaPullStats, waiting: Option<Duration>| {
        progress(&OktaProgress {
            pages: stats.pages,
            events: stats.events_read,
            calls: stats.calls,
            throttled: stats.throttled,
            waiting_ms: waiting
                .map(|w| (started.elapsed() + w).as_millis() as u64),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    };
    loop {
        let (mut throttles, mut server_errors) = (0u32, 0u32);
        let page = loop {
            if cancel.is_cancelled() {
                return Err(cancelled(&origin));
            }
            stats.calls += 1;
            let answer = match &next {
                None => {
                    let query = [
                        ("since", since_text.as_str()),
                        ("until", until_text.as_str()),
                        ("filter", FILTER),
                        ("limit", limit.as_str()),
                        ("sortOrder", "ASCENDING"),
                    ];
                    client.get(first.as_str(), &query, &headers, cancel).await?
                }
                Some(url) => client.get(url.as_str(), &[], &headers, cancel).await?,
            };
            let window = RateWindow::of(&answer);
            if let Some(w) = &window {
                stats.rate_limit = Some(w.limit);
                stats.lowest_remaining =
                    Some(stats.lowest_remaining.map_or(w.remaining, |r| r.min(w.remaining)));
            }
            match answer.status {
                200 => break (answer, window),
                429 => {
                    stats.throttled += 1;
                    throttles += 1;
                    if throttles > MAX_THROTTLES {
                        return Err(error(
                            IdpErrorKind::Throttled,
                            format!(
                                "{origin} kept answering 429 (too many requests) {MAX_THROTTLES} \
                                 times in a row: the org's System Log rate limit is used up by \
                                 other clients; try again in a few minutes"
                            ),
                        ));
                    }
                    let wait = answer
                        .retry_after(Utc::now())
                        .or(window.map(|w| w.wait()))
                        .unwrap_or(Duration::from_secs(1 << throttles.min(5)))
                        .min(MAX_WAIT);
                    report(&stats, Some(wait));
                    stats.waited_ms += wait.as_millis() as u64;
                    if !sleep_unless_cancelled(wait, cancel).await {
                        return Err(cancelled(&origin));
                    }
                }
                500..=599 if server_errors < MAX_SERVER_ERRORS => {
                    server_errors += 1;
                    let wait = Duration::from_secs(1 << server_errors);
                    stats.waited_ms += wait.as_millis() as u64;
                    if !sleep_unless_cancelled(wait, cancel).await {
                        return Err(cancelled(&origin));
                    }
                }
                status => return Err(refused(status, &answer, &origin, kind, token)),
            }
        };
        let (page, window) = page;
        let events: Vec<serde_json::Value> =
            page.json(SERVICE, "a JSON array of System Log events")?;
        stats.pages += 1;
        let count = events.len() as u64;
        for event in events {
            stats.events_read += 1;
            keep(event)?;
        }
        report(&stats, None);
        next = next_link(&page, org)?;
        match &next {
            // A bounded request's last page has no next link; an empty page ends it too (a
            // polling-style answer would otherwise link on forever).
            Some(link) if count > 0 => {
                if !seen_links.insert(link.to_string()) {
                    return Err(error(
                        IdpErrorKind::BadResponse,
                        format!("{origin} linked back to a page already read"),
                    ));
                }
                // Spend nothing past the window: wait for the next one before asking again.
                if let Some(w) = window.filter(|w| w.remaining == 0) {
                    stats.paced += 1;
                    let wait = w.wait();
                    report(&stats, Some(wait));
                    stats.waited_ms += wait.as_millis() as u64;
                    if !sleep_unless_cancelled(wait, cancel).await {
                        return Err(cancelled(&origin));
                    }
                }
            }
            _ => break,
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// The `X-Rate-Limit-*` headers of an answer.
#[derive(Debug, Clone, Copy)]
struct RateWindow {
    limit: u64,
    remaining: u64,
    /// The UTC epoch second the window starts again.
    reset: i64,
}

impl RateWindow {
    fn of(answer: &HttpResponse) -> Option<RateWindow> {
        let number = |name: &str| answer.header(name)?.trim().parse::<i64>().ok();
        Some(RateWindow {
            limit: number("x-rate-limit-limit")?.max(0) as u64,
            remaining: number("x-rate-limit-remaining")?.max(0) as u64,
            reset: number("x-rate-limit-reset")?,
        })
    }

    /// Until the window resets (by this machine's clock), at most [`MAX_WAIT`], at least a
    /// little so a reset in the past does not spin.
    fn wait(&self) -> Duration {
        let now_ms = Utc::now().timestamp_millis();
        let ms = (self.reset * 1000 - now_ms).clamp(50, MAX_WAIT.as_millis() as i64);
        Duration::from_millis(ms as u64)
    }
}

/// The `rel="next"` target of the `Link` headers, which must stay on the org (the token goes
/// with it).
fn next_link(answer: &HttpResponse, org: &Url) -> Result<Option<Url>> {
    for header in answer.headers_named("link") {
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next().unwrap_or_default().trim();
            let is_next = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if !is_next {
                continue;
            }
            let Some(target) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
                continue;
            };
            let url = org.join(target).map_err(|e| {
                error(
                    IdpErrorKind::BadResponse,
                    format!("the next-page link is not a URL: {e}"),
                )
            })?;
            if url.origin() != org.origin() {
                return Err(error(
                    IdpErrorKind::BadResponse,
                    format!(
                        "the next-page link points to {}, not to {}: not followed (the token \
                         would go with it)",
                        super::http::origin(&url),
                        super::http::origin(org)
                    ),
                ));
            }
            return Ok(Some(url));
        }
    }
    Ok(None)
}

/// Okta's error body: `{"errorCode": "E0000011", "errorSummary": "Invalid token provided", ...}`.
#[derive(Debug, Default, Deserialize)]
struct OktaError {
    #[serde(rename = "errorCode")]
    code: Option<String>,
    #[serde(rename = "errorSummary")]
    summary: Option<String>,
}

fn refused(
    status: u16,
    answer: &HttpResponse,
    origin: &str,
    kind: OktaTokenKind,
    token: &Secret,
) -> Error {
    let body: OktaError = serde_json::from_slice(&answer.body).unwrap_or_default();
    let said = match (&body.code, &body.summary) {
        (Some(code), Some(summary)) => {
            format!(" ({code}: {})", super::short(&token.scrub(summary), 200))
        }
        (None, Some(summary)) => format!(" ({})", super::short(&token.scrub(summary), 200)),
        _ => String::new(),
    };
    let (kind_of_error, advice) = match status {
        401 => (
            IdpErrorKind::SignIn,
            match kind {
                OktaTokenKind::Ssws => {
                    "the API token is invalid, revoked or expired (an API token expires after \
                     30 days unused, and when its admin is deactivated); create one under \
                     Security > API > Tokens and pass it in OKTA_API_TOKEN or --token-file"
                }
                OktaTokenKind::Bearer => {
                    "the access token is invalid or expired (Okta access tokens last an hour); \
                     get a new one"
                }
            },
        ),
        403 => (
            IdpErrorKind::AccessDenied,
            match kind {
                OktaTokenKind::Ssws => {
                    "the token may not read the System Log: an API token acts as the admin who \
                     created it, who needs an admin role that can view the System Log (Read-only \
                     Administrator or higher)"
                }
                OktaTokenKind::Bearer => {
                    "the access token lacks the okta.logs.read scope: grant it to the app under \
                     Okta API Scopes and ask for it when getting the token (and give the app an \
                     admin role that can view the System Log)"
                }
            },
        ),
        404 => (
            IdpErrorKind::NotFound,
            "there is no System Log API at this address: check --org (https://ORG.okta.com, or \
             the org's custom domain)",
        ),
        400 => (
            IdpErrorKind::Other,
            "Okta refused the request's parameters",
        ),
        _ => (IdpErrorKind::Other, "Okta did not answer the System Log request"),
    };
    error(
        kind_of_error,
        format!("{origin} answered HTTP {status}{said}: {advice}"),
    )
}

fn error(kind: IdpErrorKind, message: String) -> Error {
    Error::Idp {
        service: SERVICE.to_string(),
        kind,
        message,
    }
}

fn cancelled(origin: &str) -> Error {
    Error::Cancelled {
        path: format!("Okta System Log at {origin}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_is_read_with_or_without_its_scheme_and_nothing_else_is() {
        for ok in [
            "https://example.okta.com",
            "https://example.okta.com/",
            "example.okta.com",
            "http://127.0.0.1:8080",
        ] {
            assert!(org_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://example.okta.com/api/v1/logs",
            "https://user@example.okta.com",
            "https://example.okta.com/?x=1",
            "",
        ] {
            assert!(org_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_jwt_is_sent_as_bearer_and_an_api_token_as_ssws() {
        assert_eq!(
            OktaTokenKind::guess(&Secret::new("eyJraWQiOiJ4In0.eyJzdWIiOiJ5In0.c2ln")),
            OktaTokenKind::Bearer
        );
        assert_eq!(
            OktaTokenKind::guess(&Secret::new("00QCjAl4MlV-WPXM-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n")),
            OktaTokenKind::Ssws
        );
    }
}
