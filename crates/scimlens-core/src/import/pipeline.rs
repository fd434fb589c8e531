//! Importing a file into the workspace: the parser and the classifier run on threads of their
//! own and stream classified rows to this side, which writes them in ONE transaction. A parse error, a
//! cancel or a storage error rolls everything back: a failed import leaves the workspace
//! exactly as it was. The same file imported twice is recognised by its content hash.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::plan::ImportJob;
use super::{EventSink, Input, SourceWarning, Tap, run_importer};
pub use crate::cancel::CancelToken;
use crate::db::events::{self, EventRow};
use crate::db::stats::{self, EntityStats, ImportAggregates};
use crate::db::{Workspace, sources};
use crate::diagnose::keys::entity_key;
use crate::diagnose::{Rules, classify, classify::is_decisive};
use crate::error::{Error, Result};
use crate::input::value::format_time;
use crate::model::ProvisioningEvent;

/// Rows the classify thread hands the writer at a time; also the records per evidence block.
const CHUNK: usize = 1000;

/// Records the parser hands the classify thread at a time: parsed records are the largest
/// thing in flight, so these batches are kept small.
const BATCH: usize = 200;

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ImportProgress {
    pub path: String,
    /// Bytes of the file read so far (compressed bytes for gzip) and the file's size.
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub records: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ImportOutcome {
    Imported {
        source_id: i64,
        path: String,
        format: crate::model::Format,
        records: u64,
        warnings: Vec<String>,
    },
    /// The same content is already in the workspace; nothing was added.
    AlreadyImported {
        source_id: i64,
        path: String,
        existing_path: String,
    },
}

enum Msg {
    Rows(Vec<EventRow>, Vec<u8>),
    /// Entity aggregates folded so far (sent every `stats::FLUSH_KEYS` entities).
    Stats(HashMap<String, EntityStats>),
    Done(Result<Parsed>),
}

/// What the parser hands over at the end: the record count, the warnings and the rest of the
/// aggregates.
struct Parsed {
    records: u64,
    warnings: Vec<SourceWarning>,
    aggregates: ImportAggregates,
}

/// What the parser thread hands the classify thread.
enum Batch {
    Events(Vec<ProvisioningEvent>),
    /// The end of the file (with the source's warnings) or the error that stopped the parse.
    End(Result<Vec<SourceWarning>>),
}

/// The parser thread's sink: hands records over in chunks, so classifying, folding and
/// compressing them runs on another core while the parser reads on.
struct BatchSink {
    tx: std::sync::mpsc::SyncSender<Batch>,
    events: Vec<ProvisioningEvent>,
    warnings: Vec<SourceWarning>,
    cancel: CancelToken,
    path: PathBuf,
}

impl BatchSink {
    fn flush(&mut self) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let events = std::mem::replace(&mut self.events, Vec::with_capacity(BATCH));
        // A closed channel means a later stage failed; its error is reported there.
        self.tx
            .send(Batch::Events(events))
            .map_err(|_| Error::Cancelled {
                path: self.path.clone(),
            })
    }
}

impl EventSink for BatchSink {
    fn event(&mut self, event: ProvisioningEvent) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(Error::Cancelled {
                path: self.path.clone(),
            });
        }
        self.events.push(event);
        if self.events.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn warning(&mut self, mut warning: SourceWarning) {
        crate::redact::warning(&mut warning);
        self.warnings.push(warning);
    }
}

/// The classify thread: turns records into rows, folds them into the import's aggregates and
/// packs each chunk's evidence into one compressed block for the writer.
struct RowSink {
    rules: Rules,
    source_id: i64,
    tx: mpsc::Sender<Msg>,
    rows: Vec<EventRow>,
    seq: i64,
    aggregates: ImportAggregates,
    packer: crate::db::evidence::Packer,
    path: PathBuf,
}

impl RowSink {
    /// Classifies batches until the parser's end, then hands over the rest.
    fn run(mut self, batches: std::sync::mpsc::Receiver<Batch>) {
        // A parser that panicked drops its sender: the writer then sees its channel close.
        while let Ok(batch) = batches.recv() {
            match batch {
                Batch::Events(events) => {
                    if let Err(e) = self.events(events) {
                        let _ = self.tx.blocking_send(Msg::Done(Err(e)));
                        return;
                    }
                }
                Batch::End(result) => {
                    let result = result.and_then(|warnings| {
                        self.flush()?;
                        Ok(Parsed {
                            records: self.seq as u64,
                            warnings,
                            aggregates: std::mem::take(&mut self.aggregates),
                        })
                    });
                    let _ = self.tx.blocking_send(Msg::Done(result));
                    return;
                }
            }
        }
    }

    fn events(&mut self, events: Vec<ProvisioningEvent>) -> Result<()> {
        for event in events {
            self.seq += 1;
            let row = to_row(self.seq, event, &self.rules);
            self.aggregates.record(&stats::record_facts(&row, self.source_id));
            self.rows.push(row);
            if self.rows.len() >= CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn send(&self, msg: Msg) -> Result<()> {
        // A closed channel means the writer failed; its error is reported there.
        self.tx.blocking_send(msg).map_err(|_| Error::Cancelled {
            path: self.path.clone(),
        })
    }

    fn flush(&mut self) -> Result<()> {
        if self.aggregates.entities.len() >= stats::FLUSH_KEYS {
            let entities = self.aggregates.take_entities();
            self.send(Msg::Stats(entities))?;
        }
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut rows = std::mem::replace(&mut self.rows, Vec::with_capacity(CHUNK));
        let block = self.packer.pack(rows.iter().map(|r| &r.evidence))?;
        for r in &mut rows {
            r.evidence = Default::default();
        }
        self.send(Msg::Rows(rows, block))
    }
}

/// Redacts, classifies and encodes one record for storage. Redaction comes first, so the
/// classification's message (which quotes the record) never carries a secret either.
pub fn to_row(seq: i64, mut event: ProvisioningEvent, rules: &Rules) -> EventRow {
    crate::redact::event(&mut event);
    let classification = classify(&event, rules);
    let decisive = is_decisive(&event, classification.as_ref());
    let key = entity_key(&event, classification.as_ref());
    let json = |v: &dyn erased::Json| v.to_json();
    let ProvisioningEvent {
        time,
        record_id,
        job_id,
        cycle_id,
        change_id,
        action,
        operation,
        entity,
        outcome,
        http_status,
        error_code,
        aws_detail,
        reason,
        skip_reason,
        connection_level,
        masked,
        attributes,
        steps,
        raw,
    } = event;
    let (category, attribute, message) = match classification {
        Some(c) => (Some(c.category.as_str()), c.attribute, Some(c.message)),
        None => (None, None, None),
    };
    EventRow {
        seq,
        time: time.map(|t| t.timestamp_millis()),
        record_id,
        job_id,
        cycle_id,
        change_id,
        action: action.map(|a| a.as_str()),
        operation,
        kind: entity.kind.map(|k| k.as_str()),
        idp_id: entity.source_id,
        target_id: entity.target_id,
        name: if masked { None } else { entity.name },
        display_name: if masked { None } else { entity.display_name },
        external_id: entity.external_id,
        outcome: outcome.map(|o| o.as_str()),
        http_status: http_status.map(i64::from),
        error_code,
        aws_detail,
        reason,
        skip_reason,
        connection_level: connection_level || key == crate::diagnose::keys::CONNECTION_KEY,
        masked,
        category,
        attribute,
        message,
        decisive,
        entity_key: key,
        evidence: crate::db::evidence::Evidence {
            raw,
            attributes: if attributes.is_empty() {
                String::new()
            } else {
                json(&attributes)
            },
            steps: if steps.is_empty() {
                String::new()
            } else {
                json(&steps)
            },
        },
    }
}

mod erased {
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).expect("model types serialize")
        }
    }
}

/// Imports one job into `ws` in one transaction. `progress` is called every few thousand
/// records; `now` stamps the source.
pub async fn import_job(
    ws: &Workspace,
    job: &ImportJob,
    rules: &Rules,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportOutcome> {
    import_job_as(ws, job, None, rules, cancel, now, progress).await
}

/// [`import_job`], the source recorded under `name` instead of the file's path (a live pull's
/// temporary document is named by what was pulled), in the same transaction as its records.
pub async fn import_job_as(
    ws: &Workspace,
    job: &ImportJob,
    name: Option<&str>,
    rules: &Rules,
    cancel: &CancelToken,
    now: DateTime<Utc>,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportOutcome> {
    let started = std::time::Instant::now();
    let tap = Arc::new(Tap::default());
    let input = Input::open_tapped(&job.path, tap.clone())?;
    let size = input.size;
    let path_text = name.map_or_else(|| job.path.display().to_string(), str::to_string);
    let (tx, mut rx) = mpsc::channel::<Msg>(2);

    let mut conn = ws.pool().acquire().await?;
    crate::db::begin_immediate(&mut conn).await?;
    let placeholder = async {
        stats::begin_dirty(&mut conn).await?;
        let deferred = events::defer_indexes_if_empty(&mut conn).await?;
        let id = sources::insert_placeholder(
            &mut conn,
            &path_text,
            job.format,
            size,
            &format_time(&now),
        )
        .await?;
        Ok::<_, Error>((id, deferred))
    }
    .await;
    let (source_id, deferred_indexes) = match placeholder {
        Ok(placed) => placed,
        Err(e) => return Err(crate::db::abandon_immediate(&mut conn, e).await),
    };

    let threads = spawn_stages(job, rules, cancel, input, source_id, tx);
    let threads = match threads {
        Ok(handles) => handles,
        Err(e) => return Err(crate::db::abandon_immediate(&mut conn, e).await),
    };

    let outcome = async {
        let mut records = 0u64;
        let mut spilled = false;
        let done = loop {
            match rx.recv().await {
                Some(Msg::Rows(rows, block)) => {
                    records += rows.len() as u64;
                    events::insert_batch(&mut conn, source_id, &rows, &block).await?;
                    progress(&ImportProgress {
                        path: path_text.clone(),
                        bytes_read: tap.bytes(),
                        bytes_total: size,
                        records,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                    });
                }
                Some(Msg::Stats(entities)) => {
                    stats::spill_entities(&mut conn, entities, !spilled).await?;
                    spilled = true;
                }
                Some(Msg::Done(result)) => break result,
                None => {
                    break Err(Error::Cancelled {
                        path: job.path.clone(),
                    });
                }
            }
        };
        let Parsed {
            records: count,
            warnings,
            mut aggregates,
        } = done?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            records = count,
            "records written"
        );
        if deferred_indexes {
            events::create_indexes(&mut conn).await?;
        }
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "indexes built");
        let hash = tap.hash_hex();
        if let Some((existing, existing_path)) = sources::find_by_hash(&mut conn, &hash).await? {
            return Ok(ImportOutcome::AlreadyImported {
                source_id: existing,
                path: path_text.clone(),
                existing_path,
            });
        }
        let span = (aggregates.first_time, aggregates.last_time);
        sources::finish(&mut conn, source_id, &hash, count, span, &warnings).await?;
        if spilled {
            stats::merge_spilled(&mut conn, aggregates.take_entities()).await?;
        } else {
            stats::merge_entities(&mut conn, aggregates.take_entities()).await?;
        }
        stats::merge_buckets(&mut conn, &aggregates.buckets).await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "aggregates merged"
        );
        events::correlate(&mut conn).await?;
        stats::recompute(&mut conn).await?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "correlated");
        crate::db::diagnosis::update(&mut conn, rules).await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "diagnosis updated"
        );
        Ok::<_, Error>(ImportOutcome::Imported {
            source_id,
            path: path_text.clone(),
            format: job.format,
            records: count,
            warnings: warnings.into_iter().map(|w| w.message).collect(),
        })
    }
    .await;
    // Dropping the receiver unblocks a parser still sending after a storage error.
    drop(rx);
    for thread in threads {
        let _ = thread.join();
    }
    match outcome {
        Ok(done @ ImportOutcome::Imported { .. }) => {
            crate::db::end_immediate(&mut conn, true).await?;
            Ok(done)
        }
        Ok(other) => {
            crate::db::end_immediate(&mut conn, false).await?;
            Ok(other)
        }
        Err(e) => Err(crate::db::abandon_immediate(&mut conn, e).await),
    }
}

/// Starts the parser and classify threads of one import; the classify thread sends to `tx`.
fn spawn_stages(
    job: &ImportJob,
    rules: &Rules,
    cancel: &CancelToken,
    input: Input,
    source_id: i64,
    tx: mpsc::Sender<Msg>,
) -> Result<[std::thread::JoinHandle<()>; 2]> {
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<Batch>(1);
    let spawn_error = |source| Error::Io {
        path: job.path.clone(),
        source,
    };
    let classify = RowSink {
        rules: rules.clone(),
        source_id,
        tx,
        rows: Vec::with_capacity(CHUNK),
        seq: 0,
        aggregates: ImportAggregates::default(),
        packer: Default::default(),
        path: job.path.clone(),
    };
    let classifier = std::thread::Builder::new()
        .name("scimlens-classify".into())
        .spawn(move || classify.run(batch_rx))
        .map_err(spawn_error)?;
    let mut sink = BatchSink {
        tx: batch_tx,
        events: Vec::with_capacity(BATCH),
        warnings: Vec::new(),
        cancel: cancel.clone(),
        path: job.path.clone(),
    };
    let job = job.clone();
    let parser = std::thread::Builder::new()
        .name("scimlens-import".into())
        .spawn(move || {
            let result = run_importer(job.format, input, &job.companions, &mut sink)
                .map_err(crate::redact::error)
                .and_then(|()| sink.flush())
                .map(|()| std::mem::take(&mut sink.warnings));
            let _ = sink.tx.send(Batch::End(result));
        })
        .map_err(spawn_error)?;
    Ok([parser, classifier])
}
