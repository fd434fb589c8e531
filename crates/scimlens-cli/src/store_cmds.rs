//! Subcommands about what exists on both sides: the live AWS identity store (`fetch`,
//! `store-import`, `store-export`, `snapshots`, `store-find`), the IdP directory
//! (`directory-import`, `mapping`), `compare` and `preflight`. Arguments -> core calls -> output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scimlens_core::api::identity_store::{self, CompareReq, MappingEdit, PreflightReq};
use scimlens_core::aws::{FetchOptions, FetchProgress};
use scimlens_core::compare::{CompareState, MatchKey};
use scimlens_core::db::Workspace;
use scimlens_core::directory::DirectoryIdp;
use scimlens_core::import::pipeline::CancelToken;
use scimlens_core::model::EntityKind;
use scimlens_core::report::render::ReportFormat;

use crate::cli::{OutputArgs, PseudonymizeArgs, ReservedArgs};

const STORE_EXAMPLES: &str = "\
Examples:
  scimlens fetch --profile admin --region eu-west-1          read the live identity store
  scimlens fetch --format json                                 summary as one JSON object
  aws identitystore list-users --identity-store-id d-123 > users.json
  scimlens store-import users.json groups.json memberships.json
  scimlens directory-import entra-users.csv graph-groups.json
  scimlens compare --state drift
  scimlens compare --over-time                                 the two newest snapshots
  scimlens preflight okta-users.csv --against-store --fail-on any";

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Read the live AWS identity store into the workspace (one snapshot)
    ///
    /// Users, groups and every group's memberships, through read-only Identity Store API calls
    /// paced under 20 requests/s. Credentials from the standard AWS chain (environment, profiles
    /// including IAM Identity Center/SSO ones, roles); nothing secret is stored.
    #[command(after_help = STORE_EXAMPLES)]
    Fetch {
        #[command(flatten)]
        aws: AwsArgs,
        /// `json` prints the summary as one object: users, groups, memberships, calls, seconds.
        #[arg(long)]
        format: Option<String>,
    },
    /// Import `aws identitystore list-*` JSON output as one store snapshot
    ///
    /// The output of `list-users`, `list-groups` and `list-group-memberships` (any number of
    /// files, read together; several documents appended in one file are fine).
    StoreImport {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Write a store snapshot as the AWS CLI prints it
    ///
    /// list-users.json, list-groups.json and list-group-memberships.json into DIR.
    StoreExport {
        /// Directory to write the three files into (created if needed).
        dir: PathBuf,
        /// Snapshot id [default: the newest].
        #[arg(long)]
        snapshot: Option<i64>,
    },
    /// List the workspace's store snapshots and directory imports
    Snapshots {
        /// `json` for machine-readable output.
        #[arg(long)]
        format: Option<String>,
    },
    /// Show a user or group as the store holds it (by name, AWS id or externalId)
    StoreFind {
        query: String,
        /// Store snapshot id [default: the newest].
        #[arg(long)]
        snapshot: Option<i64>,
    },
    /// Import what the IdP holds: directory exports read together as one directory
    ///
    /// SCIM ListResponse JSON, Entra "Download users" CSV and Graph /users,
    /// /groups?$expand=members and appRoleAssignedTo JSON, Okta user CSV (detected by content).
    DirectoryImport {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Show or edit the IdP -> AWS attribute mapping (saved in the workspace)
    Mapping {
        /// entra, okta or scim.
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
        #[arg(long)]
        format: Option<String>,
    },
    /// Compare the IdP directory with the AWS identity store, side by side
    ///
    /// The newest directory-import beside the newest store snapshot (or --directory/--snapshot),
    /// or two store snapshots with --over-time.
    Compare {
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
        #[arg(long)]
        format: Option<String>,
        /// Write to PATH instead of standard output (format from its extension).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
        #[command(flatten)]
        pseudonymize: PseudonymizeArgs,
        #[command(flatten)]
        reserved: ReservedArgs,
    },
    /// Check IdP exports against AWS's rules before any sync (predicted failures)
    ///
    /// The failures a sync would meet, in the report format of the log diagnosis.
    Preflight {
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
    },
}

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Named profile, including IAM Identity Center (SSO) profiles (`aws sso login` first).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// The IAM Identity Center instance's home region [default: from the profile / AWS_REGION].
    #[arg(long)]
    pub region: Option<String>,
    /// The identity store (d-xxxxxxxxxx) [default: found with sso-admin ListInstances].
    #[arg(long, value_name = "ID")]
    pub identity_store_id: Option<String>,
    /// Another endpoint for all AWS calls (tests, VPC endpoints).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Requests per second; the Identity Store API allows 20 for the whole account.
    #[arg(long, default_value_t = scimlens_core::aws::DEFAULT_RATE)]
    pub rate: f64,
    /// Groups whose memberships are listed at once.
    #[arg(long, default_value_t = scimlens_core::aws::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

pub async fn run(
    command: StoreCommand,
    workspace: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    match command {
        StoreCommand::Fetch { aws, format } => fetch(workspace, aws, format, now).await,
        StoreCommand::StoreImport { files } => {
            let ws = Workspace::open(workspace).await?;
            let info = identity_store::import_store_files(&ws, &files, now).await?;
            errln!(
                "imported store snapshot #{}: {} users, {} groups, {} memberships{}",
                info.id,
                info.users,
                info.groups,
                info.memberships,
                if info.memberships_known {
                    ""
                } else {
                    " (no membership data)"
                }
            );
            for w in &info.warnings {
                errln!("  warning: {w}");
            }
            errln!("workspace: {}", workspace.display());
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::StoreExport { dir, snapshot } => {
            let ws = super::open_existing(workspace).await?;
            let files = identity_store::export_store(&ws, snapshot, &dir).await?;
            for f in files {
                outln!("{}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Snapshots { format } => {
            let ws = super::open_existing(workspace).await?;
            let snapshots = identity_store::list_snapshots(&ws).await?;
            let directories = identity_store::list_directories(&ws).await?;
            if format.as_deref() == Some("json") {
                let v = serde_json::json!({ "snapshots": snapshots, "directories": directories });
                outln!("{}", scimlens_core::report::render::json_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            outln!("Store snapshots:");
            if snapshots.is_empty() {
                outln!("  (none: `scimlens fetch` or `scimlens store-import FILE`)");
            }
            for s in &snapshots {
                outln!(
                    "  #{} {} {} [{}] {}: {} users, {} groups, {} memberships{}",
                    s.id,
                    s.taken_at,
                    s.identity_store_id
                        .as_deref()
                        .unwrap_or("(store id unknown)"),
                    s.origin.as_str(),
                    s.label,
                    s.users,
                    s.groups,
                    s.memberships,
                    s.api_calls
                        .map(|c| format!(", {c} API calls"))
                        .unwrap_or_default()
                );
            }
            outln!("Directory imports:");
            if directories.is_empty() {
                outln!("  (none: `scimlens directory-import FILE`)");
            }
            for d in &directories {
                let formats: Vec<&str> = d.formats.iter().map(|f| f.as_str()).collect();
                outln!(
                    "  #{} {} [{}: {}] {}: {} users, {} groups, {} memberships",
                    d.id,
                    d.imported_at,
                    d.idp,
                    formats.join(", "),
                    d.label,
                    d.users,
                    d.groups,
                    d.memberships
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::StoreFind { query, snapshot } => {
            let ws = super::open_existing(workspace).await?;
            let found = identity_store::find_store_objects(&ws, &query, snapshot).await?;
            let v = serde_json::json!({ "snapshot": found.snapshot.id, "Users": found.users, "Groups": found.groups });
            outln!("{}", scimlens_core::report::render::json_pretty(&v)?);
            Ok(if found.users.is_empty() && found.groups.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        StoreCommand::DirectoryImport { files } => {
            let ws = Workspace::open(workspace).await?;
            let info = identity_store::import_directory(&ws, &files, now).await?;
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
        StoreCommand::Mapping {
            idp,
            set,
            add,
            unset,
            groups,
            reset,
            format,
        } => {
            let idp = DirectoryIdp::parse(&idp)
                .with_context(|| format!("unknown IdP '{idp}'; one of: entra, okta, scim"))?;
            let editing = reset || !set.is_empty() || !add.is_empty() || !unset.is_empty();
            let ws = if editing {
                Workspace::open(workspace).await?
            } else {
                super::open_workspace(workspace).await?
            };
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
            if format.as_deref() == Some("json") {
                outln!("{}", scimlens_core::report::render::json_pretty(&view)?);
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
        StoreCommand::Compare {
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
        } => {
            let ws = super::open_existing(workspace).await?;
            let format = match format.as_deref().or_else(|| {
                output
                    .as_deref()
                    .and_then(|p| p.extension())
                    .and_then(|e| e.to_str())
            }) {
                None => ReportFormat::Text,
                Some(f) => ReportFormat::parse(f).with_context(|| {
                    format!("unknown format '{f}' for compare; text, json, md, html or csv")
                })?,
            };
            let json = format == ReportFormat::Json;
            if over_time {
                let diff = identity_store::diff_snapshots(&ws, from, to).await?;
                let text = if json {
                    scimlens_core::report::render::json_pretty(&diff)? + "\n"
                } else {
                    scimlens_core::compare::diff_text(&diff)
                };
                return write_out(&text, output.as_deref());
            }
            let state = state
                .as_deref()
                .map(|s| CompareState::parse(s).with_context(|| format!("unknown state '{s}'; one of: in-sync, drift, not-provisioned, unmanaged-in-store")))
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
                report = scimlens_core::report::render::pseudonymize(&report, key.as_bytes());
            }
            let section = report
                .compare
                .as_ref()
                .expect("compare_store fills the compare section");
            let text = match format {
                ReportFormat::Text => scimlens_core::compare::render_text(section),
                other => scimlens_core::report::render::render(&report, other),
            };
            write_out(&text, output.as_deref())
        }
        StoreCommand::Preflight {
            files,
            against_store,
            snapshot,
            output,
            reserved,
        } => {
            // The workspace supplies the saved mapping, reserved names and store snapshot; a
            // preflight without one uses the defaults (and never creates a workspace).
            let ws = if workspace.exists() {
                Some(super::open_workspace(workspace).await?)
            } else {
                None
            };
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
            let text_format = match &output.format {
                Some(f) => f.eq_ignore_ascii_case("text") || f.eq_ignore_ascii_case("txt"),
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
                        None => scimlens_core::report::pseudonym::new_key(),
                    }
                })
                .await?;
            if text_format && key.is_none() {
                write_out(
                    &scimlens_core::preflight::render_text(&report),
                    output.output.as_deref(),
                )?;
                return Ok(super::fail_on(&report, &output.fail_on));
            }
            super::emit(&report, &output, key)
        }
    }
}

fn write_out(text: &str, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    match output {
        Some(path) => {
            scimlens_core::atomic::write(path, text.as_bytes())?;
            errln!("written to {}", path.display());
        }
        None => out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn fetch(
    workspace: &Path,
    aws: AwsArgs,
    format: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    let json = match format.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => anyhow::bail!("unknown format '{other}' for fetch; text or json"),
    };
    let ws = Workspace::open(workspace).await?;
    let options = FetchOptions {
        profile: aws.profile,
        region: aws.region,
        endpoint_url: aws.endpoint_url,
        identity_store_id: aws.identity_store_id,
        rate: aws.rate,
        concurrency: aws.concurrency,
        ..FetchOptions::default()
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
    let on_progress = {
        let bar = bar.clone();
        move |p: &FetchProgress| {
            let groups = match p.groups_total {
                Some(total) => format!("{}/{total} groups' members", p.groups_done),
                None => format!("{} groups", p.groups),
            };
            bar.set_message(format!(
                "{:?}: {} users, {groups}, {} memberships, {} calls ({:.1}/s){}",
                p.phase,
                p.users,
                p.memberships,
                p.calls,
                p.rate,
                if p.throttled > 0 {
                    format!(", {} throttled", p.throttled)
                } else {
                    String::new()
                }
            ));
            bar.tick();
        }
    };
    let cancel = CancelToken::default();
    let result = identity_store::fetch_store(&ws, &options, &cancel, now, &on_progress).await;
    bar.finish_and_clear();
    let res = result?;
    let s = &res.stats;
    if json {
        let summary = serde_json::json!({
            "users": s.users,
            "groups": s.groups,
            "memberships": s.memberships,
            "calls": s.calls,
            "seconds": (s.seconds * 1000.0).round() / 1000.0,
        });
        outln!("{summary}");
    } else {
        outln!(
            "fetched identity store {} ({}): {} users, {} groups, {} memberships",
            s.identity_store_id,
            s.endpoint,
            s.users,
            s.groups,
            s.memberships
        );
        outln!(
            "{} API calls (pagination needs at least {}; {} retried, {} throttled) in {:.1} s at up to {} requests/s",
            s.calls,
            s.minimum_calls,
            s.retries,
            s.throttled,
            s.seconds,
            s.rate
        );
        outln!(
            "stored as snapshot #{} in {}",
            res.snapshot.id,
            workspace.display()
        );
        for w in &s.warnings {
            outln!("  warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
