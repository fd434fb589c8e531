//! Google Workspace's directory pulled live through the Admin SDK Directory API: `users.list`,
//! `groups.list` and each group's `members.list`, read-only, as a service account with
//! domain-wide delegation acting for an administrator (the way ssosync and idp-scim-sync read it).
//!
//! Sign-in is OAuth 2.0 for service accounts: a JWT (RS256, signed with the key file's private
//! key through aws-lc) naming the three read-only scopes and the administrator (`sub`) is
//! exchanged at the key file's `token_uri` for an access token. An administrator may instead sign
//! in elsewhere and hand over an access token, sent as it is and never renewed. The key and the
//! tokens live in memory only; none is written, logged or quoted in an error.
//!
//! Pages are read into the same [`Directory`] the downloaded pages make
//! (`directory::google`), paced under the API's quota (a request every 50 ms by default: 20 a
//! second, half the default 2,400 a minute), and a throttled answer (429, or 403 with reason
//! `rateLimitExceeded` / `userRateLimitExceeded` / `quotaExceeded`) or a 5xx is retried after
//! `Retry-After` or an exponential backoff. Nothing is stored here: the caller stores the
//! directory in one transaction, so an interrupted pull stores nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::Value;

use super::http::{HttpClient, HttpLimits, HttpResponse, sleep_unless_cancelled};
use crate::cancel::CancelToken;
use crate::directory::{Directory, DirectoryFormat, DirectoryIdp, google};
use crate::error::{Error, IdpErrorKind, Result};

pub const SERVICE: &str = "Google Workspace (Admin SDK)";
/// The read-only scopes the pull asks for (and the admin grants the service account's client id
/// under domain-wide delegation).
pub const SCOPES: [&str; 3] = [
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
];
pub const DEFAULT_API: &str = "https://admin.googleapis.com";
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// A key file is a few KB; anything larger is not one.
const MAX_KEY_FILE: u64 = 64 * 1024;
/// Throttled or failing (5xx) answers retried per request before giving up.
const MAX_RETRIES: u32 = 6;
const MAX_BACKOFF: Duration = Duration::from_secs(32);

/// A service account's key, read from its JSON key file; only in memory.
pub struct ServiceAccountKey {
    pub client_email: String,
    key_id: Option<String>,
    token_uri: String,
    key: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

fn key_error(path: &Path, what: &str) -> Error {
    Error::InvalidArgument(format!(
        "{}: {what} (expected a Google service account key file: the JSON the Cloud console's \
         Service accounts > Keys > Add key > JSON downloads)",
        path.display()
    ))
}

/// Reads a service account key file. Errors name the file and what is wrong, never its content.
pub fn read_key_file(path: &Path) -> Result<ServiceAccountKey> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_KEY_FILE {
        return Err(key_error(
            path,
            &format!("{size} bytes, larger than a key file ({MAX_KEY_FILE} bytes at most)"),
        ));
    }
    let text = std::fs::read(path).map_err(io)?;
    // serde's message may quote the content: only its position is kept.
    let file: KeyFile = serde_json::from_slice(&text).map_err(|e| {
        key_error(
            path,
            &format!("not JSON of that shape (line {}, column {})", e.line(), e.column()),
        )
    })?;
    if let Some(kind) = file.kind.as_deref()
        && kind != "service_account"
    {
        return Err(key_error(
            path,
            &format!("its type is {kind:?}, not \"service_account\" (a user's OAuth client file?)"),
        ));
    }
    let client_email = file
        .client_email
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| key_error(path, "no client_email"))?;
    let pem = file
        .private_key
        .ok_or_else(|| key_error(path, "no private_key"))?;
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| key_error(path, "its private_key is not PEM (base64 between BEGIN and END lines)"))?;
    let key = RsaKeyPair::from_pkcs8(&der)
        .map_err(|_| key_error(path, "its private_key is not an RSA key in PKCS#8"))?;
    Ok(ServiceAccountKey {
        client_email,
        key_id: file.private_key_id,
        token_uri: file
            .token_uri
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_string()),
        key,
    })
}

impl ServiceAccountKey {
    /// The signed JWT asking `token_uri` for a token of [`SCOPES`] on behalf of `admin`.
    fn assertion(&self, admin: &str, now: i64) -> Result<String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.key_id});
        let claims = serde_json::json!({
            "iss": self.client_email,
            "sub": admin,
            "scope": SCOPES.join(" "),
            "aud": self.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::internal("signing the service account's JWT", "aws-lc refused"))?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// How the pull signs in.
#[derive(Debug)]
pub enum Credentials {
    /// A service account with domain-wide delegation, acting for an administrator (`sub`).
    ServiceAccount { key: ServiceAccountKey, admin: String },
    /// A signed-in administrator's OAuth access token (`gcloud auth print-access-token
    /// --scopes=...`), sent as it is: it cannot be renewed here, so a refused one ends the pull.
    Token(super::Secret),
}

/// What to pull and how.
#[derive(Debug)]
pub struct PullOptions {
    pub credentials: Credentials,
    /// `my_customer` (the admin's own account) unless a customer id is given.
    pub customer: String,
    /// Only this domain's users and groups, instead of the whole customer.
    pub domain: Option<String>,
    /// `https://admin.googleapis.com`, or a test's server.
    pub api: String,
    /// The least time between two requests.
    pub interval: Duration,
}

/// Where a pull stands, for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "GooglePullProgress")]
pub struct PullProgress {
    pub calls: u64,
    pub throttled: u64,
    pub users: u64,
    pub groups: u64,
    /// Groups whose members are read.
    pub groups_done: u64,
    pub memberships: u64,
}

/// What a pull read, with its figures.
#[derive(Debug)]
pub struct Pulled {
    pub directory: Directory,
    pub progress: PullProgress,
    pub seconds: f64,
}

struct Session<'a> {
    client: HttpClient,
    opts: &'a PullOptions,
    cancel: &'a CancelToken,
    now: chrono::DateTime<chrono::Utc>,
    token: String,
    next_request: Instant,
    progress: PullProgress,
}

/// Pulls the directory: every page of users, of groups, and of each group's direct members
/// (nested groups are flattened afterwards, as the sync tools read them).
pub async fn pull(
    opts: &PullOptions,
    now: chrono::DateTime<chrono::Utc>,
    cancel: &CancelToken,
    on_progress: &(dyn Fn(&PullProgress) + Send + Sync),
) -> Result<Pulled> {
    let started = Instant::now();
    let mut s = Session {
        client: HttpClient::new(SERVICE, HttpLimits::default())?,
        opts,
        cancel,
        now,
        token: String::new(),
        next_request: Instant::now(),
        progress: PullProgress::default(),
    };
    s.sign_in().await?;
    let mut dir = Directory {
        idp: Some(DirectoryIdp::Google),
        ..Directory::default()
    };
    let scope: Vec<(&str, &str)> = match &opts.domain {
        Some(d) => vec![("domain", d.as_str())],
        None => vec![("customer", opts.customer.as_str())],
    };
    let users_url = format!("{}/admin/directory/v1/users", opts.api.trim_end_matches('/'));
    let mut token: Option<String> = None;
    let mut page = 0;
    loop {
        page += 1;
        let mut query = scope.clone();
        query.extend([("maxResults", "500"), ("orderBy", "email")]);
        if let Some(t) = &token {
            query.push(("pageToken", t));
        }
        let answer = s.get(&users_url, &query).await?;
        let name = PathBuf::from(format!("users.list page {page}"));
        let others = google::users_page(&name, &answer.body[..], &mut dir)?;
        s.progress.users = dir.users.len() as u64;
        on_progress(&s.progress);
        token = next_token(token, &others, "users.list", page)?;
        if token.is_none() {
            break;
        }
    }
    dir.formats.push(DirectoryFormat::GoogleApiUsers);
    let groups_url = format!("{}/admin/directory/v1/groups", opts.api.trim_end_matches('/'));
    page = 0;
    loop {
        page += 1;
        let mut query = scope.clone();
        query.push(("maxResults", "200"));
        if let Some(t) = &token {
            query.push(("pageToken", t));
        }
        let answer = s.get(&groups_url, &query).await?;
        let name = PathBuf::from(format!("groups.list page {page}"));
        let others = google::groups_page(&name, &answer.body[..], &mut dir)?;
        s.progress.groups = dir.groups.len() as u64;
        on_progress(&s.progress);
        token = next_token(token, &others, "groups.list", page)?;
        if token.is_none() {
            break;
        }
    }
    dir.formats.push(DirectoryFormat::GoogleApiGroups);
    let keys: Vec<String> = dir.groups.iter().filter_map(|g| g.idp_id.clone()).collect();
    let mut customers = 0;
    for key in &keys {
        let url = format!(
            "{}/admin/directory/v1/groups/{}/members",
            opts.api.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
        );
        page = 0;
        loop {
            page += 1;
            let mut query = vec![("maxResults", "200")];
            if let Some(t) = &token {
                query.push(("pageToken", t));
            }
            let answer = s.get(&url, &query).await?;
            let name = PathBuf::from(format!("members.list of group {key} page {page}"));
            let (others, left_out) = google::members_page(&name, &answer.body[..], &mut dir, key)?;
            customers += left_out;
            s.progress.memberships = dir.members.len() as u64;
            on_progress(&s.progress);
            token = next_token(token, &others, "members.list", page)?;
            if token.is_none() {
                break;
            }
        }
        s.progress.groups_done += 1;
        on_progress(&s.progress);
    }
    dir.formats.push(DirectoryFormat::GoogleApiMembers);
    google::customer_warning(Path::new("members.list"), customers, &mut dir);
    google::finish(&mut dir);
    dir.resolve_member_kinds();
    s.progress.memberships = dir.members.len() as u64;
    Ok(Pulled {
        directory: dir,
        progress: s.progress,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl Session<'_> {
    fn error(&self, kind: IdpErrorKind, message: String) -> Error {
        Error::Idp {
            service: SERVICE.to_string(),
            kind,
            message,
        }
    }

    /// Exchanges a fresh JWT for an access token; with a user's token, takes it the first time
    /// and, when it is refused later, says how to get another.
    async fn sign_in(&mut self) -> Result<()> {
        let opts = self.opts;
        let (key, admin) = match &opts.credentials {
            Credentials::ServiceAccount { key, admin } => (key, admin),
            Credentials::Token(token) if self.token.is_empty() => {
                self.token = token.expose().to_string();
                return Ok(());
            }
            Credentials::Token(_) => {
                return Err(self.error(
                    IdpErrorKind::SignIn,
                    format!(
                        "the access token was refused (HTTP 401): it expired (an access token \
                         lasts an hour) or is not a Google token; get a new one with `gcloud auth \
                         print-access-token --scopes={}` as an administrator",
                        SCOPES.join(",")
                    ),
                ));
            }
        };
        let assertion = key.assertion(admin, self.now.timestamp())?;
        self.pace().await?;
        let answer = self
            .client
            .post_form(
                &key.token_uri,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                ],
                &[],
                self.cancel,
            )
            .await?;
        self.progress.calls += 1;
        if answer.status == 200 {
            #[derive(Deserialize)]
            struct Token {
                access_token: String,
            }
            let token: Token = answer.json(SERVICE, "the token endpoint's answer")?;
            self.token = token.access_token;
            return Ok(());
        }
        // {"error": "unauthorized_client", "error_description": "..."}: Google's words, no secret.
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        let code = body.get("error").and_then(Value::as_str).unwrap_or("");
        let said = body
            .get("error_description")
            .and_then(Value::as_str)
            .map(|d| format!(" ({})", cut(d)))
            .unwrap_or_default();
        let (kind, advice) = match code {
            "unauthorized_client" | "access_denied" => (
                IdpErrorKind::AccessDenied,
                format!(
                    "the service account {} may not act for {}: in the Admin console, Security > \
                     Access and data control > API controls > Domain-wide delegation, add its \
                     client id with the scopes {}",
                    key.client_email,
                    admin,
                    SCOPES.join(",")
                ),
            ),
            _ => (
                IdpErrorKind::SignIn,
                format!(
                    "the token endpoint refused the service account {} acting for {}: check that \
                     --admin is an existing administrator's email, that the key is not deleted or \
                     disabled, and that this machine's clock is right",
                    key.client_email, admin
                ),
            ),
        };
        Err(self.error(
            kind,
            format!("{advice} [HTTP {}: {code}{said}]", answer.status),
        ))
    }

    /// Waits until the next request may go, so requests never come faster than the interval.
    async fn pace(&mut self) -> Result<()> {
        let now = Instant::now();
        if self.next_request > now
            && !sleep_unless_cancelled(self.next_request - now, self.cancel).await
        {
            return Err(self.cancelled());
        }
        if self.cancel.is_cancelled() {
            return Err(self.cancelled());
        }
        self.next_request = Instant::now() + self.opts.interval;
        Ok(())
    }

    fn cancelled(&self) -> Error {
        Error::Cancelled {
            path: format!("{SERVICE} at {}", self.opts.api).into(),
        }
    }

    /// One page: paced, retried when throttled, signed in again once when the token expired.
    async fn get(&mut self, url: &str, query: &[(&str, &str)]) -> Result<HttpResponse> {
        let mut attempt = 0u32;
        let mut signed_in_again = false;
        loop {
            self.pace().await?;
            let bearer = format!("Bearer {}", self.token);
            let answer = self
                .client
                .get(url, query, &[("Authorization", &bearer)], self.cancel)
                .await?;
            self.progress.calls += 1;
            let reason = google_reason(&answer);
            let throttled = answer.status == 429
                || (answer.status == 403
                    && matches!(
                        reason.as_deref(),
                        Some("rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded")
                    ))
                || matches!(answer.status, 500 | 502 | 503 | 504);
            match answer.status {
                200 => return Ok(answer),
                _ if throttled => {
                    self.progress.throttled += 1;
                    attempt += 1;
                    if attempt > MAX_RETRIES {
                        return Err(self.error(
                            IdpErrorKind::Throttled,
                            format!(
                                "still throttled or failing (HTTP {}) after {MAX_RETRIES} retries; \
                                 run again later, or pace the pull slower (--interval-ms)",
                                answer.status
                            ),
                        ));
                    }
                    let backoff = Duration::from_secs(1 << (attempt - 1).min(5)).min(MAX_BACKOFF);
                    let wait = answer.retry_after(self.now).unwrap_or(backoff).min(MAX_BACKOFF);
                    if !sleep_unless_cancelled(wait, self.cancel).await {
                        return Err(self.cancelled());
                    }
                }
                401 if !signed_in_again => {
                    signed_in_again = true;
                    self.sign_in().await?;
                }
                401 => {
                    return Err(self.error(
                        IdpErrorKind::SignIn,
                        "the access token was refused twice (HTTP 401)".to_string(),
                    ));
                }
                403 => {
                    return Err(self.error(
                        IdpErrorKind::AccessDenied,
                        format!(
                            "access denied (HTTP 403{}): {}",
                            reason.map(|r| format!(", {r}")).unwrap_or_default(),
                            match &self.opts.credentials {
                                Credentials::ServiceAccount { admin, .. } => format!(
                                    "{admin} must be an administrator who may read users and \
                                     groups, and the service account's domain-wide delegation \
                                     must grant {}",
                                    SCOPES.join(",")
                                ),
                                Credentials::Token(_) => format!(
                                    "the signed-in user must be an administrator who may read \
                                     users and groups, and the token must carry the scopes {}",
                                    SCOPES.join(",")
                                ),
                            }
                        ),
                    ));
                }
                404 => {
                    return Err(self.error(
                        IdpErrorKind::NotFound,
                        format!(
                            "not found (HTTP 404) at {}: check --customer and --domain",
                            url.rsplit_once("/admin/").map_or(url, |(_, p)| p)
                        ),
                    ));
                }
                status => {
                    return Err(self.error(
                        IdpErrorKind::Other,
                        format!(
                            "HTTP {status}{}",
                            google_message(&answer)
                                .map(|m| format!(": {}", cut(&m)))
                                .unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    }
}

/// Pages one list may have: 1,000,000 users at 500 a page is 2,000 pages.
const MAX_PAGES: usize = 20_000;

/// The next page's token; an error when the server repeats the token it was given (it would
/// page forever) or a list runs past [`MAX_PAGES`].
fn next_token(
    previous: Option<String>,
    others: &std::collections::BTreeMap<String, Value>,
    list: &str,
    page: usize,
) -> Result<Option<String>> {
    let next = google::next_page_token(others);
    let bad = |why: String| Error::Idp {
        service: SERVICE.to_string(),
        kind: IdpErrorKind::BadResponse,
        message: format!("{list} page {page}: {why}"),
    };
    if next.is_some() && next == previous {
        return Err(bad(
            "the answer repeats the pageToken it was asked for; stopped instead of reading it \
             again forever"
                .to_string(),
        ));
    }
    if next.is_some() && page >= MAX_PAGES {
        return Err(bad(format!("more than {MAX_PAGES} pages; stopped")));
    }
    Ok(next)
}

/// `error.errors[0].reason` of a Google API error body.
fn google_reason(answer: &HttpResponse) -> Option<String> {
    if answer.status < 400 {
        return None;
    }
    let body: Value = serde_json::from_slice(&answer.body).ok()?;
    body.pointer("/error/errors/0/reason")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn google_message(answer: &HttpResponse) -> Option<String> {
    let body: Value = serde_json::from_slice(&answer.body).ok()?;
    body.pointer("/error/message")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Text from the other side, cut to 200 characters and without control characters.
fn cut(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}
