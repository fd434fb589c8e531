//! Live, read-only fetch of the AWS identity store: users, groups and every group's memberships,
//! through the Identity Store API (and sso-admin `ListInstances` to find the store); and beside
//! them who may use what (permission sets and account assignments, sso-admin: [`access`]).
//!
//! Credentials and region come from the standard AWS chain (environment, named profiles
//! including IAM Identity Center / SSO profiles, web identity, container and instance roles);
//! nothing secret is stored or logged. Calls go through one [`limiter::RateLimiter`] under the
//! API's 20 requests per second, paged at 100 (the API's maximum), with the long sequential
//! chains (ListUsers, ListGroups) served first so the fetch finishes close to the time the rate
//! allows. Throttles are retried after AWS's `RetryAfterSeconds` (the SDK's own retries are off,
//! so every call is counted and paced here).
//!
//! The result is returned whole; the caller stores it as one snapshot in one transaction, so an
//! interrupted fetch stores nothing.

pub(crate) mod access;
pub(crate) mod cloudtrail;
pub(crate) mod errors;
pub mod limiter;
pub mod profiles;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_identitystore::config::http::HttpResponse;
use aws_sdk_identitystore::error::{ProvideErrorMetadata, SdkError};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use ts_rs::TS;

use self::errors::{CallSite, ErrorHints, Failure};
use self::limiter::{Priority, RateLimiter};
use crate::cancel::CancelToken;
use crate::error::{AwsErrorKind, Error, Result};
use crate::identity_store::{
    ExternalId, MemberId, StoreAddress, StoreGroup, StoreMembership, StoreName, StoreSnapshot,
    StoreUser, StoreValue,
};

/// The API's page size limit (MaxResults 1..=100).
pub const PAGE_SIZE: i32 = 100;
/// Default pace: under the Identity Store API's 20 requests per second, with room for the
/// burst token so no one-second window ever sees more than 20.
pub const DEFAULT_RATE: f64 = 19.0;
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Tries of one call after throttles before giving up, and after transient failures.
const MAX_THROTTLED_TRIES: u32 = 12;
const MAX_TRANSIENT_TRIES: u32 = 4;

/// Credentials given directly (tests, or a shell that holds them); normally the standard chain
/// is used. Never printed: `Debug` shows the key id only.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// A named profile (`~/.aws/config`), including IAM Identity Center (SSO) profiles.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Another endpoint (tests, VPC endpoints); the region still signs the requests.
    pub endpoint_url: Option<String>,
    /// `d-xxxxxxxxxx`; found with sso-admin `ListInstances` when `None`.
    pub identity_store_id: Option<String>,
    /// Requests per second (all operations together).
    pub rate: f64,
    /// Tokens saved up while idle; 1 keeps every one-second window at or under `rate + 1`.
    pub burst: u32,
    /// Groups whose memberships are listed at the same time.
    pub concurrency: usize,
    pub credentials: Option<StaticCredentials>,
    /// Also read permission sets and account assignments (sso-admin).
    pub access: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            identity_store_id: None,
            rate: DEFAULT_RATE,
            burst: 1,
            concurrency: DEFAULT_CONCURRENCY,
            credentials: None,
            access: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum FetchPhase {
    /// Loading credentials and finding the identity store.
    Connecting,
    Listing,
    /// Writing the snapshot into the workspace.
    Storing,
    Done,
}

/// Progress of a fetch, reported a few times per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FetchProgress {
    pub phase: FetchPhase,
    pub identity_store_id: Option<String>,
    pub calls: u64,
    pub retries: u64,
    pub throttled: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    /// Groups whose memberships are all listed, of `groups_total` (known once groups are listed).
    pub groups_done: u64,
    pub groups_total: Option<u64>,
    pub elapsed_ms: u64,
    /// Calls per second so far.
    pub rate: f64,
    /// Reading access: absent when the fetch does not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<AccessProgress>,
}

/// How far the reading of access has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessProgress {
    pub permission_sets: u64,
    /// Permission sets whose accounts and assignments are all listed.
    pub permission_sets_done: u64,
    pub account_assignments: u64,
}

/// What reading access found and cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessFetchStats {
    /// False when sso-admin could not be read (the fetch's warnings say why).
    pub read: bool,
    pub permission_sets: u64,
    pub account_assignments: u64,
    /// Accounts with at least one assignment.
    pub accounts: u64,
    pub calls_list_permission_sets: u64,
    pub calls_describe_permission_set: u64,
    pub calls_list_accounts_for_provisioned_permission_set: u64,
    pub calls_list_account_assignments: u64,
    /// Organizations ListAccounts, for the accounts' names.
    pub calls_list_accounts: u64,
    /// Accounts whose name was read.
    pub accounts_named: u64,
}

/// What a fetch cost, beside what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FetchStats {
    pub identity_store_id: String,
    pub region: Option<String>,
    pub endpoint: String,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    /// Every request sent, retries included.
    pub calls: u64,
    pub calls_list_instances: u64,
    pub calls_list_users: u64,
    pub calls_list_groups: u64,
    pub calls_list_group_memberships: u64,
    pub retries: u64,
    pub throttled: u64,
    /// The fewest calls pagination allows: ceil(N/100) + ceil(G/100) + sum over groups of
    /// ceil(members/100) (at least one page per list), plus ListInstances when it was needed;
    /// with access, ceil(P/100) + P DescribePermissionSet + sum over permission sets of
    /// ceil(accounts/100) + sum over (account, permission set) of ceil(assignments/100)
    /// + ceil(accounts in the organization/20) ListAccounts.
    pub minimum_calls: u64,
    pub seconds: f64,
    /// The pace the fetch was allowed (requests per second).
    pub rate: f64,
    pub warnings: Vec<String>,
    /// Permission sets and account assignments; absent when the fetch did not read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<AccessFetchStats>,
}

/// A fetched store: the snapshot to save and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedStore {
    pub snapshot: StoreSnapshot,
    pub stats: FetchStats,
}

#[derive(Debug, Default)]
struct Counters {
    list_instances: AtomicU64,
    list_users: AtomicU64,
    list_groups: AtomicU64,
    list_group_memberships: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    users: AtomicU64,
    groups: AtomicU64,
    memberships: AtomicU64,
    groups_done: AtomicU64,
    groups_total: AtomicU64,
    list_permission_sets: AtomicU64,
    describe_permission_set: AtomicU64,
    list_accounts_for_provisioned_permission_set: AtomicU64,
    list_account_assignments: AtomicU64,
    list_accounts: AtomicU64,
    lookup_events: AtomicU64,
    permission_sets: AtomicU64,
    permission_sets_done: AtomicU64,
    account_assignments: AtomicU64,
}

impl Counters {
    fn calls(&self) -> u64 {
        [
            &self.list_instances,
            &self.list_users,
            &self.list_groups,
            &self.list_group_memberships,
            &self.lookup_events,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum::<u64>()
            + self.access_calls()
    }

    /// The calls of the access part, ListInstances aside.
    fn access_calls(&self) -> u64 {
        [
            &self.list_permission_sets,
            &self.describe_permission_set,
            &self.list_accounts_for_provisioned_permission_set,
            &self.list_account_assignments,
            &self.list_accounts,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    fn counter(&self, op: Op) -> &AtomicU64 {
        match op {
            Op::ListInstances => &self.list_instances,
            Op::ListUsers => &self.list_users,
            Op::ListGroups => &self.list_groups,
            Op::ListGroupMemberships => &self.list_group_memberships,
            Op::ListPermissionSets => &self.list_permission_sets,
            Op::DescribePermissionSet => &self.describe_permission_set,
            Op::ListAccountsForProvisionedPermissionSet => {
                &self.list_accounts_for_provisioned_permission_set
            }
            Op::ListAccountAssignments => &self.list_account_assignments,
            Op::ListAccounts => &self.list_accounts,
            Op::LookupEvents => &self.lookup_events,
        }
    }
}

// The names are AWS's operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListInstances,
    ListUsers,
    ListGroups,
    ListGroupMemberships,
    ListPermissionSets,
    DescribePermissionSet,
    ListAccountsForProvisionedPermissionSet,
    ListAccountAssignments,
    /// Organizations.
    ListAccounts,
    /// CloudTrail.
    LookupEvents,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::ListInstances => "ListInstances",
            Op::ListUsers => "ListUsers",
            Op::ListGroups => "ListGroups",
            Op::ListGroupMemberships => "ListGroupMemberships",
            Op::ListPermissionSets => "ListPermissionSets",
            Op::DescribePermissionSet => "DescribePermissionSet",
            Op::ListAccountsForProvisionedPermissionSet => "ListAccountsForProvisionedPermissionSet",
            Op::ListAccountAssignments => "ListAccountAssignments",
            Op::ListAccounts => "ListAccounts",
            Op::LookupEvents => "LookupEvents",
        }
    }
}

/// Shared by every task of one fetch.
struct Ctx {
    limiter: RateLimiter,
    counters: Counters,
    cancel: CancelToken,
    endpoint: String,
    identity_store_id: std::sync::OnceLock<String>,
}

/// Why a call stopped for good.
enum Stop {
    /// The object is gone (a group deleted while the fetch ran); AWS's resource type.
    Missing {
        kind: String,
        error: Error,
    },
    Error(Error),
}

impl From<Stop> for Error {
    fn from(s: Stop) -> Error {
        match s {
            Stop::Missing { error, .. } | Stop::Error(error) => error,
        }
    }
}

fn cancelled(ctx: &Ctx) -> Error {
    let what = ctx
        .identity_store_id
        .get()
        .cloned()
        .unwrap_or_else(|| ctx.endpoint.clone());
    Error::Cancelled {
        path: format!("identity store {what}").into(),
    }
}

/// One call with pacing, counting and retries.
async fn call<T, E, Fut>(
    ctx: &Ctx,
    op: Op,
    priority: Priority,
    mut send: impl FnMut() -> Fut,
) -> std::result::Result<T, Stop>
where
    Fut: std::future::Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + ErrorHints + std::error::Error + Send + Sync + 'static,
{
    let site = CallSite {
        operation: op.name(),
        endpoint: &ctx.endpoint,
        identity_store_id: ctx.identity_store_id.get().map(String::as_str),
    };
    let (mut throttles, mut transient) = (0u32, 0u32);
    loop {
        if ctx.cancel.is_cancelled() {
            return Err(Stop::Error(cancelled(ctx)));
        }
        ctx.limiter.acquire(priority).await;
        ctx.counters.counter(op).fetch_add(1, Ordering::Relaxed);
        tracing::trace!(operation = op.name(), "request sent");
        match send().await {
            Ok(v) => {
                ctx.limiter.succeeded();
                return Ok(v);
            }
            Err(e) => match errors::classify(&site, e) {
                Failure::Throttled { retry_after } => {
                    throttles += 1;
                    ctx.counters.throttled.fetch_add(1, Ordering::Relaxed);
                    if throttles >= MAX_THROTTLED_TRIES {
                        return Err(Stop::Error(errors::still_throttled(&site, throttles)));
                    }
                    ctx.counters.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = retry_after.unwrap_or_else(|| backoff(throttles));
                    tracing::debug!(
                        operation = op.name(),
                        wait_ms = wait.as_millis() as u64,
                        "throttled"
                    );
                    ctx.limiter.throttled(wait);
                }
                Failure::Transient { why } => {
                    transient += 1;
                    if transient >= MAX_TRANSIENT_TRIES {
                        return Err(Stop::Error(errors::gave_up(&site, why, transient)));
                    }
                    ctx.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(operation = op.name(), %why, "retrying");
                    tokio::time::sleep(backoff(transient)).await;
                }
                Failure::Missing { kind, error } => return Err(Stop::Missing { kind, error }),
                Failure::Fatal(e) => return Err(Stop::Error(e)),
            },
        }
    }
}

/// Exponential backoff with jitter: 200 ms, 400 ms, ... capped at 20 s.
fn backoff(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(7)).min(20_000);
    let jitter = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos() as u64)
        % (base / 4 + 1);
    Duration::from_millis(base - base / 8 + jitter)
}

/// The SDK configuration of `opts`: the standard credential chain (or the static credentials),
/// the profile, the region (required unless a test endpoint is given), the SDK's own retries
/// off so that every call is counted and paced here.
pub(crate) async fn load_config(opts: &FetchOptions) -> Result<aws_config::SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(aws_sdk_identitystore::config::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "scimlens",
        ));
    }
    let mut sdk = loader.load().await;
    if sdk.region().is_none() {
        if opts.endpoint_url.is_none() {
            return Err(Error::InvalidArgument(
                "no AWS region: pass --region, set AWS_REGION, or give the profile a region (the \
                 identity store lives in the IAM Identity Center instance's home region)"
                    .to_string(),
            ));
        }
        // A test endpoint still needs a region to sign with.
        sdk = sdk
            .into_builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
    }
    Ok(sdk)
}

/// Where `service`'s calls go: `--endpoint-url`, the configuration's, else AWS's in the region.
pub(crate) fn endpoint_of(opts: &FetchOptions, sdk: &aws_config::SdkConfig, service: &str) -> String {
    opts.endpoint_url
        .clone()
        .or_else(|| sdk.endpoint_url().map(str::to_string))
        .unwrap_or_else(|| {
            let region = sdk.region().map_or("us-east-1", |r| r.as_ref());
            format!("https://{service}.{region}.amazonaws.com")
        })
}

/// Reads the whole identity store. `progress` is called from the calling task a few times per
/// second; `cancel` stops the fetch at the next call (nothing is returned, so nothing is stored).
pub async fn fetch_store(
    opts: &FetchOptions,
    cancel: &CancelToken,
    progress: &(dyn Fn(&FetchProgress) + Send + Sync),
) -> Result<FetchedStore> {
    if !(opts.rate > 0.0 && opts.rate <= 100.0) {
        return Err(Error::InvalidArgument(format!(
            "--rate must be between 0 and 100 requests/s, got {}",
            opts.rate
        )));
    }
    let started = std::time::Instant::now();
    let sdk = load_config(opts).await?;
    let region = sdk.region().map(|r| r.to_string());
    let endpoint = endpoint_of(opts, &sdk, "identitystore");

    let ctx = Arc::new(Ctx {
        limiter: RateLimiter::new(opts.rate, opts.burst),
        counters: Counters::default(),
        cancel: cancel.clone(),
        endpoint,
        identity_store_id: std::sync::OnceLock::new(),
    });
    let report = |phase: FetchPhase| {
        let c = &ctx.counters;
        let elapsed = started.elapsed();
        let calls = c.calls();
        let total = c.groups_total.load(Ordering::Relaxed);
        progress(&FetchProgress {
            phase,
            identity_store_id: ctx.identity_store_id.get().cloned(),
            calls,
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            users: c.users.load(Ordering::Relaxed),
            groups: c.groups.load(Ordering::Relaxed),
            memberships: c.memberships.load(Ordering::Relaxed),
            groups_done: c.groups_done.load(Ordering::Relaxed),
            groups_total: (total > 0).then(|| total - 1),
            elapsed_ms: elapsed.as_millis() as u64,
            rate: if elapsed.as_secs_f64() > 0.0 {
                calls as f64 / elapsed.as_secs_f64()
            } else {
                0.0
            },
            access: opts.access.then(|| AccessProgress {
                permission_sets: c.permission_sets.load(Ordering::Relaxed),
                permission_sets_done: c.permission_sets_done.load(Ordering::Relaxed),
                account_assignments: c.account_assignments.load(Ordering::Relaxed),
            }),
        });
    };
    report(FetchPhase::Connecting);

    let sso = aws_sdk_ssoadmin::Client::new(&sdk);
    let (store_id, instance_arn) = match opts
        .identity_store_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => (id.to_string(), None),
        None => discover(&ctx, &sso, region.as_deref()).await?,
    };
    let _ = ctx.identity_store_id.set(store_id.clone());
    report(FetchPhase::Listing);

    let client = aws_sdk_identitystore::Client::new(&sdk);
    let (group_tx, group_rx) = mpsc::unbounded_channel::<String>();
    let group_rx = Arc::new(tokio::sync::Mutex::new(group_rx));
    let mut tasks: JoinSet<std::result::Result<Part, Error>> = JoinSet::new();
    tasks.spawn(list_users(ctx.clone(), client.clone(), store_id.clone()));
    tasks.spawn(list_groups(
        ctx.clone(),
        client.clone(),
        store_id.clone(),
        group_tx,
    ));
    for _ in 0..opts.concurrency.max(1) {
        tasks.spawn(list_memberships(
            ctx.clone(),
            client.clone(),
            store_id.clone(),
            group_rx.clone(),
        ));
    }
    if opts.access {
        let (ctx, store, concurrency) = (ctx.clone(), store_id.clone(), opts.concurrency);
        let organizations = aws_sdk_organizations::Client::new(&sdk);
        tasks.spawn(async move {
            access::list_access(ctx, sso, organizations, store, instance_arn, concurrency)
                .await
                .map(Part::Access)
        });
    }

    let mut snapshot = StoreSnapshot {
        identity_store_id: Some(store_id.clone()),
        memberships_known: true,
        ..Default::default()
    };
    let mut member_counts: Vec<u64> = Vec::new();
    let mut warnings = Vec::new();
    let mut access_floor = 0u64;
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if cancel.is_cancelled() {
                    tasks.abort_all();
                    return Err(cancelled(&ctx));
                }
                report(FetchPhase::Listing);
            }
            next = tasks.join_next() => match next {
                None => break,
                Some(Ok(Ok(part))) => match part {
                    Part::Users(u) => snapshot.users = u,
                    Part::Groups(g) => snapshot.groups = g,
                    Part::Memberships { memberships, per_group, warnings: w } => {
                        snapshot.memberships.extend(memberships);
                        member_counts.extend(per_group);
                        warnings.extend(w);
                    }
                    Part::Access(part) => {
                        snapshot.access = part.access;
                        access_floor = part.minimum_calls;
                        warnings.extend(part.warnings);
                    }
                },
                Some(Ok(Err(e))) => {
                    tasks.abort_all();
                    return Err(e);
                }
                Some(Err(join)) => {
                    tasks.abort_all();
                    if cancel.is_cancelled() {
                        return Err(cancelled(&ctx));
                    }
                    return Err(Error::Aws { operation: "fetch".into(), code: AwsErrorKind::Other, message: format!("a fetch task failed: {join}") });
                }
            }
        }
    }
    if cancel.is_cancelled() {
        return Err(cancelled(&ctx));
    }
    // Groups deleted during the fetch have no memberships listed; drop their members' rows.
    let c = &ctx.counters;
    let pages = |n: u64| n.div_ceil(PAGE_SIZE as u64).max(1);
    let minimum_calls = pages(snapshot.users.len() as u64)
        + pages(snapshot.groups.len() as u64)
        + member_counts.iter().map(|m| pages(*m)).sum::<u64>()
        + u64::from(opts.identity_store_id.is_none())
        + access_floor;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let access = opts.access.then(|| {
        let found = snapshot.access.as_ref();
        AccessFetchStats {
            read: found.is_some(),
            permission_sets: found.map_or(0, |a| a.permission_sets.len() as u64),
            account_assignments: found.map_or(0, |a| a.assignments.len() as u64),
            accounts: found.map_or(0, |a| {
                a.assignments
                    .iter()
                    .map(|x| x.account_id.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len() as u64
            }),
            calls_list_permission_sets: load(&c.list_permission_sets),
            calls_describe_permission_set: load(&c.describe_permission_set),
            calls_list_accounts_for_provisioned_permission_set: load(
                &c.list_accounts_for_provisioned_permission_set,
            ),
            calls_list_account_assignments: load(&c.list_account_assignments),
            calls_list_accounts: load(&c.list_accounts),
            accounts_named: found.map_or(0, |a| {
                let named: std::collections::BTreeSet<&str> = a
                    .accounts
                    .iter()
                    .filter(|x| x.name.is_some())
                    .map(|x| x.id.as_str())
                    .collect();
                a.assignments
                    .iter()
                    .map(|x| x.account_id.as_str())
                    .filter(|id| named.contains(id))
                    .collect::<std::collections::BTreeSet<_>>()
                    .len() as u64
            }),
        }
    });
    let stats = FetchStats {
        identity_store_id: store_id,
        region,
        endpoint: ctx.endpoint.clone(),
        users: snapshot.users.len() as u64,
        groups: snapshot.groups.len() as u64,
        memberships: snapshot.memberships.len() as u64,
        calls: c.calls(),
        calls_list_instances: c.list_instances.load(Ordering::Relaxed),
        calls_list_users: c.list_users.load(Ordering::Relaxed),
        calls_list_groups: c.list_groups.load(Ordering::Relaxed),
        calls_list_group_memberships: c.list_group_memberships.load(Ordering::Relaxed),
        retries: c.retries.load(Ordering::Relaxed),
        throttled: c.throttled.load(Ordering::Relaxed),
        minimum_calls,
        seconds: started.elapsed().as_secs_f64(),
        rate: opts.rate,
        warnings,
        access,
    };
    report(FetchPhase::Done);
    Ok(FetchedStore { snapshot, stats })
}

enum Part {
    Users(Vec<StoreUser>),
    Groups(Vec<StoreGroup>),
    Memberships {
        memberships: Vec<StoreMembership>,
        per_group: Vec<u64>,
        warnings: Vec<String>,
    },
    Access(access::AccessPart),
}

/// Every IAM Identity Center instance visible: its identity store id and instance ARN.
async fn instances(
    ctx: &Ctx,
    sso: &aws_sdk_ssoadmin::Client,
) -> std::result::Result<Vec<(String, Option<String>)>, Stop> {
    let mut ids: Vec<(String, Option<String>)> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(ctx, Op::ListInstances, Priority::High, || {
            sso.list_instances()
                .max_results(100)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        for i in page.instances() {
            if let Some(id) = i.identity_store_id() {
                ids.push((id.to_string(), i.instance_arn().map(str::to_string)));
            }
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// The identity store id and instance ARN of the one IAM Identity Center instance visible.
async fn discover(
    ctx: &Ctx,
    sso: &aws_sdk_ssoadmin::Client,
    region: Option<&str>,
) -> Result<(String, Option<String>)> {
    let mut ids = instances(ctx, sso).await?;
    match ids.len() {
        1 => Ok(ids.remove(0)),
        0 => Err(Error::Aws {
            operation: "ListInstances".into(),
            code: AwsErrorKind::NotFound,
            message: format!(
                "no IAM Identity Center instance is visible to these credentials in {}: pass --region (the \
                 instance's home region) or --identity-store-id",
                region.unwrap_or("this region")
            ),
        }),
        _ => Err(Error::InvalidArgument(format!(
            "{} IAM Identity Center instances are visible ({}): pass --identity-store-id",
            ids.len(),
            ids.iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn list_users(
    ctx: Arc<Ctx>,
    client: aws_sdk_identitystore::Client,
    store: String,
) -> Result<Part> {
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(&ctx, Op::ListUsers, Priority::High, || {
            client
                .list_users()
                .identity_store_id(&store)
                .max_results(PAGE_SIZE)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        users.extend(page.users().iter().map(user));
        ctx.counters
            .users
            .store(users.len() as u64, Ordering::Relaxed);
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(Part::Users(users));
        }
    }
}

async fn list_groups(
    ctx: Arc<Ctx>,
    client: aws_sdk_identitystore::Client,
    store: String,
    queue: mpsc::UnboundedSender<String>,
) -> Result<Part> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(&ctx, Op::ListGroups, Priority::High, || {
            client
                .list_groups()
                .identity_store_id(&store)
                .max_results(PAGE_SIZE)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        for g in page.groups() {
            // Membership workers start on a group as soon as its page arrives.
            let _ = queue.send(g.group_id().to_string());
            groups.push(group(g));
        }
        ctx.counters
            .groups
            .store(groups.len() as u64, Ordering::Relaxed);
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            // Stored +1 so that 0 means "not known yet".
            ctx.counters
                .groups_total
                .store(groups.len() as u64 + 1, Ordering::Relaxed);
            return Ok(Part::Groups(groups));
        }
    }
}

async fn list_memberships(
    ctx: Arc<Ctx>,
    client: aws_sdk_identitystore::Client,
    store: String,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>>,
) -> Result<Part> {
    let mut memberships = Vec::new();
    let mut per_group = Vec::new();
    let mut warnings = Vec::new();
    loop {
        let Some(group_id) = queue.lock().await.recv().await else {
            return Ok(Part::Memberships {
                memberships,
                per_group,
                warnings,
            });
        };
        let mut token: Option<String> = None;
        let mut count = 0u64;
        loop {
            let result = call(&ctx, Op::ListGroupMemberships, Priority::Low, || {
                client
                    .list_group_memberships()
                    .identity_store_id(&store)
                    .group_id(&group_id)
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await;
            let page = match result {
                Ok(page) => page,
                Err(Stop::Missing { kind, .. }) if kind == "GROUP" => {
                    warnings.push(format!("group {group_id} was deleted while the fetch ran; its members are not listed"));
                    break;
                }
                Err(stop) => return Err(stop.into()),
            };
            for m in page.group_memberships() {
                let user_id = m.member_id().and_then(|id| id.as_user_id().ok()).cloned();
                count += 1;
                memberships.push(StoreMembership {
                    identity_store_id: Some(m.identity_store_id().to_string())
                        .filter(|s| !s.is_empty()),
                    membership_id: Some(m.membership_id().to_string()).filter(|s| !s.is_empty()),
                    group_id: m.group_id().unwrap_or(&group_id).to_string(),
                    member_id: MemberId { user_id },
                });
            }
            ctx.counters
                .memberships
                .fetch_add(page.group_memberships().len() as u64, Ordering::Relaxed);
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        per_group.push(count);
        ctx.counters.groups_done.fetch_add(1, Ordering::Relaxed);
    }
}

fn s(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

fn external_ids(ids: &[aws_sdk_identitystore::types::ExternalId]) -> Vec<ExternalId> {
    ids.iter()
        .map(|e| ExternalId {
            issuer: e.issuer().to_string(),
            id: e.id().to_string(),
        })
        .collect()
}

fn user(u: &aws_sdk_identitystore::types::User) -> StoreUser {
    let mut extra = std::collections::BTreeMap::new();
    if let Some(status) = u.user_status() {
        extra.insert(
            "UserStatus".to_string(),
            serde_json::Value::String(status.as_str().to_string()),
        );
    }
    StoreUser {
        user_id: u.user_id().to_string(),
        user_name: s(u.user_name()),
        external_ids: external_ids(u.external_ids()),
        name: u.name().map(|n| StoreName {
            formatted: s(n.formatted()),
            family_name: s(n.family_name()),
            given_name: s(n.given_name()),
            middle_name: s(n.middle_name()),
            honorific_prefix: s(n.honorific_prefix()),
            honorific_suffix: s(n.honorific_suffix()),
        }),
        display_name: s(u.display_name()),
        nick_name: s(u.nick_name()),
        profile_url: s(u.profile_url()),
        emails: u
            .emails()
            .iter()
            .map(|e| StoreValue {
                value: s(e.value()),
                kind: s(e.r#type()),
                primary: Some(e.primary()),
            })
            .collect(),
        addresses: u
            .addresses()
            .iter()
            .map(|a| StoreAddress {
                street_address: s(a.street_address()),
                locality: s(a.locality()),
                region: s(a.region()),
                postal_code: s(a.postal_code()),
                country: s(a.country()),
                formatted: s(a.formatted()),
                kind: s(a.r#type()),
                primary: Some(a.primary()),
            })
            .collect(),
        phone_numbers: u
            .phone_numbers()
            .iter()
            .map(|p| StoreValue {
                value: s(p.value()),
                kind: s(p.r#type()),
                primary: Some(p.primary()),
            })
            .collect(),
        user_type: s(u.user_type()),
        title: s(u.title()),
        preferred_language: s(u.preferred_language()),
        locale: s(u.locale()),
        timezone: s(u.timezone()),
        identity_store_id: Some(u.identity_store_id().to_string()).filter(|s| !s.is_empty()),
        extra,
    }
}

fn group(g: &aws_sdk_identitystore::types::Group) -> StoreGroup {
    StoreGroup {
        group_id: g.group_id().to_string(),
        display_name: s(g.display_name()),
        external_ids: external_ids(g.external_ids()),
        description: s(g.description()),
        identity_store_id: Some(g.identity_store_id().to_string()).filter(|s| !s.is_empty()),
        extra: Default::default(),
    }
}
