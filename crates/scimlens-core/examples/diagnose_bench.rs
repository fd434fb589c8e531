//! Times the diagnosis of an existing workspace: the roll-up (`diagnose::refresh`) and the
//! report build, best of three. Usage: `diagnose_bench WORKSPACE`.

use std::time::Instant;

use scimlens_core::diagnose;
use scimlens_core::store::Workspace;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: diagnose_bench WORKSPACE")?;
    let ws = Workspace::open(std::path::Path::new(&path)).await?;
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(ws.pool())
        .await?;
    let rules = diagnose::rules_for(&ws, &[]).await?;
    let mut best_refresh = f64::MAX;
    let mut best_report = f64::MAX;
    let mut entities = 0;
    for _ in 0..3 {
        let t = Instant::now();
        entities = diagnose::refresh(&ws, &rules).await?;
        best_refresh = best_refresh.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let report = scimlens_core::report::build(&ws, chrono::Utc::now()).await?;
        best_report = best_report.min(t.elapsed().as_secs_f64());
        assert!(
            report.totals.records as i64 == records,
            "the report counts every record"
        );
    }
    println!(
        "{{\"records\": {records}, \"entities\": {entities}, \"refresh_seconds\": {best_refresh:.3}, \"report_seconds\": {best_report:.3}, \"diagnosis_seconds\": {:.3}}}",
        best_refresh + best_report
    );
    Ok(())
}
