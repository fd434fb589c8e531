//! Provisioning logs: `analyze` (in memory), `import` into the workspace, its `report`,
//! `sources` and one `entity`, and the workspace's `reserved` names.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::ProgressStyle;
use scimlens_core::api::Workspace;
use scimlens_core::api::new_pseudonym_key;
use scimlens_core::api::{self, EntityDetail, ImportFilesReq};
use scimlens_core::api::{CancelToken, ImportProgress};

use crate::output::{FormatParser, OutputArgs, TextOrJson};
use crate::workspace::{ReservedArgs, WorkspacePath};

/// Analyse log files in memory and print the report (nothing is written unless -o).
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    reserved: ReservedArgs,
}

pub async fn analyze(args: AnalyzeArgs, now: DateTime<Utc>) -> anyhow::Result<ExitCode> {
    let ws = Workspace::in_memory().await?;
    import_logs(&ws, args.files, args.reserved.reserved.clone(), now).await?;
    let report = api::build_report(&ws, &args.reserved.reserved, now).await?;
    let key = args
        .output
        .pseudonymize
        .key(async { new_pseudonym_key() })
        .await?;
    args.output.emit(&report, key)
}

/// Import log files into the workspace (format detected by content, gzip accepted).
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    reserved: ReservedArgs,
}

pub async fn import(
    args: ImportArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    import_logs(&ws, args.files, args.reserved.reserved, now).await?;
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}

/// Print the failure report of the workspace.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    reserved: ReservedArgs,
}

pub async fn report(
    args: ReportArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let report = api::build_report(&ws, &args.reserved.reserved, now).await?;
    let key = args
        .output
        .pseudonymize
        .key(scimlens_core::api::views::pseudonym_key(&ws))
        .await?;
    args.output.emit(&report, key)
}

/// List the workspace's sources with their format, record count and warnings.
#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("sources"))]
    format: Option<TextOrJson>,
}

pub async fn sources(args: SourcesArgs, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let sources = scimlens_core::api::views::sources(&ws).await?;
    if args.format == Some(TextOrJson::Json) {
        outln!("{}", scimlens_core::api::json_pretty(&sources)?);
    } else if sources.is_empty() {
        outln!(
            "No sources in {}. Add some with `scimlens import FILE...`.",
            workspace.display()
        );
    } else {
        for s in sources {
            outln!(
                "#{} {} [{}] {} records{}",
                s.id,
                s.path,
                s.format,
                s.records,
                match (&s.first_time, &s.last_time) {
                    (Some(a), Some(b)) => format!(", {a} .. {b}"),
                    _ => String::new(),
                }
            );
            for w in s.warnings {
                outln!("    warning: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Show one user or group across every source: status, cause, fix and timeline.
#[derive(Debug, Args)]
pub struct EntityArgs {
    /// Name (userName / group displayName), IdP id, AWS id or externalId.
    name: String,
    #[arg(long, value_parser = FormatParser::text_or_json("entity"))]
    format: Option<TextOrJson>,
}

pub async fn entity(args: EntityArgs, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    let name = args.name;
    let ws = workspace.open_existing().await?;
    let matches = api::find_entities(&ws, &name, 20).await?;
    if matches.len() > 1 && !matches[0].name.eq_ignore_ascii_case(&name) {
        let names: Vec<String> = matches
            .iter()
            .map(|m| format!("{} ({})", m.name, m.kind.as_str()))
            .collect();
        anyhow::bail!(
            "'{name}' matches {} entities: {}; give the full name or an id",
            matches.len(),
            names.join(", ")
        );
    }
    let detail = api::get_entity(&ws, &name).await?;
    if args.format == Some(TextOrJson::Json) {
        outln!("{}", scimlens_core::api::json_pretty(&detail)?);
    } else {
        out!("{}", entity_text(&detail));
    }
    Ok(ExitCode::SUCCESS)
}

/// The timeline of one entity as terminal text.
fn entity_text(d: &EntityDetail) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) - {}",
        d.name,
        d.kind.as_str(),
        d.status.as_str()
    );
    if let Some(c) = d.category {
        let _ = writeln!(
            out,
            "  category: {c}{}",
            d.attribute
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default()
        );
    }
    if let Some(m) = &d.message {
        let _ = writeln!(out, "  cause:    {m}");
    }
    if let Some(f) = &d.fix {
        let _ = writeln!(out, "  fix:      {f}");
    }
    for (label, v) in [
        ("IdP id", &d.source_id),
        ("AWS id", &d.target_id),
        ("externalId", &d.external_id),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "  {label}: {v}");
        }
    }
    let _ = writeln!(out, "\nTimeline ({} records):", d.events);
    for t in &d.timeline {
        let _ = writeln!(
            out,
            "  {} {} {} {}{}{}",
            t.time.as_deref().unwrap_or("(no time)"),
            t.format,
            t.operation
                .as_deref()
                .or(t.action.as_deref())
                .unwrap_or("-"),
            t.outcome.as_deref().unwrap_or("-"),
            t.http_status
                .map(|s| format!(" HTTP {s}"))
                .unwrap_or_default(),
            t.category.map(|c| format!(" -> {c}")).unwrap_or_default(),
        );
        if let Some(detail) = t.aws_detail.as_deref().or(t.reason.as_deref()) {
            let _ = writeln!(out, "      {detail}");
        }
        let _ = writeln!(
            out,
            "      from {} record {}{}",
            t.source_path,
            t.record,
            if t.masked {
                " (names masked by AWS; matched by id or time)"
            } else {
                ""
            }
        );
    }
    out
}

/// Add names to the workspace's reserved-name list and show the list.
#[derive(Debug, Args)]
pub struct AddReservedArgs {
    /// Names to add (e.g. AWSControlTowerAdmins).
    add: Vec<String>,
}

pub async fn reserved(
    args: AddReservedArgs,
    workspace: &WorkspacePath,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    let names = api::add_reserved_names(&ws, &args.add).await?;
    outln!(
        "built-in: {}",
        scimlens_core::api::BUILT_IN_RESERVED_NAMES.join(", ")
    );
    outln!(
        "added in this workspace: {}",
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Imports log files into `ws` with a progress bar, then says what each file gave.
async fn import_logs(
    ws: &Workspace,
    files: Vec<PathBuf>,
    reserved: Vec<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let bar = crate::term::progress_bar(Some(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({per_sec}) {prefix}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let on_progress = {
        let bar = bar.clone();
        move |p: &ImportProgress| {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_read);
            bar.set_message(scimlens_core::api::terminal_safe(&p.path).into_owned());
            bar.set_prefix(format!("{} records", p.records));
        }
    };
    let cancel = CancelToken::default();
    let started = std::time::Instant::now();
    let result = api::import_files(
        ws,
        ImportFilesReq {
            paths: files,
            extra_reserved: reserved,
        },
        &cancel,
        now,
        &on_progress,
    )
    .await;
    bar.finish_and_clear();
    let res = result?;
    crate::term::print_outcomes(&res.outcomes);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(())
}

/// Pull the identity store's CloudTrail events (LookupEvents: SCIM calls and the Identity Store
/// API's writes) into the workspace, as one source per pull.
#[derive(Debug, Args)]
pub struct CloudtrailArgs {
    /// Named profile, including IAM Identity Center (SSO) profiles (`aws sso login` first).
    #[arg(long, env = "AWS_PROFILE")]
    profile: Option<String>,
    /// The IAM Identity Center instance's home region, where its events are logged [default:
    /// from the profile / AWS_REGION].
    #[arg(long)]
    region: Option<String>,
    /// From a date (2026-11-01), a time (RFC 3339) or a duration back (7d, 12h) [default: the
    /// newest CloudTrail event the workspace holds, else 90 days back, CloudTrail's limit].
    #[arg(long, value_name = "DATE|DURATION")]
    since: Option<String>,
    /// Up to a date or time [default: now].
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Another endpoint for CloudTrail (tests, VPC endpoints).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("cloudtrail"))]
    format: Option<TextOrJson>,
}

pub async fn cloudtrail(
    args: CloudtrailArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    let req = api::PullCloudTrailReq {
        profile: args.profile,
        region: args.region,
        endpoint_url: args.endpoint_url,
        since: args.since,
        until: args.until,
        credentials: None,
    };
    let bar = crate::term::spinner();
    let on_progress = {
        let bar = bar.clone();
        move |p: &api::CloudTrailProgress| {
            bar.set_message(format!(
                "{}: {} pages, {} events, {} calls{}",
                p.source,
                p.pages,
                p.events,
                p.calls,
                crate::term::throttled(p.throttled)
            ));
            bar.tick();
        }
    };
    let cancel = CancelToken::default();
    let on_ctrl_c = crate::term::cancel_on_ctrl_c(&cancel);
    let result = api::pull_cloudtrail(&ws, req, &cancel, now, &on_progress).await;
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
            "note: CloudTrail keeps {} days of events; reading from {}",
            api::CLOUDTRAIL_HISTORY_DAYS,
            res.since
        );
    }
    errln!(
        "CloudTrail {} .. {}{}: {} pages, {} calls (floor {}), {} throttled, {:.2} s",
        res.since,
        res.until,
        if res.incremental {
            " (after the newest event held)"
        } else {
            ""
        },
        s.pages,
        s.calls,
        s.minimum_calls,
        s.throttled,
        s.seconds
    );
    errln!(
        "{} SCIM calls, {} Identity Store API writes kept ({} reads left out), {} already held",
        s.scim_events,
        s.api_writes,
        s.api_reads_skipped,
        res.already_held
    );
    match &res.outcome {
        None => outln!("No new CloudTrail events; nothing stored."),
        Some(api::ImportOutcome::Imported { path, records, .. }) => {
            outln!(
                "{records} new events imported as {path}; {} entities",
                res.entities
            )
        }
        Some(api::ImportOutcome::AlreadyImported { existing_path, .. }) => {
            outln!("These events are already in the workspace as {existing_path}; nothing stored.")
        }
    }
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}
