//! What commands share about output: `--format` values, the report options (`--format`, `-o`,
//! `--fail-on`, `--pseudonymize`), writing to standard output or `-o`, and the exit code
//! `--fail-on` asks for.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Args, ValueEnum};
use scimlens_core::api::Category;
use scimlens_core::api::Report;
use scimlens_core::api::{ReportFormat, pseudonymize, render};

/// A report format on the command line; `txt`, `markdown` and `htm` are accepted too, as they
/// are for `-o`'s extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[value(alias = "txt")]
    Text,
    Json,
    Csv,
    #[value(alias = "markdown")]
    Md,
    #[value(alias = "htm")]
    Html,
}

impl From<OutputFormat> for ReportFormat {
    fn from(format: OutputFormat) -> ReportFormat {
        match format {
            OutputFormat::Text => ReportFormat::Text,
            OutputFormat::Json => ReportFormat::Json,
            OutputFormat::Csv => ReportFormat::Csv,
            OutputFormat::Md => ReportFormat::Md,
            OutputFormat::Html => ReportFormat::Html,
        }
    }
}

/// `--format` of the commands that print either text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// Parses a `--format` value into `F`, refusing an unknown one with the command's own sentence
/// (`unknown report format 'x'; one of: ...`) rather than clap's generic one.
#[derive(Clone)]
pub struct FormatParser<F> {
    unknown: Arc<dyn Fn(&str) -> String + Send + Sync>,
    format: PhantomData<fn() -> F>,
}

impl<F> FormatParser<F> {
    /// `unknown` words the refusal of a value.
    pub fn new(unknown: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        FormatParser {
            unknown: Arc::new(unknown),
            format: PhantomData,
        }
    }
}

impl FormatParser<TextOrJson> {
    /// `--format` of `command`, which prints text or JSON.
    pub fn text_or_json(command: &'static str) -> Self {
        FormatParser::new(move |f| format!("unknown format '{f}' for {command}; text or json"))
    }
}

impl<F: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for FormatParser<F> {
    type Value = F;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<F, clap::Error> {
        EnumValueParser::<F>::new()
            .parse_ref(cmd, arg, value)
            .map_err(|_| {
                let message = (self.unknown)(&value.to_string_lossy());
                clap::Error::raw(ErrorKind::InvalidValue, format!("{message}\n")).with_cmd(cmd)
            })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            F::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

fn unknown_report_format(format: &str) -> String {
    format!("unknown report format '{format}'; one of: text, json, csv, md, html")
}

#[derive(Debug, Clone, PartialEq)]
enum FailOn {
    Any,
    /// Access lost or reaching nobody: orphaned assignments, assigned groups without members.
    Access,
    Category(Category),
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s.eq_ignore_ascii_case("any") {
        return Ok(FailOn::Any);
    }
    if s.eq_ignore_ascii_case("access") {
        return Ok(FailOn::Access);
    }
    Category::parse(s).map(FailOn::Category).ok_or_else(|| {
        format!(
            "'{s}' is not a category; use 'any', 'access' or one of: {}",
            Category::ALL.map(|c| c.as_str()).join(", ")
        )
    })
}

/// How a report is written: format, destination, `--fail-on` and pseudonymization.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format: text, json, csv, md or html [default: from -o's extension, else text].
    #[arg(
        long,
        ignore_case = true,
        hide_possible_values = true,
        value_parser = FormatParser::<OutputFormat>::new(unknown_report_format)
    )]
    pub format: Option<OutputFormat>,
    /// Write the report to PATH instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when problems of CATEGORY are found; `access`: orphaned account assignments
    /// or assigned groups without members; `any`: any failing entity, connection failure or
    /// orphaned assignment.
    #[arg(long, value_name = "CATEGORY|access|any", value_parser = parse_fail_on)]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    pub pseudonymize: PseudonymizeArgs,
}

impl OutputArgs {
    /// The report format asked for: `--format`, else `-o`'s extension, else text.
    pub fn report_format(&self) -> ReportFormat {
        match self.format {
            Some(format) => format.into(),
            None => self
                .output
                .as_deref()
                .and_then(|p| p.extension())
                .and_then(|e| ReportFormat::parse(&e.to_string_lossy()))
                .unwrap_or(ReportFormat::Text),
        }
    }

    /// Renders `report` (pseudonymized under `key` when there is one) to stdout or `-o`, and
    /// the exit code `--fail-on` asks for.
    pub fn emit(&self, report: &Report, key: Option<String>) -> anyhow::Result<ExitCode> {
        let format = self.report_format();
        let report = match &key {
            Some(key) => pseudonymize(report, key.as_bytes()),
            None => report.clone(),
        };
        write_report(&render(&report, format), self.output.as_deref())?;
        Ok(self.fail_on(&report))
    }

    /// 1 when `report` has the problems `--fail-on` names, else success.
    pub fn fail_on(&self, report: &Report) -> ExitCode {
        let failed = match &self.fail_on {
            None => false,
            Some(FailOn::Any) => {
                report.totals.problem_entities > 0
                    || report.totals.connection_failures > 0
                    || report
                        .access
                        .as_ref()
                        .is_some_and(|a| !a.orphaned.is_empty())
            }
            Some(FailOn::Access) => report
                .access
                .as_ref()
                .is_some_and(|a| !a.orphaned.is_empty() || !a.empty_groups.is_empty()),
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
const PSEUDONYMIZE_KEY_ENV: &str = "SCIMLENS_PSEUDONYMIZE_KEY";

impl PseudonymizeArgs {
    /// The key to pseudonymize with, `None` when not asked to. `workspace_key` gives the
    /// workspace's own key, or a new random one where there is no workspace.
    pub async fn key<F>(&self, workspace_key: F) -> anyhow::Result<Option<String>>
    where
        F: std::future::Future<Output = scimlens_core::api::Result<String>>,
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

/// Writes a report to `output` (saying so on standard error) or to standard output.
pub fn write_report(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    write(text, output, "report written to")
}

/// Writes text other than a report to `output` (saying so on standard error) or to standard
/// output.
pub fn write_text(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    write(text, output, "written to")
}

fn write(text: &str, output: Option<&Path>, written_to: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            scimlens_core::api::write_atomically(path, text.as_bytes())?;
            errln!("{written_to} {}", path.display());
        }
        None => out!("{text}"),
    }
    Ok(())
}
