//! Live pulls from the identity providers: `okta` (the System Log API) and `entra` (Microsoft
//! Graph's provisioning logs and the provisioning job's status). Tokens are read from the
//! environment or a file and handed to the core; never printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use scimlens_core::api::{self, CancelToken, Secret};

use crate::output::{FormatParser, TextOrJson};
use crate::workspace::WorkspacePath;

/// A token file larger than this is not a token.
const TOKEN_FILE_LIMIT: u64 = 64 * 1024;

/// Pull Okta's provisioning events (System Log API) into the workspace, as one source per pull.
#[derive(Debug, Args)]
pub struct OktaArgs {
    /// The org: https://ORG.okta.com (or its custom domain).
    #[arg(long, value_name = "URL")]
    org: String,
    /// From a date (2026-11-01), a time (RFC 3339) or a duration back (7d, 12h) [default: the
    /// newest Okta event the workspace holds, else 90 days back, the System Log's limit].
    #[arg(long, value_name = "DATE|DURATION")]
    since: Option<String>,
    /// Up to a date or time [default: now].
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// A file holding the token [default: the OKTA_API_TOKEN environment variable]. An API token
    /// is sent as SSWS, an OAuth access token (a JWT) as Bearer.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// How to send the token [default: guessed from its shape].
    #[arg(long, value_enum)]
    token_type: Option<OktaTokenType>,
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("okta"))]
    format: Option<TextOrJson>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OktaTokenType {
    Ssws,
    Bearer,
}

/// Pull Entra's provisioning logs (and the app's provisioning job status) from Microsoft Graph
/// into the workspace, as one source per pull.
#[derive(Debug, Args)]
pub struct EntraArgs {
    /// The tenant for the device-code sign-in: its id or a domain [default: organizations].
    #[arg(long, value_name = "TENANT")]
    tenant: Option<String>,
    /// From a date, a time or a duration back [default: the newest Entra record the workspace
    /// holds for the app's job, else 30 days back, Entra's retention].
    #[arg(long, value_name = "DATE|DURATION")]
    since: Option<String>,
    /// Up to a date or time [default: now].
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// The enterprise application (its object id or exact name): its records only, and its
    /// provisioning job's status.
    #[arg(long, value_name = "NAME|SP_ID")]
    app: Option<String>,
    /// Only the failed records.
    #[arg(long)]
    failures_only: bool,
    /// A file holding a Graph access token [default: the SCIMLENS_GRAPH_TOKEN environment
    /// variable], e.g. from `az account get-access-token --resource-type ms-graph --query
    /// accessToken -o tsv`.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Sign in with a device code through this app registration (a public client with the
    /// delegated permissions AuditLog.Read.All, Synchronization.Read.All and, to find --app by
    /// name, Application.Read.All).
    #[arg(long, value_name = "ID", env = "SCIMLENS_GRAPH_CLIENT_ID")]
    client_id: Option<String>,
    /// Another Graph base URL (tests).
    #[arg(long, hide = true, env = "SCIMLENS_GRAPH_URL")]
    graph_url: Option<String>,
    /// Another identity platform base URL (tests).
    #[arg(long, hide = true, env = "SCIMLENS_LOGIN_URL")]
    login_url: Option<String>,
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("entra"))]
    format: Option<TextOrJson>,
}

/// The token from `file`, else from the environment variable `var`; never echoed.
pub(super) fn read_token(file: Option<&Path>, var: &str) -> anyhow::Result<Option<Secret>> {
    if let Some(path) = file {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?
            .len();
        if size > TOKEN_FILE_LIMIT {
            anyhow::bail!(
                "{}: {size} bytes is not a token file (at most 64 KB)",
                path.display()
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?;
        let token = Secret::new(&text);
        if token.is_empty() {
            anyhow::bail!("{}: the token file is empty", path.display());
        }
        return Ok(Some(token));
    }
    Ok(std::env::var(var)
        .ok()
        .map(|t| Secret::new(&t))
        .filter(|t| !t.is_empty()))
}

fn outcome_line(outcome: Option<&api::ImportOutcome>, what: &str, entities: u64) {
    match outcome {
        None => outln!("No new {what}; nothing stored."),
        Some(api::ImportOutcome::Imported { path, records, .. }) => {
            outln!("{records} new {what} imported as {path}; {entities} entities")
        }
        Some(api::ImportOutcome::AlreadyImported { existing_path, .. }) => {
            outln!("These {what} are already in the workspace as {existing_path}; nothing stored.")
        }
    }
}

pub async fn okta(
    args: OktaArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let token = read_token(args.token_file.as_deref(), "OKTA_API_TOKEN")?;
    let ws = workspace.open_or_create().await?;
    let req = api::PullOktaReq {
        org: args.org,
        since: args.since,
        until: args.until,
        token,
        token_kind: args.token_type.map(|t| match t {
            OktaTokenType::Ssws => api::OktaTokenKind::Ssws,
            OktaTokenType::Bearer => api::OktaTokenKind::Bearer,
        }),
    };
    let bar = crate::term::spinner();
    let on_progress = {
        let bar = bar.clone();
        move |p: &api::OktaProgress| {
            bar.set_message(format!(
                "Okta System Log: {} pages, {} events, {} calls{}{}",
                p.pages,
                p.events,
                p.calls,
                crate::term::throttled(p.throttled),
                match p.waiting_ms {
                    Some(until) => format!(
                        ", waiting {:.1} s for the rate limit",
                        until.saturating_sub(p.elapsed_ms) as f64 / 1000.0
                    ),
                    None => String::new(),
                }
            ));
            bar.tick();
        }
    };
    let cancel = CancelToken::default();
    let on_ctrl_c = crate::term::cancel_on_ctrl_c(&cancel);
    let result = api::pull_okta(&ws, req, &cancel, now, &on_progress).await;
    on_ctrl_c.abort();
    bar.finish_and_clear();
    let res = result?;
    if args.format == Some(TextOrJson::Json) {
        outln!("{}", api::json_pretty(&res)?);
        return Ok(ExitCode::SUCCESS);
    }
    let s = &res.stats;
    if res.clamped {
        errln!(
            "note: Okta keeps {} days of System Log; reading from {}",
            api::OKTA_HISTORY_DAYS,
            res.since
        );
    }
    errln!(
        "Okta {} {} .. {}{}: {} pages, {} calls, {} throttled, {} waits for the rate limit \
         ({:.1} s), {:.2} s",
        s.org,
        res.since,
        res.until,
        if res.incremental {
            " (after the newest event held)"
        } else {
            ""
        },
        s.pages,
        s.calls,
        s.throttled,
        s.paced,
        s.waited_ms as f64 / 1000.0,
        s.seconds
    );
    errln!(
        "{} provisioning events read, {} already held",
        s.events_read,
        res.already_held
    );
    outcome_line(res.outcome.as_ref(), "Okta events", res.entities);
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn entra(
    args: EntraArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let token = read_token(args.token_file.as_deref(), "SCIMLENS_GRAPH_TOKEN")?;
    let ws = workspace.open_or_create().await?;
    let endpoints = (args.graph_url.is_some() || args.login_url.is_some()).then(|| {
        let default = api::EntraEndpoints::default();
        api::EntraEndpoints {
            graph: args.graph_url.unwrap_or(default.graph),
            login: args.login_url.unwrap_or(default.login),
        }
    });
    let req = api::PullEntraReq {
        tenant: args.tenant,
        since: args.since,
        until: args.until,
        app: args.app,
        failures_only: args.failures_only,
        token,
        client_id: args.client_id,
        endpoints,
    };
    let bar = crate::term::spinner();
    let on_progress = {
        let bar = bar.clone();
        move |p: &api::EntraProgress| {
            if let Some(prompt) = &p.sign_in {
                // The admin must see this even without a terminal (a script, a CI log).
                bar.suspend(|| errln!("{}", prompt.message));
                return;
            }
            bar.set_message(format!(
                "Microsoft Graph ({}): {} pages, {} records, {} calls{}",
                p.stage,
                p.pages,
                p.records,
                p.calls,
                crate::term::throttled(p.throttled)
            ));
            bar.tick();
        }
    };
    let cancel = CancelToken::default();
    let on_ctrl_c = crate::term::cancel_on_ctrl_c(&cancel);
    let result = api::pull_entra(&ws, req, &cancel, now, &on_progress).await;
    on_ctrl_c.abort();
    bar.finish_and_clear();
    let res = result?;
    if args.format == Some(TextOrJson::Json) {
        outln!("{}", api::json_pretty(&res)?);
        return Ok(ExitCode::SUCCESS);
    }
    let s = &res.stats;
    if res.clamped {
        errln!(
            "note: Entra keeps {} days of provisioning logs; reading from {}",
            api::ENTRA_HISTORY_DAYS,
            res.since
        );
    }
    if let Some(sp) = &res.service_principal {
        errln!(
            "app: {} (service principal {sp}); {} provisioning job(s) read",
            res.app_name.as_deref().unwrap_or("?"),
            s.jobs_read
        );
    }
    errln!(
        "Graph {} .. {}{}: {} pages, {} calls, {} throttled ({:.1} s waiting), {:.2} s",
        res.since,
        res.until,
        if res.incremental {
            " (after the newest record held)"
        } else {
            ""
        },
        s.pages,
        s.calls,
        s.throttled,
        s.waited_ms as f64 / 1000.0,
        s.seconds
    );
    errln!(
        "{} provisioning records read, {} already held",
        s.records_read,
        res.already_held
    );
    outcome_line(res.outcome.as_ref(), "provisioning records", res.entities);
    if res.job_outcome.is_some() {
        outcome_line(res.job_outcome.as_ref(), "job status", res.entities);
    }
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}
