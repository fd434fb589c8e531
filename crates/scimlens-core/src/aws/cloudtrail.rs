//! Live, read-only pull of CloudTrail's identity-store events through `LookupEvents`: the SCIM
//! calls (`identitystore-scim.amazonaws.com`) and the writes of the Identity Store API
//! (`identitystore.amazonaws.com`; its List/Describe/Get reads decide nothing and are dropped).
//!
//! LookupEvents takes one lookup attribute per call, so each event source is its own `NextToken`
//! chain of 50-event pages (the API's maximum). CloudTrail allows 2 LookupEvents requests per
//! second per account and region: every call goes through one [`RateLimiter`] below that, and
//! a `ThrottlingException` (unmodeled by the SDK, recognised by its code) pauses everyone and is
//! retried, through the same [`call`] as the identity store's fetch.
//!
//! Each kept event is handed to the caller as it arrives, as an entry of an `aws cloudtrail
//! lookup-events` document, so the caller writes them to one file and imports it in one
//! transaction: an interrupted pull stores nothing.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::limiter::{Priority, RateLimiter};
use super::{Counters, Ctx, FetchOptions, Op, call, endpoint_of, load_config};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// LookupEvents' page size limit (MaxResults 1..=50).
pub const PAGE_SIZE: i32 = 50;
/// Under CloudTrail's 2 LookupEvents per second per account and region, with room for the
/// limiter's burst token so no one-second window ever sees more than 2.
pub const DEFAULT_RATE: f64 = 1.8;

/// The event sources pulled, each with whether its read-only calls are kept.
pub const SCIM_SOURCE: &str = "identitystore-scim.amazonaws.com";
pub const API_SOURCE: &str = "identitystore.amazonaws.com";

/// Progress of a pull, reported after every page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CloudTrailProgress {
    /// The event source being read.
    pub source: String,
    pub pages: u64,
    /// Events kept so far.
    pub events: u64,
    pub calls: u64,
    pub throttled: u64,
    pub elapsed_ms: u64,
}

/// What a pull read and cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CloudTrailPullStats {
    pub region: Option<String>,
    pub endpoint: String,
    /// Pages read, of both event sources.
    pub pages: u64,
    /// Events returned by CloudTrail, kept or not.
    pub events_read: u64,
    /// SCIM calls kept.
    pub scim_events: u64,
    /// Identity Store API writes (Create*, Update*, Delete*) kept.
    pub api_writes: u64,
    /// Identity Store API reads (List*, Describe*, Get*, ...) left out.
    pub api_reads_skipped: u64,
    /// Every request sent, retries included.
    pub calls: u64,
    pub retries: u64,
    pub throttled: u64,
    /// The fewest calls paging allows: per event source ceil(events/50), at least one.
    pub minimum_calls: u64,
    pub seconds: f64,
    /// The pace the pull was allowed (requests per second).
    pub rate: f64,
}

/// An Identity Store API call that changes the store; everything else it logs is a read.
pub(crate) fn is_write(event_name: &str) -> bool {
    ["Create", "Update", "Delete"]
        .iter()
        .any(|verb| event_name.starts_with(verb))
}

/// Reads both event sources between `since` and `until` (inclusive, CloudTrail's own bounds).
/// `opts` gives the profile, region, endpoint, credentials and `rate`; `keep` receives each kept
/// event, as `aws cloudtrail lookup-events` writes its `Events` entries, as its page arrives;
/// `progress` is called after every page; `cancel` stops the pull at the next call.
pub async fn lookup_identity_store_events(
    opts: &FetchOptions,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    cancel: &CancelToken,
    progress: &(dyn Fn(&CloudTrailProgress) + Send + Sync),
    keep: &mut (dyn FnMut(serde_json::Value) -> Result<()> + Send),
) -> Result<CloudTrailPullStats> {
    if !(opts.rate > 0.0 && opts.rate <= 2.0) {
        return Err(Error::InvalidArgument(format!(
            "the CloudTrail pace must be above 0 and at most 2 requests/s, got {}",
            opts.rate
        )));
    }
    let started = std::time::Instant::now();
    let sdk = load_config(opts).await?;
    let region = sdk.region().map(|r| r.to_string());
    let endpoint = endpoint_of(opts, &sdk, "cloudtrail");
    let ctx = Arc::new(Ctx {
        limiter: RateLimiter::new(opts.rate, 1),
        counters: Counters::default(),
        cancel: cancel.clone(),
        endpoint: endpoint.clone(),
        identity_store_id: std::sync::OnceLock::new(),
    });
    let client = aws_sdk_cloudtrail::Client::new(&sdk);
    let mut stats = CloudTrailPullStats {
        region,
        endpoint,
        rate: opts.rate,
        ..CloudTrailPullStats::default()
    };
    let mut kept = 0u64;
    for source in [SCIM_SOURCE, API_SOURCE] {
        let attribute = aws_sdk_cloudtrail::types::LookupAttribute::builder()
            .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::EventSource)
            .attribute_value(source)
            .build()
            .map_err(|e| Error::InvalidArgument(format!("lookup attribute: {e}")))?;
        let (start, end) = (smithy_time(since), smithy_time(until));
        let mut token: Option<String> = None;
        let mut read_here = 0u64;
        loop {
            let request = call(&ctx, Op::LookupEvents, Priority::High, || {
                client
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(start)
                    .end_time(end)
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .send()
            });
            // A cancel (Ctrl-C) also stops a request waiting for its answer.
            let page = tokio::select! {
                page = request => page.map_err(Error::from)?,
                () = cancelled(cancel) => return Err(cancel_error(&stats.endpoint)),
            };
            stats.pages += 1;
            for e in page.events() {
                read_here += 1;
                let name = e.event_name().unwrap_or_default();
                let kept_source = e.event_source().unwrap_or(source);
                if kept_source != source {
                    // LookupEvents filters by source itself; anything else is not ours.
                    continue;
                }
                if source == API_SOURCE && !is_write(name) {
                    stats.api_reads_skipped += 1;
                    continue;
                }
                if source == SCIM_SOURCE {
                    stats.scim_events += 1;
                } else {
                    stats.api_writes += 1;
                }
                keep(lookup_entry(e))?;
                kept += 1;
            }
            progress(&CloudTrailProgress {
                source: source.to_string(),
                pages: stats.pages,
                events: kept,
                calls: ctx.counters.calls(),
                throttled: ctx.counters.throttled.load(Ordering::Relaxed),
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        stats.events_read += read_here;
        stats.minimum_calls += read_here.div_ceil(PAGE_SIZE as u64).max(1);
    }
    if cancel.is_cancelled() {
        return Err(cancel_error(&stats.endpoint));
    }
    stats.calls = ctx.counters.calls();
    stats.retries = ctx.counters.retries.load(Ordering::Relaxed);
    stats.throttled = ctx.counters.throttled.load(Ordering::Relaxed);
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Resolves once `cancel` is set (the token is a flag, looked at every 50 ms).
async fn cancelled(cancel: &CancelToken) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn cancel_error(endpoint: &str) -> Error {
    Error::Cancelled {
        path: format!("CloudTrail at {endpoint}").into(),
    }
}

fn smithy_time(t: DateTime<Utc>) -> aws_sdk_cloudtrail::primitives::DateTime {
    aws_sdk_cloudtrail::primitives::DateTime::from_millis(t.timestamp_millis())
}

/// One `Events` entry as the AWS CLI prints it; the importer reads `CloudTrailEvent`.
fn lookup_entry(e: &aws_sdk_cloudtrail::types::Event) -> serde_json::Value {
    let time = e
        .event_time()
        .and_then(|t| DateTime::<Utc>::from_timestamp_millis(t.to_millis().ok()?))
        .map(|t| t.to_rfc3339());
    let resources: Vec<serde_json::Value> = e
        .resources()
        .iter()
        .map(|r| serde_json::json!({"ResourceType": r.resource_type(), "ResourceName": r.resource_name()}))
        .collect();
    serde_json::json!({
        "EventId": e.event_id(),
        "EventName": e.event_name(),
        "ReadOnly": e.read_only(),
        "AccessKeyId": e.access_key_id(),
        "EventTime": time,
        "EventSource": e.event_source(),
        "Username": e.username(),
        "Resources": resources,
        "CloudTrailEvent": e.cloud_trail_event(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_create_update_and_delete_calls_are_writes() {
        for name in ["CreateUser", "UpdateGroup", "DeleteGroupMembership"] {
            assert!(is_write(name), "{name}");
        }
        for name in ["ListUsers", "DescribeGroup", "GetUserId", "IsMemberInGroups"] {
            assert!(!is_write(name), "{name}");
        }
    }
}
