//! The AWS identity store as the workspace holds it: `fetch` a live snapshot, `store-import` and
//! `store-export` the AWS CLI's JSON, list `snapshots`, `store-find` one user or group, and a
//! user's `access` (accounts and permission sets).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use scimlens_core::api::CancelToken;
use scimlens_core::api::identity_store;
use scimlens_core::api::{AccessPath, FetchOptions, FetchProgress, SuccessorMatch};

use crate::output::{FormatParser, TextOrJson};
use crate::workspace::WorkspacePath;

const STORE_EXAMPLES: &str = "\
Examples:
  scimlens fetch --profile admin --region eu-west-1          read the live identity store
  scimlens fetch --format json                                 summary as one JSON object
  scimlens fetch --no-access                                   users, groups, memberships only
  scimlens access ann@example.com                              her accounts and permission sets
  scimlens access --orphaned                                   assignments to deleted principals
  aws identitystore list-users --identity-store-id d-123 > users.json
  scimlens store-import users.json groups.json memberships.json
  scimlens directory-import entra-users.csv graph-groups.json
  scimlens compare --state drift
  scimlens compare --over-time                                 the two newest snapshots
  scimlens preflight okta-users.csv --against-store --fail-on any";

/// Read the live AWS identity store into the workspace (one snapshot)
///
/// Users, groups and every group's memberships, through read-only Identity Store API calls
/// paced under 20 requests/s; and who may use what (permission sets and account assignments,
/// through read-only sso-admin calls on the same pace) unless --no-access. Credentials from the
/// standard AWS chain (environment, profiles including IAM Identity Center/SSO ones, roles);
/// nothing secret is stored.
#[derive(Debug, Args)]
#[command(after_help = STORE_EXAMPLES)]
pub struct FetchArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// `json` prints the summary as one object: users, groups, memberships, calls, seconds
    /// (and permission_sets, account_assignments when access was read).
    #[arg(long, value_parser = FormatParser::text_or_json("fetch"))]
    format: Option<TextOrJson>,
    /// Skip permission sets and account assignments (no sso-admin calls beyond finding the
    /// store); without sso-admin read permission they are skipped anyway, with a warning.
    #[arg(long)]
    no_access: bool,
}

/// Where and how fast `fetch` reads.
#[derive(Debug, Args)]
struct AwsArgs {
    /// Named profile, including IAM Identity Center (SSO) profiles (`aws sso login` first).
    #[arg(long, env = "AWS_PROFILE")]
    profile: Option<String>,
    /// The IAM Identity Center instance's home region [default: from the profile / AWS_REGION].
    #[arg(long)]
    region: Option<String>,
    /// The identity store (d-xxxxxxxxxx) [default: found with sso-admin ListInstances].
    #[arg(long, value_name = "ID")]
    identity_store_id: Option<String>,
    /// Another endpoint for all AWS calls (tests, VPC endpoints).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Requests per second; the Identity Store API allows 20 for the whole account.
    #[arg(long, default_value_t = scimlens_core::api::DEFAULT_RATE)]
    rate: f64,
    /// Groups whose memberships are listed at once.
    #[arg(long, default_value_t = scimlens_core::api::DEFAULT_CONCURRENCY)]
    concurrency: usize,
}

pub async fn fetch(
    args: FetchArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let FetchArgs {
        aws,
        format,
        no_access,
    } = args;
    let ws = workspace.open_or_create().await?;
    let options = FetchOptions {
        profile: aws.profile,
        region: aws.region,
        endpoint_url: aws.endpoint_url,
        identity_store_id: aws.identity_store_id,
        rate: aws.rate,
        concurrency: aws.concurrency,
        access: !no_access,
        ..FetchOptions::default()
    };
    let bar = crate::term::spinner();
    let on_progress = {
        let bar = bar.clone();
        move |p: &FetchProgress| {
            let groups = match p.groups_total {
                Some(total) => format!("{}/{total} groups' members", p.groups_done),
                None => format!("{} groups", p.groups),
            };
            let access = match &p.access {
                Some(a) => format!(
                    ", {}/{} permission sets' assignments ({})",
                    a.permission_sets_done, a.permission_sets, a.account_assignments
                ),
                None => String::new(),
            };
            bar.set_message(format!(
                "{:?}: {} users, {groups}, {} memberships{access}, {} calls ({:.1}/s){}",
                p.phase,
                p.users,
                p.memberships,
                p.calls,
                p.rate,
                crate::term::throttled(p.throttled)
            ));
            bar.tick();
        }
    };
    let cancel = CancelToken::default();
    let result = identity_store::fetch_store(&ws, &options, &cancel, now, &on_progress).await;
    bar.finish_and_clear();
    let res = result?;
    let s = &res.stats;
    if format == Some(TextOrJson::Json) {
        let mut summary = serde_json::json!({
            "users": s.users,
            "groups": s.groups,
            "memberships": s.memberships,
            "calls": s.calls,
            "seconds": (s.seconds * 1000.0).round() / 1000.0,
        });
        if let Some(a) = s.access.as_ref().filter(|a| a.read) {
            summary["permission_sets"] = a.permission_sets.into();
            summary["account_assignments"] = a.account_assignments.into();
        }
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
        if let Some(a) = s.access.as_ref().filter(|a| a.read) {
            outln!(
                "access: {} permission sets, {} account assignments in {} accounts",
                a.permission_sets,
                a.account_assignments,
                a.accounts
            );
        }
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

/// Import `aws identitystore list-*` JSON output as one store snapshot
///
/// The output of `list-users`, `list-groups` and `list-group-memberships`, and for who has
/// access, `aws sso-admin list-permission-sets`, `describe-permission-set`,
/// `list-account-assignments` and `aws organizations list-accounts` (any number of files, read
/// together; several documents appended in one file are fine).
#[derive(Debug, Args)]
pub struct StoreImportArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub async fn store_import(
    args: StoreImportArgs,
    workspace: &WorkspacePath,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_or_create().await?;
    let info = identity_store::import_store_files(&ws, &args.files, now).await?;
    errln!(
        "imported store snapshot #{}: {} users, {} groups, {} memberships{}{}",
        info.id,
        info.users,
        info.groups,
        info.memberships,
        if info.memberships_known {
            ""
        } else {
            " (no membership data)"
        },
        access_counts(&info)
    );
    for w in &info.warnings {
        errln!("  warning: {w}");
    }
    errln!("workspace: {}", workspace.display());
    Ok(ExitCode::SUCCESS)
}

/// ", 3 permission sets, 40 account assignments" when the snapshot holds access data.
fn access_counts(info: &scimlens_core::api::SnapshotInfo) -> String {
    match (info.permission_sets, info.account_assignments) {
        (Some(p), Some(a)) => format!(", {p} permission sets, {a} account assignments"),
        _ => String::new(),
    }
}

/// Write a store snapshot as the AWS CLI prints it
///
/// list-users.json, list-groups.json and list-group-memberships.json into DIR; with the
/// snapshot's access, describe-permission-set.json, list-account-assignments.json and (when the
/// accounts' names were read) list-accounts.json.
#[derive(Debug, Args)]
pub struct StoreExportArgs {
    /// Directory to write the files into (created if needed).
    dir: PathBuf,
    /// Snapshot id [default: the newest].
    #[arg(long)]
    snapshot: Option<i64>,
}

pub async fn store_export(
    args: StoreExportArgs,
    workspace: &WorkspacePath,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let files = identity_store::export_store(&ws, args.snapshot, &args.dir).await?;
    for f in files {
        outln!("{}", f.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// List the workspace's store snapshots and directory imports
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("snapshots"))]
    format: Option<TextOrJson>,
}

pub async fn snapshots(args: SnapshotsArgs, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let snapshots = identity_store::list_snapshots(&ws).await?;
    let directories = identity_store::list_directories(&ws).await?;
    if args.format == Some(TextOrJson::Json) {
        let v = serde_json::json!({ "snapshots": snapshots, "directories": directories });
        outln!("{}", scimlens_core::api::json_pretty(&v)?);
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

/// Show a user or group as the store holds it (by name, AWS id or externalId)
#[derive(Debug, Args)]
pub struct StoreFindArgs {
    query: String,
    /// Store snapshot id [default: the newest].
    #[arg(long)]
    snapshot: Option<i64>,
}

pub async fn store_find(
    args: StoreFindArgs,
    workspace: &WorkspacePath,
) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let found = identity_store::find_store_objects(&ws, &args.query, args.snapshot).await?;
    let v = serde_json::json!({ "snapshot": found.snapshot.id, "Users": found.users, "Groups": found.groups });
    outln!("{}", scimlens_core::api::json_pretty(&v)?);
    Ok(if found.users.is_empty() && found.groups.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Show a user's access (every account and permission set, direct and through each group), or
/// the orphaned assignments
///
/// From the account assignments of the newest snapshot (or --snapshot), which `fetch` reads
/// unless --no-access. Exits 1 when no user matches. --orphaned lists the assignments whose
/// user or group no longer exists (deleted, perhaps created again under a new id), with the
/// likely successor (same externalId, else userName, else display name) and the fix.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// A userName (case-insensitive), user id or externalId.
    #[arg(required_unless_present = "orphaned", conflicts_with = "orphaned")]
    user: Option<String>,
    /// List the assignments whose principal is none of the snapshot's users or groups.
    #[arg(long)]
    orphaned: bool,
    /// Store snapshot id [default: the newest].
    #[arg(long)]
    snapshot: Option<i64>,
    /// `json` for machine-readable output.
    #[arg(long, value_parser = FormatParser::text_or_json("access"))]
    format: Option<TextOrJson>,
}

pub async fn access(args: AccessArgs, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    let ws = workspace.open_existing().await?;
    let Some(user) = args.user else {
        return orphaned(&ws, args.snapshot, args.format).await;
    };
    let req = identity_store::UserAccessReq {
        user: user.clone(),
        snapshot_id: args.snapshot,
    };
    let res = identity_store::user_access(&ws, &req).await?;
    let code = if res.users.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if args.format == Some(TextOrJson::Json) {
        outln!("{}", scimlens_core::api::json_pretty(&res)?);
        return Ok(code);
    }
    if res.users.is_empty() {
        outln!(
            "no user {:?} in snapshot #{} (by userName, user id or externalId)",
            user,
            res.snapshot.id
        );
    }
    for u in &res.users {
        outln!(
            "{} ({}, {}) in snapshot #{} of {}",
            u.user_name.as_deref().unwrap_or("(no userName)"),
            u.display_name.as_deref().unwrap_or("no display name"),
            u.user_id,
            res.snapshot.id,
            res.snapshot.taken_at
        );
        let groups: Vec<&str> = u
            .groups
            .iter()
            .map(|g| g.display_name.as_deref().unwrap_or(&g.group_id))
            .collect();
        outln!(
            "  groups: {}",
            if groups.is_empty() {
                "none".to_string()
            } else {
                groups.join(", ")
            }
        );
        if u.access.is_empty() {
            outln!("  no access: no account assignment names the user or its groups");
        }
        for a in &u.access {
            let account = match &a.account_name {
                Some(name) => format!("{} ({name})", a.account_id),
                None => a.account_id.clone(),
            };
            let via: Vec<String> = a
                .via
                .iter()
                .map(|p| match p {
                    AccessPath::Direct => "direct".to_string(),
                    AccessPath::Group {
                        group_id,
                        group_name,
                    } => format!("group {}", group_name.as_deref().unwrap_or(group_id)),
                })
                .collect();
            outln!(
                "  {account}  {}  via {}",
                a.permission_set_name
                    .as_deref()
                    .unwrap_or(&a.permission_set_arn),
                via.join(", ")
            );
        }
        let accounts: std::collections::BTreeSet<&str> =
            u.access.iter().map(|a| a.account_id.as_str()).collect();
        outln!(
            "  {} permission set assignments in {} accounts",
            u.access.len(),
            accounts.len()
        );
    }
    Ok(code)
}

async fn orphaned(
    ws: &scimlens_core::api::Workspace,
    snapshot: Option<i64>,
    format: Option<TextOrJson>,
) -> anyhow::Result<ExitCode> {
    let res = identity_store::orphaned_assignments(ws, snapshot).await?;
    if format == Some(TextOrJson::Json) {
        outln!("{}", scimlens_core::api::json_pretty(&res)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} orphaned assignments in snapshot #{} of {} (their user or group no longer exists)",
        res.orphaned.len(),
        res.snapshot.id,
        res.snapshot.taken_at
    );
    for o in &res.orphaned {
        outln!(
            "  {}  {}  {} {}{}",
            match &o.account_name {
                Some(name) => format!("{} ({name})", o.account_id),
                None => o.account_id.clone(),
            },
            o.permission_set_name
                .as_deref()
                .unwrap_or(&o.permission_set_arn),
            o.principal_type.as_str(),
            o.principal_id,
            match &o.former_name {
                Some(name) => format!(" (was {name})"),
                None => " (not in any earlier snapshot)".to_string(),
            }
        );
        match &o.successor {
            Some(s) => outln!(
                "    likely successor: {} ({}), same {}",
                s.name.as_deref().unwrap_or(&s.id),
                s.id,
                match s.matched_on {
                    SuccessorMatch::ExternalId => "externalId",
                    SuccessorMatch::UserName => "userName",
                    SuccessorMatch::DisplayName => "display name",
                }
            ),
            None => outln!("    no likely successor in this snapshot"),
        }
        outln!("    fix: {}", o.fix);
    }
    Ok(ExitCode::SUCCESS)
}
