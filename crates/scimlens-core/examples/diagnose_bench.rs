//! Times the diagnosis of an existing workspace, best of three of each:
//! - `report`: the report of a diagnosed workspace (what `scimlens report` does after imports,
//!   which keep the diagnosis up to date as they go);
//! - `rules_change`: a reserved name added, so every entity the rules decide is decided again,
//!   then the report;
//! - `from_scratch`: the aggregates and every entity rebuilt from all records, then the report;
//! - `*_alone`: the same two without the report (what the change itself costs).
//!
//! Usage: `diagnose_bench WORKSPACE` (the workspace is left diagnosed with its own rules).

use std::time::Instant;

use scimlens_core::db::Workspace;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(filter) = std::env::var("SCIMLENS_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: diagnose_bench WORKSPACE")?;
    let ws = Workspace::open(std::path::Path::new(&path)).await?;
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(ws.pool())
        .await?;
    let rules = scimlens_core::db::diagnosis::rules_for(&ws, &[]).await?;
    let other_rules =
        scimlens_core::db::diagnosis::rules_for(&ws, &["scimlens-bench-reserved".to_string()])
            .await?;
    scimlens_core::db::diagnosis::refresh(&ws, &rules).await?;

    let report = async || -> Result<f64, Box<dyn std::error::Error>> {
        let t = Instant::now();
        let report = scimlens_core::report::build(&ws, chrono::Utc::now()).await?;
        assert!(
            report.totals.records as i64 == records,
            "the report counts every record"
        );
        Ok(t.elapsed().as_secs_f64())
    };
    let mut best = [f64::MAX; 3];
    let mut alone = [f64::MAX; 2];
    let mut entities = 0;
    for round in 0..3 {
        best[0] = best[0].min(report().await?);

        let changed = if round % 2 == 0 { &other_rules } else { &rules };
        let t = Instant::now();
        scimlens_core::db::diagnosis::refresh(&ws, changed).await?;
        alone[0] = alone[0].min(t.elapsed().as_secs_f64());
        best[1] = best[1].min(t.elapsed().as_secs_f64() + report().await?);

        let t = Instant::now();
        entities = scimlens_core::db::diagnosis::rebuild(&ws, changed).await?;
        alone[1] = alone[1].min(t.elapsed().as_secs_f64());
        best[2] = best[2].min(t.elapsed().as_secs_f64() + report().await?);
    }
    scimlens_core::db::diagnosis::refresh(&ws, &rules).await?;
    println!(
        "{{\"records\": {records}, \"entities\": {entities}, \"report_seconds\": {:.3}, \
         \"rules_change_seconds\": {:.3}, \"from_scratch_seconds\": {:.3}, \
         \"rules_change_alone_seconds\": {:.3}, \"from_scratch_alone_seconds\": {:.3}}}",
        best[0], best[1], best[2], alone[0], alone[1]
    );
    Ok(())
}
