//! `scimlens`: explain failed SCIM provisioning into AWS IAM Identity Center from the command
//! line. Arguments -> core calls -> output; every rule lives in scimlens-core.

#[macro_use]
mod term;
mod cli;
mod store_cmds;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scimlens_core::api::identity_store::{self, CompareReq, PreflightReq};
use scimlens_core::api::{self, ImportFilesReq};
use scimlens_core::db::Workspace;
use scimlens_core::import::pipeline::{CancelToken, ImportOutcome, ImportProgress};
use scimlens_core::model::Category;
use scimlens_core::report::Report;
use scimlens_core::report::pseudonym::new_key;
use scimlens_core::report::render::{ReportFormat, pseudonymize, render};

use cli::{Cli, Command, FailOn, OutputArgs};

#[global_allocator]
static ALLOCATOR: scimlens_core::allocator::Allocator = scimlens_core::allocator::Allocator;

fn main() -> ExitCode {
    scimlens_core::allocator::configure();
    let cli = Cli::parse_with_default_workspace();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SCIMLENS_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            errln!("scimlens: error: {}", error_chain(&err));
            ExitCode::from(2)
        }
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

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now();
    match cli.command {
        Command::Analyze {
            files,
            output,
            reserved,
        } => {
            let ws = Workspace::in_memory().await?;
            import(&ws, files, reserved.reserved.clone(), now).await?;
            let report = api::build_report(&ws, &reserved.reserved, now).await?;
            let key = output.pseudonymize.key(async { new_key() }).await?;
            emit(&report, &output, key)
        }
        Command::Import { files, reserved } => {
            let ws = open_workspace(&cli.workspace).await?;
            import(&ws, files, reserved.reserved, now).await?;
            errln!("workspace: {}", cli.workspace.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { output, reserved } => {
            let ws = open_existing(&cli.workspace).await?;
            let report = api::build_report(&ws, &reserved.reserved, now).await?;
            let key = output
                .pseudonymize
                .key(scimlens_core::api::views::pseudonym_key(&ws))
                .await?;
            emit(&report, &output, key)
        }
        Command::Sources { format } => {
            let ws = open_existing(&cli.workspace).await?;
            let sources = scimlens_core::db::sources::list(&ws).await?;
            if format.as_deref() == Some("json") {
                outln!("{}", scimlens_core::report::render::json_pretty(&sources)?);
            } else if sources.is_empty() {
                outln!(
                    "No sources in {}. Add some with `scimlens import FILE...`.",
                    cli.workspace.display()
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
        Command::Entity { name, format } => {
            let ws = open_existing(&cli.workspace).await?;
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
            if format.as_deref() == Some("json") {
                outln!("{}", scimlens_core::report::render::json_pretty(&detail)?);
            } else {
                out!("{}", cli::entity_text(&detail));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dir, output } => {
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
                print_outcomes(&logs.outcomes);
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
            // The log diagnosis with the directory beside the store (`scimlens compare`), and
            // in text the preflight of the directory export too (`scimlens preflight`).
            let report = identity_store::compare_store(&ws, &CompareReq::default(), now).await?;
            let key = output.pseudonymize.key(async { new_key() }).await?;
            if report_format(&output)? != ReportFormat::Text {
                return emit(&report, &output, key);
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
                .map(scimlens_core::compare::render_text)
                .unwrap_or_default();
            let text = format!(
                "{}\nIDP DIRECTORY BESIDE THE AWS IDENTITY STORE (scimlens compare)\n{compare}\nPREFLIGHT OF THE DIRECTORY EXPORT (scimlens preflight)\n{}",
                render(&report, ReportFormat::Text),
                scimlens_core::preflight::render_text(&preflight),
            );
            match &output.output {
                Some(path) => {
                    scimlens_core::atomic::write(path, text.as_bytes())?;
                    errln!("report written to {}", path.display());
                }
                None => out!("{text}"),
            }
            Ok(fail_on(&report, &output.fail_on))
        }
        Command::Generate {
            format,
            records,
            output,
            seed,
        } => {
            let format = scimlens_core::model::Format::parse(&format).with_context(|| {
                format!("unknown format '{format}'; one of: {}", cli::format_names())
            })?;
            let mut w = scimlens_core::atomic::AtomicFile::create(&output)?;
            let stats = scimlens_core::generate::generate(format, records, seed, &mut w)?;
            w.commit()?;
            errln!(
                "wrote {} records ({} bytes) to {}",
                stats.records,
                stats.bytes,
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Store(command) => store_cmds::run(command, &cli.workspace, now).await,
        Command::Reserved { add } => {
            let ws = open_workspace(&cli.workspace).await?;
            let names = api::add_reserved_names(&ws, &add).await?;
            outln!(
                "built-in: {}",
                scimlens_core::diagnose::classify::BUILT_IN_RESERVED_NAMES.join(", ")
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
    }
}

async fn open_workspace(path: &Path) -> anyhow::Result<Workspace> {
    Ok(Workspace::open(path).await?)
}

/// Commands that read a workspace must not silently create an empty one.
async fn open_existing(path: &Path) -> anyhow::Result<Workspace> {
    if !path.exists() {
        anyhow::bail!(
            "no workspace at {}; import logs first with `scimlens import FILE...` (or pass --workspace)",
            path.display()
        );
    }
    open_workspace(path).await
}

async fn import(
    ws: &Workspace,
    files: Vec<PathBuf>,
    reserved: Vec<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
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
            bar.set_message(scimlens_core::report::render::terminal_safe(&p.path).into_owned());
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
    print_outcomes(&res.outcomes);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(())
}

fn print_outcomes(outcomes: &[ImportOutcome]) {
    for o in outcomes {
        match o {
            ImportOutcome::Imported {
                path,
                format,
                records,
                warnings,
                ..
            } => {
                errln!("imported {path}: {format}, {records} records");
                for w in warnings {
                    errln!("  warning: {w}");
                }
            }
            ImportOutcome::AlreadyImported {
                path,
                existing_path,
                ..
            } => {
                errln!(
                    "skipped {path}: already imported (same content as {existing_path}); nothing added"
                );
            }
        }
    }
}

/// The report format asked for: `--format`, else `-o`'s extension, else text.
fn report_format(out: &OutputArgs) -> anyhow::Result<ReportFormat> {
    Ok(match &out.format {
        Some(f) => ReportFormat::parse(f).with_context(|| {
            format!("unknown report format '{f}'; one of: text, json, csv, md, html")
        })?,
        None => out
            .output
            .as_deref()
            .and_then(|p| p.extension())
            .and_then(|e| ReportFormat::parse(&e.to_string_lossy()))
            .unwrap_or(ReportFormat::Text),
    })
}

/// Renders `report` (pseudonymized under `key` when there is one) to stdout or `-o`.
fn emit(report: &Report, out: &OutputArgs, key: Option<String>) -> anyhow::Result<ExitCode> {
    let format = report_format(out)?;
    let report = match &key {
        Some(key) => scimlens_core::report::render::pseudonymize(report, key.as_bytes()),
        None => report.clone(),
    };
    let text = render(&report, format);
    match &out.output {
        Some(path) => {
            scimlens_core::atomic::write(path, text.as_bytes())?;
            errln!("report written to {}", path.display());
        }
        None => out!("{text}"),
    }
    Ok(fail_on(&report, &out.fail_on))
}

fn fail_on(report: &Report, fail_on: &Option<FailOn>) -> ExitCode {
    let failed = match fail_on {
        None => false,
        Some(FailOn::Any) => {
            report.totals.problem_entities > 0 || report.totals.connection_failures > 0
        }
        Some(FailOn::Category(c)) => {
            report.categories.get(c.as_str()).copied().unwrap_or(0) > 0
                || report.connection.iter().any(|f| f.category == *c)
        }
    };
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[allow(dead_code)]
fn category_names() -> String {
    Category::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
