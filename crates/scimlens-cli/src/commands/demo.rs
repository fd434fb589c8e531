//! `demo` (the demo set written and analysed: report, compare and preflight) and `generate`
//! (a large deterministic log for benchmarks).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use scimlens_core::api::Format;
use scimlens_core::api::Workspace;
use scimlens_core::api::identity_store::{self, CompareReq, PreflightReq};
use scimlens_core::api::new_pseudonym_key;
use scimlens_core::api::{ReportFormat, pseudonymize, render};

use crate::output::{OutputArgs, write_report};

/// Write the demo set (logs in several formats with every category, an IdP directory export,
/// an identity store snapshot) and analyse it: the report, compare and preflight.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo files [default: a scimlens-demo folder in the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn demo(args: DemoArgs, now: DateTime<Utc>) -> anyhow::Result<ExitCode> {
    let DemoArgs { dir, output } = args;
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("scimlens-demo"));
    let ws = Workspace::in_memory().await?;
    let set = scimlens_core::api::demo::populate(&ws, &dir, now)
        .await
        .with_context(|| format!("writing the demo set to {}", dir.display()))?;
    errln!(
        "demo set written to {} ({} files: provisioning logs, an IdP directory export, an identity store snapshot)",
        dir.display(),
        scimlens_core::api::demo::files().count()
    );
    if let Some(logs) = &set.logs {
        crate::term::print_outcomes(&logs.outcomes);
    }
    if let Some(s) = &set.snapshot {
        errln!(
            "imported {}: identity store snapshot, {} users, {} groups, {} memberships",
            s.label,
            s.users,
            s.groups,
            s.memberships
        );
    }
    if let Some(d) = &set.directory {
        errln!(
            "imported {}: {} directory export, {} users, {} groups, {} memberships",
            d.label,
            d.idp,
            d.users,
            d.groups,
            d.memberships
        );
    }
    // The log diagnosis with the directory beside the store (`scimlens compare`), and in text
    // the preflight of the directory export too (`scimlens preflight`).
    let report = identity_store::compare_store(&ws, &CompareReq::default(), now).await?;
    let key = output
        .pseudonymize
        .key(async { new_pseudonym_key() })
        .await?;
    if output.report_format() != ReportFormat::Text {
        return output.emit(&report, key);
    }
    let req = PreflightReq {
        against_store: true,
        ..PreflightReq::default()
    };
    let preflight = identity_store::preflight_export(Some(&ws), &req, now).await?;
    let (report, preflight) = match &key {
        Some(key) => (
            pseudonymize(&report, key.as_bytes()),
            pseudonymize(&preflight, key.as_bytes()),
        ),
        None => (report, preflight),
    };
    let compare = report
        .compare
        .as_ref()
        .map(scimlens_core::api::render::compare_text)
        .unwrap_or_default();
    let text = format!(
        "{}\nIDP DIRECTORY BESIDE THE AWS IDENTITY STORE (scimlens compare)\n{compare}\nPREFLIGHT OF THE DIRECTORY EXPORT (scimlens preflight)\n{}",
        render(&report, ReportFormat::Text),
        scimlens_core::api::render::preflight_text(&preflight),
    );
    write_report(&text, output.output.as_deref())?;
    Ok(output.fail_on(&report))
}

/// Write a large deterministic log for benchmarks.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Format name, e.g. entra-portal-json.
    #[arg(long)]
    format: String,
    #[arg(long, default_value_t = 200_000)]
    records: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The file to write; `-` streams to standard output (e.g. into gzip: no file of the full
    /// size on disk).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

pub fn generate(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let GenerateArgs {
        format,
        records,
        seed,
        output,
    } = args;
    let format = Format::parse(&format).with_context(|| {
        let names = Format::ALL.map(|f| f.as_str()).join(", ");
        format!("unknown format '{format}'; one of: {names}")
    })?;
    let stats = if output.as_os_str() == "-" {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        let stats = scimlens_core::api::generate(format, records, seed, &mut w)?;
        std::io::Write::flush(&mut w).context("writing to standard output")?;
        stats
    } else {
        let mut w = scimlens_core::api::AtomicFile::create(&output)?;
        let stats = scimlens_core::api::generate(format, records, seed, &mut w)?;
        w.commit()?;
        stats
    };
    errln!(
        "wrote {} records ({} bytes) to {}",
        stats.records,
        stats.bytes,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}
