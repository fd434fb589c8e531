//! `scimlens`: explain failed SCIM provisioning into AWS IAM Identity Center from the command
//! line. Arguments -> core calls -> output; every rule lives in scimlens-core.
//!
//! This file only parses, sets up tracing, dispatches to [`commands`] and turns an error into
//! exit code 2. One module per command group under `commands/`; what they share lives in
//! [`workspace`] (where the workspace is), [`output`] (formats, `-o`, `--fail-on`) and [`term`].

#[macro_use]
mod term;
mod commands;
mod output;
mod workspace;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};

use commands::Command;
use workspace::WorkspaceArgs;

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
struct Cli {
    #[command(flatten)]
    workspace: WorkspaceArgs,

    #[command(subcommand)]
    command: Command,
}

#[global_allocator]
static ALLOCATOR: scimlens_core::allocator::Allocator = scimlens_core::allocator::Allocator;

fn main() -> ExitCode {
    scimlens_core::allocator::configure();
    let matches = WorkspaceArgs::show_default(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let workspace = cli.workspace.resolve();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SCIMLENS_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    match runtime.block_on(commands::run(cli.command, &workspace)) {
        Ok(code) => code,
        Err(err) => {
            errln!("scimlens: error: {}", error_chain(&err));
            exit_status(&err)
        }
    }
}

/// `3` for a damaged workspace, `4` for a failure inside scimlens (a bug to report), `2` for
/// everything else: bad input, usage, the machine or AWS (see the README's exit codes).
fn exit_status(err: &anyhow::Error) -> ExitCode {
    let code = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<scimlens_core::api::Error>())
        .map(scimlens_core::api::Error::code);
    match code {
        Some(scimlens_core::api::ErrorCode::Corrupt) => ExitCode::from(3),
        Some(scimlens_core::api::ErrorCode::Internal) => ExitCode::from(4),
        _ => ExitCode::from(2),
    }
}

/// The error and its causes, each once: core's errors already quote their cause (`cannot read
/// X: No such file`), so a cause the message holds is not repeated.
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
