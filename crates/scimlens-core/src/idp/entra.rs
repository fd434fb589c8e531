//! Microsoft Graph, read-only: the provisioning logs (`GET /auditLogs/provisioning` with
//! `$filter` on the time range, the service principal and the status, paged by
//! `@odata.nextLink`), the provisioning job's status (`GET /servicePrincipals/{id}/
//! synchronization/jobs`), an app's service principal by name, and the OAuth 2.0 device-code
//! sign-in against the Microsoft identity platform (`/{tenant}/oauth2/v2.0/devicecode`, then
//! `/token` polled at the `interval` it asks for).
//!
//! Throttling: Graph answers `429` (and sometimes `503`/`504`) with `Retry-After` in seconds;
//! the call waits that long and is retried, every wait cancellable.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Secret;
use super::http::{HttpClient, HttpResponse, sleep_unless_cancelled};
use crate::cancel::CancelToken;
use crate::error::{Error, IdpErrorKind, Result};

pub const SERVICE: &str = "Microsoft Graph";
pub const GRAPH: &str = "https://graph.microsoft.com/v1.0";
pub const LOGIN: &str = "https://login.microsoftonline.com";
/// The delegated permissions asked for at sign-in, each the least the Graph reference lists for
/// its call: the provisioning logs (`AuditLog.Read.All`), the provisioning job's status
/// (`Synchronization.Read.All`; `Application.Read.All` does not cover it), and, only when the app
/// is named rather than given by its object id, the service principal lookup
/// (`Application.Read.All`).
pub fn scopes(app_by_name: bool) -> String {
    let mut scopes = vec![
        "https://graph.microsoft.com/AuditLog.Read.All",
        "https://graph.microsoft.com/Synchronization.Read.All",
    ];
    if app_by_name {
        scopes.push("https://graph.microsoft.com/Application.Read.All");
    }
    scopes.join(" ")
}
/// Throttled answers in a row on one call before the pull gives up.
const MAX_THROTTLES: u32 = 6;
/// The longest `Retry-After` honoured as asked.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// Progress of a pull: the sign-in prompt once, then after every page and wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntraProgress {
    /// `sign-in`, `app`, `jobs` or `logs`.
    pub stage: String,
    /// While signing in with a device code: what to show the admin.
    pub sign_in: Option<DeviceCodePrompt>,
    pub pages: u64,
    pub records: u64,
    pub calls: u64,
    pub throttled: u64,
    /// Waiting after a throttle until this many ms from the start, if waiting.
    pub waiting_ms: Option<u64>,
    pub elapsed_ms: u64,
}

/// The device-code sign-in's instructions for the admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The identity platform's own sentence ("To sign in, use a web browser to open ...").
    pub message: String,
    pub expires_in_s: u64,
}

/// What a pull read and cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntraPullStats {
    pub graph: String,
    /// The `$filter` sent with the first page.
    pub filter: String,
    pub pages: u64,
    pub records_read: u64,
    pub jobs_read: u64,
    /// Every request sent to Graph, retries included (sign-in not counted).
    pub calls: u64,
    pub throttled: u64,
    pub waited_ms: u64,
    pub seconds: f64,
}

/// Where Graph and the identity platform are (overridden by tests).
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub graph: String,
    pub login: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            graph: GRAPH.to_string(),
            login: LOGIN.to_string(),
        }
    }
}

/// Counters shared by every Graph call of a pull.
pub struct Session<'a> {
    pub client: &'a HttpClient,
    pub endpoints: &'a Endpoints,
    pub token: &'a Secret,
    pub cancel: &'a CancelToken,
    pub stats: EntraPullStats,
    pub started: Instant,
}

impl Session<'_> {
    /// `GET` of a Graph URL (absolute, or a path under the Graph base), retried after throttles.
    async fn get(
        &mut self,
        url: &str,
        query: &[(&str, &str)],
        what: &str,
        progress: &(dyn Fn(&EntraProgress) + Send + Sync),
        stage: &str,
    ) -> Result<HttpResponse> {
        let url = if url.starts_with("https://") || url.starts_with("http://") {
            url.to_string()
        } else {
            format!("{}{url}", self.endpoints.graph.trim_end_matches('/'))
        };
        let authorization = format!("Bearer {}", self.token.expose());
        let headers = [("Authorization", authorization.as_str())];
        let mut throttles = 0u32;
        loop {
            self.stats.calls += 1;
            let answer = self.client.get(&url, query, &headers, self.cancel).await?;
            match answer.status {
                200..=299 => return Ok(answer),
                429 | 503 | 504 => {
                    self.stats.throttled += 1;
                    throttles += 1;
                    if throttles > MAX_THROTTLES {
                        return Err(error(
                            IdpErrorKind::Throttled,
                            format!(
                                "Graph kept answering {} to {what} {MAX_THROTTLES} times in a \
                                 row: the tenant is throttled; try again in a few minutes",
                                answer.status
                            ),
                        ));
                    }
                    let wait = answer
                        .retry_after(Utc::now())
                        .unwrap_or(Duration::from_secs(1 << throttles.min(5)))
                        .min(MAX_WAIT);
                    progress(&EntraProgress {
                        stage: stage.to_string(),
                        sign_in: None,
                        pages: self.stats.pages,
                        records: self.stats.records_read,
                        calls: self.stats.calls,
                        throttled: self.stats.throttled,
                        waiting_ms: Some((self.started.elapsed() + wait).as_millis() as u64),
                        elapsed_ms: self.started.elapsed().as_millis() as u64,
                    });
                    self.stats.waited_ms += wait.as_millis() as u64;
                    if !sleep_unless_cancelled(wait, self.cancel).await {
                        return Err(cancelled());
                    }
                }
                status => return Err(refused(status, &answer, what, self.token)),
            }
        }
    }

    fn report(&self, stage: &str, progress: &(dyn Fn(&EntraProgress) + Send + Sync)) {
        progress(&EntraProgress {
            stage: stage.to_string(),
            sign_in: None,
            pages: self.stats.pages,
            records: self.stats.records_read,
            calls: self.stats.calls,
            throttled: self.stats.throttled,
            waiting_ms: None,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        });
    }

    /// The service principal an admin named: its object id as given (a GUID), else the one
    /// enterprise application of that display name (`GET /servicePrincipals?$filter=...`).
    pub async fn service_principal(
        &mut self,
        app: &str,
        progress: &(dyn Fn(&EntraProgress) + Send + Sync),
    ) -> Result<ServicePrincipal> {
        let app = app.trim();
        if is_guid(app) {
            // The object id is all the calls need: no lookup, so no Application.Read.All.
            return Ok(ServicePrincipal {
                id: app.to_ascii_lowercase(),
                app_id: None,
                display_name: None,
            });
        }
        let filter = format!("displayName eq '{}'", app.replace('\'', "''"));
        let answer = self
            .get(
                "/servicePrincipals",
                &[("$filter", &filter), ("$select", "id,appId,displayName")],
                "the app's service principal",
                progress,
                "app",
            )
            .await?;
        let found: Listed<ServicePrincipal> = answer.json(SERVICE, "a list of service principals")?;
        match found.value.len() {
            1 => Ok(found.value.into_iter().next().expect("one")),
            0 => Err(error(
                IdpErrorKind::NotFound,
                format!(
                    "no enterprise application is named {app:?} (names are matched exactly); \
                     give its name as Entra shows it, or its object id"
                ),
            )),
            _ => Err(Error::InvalidArgument(format!(
                "{} enterprise applications are named {app:?}: give the object id of one of \
                 them with --app ({})",
                found.value.len(),
                found
                    .value
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The provisioning jobs of a service principal, each handed to `keep` (Graph's JSON).
    pub async fn jobs(
        &mut self,
        sp_id: &str,
        progress: &(dyn Fn(&EntraProgress) + Send + Sync),
        keep: &mut (dyn FnMut(serde_json::Value) -> Result<()> + Send),
    ) -> Result<Vec<String>> {
        let answer = self
            .get(
                &format!("/servicePrincipals/{sp_id}/synchronization/jobs"),
                &[],
                "the provisioning job's status",
                progress,
                "jobs",
            )
            .await?;
        let listed: Listed<serde_json::Value> =
            answer.json(SERVICE, "a list of synchronization jobs")?;
        let mut ids = Vec::new();
        for job in listed.value {
            if let Some(id) = job["id"].as_str() {
                ids.push(id.to_string());
            }
            self.stats.jobs_read += 1;
            keep(job)?;
        }
        self.report("jobs", progress);
        Ok(ids)
    }

    /// The provisioning records matching `filter`, every page through `@odata.nextLink`, each
    /// record handed to `keep` as its page arrives.
    pub async fn provisioning_records(
        &mut self,
        filter: &str,
        progress: &(dyn Fn(&EntraProgress) + Send + Sync),
        keep: &mut (dyn FnMut(serde_json::Value) -> Result<()> + Send),
    ) -> Result<()> {
        self.stats.filter = filter.to_string();
        let graph_origin = origin_of(&self.endpoints.graph)?;
        let mut next: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            if self.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let answer = match &next {
                None => {
                    self.get(
                        "/auditLogs/provisioning",
                        &[("$filter", filter)],
                        "the provisioning logs",
                        progress,
                        "logs",
                    )
                    .await?
                }
                Some(link) => {
                    self.get(link.clone().as_str(), &[], "the provisioning logs", progress, "logs")
                        .await?
                }
            };
            let page: Page = answer.json(SERVICE, "a page of provisioning logs")?;
            self.stats.pages += 1;
            for record in page.value {
                self.stats.records_read += 1;
                keep(record)?;
            }
            self.report("logs", progress);
            match page.next_link {
                Some(link) => {
                    // The token goes with the link: only to Graph itself.
                    if origin_of(&link)? != graph_origin {
                        return Err(error(
                            IdpErrorKind::BadResponse,
                            "the next-page link leaves Microsoft Graph: not followed (the token \
                             would go with it)"
                                .to_string(),
                        ));
                    }
                    if !seen.insert(link.clone()) {
                        return Err(error(
                            IdpErrorKind::BadResponse,
                            "Graph linked back to a page already read".to_string(),
                        ));
                    }
                    next = Some(link);
                }
                None => break,
            }
        }
        Ok(())
    }
}

/// A service principal (an enterprise application).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServicePrincipal {
    pub id: String,
    #[serde(rename = "appId")]
    pub app_id: Option<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listed<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct Page {
    value: Vec<serde_json::Value>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// The `$filter` of a pull: the time range (both ends inclusive), the app, failures only.
pub fn provisioning_filter(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    service_principal: Option<&str>,
    failures_only: bool,
) -> String {
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut filter = format!(
        "activityDateTime ge {} and activityDateTime le {}",
        at(since),
        at(until)
    );
    if let Some(id) = service_principal {
        filter.push_str(&format!(" and servicePrincipal/id eq '{id}'"));
    }
    if failures_only {
        filter.push_str(" and provisioningStatusInfo/status eq 'failure'");
    }
    filter
}

pub fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn origin_of(url: &str) -> Result<String> {
    url::Url::parse(url)
        .map(|u| super::http::origin(&u))
        .map_err(|e| {
            error(
                IdpErrorKind::BadResponse,
                format!("{url:?} is not a URL: {e}"),
            )
        })
}

/// Graph's error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Default, Deserialize)]
struct GraphError {
    error: Option<GraphErrorInner>,
}

#[derive(Debug, Default, Deserialize)]
struct GraphErrorInner {
    code: Option<String>,
    message: Option<String>,
}

fn refused(status: u16, answer: &HttpResponse, what: &str, token: &Secret) -> Error {
    let body: GraphError = serde_json::from_slice(&answer.body).unwrap_or_default();
    let said = body
        .error
        .map(|e| {
            let code = e.code.unwrap_or_default();
            let message = super::short(&token.scrub(&e.message.unwrap_or_default()), 200);
            format!(" ({code}: {message})")
        })
        .unwrap_or_default();
    let (kind, advice) = match status {
        401 => (
            IdpErrorKind::SignIn,
            "the access token is missing, invalid or expired (Graph tokens last about an hour): \
             get a new one (az account get-access-token --resource-type ms-graph) or sign in \
             again with --client-id",
        ),
        403 => (
            IdpErrorKind::AccessDenied,
            "the sign-in lacks a permission: the provisioning logs need AuditLog.Read.All and a \
             role that may read them (Reports Reader, Security Reader, Global Reader), the \
             provisioning job's status Synchronization.Read.All, finding the app by name \
             Application.Read.All; provisioning logs also need an Entra ID P1 or P2 licence",
        ),
        404 => (
            IdpErrorKind::NotFound,
            "not found: check --app (the enterprise application's object id or exact name) and \
             --tenant",
        ),
        400 => (IdpErrorKind::Other, "Graph refused the request"),
        _ => (IdpErrorKind::Other, "Graph did not answer"),
    };
    error(
        kind,
        format!("{what}: HTTP {status}{said}: {advice}"),
    )
}

/// Signs in with the device-code flow (RFC 8628, Microsoft identity platform v2.0): asks for a
/// code, hands the prompt to `prompt`, then polls the token endpoint at the interval asked
/// (`authorization_pending`: wait; `slow_down`: 5 s more between polls; `expired_token`,
/// `authorization_declined`: stop). The access token stays in memory.
#[allow(clippy::too_many_arguments)]
pub async fn device_code_sign_in(
    client: &HttpClient,
    login: &str,
    tenant: &str,
    client_id: &str,
    scopes: &str,
    cancel: &CancelToken,
    prompt: &(dyn Fn(&DeviceCodePrompt) + Send + Sync),
) -> Result<Secret> {
    let base = format!(
        "{}/{}/oauth2/v2.0",
        login.trim_end_matches('/'),
        url_segment(tenant)?
    );
    let answer = client
        .post_form(
            &format!("{base}/devicecode"),
            &[("client_id", client_id), ("scope", scopes)],
            &[],
            cancel,
        )
        .await?;
    if answer.status != 200 {
        return Err(sign_in_refused(&answer, "asking for a device code"));
    }
    let code: DeviceCode = answer.json(SERVICE, "a device-code answer")?;
    prompt(&DeviceCodePrompt {
        user_code: code.user_code.clone(),
        verification_uri: code.verification_uri.clone(),
        message: code.message.clone().unwrap_or_else(|| {
            format!(
                "To sign in, open {} and enter the code {}",
                code.verification_uri, code.user_code
            )
        }),
        expires_in_s: code.expires_in,
    });
    let deadline = Instant::now() + Duration::from_secs(code.expires_in.max(1));
    let mut interval = Duration::from_secs(code.interval.unwrap_or(5).max(1));
    loop {
        if !sleep_unless_cancelled(interval, cancel).await {
            return Err(cancelled());
        }
        let answer = client
            .post_form(
                &format!("{base}/token"),
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", client_id),
                    ("device_code", &code.device_code),
                ],
                &[],
                cancel,
            )
            .await?;
        if answer.status == 200 {
            let token: TokenAnswer = answer.json(SERVICE, "a token answer")?;
            return Ok(Secret::new(&token.access_token));
        }
        let said: OAuthError = serde_json::from_slice(&answer.body).unwrap_or_default();
        match said.error.as_deref() {
            Some("authorization_pending") if Instant::now() < deadline => {}
            Some("slow_down") if Instant::now() < deadline => interval += Duration::from_secs(5),
            Some("authorization_pending" | "slow_down" | "expired_token") => {
                return Err(error(
                    IdpErrorKind::SignIn,
                    "the sign-in code expired before the sign-in was completed: run the pull \
                     again and enter the new code within its time"
                        .to_string(),
                ));
            }
            Some("authorization_declined") => {
                return Err(error(
                    IdpErrorKind::SignIn,
                    "the sign-in was declined".to_string(),
                ));
            }
            _ => return Err(sign_in_refused(&answer, "signing in")),
        }
    }
}

fn url_segment(tenant: &str) -> Result<&str> {
    let t = tenant.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::InvalidArgument(format!(
            "--tenant {tenant:?}: expected the tenant's id (a GUID), a domain \
             (contoso.onmicrosoft.com) or organizations"
        )));
    }
    Ok(t)
}

fn sign_in_refused(answer: &HttpResponse, doing: &str) -> Error {
    let said: OAuthError = serde_json::from_slice(&answer.body).unwrap_or_default();
    let code = said.error.unwrap_or_else(|| "no error code".to_string());
    let description = said
        .error_description
        .map(|d| format!(": {}", super::short(&d, 240)))
        .unwrap_or_default();
    error(
        IdpErrorKind::SignIn,
        format!(
            "the Microsoft identity platform refused {doing} (HTTP {}, {code}{description}); \
             check --client-id (an app registration that allows public client flows) and \
             --tenant",
            answer.status
        ),
    )
}

#[derive(Debug, Deserialize)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    verification_uri: String,
    expires_in: u64,
    interval: Option<u64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

#[derive(Debug, Default, Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

fn error(kind: IdpErrorKind, message: String) -> Error {
    Error::Idp {
        service: SERVICE.to_string(),
        kind,
        message,
    }
}

fn cancelled() -> Error {
    Error::Cancelled {
        path: "Microsoft Graph pull".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_the_range_the_app_and_failures() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            provisioning_filter(
                t("2026-11-01T00:00:00Z"),
                t("2026-11-22T12:00:00Z"),
                Some("6cc35b93-185a-4485-a519-50c09549a3ad"),
                true
            ),
            "activityDateTime ge 2026-11-01T00:00:00Z and activityDateTime le \
             2026-11-22T12:00:00Z and servicePrincipal/id eq \
             '6cc35b93-185a-4485-a519-50c09549a3ad' and provisioningStatusInfo/status eq \
             'failure'"
        );
    }

    #[test]
    fn an_object_id_is_told_from_an_app_name() {
        assert!(is_guid("6cc35b93-185a-4485-a519-50c09549a3ad"));
        assert!(!is_guid("AWS IAM Identity Center"));
        assert!(!is_guid("6cc35b93-185a-4485-a519"));
    }
}
