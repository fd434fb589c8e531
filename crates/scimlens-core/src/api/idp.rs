//! Live pulls from the identity providers: Okta's System Log ([`pull_okta`]) and Microsoft
//! Graph's provisioning logs with the provisioning job's status ([`pull_entra`]). Like the
//! CloudTrail pull: one source per pull, incremental from the newest record held, the records
//! written to a document as their page arrives and imported through the same pipeline as a
//! downloaded file, in one transaction; a pull cancelled or failed stores nothing.
//!
//! Tokens come in the request, stay in memory, and go only into the `Authorization` header of
//! calls to the org or Graph named in the request; never into the workspace, a source name, an
//! error or tracing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::pulled::{PulledDocument, import_pulled, window};
use crate::db::Workspace;
use crate::error::{Error, Result};
use crate::idp::entra::{self, EntraProgress, EntraPullStats};
use crate::idp::http::{HttpClient, HttpLimits};
use crate::idp::okta::{self, OktaProgress, OktaPullStats, OktaTokenKind};
use crate::import::pipeline::{CancelToken, ImportOutcome};
use crate::input::value::format_time;
use crate::model::Format;

pub use crate::idp::Secret;

/// How far back Okta's System Log reaches.
pub const OKTA_HISTORY_DAYS: i64 = 90;
/// How far back Entra keeps provisioning logs (30 days with Entra ID P1 or P2).
pub const ENTRA_HISTORY_DAYS: i64 = 30;
/// A live pull of Okta's System Log (its provisioning events) into the workspace.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PullOktaReq {
    /// The org: `https://ORG.okta.com` (or its custom domain).
    pub org: String,
    /// A date, an RFC 3339 time or a duration back from now. Without it: from the newest Okta
    /// event the workspace holds, else 90 days back.
    pub since: Option<String>,
    pub until: Option<String>,
    /// An API token (sent as `SSWS`) or an OAuth access token (`Bearer`); never serialized.
    #[serde(default, skip_serializing)]
    #[ts(type = "string | null")]
    pub token: Option<Secret>,
    /// How to send the token; guessed from its shape without it (a JWT is a Bearer token).
    pub token_kind: Option<OktaTokenKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PullOktaRes {
    pub since: String,
    pub until: String,
    /// `since` was earlier than the System Log's 90 days and was moved to their start.
    pub clamped: bool,
    /// `since` came from the newest Okta event already in the workspace.
    pub incremental: bool,
    pub stats: OktaPullStats,
    pub new_events: u64,
    pub already_held: u64,
    pub outcome: Option<ImportOutcome>,
    pub entities: u64,
}

/// A live pull of Entra's provisioning logs (and, when the app is known, its provisioning
/// job's status) from Microsoft Graph into the workspace.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PullEntraReq {
    /// The tenant (id or domain) for the device-code sign-in; `organizations` without it.
    pub tenant: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// The enterprise application: its service principal's object id, or its exact name.
    pub app: Option<String>,
    pub failures_only: bool,
    /// A Graph access token; never serialized. Without it, `client_id` signs in.
    #[serde(default, skip_serializing)]
    #[ts(type = "string | null")]
    pub token: Option<Secret>,
    /// An app registration (public client) for the device-code sign-in.
    pub client_id: Option<String>,
    /// Graph's and the identity platform's base URLs (tests).
    #[serde(skip)]
    #[ts(skip)]
    pub endpoints: Option<entra::Endpoints>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PullEntraRes {
    pub since: String,
    pub until: String,
    pub clamped: bool,
    pub incremental: bool,
    /// The app's service principal, when one was named.
    pub service_principal: Option<String>,
    pub app_name: Option<String>,
    pub stats: EntraPullStats,
    pub new_records: u64,
    pub already_held: u64,
    /// The provisioning records, as one source; absent when none were new.
    pub outcome: Option<ImportOutcome>,
    /// The job status, as one source; absent without an app.
    pub job_outcome: Option<ImportOutcome>,
    pub entities: u64,
}

/// Pulls the provisioning events of Okta's System Log and imports the new ones as one
/// `okta-systemlog` source. `progress` hears of every page and every wait for the rate limit.
pub async fn pull_okta(
    ws: &Workspace,
    req: PullOktaReq,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&OktaProgress) + Send + Sync),
) -> Result<PullOktaRes> {
    let org = okta::org_url(&req.org)?;
    let token = req.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        Error::InvalidArgument(
            "no Okta token: set OKTA_API_TOKEN (an API token) or give --token-file".to_string(),
        )
    })?;
    let kind = req
        .token_kind
        .unwrap_or_else(|| OktaTokenKind::guess(&token));
    let newest = crate::db::sources::newest_time(ws, Format::OktaSystemlog).await?;
    let (since, until, clamped, incremental) = window(
        req.since.as_deref(),
        req.until.as_deref(),
        newest,
        OKTA_HISTORY_DAYS,
        now,
    )?;
    let held =
        crate::db::sources::record_ids_since(ws, Format::OktaSystemlog, since.timestamp_millis())
            .await?;
    let client = HttpClient::new(okta::SERVICE, HttpLimits::default())?;
    let mut doc = PulledDocument::create(ws, "okta", "[\n", "\n]\n", now)?;
    let mut total = 0u64;
    let mut keep = |event: serde_json::Value| {
        total += 1;
        if event["uuid"].as_str().is_some_and(|id| held.contains(id)) {
            return Ok(());
        }
        doc.record(&event)
    };
    let stats = okta::read_provisioning_events(
        &client, &org, &token, kind, since, until, cancel, progress, &mut keep,
    )
    .await?;
    let new_events = doc.records();
    let mut res = PullOktaRes {
        since: since.to_rfc3339(),
        until: until.to_rfc3339(),
        clamped,
        incremental,
        stats,
        new_events,
        already_held: total - new_events,
        outcome: None,
        entities: 0,
    };
    if new_events == 0 {
        return Ok(res);
    }
    let name = format!(
        "Okta System Log {} {} .. {}",
        org.host_str().unwrap_or_default(),
        format_time(&since),
        format_time(&until)
    );
    let imported = import_pulled(
        ws,
        &mut doc,
        Format::OktaSystemlog,
        &name,
        "Okta pull",
        cancel,
        now,
    )
    .await?;
    res.entities = imported.entities;
    res.outcome = imported.outcomes.into_iter().next();
    Ok(res)
}

/// What a Graph pull is called in a cancelled error.
const GRAPH_PULL: &str = "Microsoft Graph pull";

/// Pulls Entra's provisioning logs from Graph (and the job's status when the app is named) and
/// imports the new records as one `entra-graph` source, the job status as one
/// `entra-job-status` source. Nothing is imported before every call has succeeded.
pub async fn pull_entra(
    ws: &Workspace,
    req: PullEntraReq,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&EntraProgress) + Send + Sync),
) -> Result<PullEntraRes> {
    let started = std::time::Instant::now();
    let endpoints = req.endpoints.clone().unwrap_or_default();
    let client = HttpClient::new(entra::SERVICE, HttpLimits::default())?;
    let token = match (req.token.filter(|t| !t.is_empty()), &req.client_id) {
        (Some(token), _) => token,
        (None, Some(client_id)) => {
            let tenant = req.tenant.as_deref().unwrap_or("organizations");
            let prompt = |p: &entra::DeviceCodePrompt| {
                progress(&EntraProgress {
                    stage: "sign-in".to_string(),
                    sign_in: Some(p.clone()),
                    pages: 0,
                    records: 0,
                    calls: 0,
                    throttled: 0,
                    waiting_ms: None,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                })
            };
            let by_name = req
                .app
                .as_deref()
                .is_some_and(|a| !a.trim().is_empty() && !entra::is_guid(a.trim()));
            entra::device_code_sign_in(
                &client,
                &endpoints.login,
                tenant,
                client_id,
                &entra::scopes(by_name),
                cancel,
                &prompt,
            )
            .await?
        }
        (None, None) => {
            return Err(Error::InvalidArgument(
                "no Graph sign-in: set SCIMLENS_GRAPH_TOKEN or give --token-file (an access \
                 token), or --client-id to sign in with a device code"
                    .to_string(),
            ));
        }
    };
    let mut session = entra::Session {
        client: &client,
        endpoints: &endpoints,
        token: &token,
        cancel,
        stats: EntraPullStats {
            graph: endpoints.graph.clone(),
            ..EntraPullStats::default()
        },
        started,
    };
    let app = match req.app.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(app) => Some(session.service_principal(app, progress).await?),
        None => None,
    };
    // The job status goes to its own document; its job ids scope the incremental start.
    let mut job_doc = None;
    let mut job_ids = Vec::new();
    if let Some(sp) = &app {
        let mut doc = PulledDocument::create(ws, "entra-jobs", "{\"value\":[\n", "\n]}\n", now)?;
        let mut keep = |job: serde_json::Value| doc.record(&job);
        job_ids = session.jobs(&sp.id, progress, &mut keep).await?;
        job_doc = Some(doc);
    }
    let newest = crate::db::sources::newest_record_time(ws, Format::EntraGraph, &job_ids).await?;
    let (since, until, clamped, incremental) = window(
        req.since.as_deref(),
        req.until.as_deref(),
        newest,
        ENTRA_HISTORY_DAYS,
        now,
    )?;
    let held =
        crate::db::sources::record_ids_since(ws, Format::EntraGraph, since.timestamp_millis())
            .await?;
    let filter = entra::provisioning_filter(
        since,
        until,
        app.as_ref().map(|sp| sp.id.as_str()),
        req.failures_only,
    );
    let mut doc = PulledDocument::create(
        ws,
        "entra",
        "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning\",\"value\":[\n",
        "\n]}\n",
        now,
    )?;
    let mut total = 0u64;
    let mut keep = |record: serde_json::Value| {
        total += 1;
        if record["id"].as_str().is_some_and(|id| held.contains(id)) {
            return Ok(());
        }
        doc.record(&record)
    };
    session
        .provisioning_records(&filter, progress, &mut keep)
        .await?;
    let mut stats = session.stats;
    stats.seconds = started.elapsed().as_secs_f64();
    let new_records = doc.records();
    let mut res = PullEntraRes {
        since: since.to_rfc3339(),
        until: until.to_rfc3339(),
        clamped,
        incremental,
        service_principal: app.as_ref().map(|sp| sp.id.clone()),
        app_name: app.as_ref().and_then(|sp| sp.display_name.clone()),
        stats,
        new_records,
        already_held: total - new_records,
        outcome: None,
        job_outcome: None,
        entities: 0,
    };
    if cancel.is_cancelled() {
        return Err(Error::Cancelled {
            path: GRAPH_PULL.into(),
        });
    }
    let scope = match &app {
        Some(sp) => format!("{} ", sp.display_name.as_deref().unwrap_or(sp.id.as_str())),
        None => String::new(),
    };
    if new_records > 0 {
        let name = format!(
            "Entra provisioning logs {scope}{}{} .. {}",
            if req.failures_only { "(failures) " } else { "" },
            format_time(&since),
            format_time(&until)
        );
        let imported = import_pulled(
            ws,
            &mut doc,
            Format::EntraGraph,
            &name,
            GRAPH_PULL,
            cancel,
            now,
        )
        .await?;
        res.entities = imported.entities;
        res.outcome = imported.outcomes.into_iter().next();
    }
    if let Some(mut jobs) = job_doc.filter(|d| d.records() > 0) {
        let name = format!("Entra provisioning job {scope}at {}", format_time(&now));
        let imported = import_pulled(
            ws,
            &mut jobs,
            Format::EntraJobStatus,
            &name,
            GRAPH_PULL,
            cancel,
            now,
        )
        .await?;
        res.entities = imported.entities;
        res.job_outcome = imported.outcomes.into_iter().next();
    }
    Ok(res)
}
