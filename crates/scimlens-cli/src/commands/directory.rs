//! What the IdP holds: `directory-import` its exports, its attribute `mapping`, `compare` it
//! with the AWS identity store (or two store snapshots over time), and `preflight` its exports
//! against AWS's rules before any sync.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use scimlens_core::api::DirectoryIdp;
use scimlens_core::api::EntityKind;
use scimlens_core::api::ReportFormat;
use scimlens_core::api::identity_store::{self, CompareReq, MappingEdit, PreflightReq};
use scimlens_core::api::{CompareState, MatchKey};

use crate::output::{
    FormatParser, OutputArgs, OutputFormat, PseudonymizeArgs, TextOrJson, write_text,
};
use crate::workspace::{ReservedArgs, WorkspacePath};

/// Import what the IdP holds: directory exports read together as one directory
///
/// SCIM ListResponse JSON, Entra "Download users" CSV and Graph /users,
/// /groups?$expand=members and appRoleAssignedTo JSON, Okta user CSV, Google Workspace's Admin
/// console user / group / group-member CSV downloads and Admin SDK users.list, groups.list and
/// members.list JSON pages (detected by content).
#[derive(Debug, Args)]
pub struct DirectoryImportArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub async fn directory_import(
    args: DirectoryImportArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    let info = identity_store::import_directory(&ws, &args.files, now).await?;
    let formats: Vec<&str> = info.formats.iter().map(|f| f.as_str()).collect();
    errln!(
        "imported directory #{} ({}: {}): {} users, {} groups, {} memberships{}",
        info.id,
        info.idp,
        formats.join(", "),
        info.users,
        info.groups,
        info.memberships,
        if info.assignments_known {
            ", app assignments"
        } else {
            ""
        }
    );
    for w in &info.warnings {
        errln!("  warning: {w}");
    }
    let mapping = identity_store::get_mapping(&ws, info.idp).await?;
    for w in &mapping.warnings {
        errln!("  mapping: {w}");
    }
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}

/// Show or edit the IdP -> AWS attribute mapping (saved in the workspace)
#[derive(Debug, Args)]
pub struct MappingArgs {
    /// entra, okta, scim or google.
    idp: String,
    /// Map SOURCE onto TARGET, replacing what fed it: `--set title=department`.
    #[arg(long, value_name = "TARGET=SOURCE")]
    set: Vec<String>,
    /// Add SOURCE beside what already feeds TARGET.
    #[arg(long, value_name = "TARGET=SOURCE")]
    add: Vec<String>,
    /// Unmap TARGET.
    #[arg(long, value_name = "TARGET")]
    unset: Vec<String>,
    /// Edit the group mapping instead of the user mapping.
    #[arg(long)]
    groups: bool,
    /// Back to the IdP's default mapping.
    #[arg(long)]
    reset: bool,
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("mapping"))]
    format: Option<TextOrJson>,
}

pub async fn mapping(args: MappingArgs, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    let MappingArgs {
        idp,
        set,
        add,
        unset,
        groups,
        reset,
        format,
    } = args;
    let idp = DirectoryIdp::parse(&idp)
        .with_context(|| format!("unknown IdP '{idp}'; one of: entra, okta, scim, google"))?;
    let ws = workspace.open_or_create().await?;
    let kind = if groups {
        EntityKind::Group
    } else {
        EntityKind::User
    };
    let mut view = if reset {
        identity_store::reset_mapping(&ws, idp).await?
    } else {
        identity_store::get_mapping(&ws, idp).await?
    };
    let split = |s: &str| -> anyhow::Result<(String, String)> {
        let (t, src) = s
            .split_once('=')
            .with_context(|| format!("'{s}': write TARGET=SOURCE"))?;
        Ok((t.trim().to_string(), src.trim().to_string()))
    };
    for (pairs, is_add) in [(&set, false), (&add, true)] {
        for p in pairs {
            let (target, source) = split(p)?;
            view = identity_store::edit_mapping(
                &ws,
                &MappingEdit {
                    idp,
                    kind,
                    target,
                    source,
                    add: is_add,
                },
            )
            .await?;
        }
    }
    for target in &unset {
        let edit = MappingEdit {
            idp,
            kind,
            target: target.clone(),
            source: String::new(),
            add: false,
        };
        view = identity_store::edit_mapping(&ws, &edit).await?;
    }
    if format == Some(TextOrJson::Json) {
        outln!("{}", scimlens_core::api::json_pretty(&view)?);
    } else {
        outln!(
            "{} mapping{}:",
            idp,
            if view.is_default {
                " (default)"
            } else {
                " (edited)"
            }
        );
        for (title, rows) in [
            ("users", &view.mapping.users),
            ("groups", &view.mapping.groups),
        ] {
            outln!("  {title}:");
            for r in rows.iter() {
                outln!("    {:<55} <- {}", r.target, r.source);
            }
        }
        for w in &view.warnings {
            outln!("  warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Compare the IdP directory with the AWS identity store, side by side
///
/// The newest directory-import beside the newest store snapshot (or --directory/--snapshot),
/// or two store snapshots with --over-time.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Directory import id [default: the newest].
    #[arg(long)]
    directory: Option<i64>,
    /// Store snapshot id [default: the newest].
    #[arg(long)]
    snapshot: Option<i64>,
    /// User match order, saved in the workspace [default: externalId,userName,email].
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    match_order: Vec<String>,
    /// Show only this state: in-sync, drift, not-provisioned, unmanaged-in-store.
    #[arg(long)]
    state: Option<String>,
    /// Include entities that are in sync (JSON always has their count).
    #[arg(long)]
    all: bool,
    /// Compare two store snapshots instead (default: the two newest; --from / --to pick).
    #[arg(long)]
    over_time: bool,
    /// The older snapshot (--over-time).
    #[arg(long, requires = "over_time")]
    from: Option<i64>,
    /// The newer snapshot (--over-time).
    #[arg(long, requires = "over_time")]
    to: Option<i64>,
    /// text, or the workspace's report with its `compare` section: json, md, html, csv.
    #[arg(
        long,
        ignore_case = true,
        hide_possible_values = true,
        value_parser = FormatParser::<OutputFormat>::new(unknown_compare_format)
    )]
    format: Option<OutputFormat>,
    /// Write to PATH instead of standard output (format from its extension).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
    #[command(flatten)]
    pseudonymize: PseudonymizeArgs,
    #[command(flatten)]
    reserved: ReservedArgs,
}

fn unknown_compare_format(format: &str) -> String {
    format!("unknown format '{format}' for compare; text, json, md, html or csv")
}

pub async fn compare(
    args: CompareArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let CompareArgs {
        directory,
        snapshot,
        match_order,
        state,
        all,
        over_time,
        from,
        to,
        format,
        output,
        pseudonymize,
        reserved,
    } = args;
    let ws = workspace.open_existing().await?;
    // Without --format, -o's extension decides; one that names no format is refused.
    let format = match format {
        Some(format) => format.into(),
        None => match output
            .as_deref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            None => ReportFormat::Text,
            Some(ext) => ReportFormat::parse(ext).with_context(|| unknown_compare_format(ext))?,
        },
    };
    let json = format == ReportFormat::Json;
    if over_time {
        let diff = identity_store::diff_snapshots(&ws, from, to).await?;
        let text = if json {
            scimlens_core::api::json_pretty(&diff)? + "\n"
        } else {
            scimlens_core::api::render::snapshot_diff_text(&diff)
        };
        write_text(&text, output.as_deref())?;
        return Ok(ExitCode::SUCCESS);
    }
    let state = state
        .as_deref()
        .map(|s| {
            CompareState::parse(s).with_context(|| {
                format!(
                    "unknown state '{s}'; one of: in-sync, drift, not-provisioned, unmanaged-in-store"
                )
            })
        })
        .transpose()?;
    let order = if match_order.is_empty() {
        None
    } else {
        let keys = match_order
            .iter()
            .map(|k| {
                MatchKey::parse(k).with_context(|| {
                    format!("unknown match key '{k}'; externalId, userName or email")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Some(identity_store::set_match_order(&ws, &keys).await?)
    };
    let req = CompareReq {
        directory_id: directory,
        snapshot_id: snapshot,
        match_order: order,
        include_in_sync: all || json || state == Some(CompareState::InSync),
        extra_reserved: reserved.reserved,
    };
    let mut report = identity_store::compare_store(&ws, &req, now).await?;
    if let (Some(state), Some(c)) = (state, report.compare.as_mut()) {
        c.entities.retain(|e| e.state == state);
        c.membership_differences.retain(|m| m.state == state);
    }
    let key = pseudonymize
        .key(scimlens_core::api::views::pseudonym_key(&ws))
        .await?;
    if let Some(key) = &key {
        report = scimlens_core::api::pseudonymize(&report, key.as_bytes());
    }
    let section = report
        .compare
        .as_ref()
        .expect("compare_store fills the compare section");
    let text = match format {
        ReportFormat::Text => scimlens_core::api::render::compare_text(section),
        other => scimlens_core::api::render(&report, other),
    };
    write_text(&text, output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Check IdP exports against AWS's rules before any sync (predicted failures)
///
/// The failures a sync would meet, in the report format of the log diagnosis.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    #[arg(required = true, value_name = "IDP_EXPORT")]
    files: Vec<PathBuf>,
    /// Also check uniqueness against the newest store snapshot (or --snapshot).
    #[arg(long)]
    against_store: bool,
    /// Store snapshot id for --against-store [default: the newest].
    #[arg(long)]
    snapshot: Option<i64>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    reserved: ReservedArgs,
}

pub async fn preflight(
    args: PreflightArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let PreflightArgs {
        files,
        against_store,
        snapshot,
        output,
        reserved,
    } = args;
    // The workspace supplies the saved mapping, reserved names and store snapshot; a
    // preflight without one uses the defaults (and never creates a workspace).
    let ws = workspace.open_if_exists().await?;
    let req = PreflightReq {
        paths: files,
        against_store,
        snapshot_id: snapshot,
        extra_reserved: reserved.reserved,
    };
    let started = std::time::Instant::now();
    let report = identity_store::preflight_export(ws.as_ref(), &req, now).await?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "preflight finished"
    );
    let text_format = match output.format {
        Some(format) => format == OutputFormat::Text,
        None => output
            .output
            .as_deref()
            .and_then(|p| p.extension())
            .is_none_or(|e| e == "txt"),
    };
    let key = output
        .pseudonymize
        .key(async {
            match &ws {
                Some(ws) => scimlens_core::api::views::pseudonym_key(ws).await,
                None => scimlens_core::api::new_pseudonym_key(),
            }
        })
        .await?;
    if text_format && key.is_none() {
        write_text(
            &scimlens_core::api::render::preflight_text(&report),
            output.output.as_deref(),
        )?;
        return Ok(output.fail_on(&report));
    }
    output.emit(&report, key)
}

/// Pull Google Workspace's directory live (Admin SDK, read-only) into the workspace
///
/// users.list, groups.list and every group's members.list, as a service account with
/// domain-wide delegation acting for an administrator, or as an administrator signed in with an
/// access token (SCIMLENS_GOOGLE_TOKEN or --token-file), paced under the API's quota. Stored as
/// one directory import (what directory-import stores from the downloads); preflight and
/// compare then use it.
#[derive(Debug, Args)]
pub struct GoogleArgs {
    /// The service account's JSON key file (read, never stored).
    #[arg(long, value_name = "KEY.json", requires = "admin")]
    key_file: Option<PathBuf>,
    /// The email of the administrator the service account acts for.
    #[arg(long, value_name = "EMAIL", requires = "key_file")]
    admin: Option<String>,
    /// A file holding an administrator's access token instead of a key file [default: the
    /// SCIMLENS_GOOGLE_TOKEN environment variable], e.g. from `gcloud auth print-access-token
    /// --scopes=https://www.googleapis.com/auth/admin.directory.user.readonly,...`.
    #[arg(long, value_name = "FILE", conflicts_with = "key_file")]
    token_file: Option<PathBuf>,
    /// Google Workspace customer id [default: my_customer, the administrator's own account].
    #[arg(long, conflicts_with = "domain")]
    customer: Option<String>,
    /// Only this domain's users and groups.
    #[arg(long)]
    domain: Option<String>,
    /// Least milliseconds between two requests [default: 50, 20 a second].
    #[arg(long, value_name = "MS")]
    interval_ms: Option<u64>,
    /// Another Admin SDK endpoint (a test server).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// `json` for the result as one object.
    #[arg(long, value_parser = FormatParser::text_or_json("google"))]
    format: Option<TextOrJson>,
}

pub async fn google(
    args: GoogleArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    // A key file signs in as the service account; without one, the administrator's token.
    let token = match &args.key_file {
        Some(_) => None,
        None => super::idp::read_token(args.token_file.as_deref(), "SCIMLENS_GOOGLE_TOKEN")?,
    };
    let req = identity_store::PullGoogleReq {
        key_file: args.key_file,
        admin: args.admin,
        token,
        customer: args.customer,
        domain: args.domain,
        endpoint_url: args.endpoint_url,
        interval: args.interval_ms.map(std::time::Duration::from_millis),
    };
    let bar = crate::term::spinner();
    let on_progress = {
        let bar = bar.clone();
        move |p: &identity_store::GooglePullProgress| {
            bar.set_message(format!(
                "Google Workspace: {} users, {} groups, members of {}/{} groups, {} calls{}",
                p.users,
                p.groups,
                p.groups_done,
                p.groups,
                p.calls,
                crate::term::throttled(p.throttled)
            ));
            bar.tick();
        }
    };
    let cancel = scimlens_core::api::CancelToken::default();
    let on_ctrl_c = crate::term::cancel_on_ctrl_c(&cancel);
    let result = identity_store::pull_google_directory(&ws, &req, now, &cancel, &on_progress).await;
    on_ctrl_c.abort();
    bar.finish_and_clear();
    let res = result?;
    let info = &res.directory;
    if args.format == Some(TextOrJson::Json) {
        let value = serde_json::json!({
            "directory": info,
            "users": info.users,
            "groups": info.groups,
            "memberships": info.memberships,
            "calls": res.calls,
            "throttled": res.throttled,
            "seconds": (res.seconds * 100.0).round() / 100.0,
        });
        outln!("{}", scimlens_core::api::json_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    errln!(
        "pulled Google Workspace into directory #{}: {} users, {} groups, {} memberships; {} calls, {} throttled, {:.2} s",
        info.id,
        info.users,
        info.groups,
        info.memberships,
        res.calls,
        res.throttled,
        res.seconds
    );
    for w in &info.warnings {
        errln!("  warning: {w}");
    }
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}
