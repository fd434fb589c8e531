//! What every live pull shares: the pulled records written to a temporary document as they
//! arrive (never held together in memory), then imported through the same pipeline as a
//! downloaded file, under the pull's own source name, in one transaction. The document is
//! removed whatever happens; a pull that fails or is cancelled stores nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::logs::{ImportFilesRes, parse_when};
use crate::db::Workspace;
use crate::error::{Error, Result};
use crate::import::pipeline::{CancelToken, import_job_as};
use crate::import::plan::ImportJob;
use crate::input::value::format_time;
use crate::model::Format;

/// A JSON document being written record by record: `head`, the records separated by commas,
/// `tail`. Removed when dropped.
pub(crate) struct PulledDocument {
    path: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    tail: &'static str,
    records: u64,
}

impl PulledDocument {
    /// A new hidden document beside the workspace (the same file system), else in the temporary
    /// directory; `kind` names it (`cloudtrail`, `okta`, `entra`).
    pub(crate) fn create(
        ws: &Workspace,
        kind: &str,
        head: &str,
        tail: &'static str,
        now: DateTime<Utc>,
    ) -> Result<PulledDocument> {
        let dir = ws
            .path()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = dir.join(format!(
            ".scimlens-{kind}-{}-{}-{}.json",
            std::process::id(),
            now.timestamp_millis(),
            SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
        let mut doc = PulledDocument {
            path,
            file: Some(std::io::BufWriter::new(file)),
            tail,
            records: 0,
        };
        doc.write(head.as_bytes())?;
        Ok(doc)
    }

    /// Appends one record (a JSON value's text).
    pub(crate) fn record(&mut self, json: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string(json)
            .map_err(|e| Error::internal("writing a pulled record as JSON", e))?;
        if self.records > 0 {
            self.write(b",\n")?;
        }
        self.write(text.as_bytes())?;
        self.records += 1;
        Ok(())
    }

    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| Error::internal("writing a pulled document", "already closed"))?;
        file.write_all(bytes).map_err(|e| Error::Io {
            path: self.path.clone(),
            source: e,
        })
    }

    /// Writes the tail and closes the file; the document is ready to import.
    pub(crate) fn finish(&mut self) -> Result<()> {
        let tail = self.tail;
        self.write(tail.as_bytes())?;
        let file = self.file.take().expect("written above");
        file.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_data())
            .map_err(|e| Error::Io {
                path: self.path.clone(),
                source: e,
            })
    }
}

impl Drop for PulledDocument {
    fn drop(&mut self) {
        drop(self.file.take());
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Finishes the document of a pull (`what`, for the cancelled error) and imports it as one
/// source named `name`, then refreshes the diagnosis. A pull cancelled by now stores nothing.
pub(crate) async fn import_pulled(
    ws: &Workspace,
    doc: &mut PulledDocument,
    format: Format,
    name: &str,
    what: &str,
    cancel: &CancelToken,
    now: DateTime<Utc>,
) -> Result<ImportFilesRes> {
    if cancel.is_cancelled() {
        return Err(Error::Cancelled { path: what.into() });
    }
    doc.finish()?;
    let job = ImportJob {
        path: doc.path().to_path_buf(),
        format,
        companions: Vec::new(),
    };
    let rules = crate::db::diagnosis::rules_for(ws, &[]).await?;
    let outcome = import_job_as(ws, &job, Some(name), &rules, cancel, now, &|_| {}).await;
    let entities = crate::db::diagnosis::refresh(ws, &rules).await?;
    Ok(ImportFilesRes {
        outcomes: vec![outcome?],
        entities,
    })
}

/// An incremental pull starts this long before the newest record held: the logs can deliver a
/// record after newer ones; records already held are dropped by their id.
pub(crate) const OVERLAP_MINUTES: i64 = 15;

/// The window of a pull: `until` (at most now), `since` (asked, else after the newest record
/// held, else the log's whole history), whether it was clamped and whether it is incremental.
pub(crate) fn window(
    since: Option<&str>,
    until: Option<&str>,
    newest_held: Option<i64>,
    history_days: i64,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>, bool, bool)> {
    let until = match until {
        Some(t) => parse_when(t, now)?.min(now),
        None => now,
    };
    let floor = now - chrono::Duration::days(history_days);
    let (asked, incremental) = match since {
        Some(t) => (parse_when(t, now)?, false),
        None => match newest_held {
            Some(ms) => (
                DateTime::from_timestamp_millis(ms).unwrap_or(floor)
                    - chrono::Duration::minutes(OVERLAP_MINUTES),
                true,
            ),
            None => (floor, false),
        },
    };
    let since = asked.max(floor);
    if since >= until {
        return Err(Error::InvalidArgument(format!(
            "--since ({}) is not before --until ({})",
            format_time(&since),
            format_time(&until)
        )));
    }
    Ok((since, until, asked < floor, incremental))
}
