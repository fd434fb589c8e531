//! Command-line arguments and the terminal rendering of one entity.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use scimlens_core::api::EntityDetail;
use scimlens_core::model::{Category, Format};

const EXAMPLES: &str = "\
Examples:
  scimlens demo                                   see what scimlens finds in a demo set
  scimlens analyze provisioning.json cloudtrail.json.gz
  scimlens analyze logs/*.json --format html -o report.html
  scimlens analyze export.jsonl --format json --fail-on any   (exit 1 when problems are found)
  scimlens import ProvisioningLogs.csv ProvisioningLogs_ProvisioningSteps.csv ProvisioningLogs_ModifiedProperties.csv
  scimlens report --format md -o report.md
  scimlens entity alice@contoso.com
  scimlens sources --format json

Exit codes: 0 success, 1 problems found (--fail-on), 2 bad input, usage or other error.";

#[derive(Debug, Parser)]
#[command(name = "scimlens", version, about = "Explain failed SCIM provisioning into AWS IAM Identity Center", after_help = EXAMPLES)]
pub struct Cli {
    /// Workspace (SQLite case file) to use.
    #[arg(long, global = true, env = "SCIMLENS_WORKSPACE", value_name = "PATH")]
    workspace_arg: Option<PathBuf>,

    #[arg(skip)]
    pub workspace: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses arguments; `--workspace` defaults to a file in the user's data directory, and
    /// `--help` says which.
    pub fn parse_with_default_workspace() -> Cli {
        let default = default_workspace();
        let cmd = Cli::command().mut_arg("workspace_arg", |a| {
            a.long("workspace").help(format!(
                "Workspace (SQLite case file) to use [default: {}]",
                default.display()
            ))
        });
        let matches = cmd.get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        cli.workspace = cli.workspace_arg.clone().unwrap_or(default);
        cli
    }
}

pub fn default_workspace() -> PathBuf {
    directories::ProjectDirs::from("dev", "scimlens", "scimlens")
        .map(|d| d.data_dir().join("workspace.scimlens.sqlite"))
        .unwrap_or_else(|| PathBuf::from("scimlens-workspace.sqlite"))
}

#[derive(Debug, Clone, PartialEq)]
pub enum FailOn {
    Any,
    Category(Category),
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s.eq_ignore_ascii_case("any") {
        return Ok(FailOn::Any);
    }
    Category::parse(s).map(FailOn::Category).ok_or_else(|| {
        format!(
            "'{s}' is not a category; use 'any' or one of: {}",
            Category::ALL.map(|c| c.as_str()).join(", ")
        )
    })
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format: text, json, csv, md or html [default: from -o's extension, else text].
    #[arg(long)]
    pub format: Option<String>,
    /// Write the report to PATH instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when problems of CATEGORY (or any) are found.
    #[arg(long, value_name = "CATEGORY|any", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub pseudonymize: PseudonymizeArgs,
}

/// Where the pseudonymization key comes from: never the command line, which other users see
/// (`ps`) and the shell keeps in its history.
#[derive(Debug, Clone, Args)]
pub struct PseudonymizeArgs {
    /// Replace names, emails, ids and paths with keyed hashes (consistent, so rows still
    /// join). Key: --pseudonymize-key-file, else $SCIMLENS_PSEUDONYMIZE_KEY, else the
    /// workspace's own key (a new random one for `analyze`).
    #[arg(long)]
    pub pseudonymize: bool,
    /// Read the pseudonymization key from PATH (implies --pseudonymize).
    #[arg(long, value_name = "PATH")]
    pub pseudonymize_key_file: Option<PathBuf>,
    /// No longer accepted: a key on the command line is visible to other users.
    #[arg(long, value_name = "KEY", hide = true)]
    pub pseudonymize_key: Option<String>,
}

/// The environment variable that may hold the pseudonymization key.
pub const PSEUDONYMIZE_KEY_ENV: &str = "SCIMLENS_PSEUDONYMIZE_KEY";

impl PseudonymizeArgs {
    /// The key to pseudonymize with, `None` when not asked to. `workspace_key` gives the
    /// workspace's own key, or a new random one where there is no workspace.
    pub async fn key<F>(&self, workspace_key: F) -> anyhow::Result<Option<String>>
    where
        F: std::future::Future<Output = scimlens_core::Result<String>>,
    {
        if self.pseudonymize_key.is_some() {
            anyhow::bail!(
                "--pseudonymize-key is no longer accepted: a key on the command line is visible \
                 to other users and kept in shell history. Use --pseudonymize with \
                 --pseudonymize-key-file PATH or the {PSEUDONYMIZE_KEY_ENV} environment \
                 variable (or neither, for the workspace's own key)"
            );
        }
        if let Some(path) = &self.pseudonymize_key_file {
            let key = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading the key file {}: {e}", path.display()))?;
            let key = key.trim();
            anyhow::ensure!(!key.is_empty(), "the key file {} is empty", path.display());
            return Ok(Some(key.to_string()));
        }
        if !self.pseudonymize {
            return Ok(None);
        }
        match std::env::var(PSEUDONYMIZE_KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_string())),
            _ => Ok(Some(workspace_key.await?)),
        }
    }
}

#[derive(Debug, Args)]
pub struct ReservedArgs {
    /// An extra reserved name (repeatable), on top of Administrator and AWSAdministrators.
    #[arg(long = "reserved-name", value_name = "NAME")]
    pub reserved: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse log files in memory and print the report (nothing is written unless -o).
    Analyze {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        reserved: ReservedArgs,
    },
    /// Import log files into the workspace (format detected by content, gzip accepted).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        reserved: ReservedArgs,
    },
    /// Print the failure report of the workspace.
    Report {
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        reserved: ReservedArgs,
    },
    /// List the workspace's sources with their format, record count and warnings.
    Sources {
        /// `json` for machine-readable output.
        #[arg(long)]
        format: Option<String>,
    },
    /// Show one user or group across every source: status, cause, fix and timeline.
    Entity {
        /// Name (userName / group displayName), IdP id, AWS id or externalId.
        name: String,
        #[arg(long)]
        format: Option<String>,
    },
    /// Write the demo set (logs in several formats with every category, an IdP directory export,
    /// an identity store snapshot) and analyse it: the report, compare and preflight.
    Demo {
        /// Where to write the demo files [default: a scimlens-demo folder in the temp dir].
        #[arg(long)]
        dir: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write a large deterministic log for benchmarks.
    Generate {
        /// Format name, e.g. entra-portal-json.
        #[arg(long)]
        format: String,
        #[arg(long, default_value_t = 200_000)]
        records: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Add names to the workspace's reserved-name list and show the list.
    Reserved {
        /// Names to add (e.g. AWSControlTowerAdmins).
        add: Vec<String>,
    },
    /// The live identity store, IdP directory exports, compare and preflight.
    #[command(flatten)]
    Store(crate::store_cmds::StoreCommand),
}

pub fn format_names() -> String {
    Format::ALL.map(|f| f.as_str()).join(", ")
}

/// The timeline of one entity as terminal text.
pub fn entity_text(d: &EntityDetail) -> String {
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
