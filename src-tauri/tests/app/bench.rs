//! Command-layer timings on a large workspace (the full IPC path: argument parsing, the core
//! query, serialization). Ignored by default; `make app-bench` (scripts/app-bench.sh) builds a
//! 1,000,000-record workspace and runs it with SCIMLENS_BENCH_WORKSPACE set.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestApp;

/// Budgets from the issue: first rows of Problems and a filter or search.
const FIRST_ROWS: Duration = Duration::from_millis(300);
const FILTER: Duration = Duration::from_millis(150);

fn time(app: &TestApp, cmd: &str, args: Value) -> (Duration, Value) {
    let started = Instant::now();
    let out = app.ok(cmd, args);
    (started.elapsed(), out)
}

/// The first call (cold page cache for that query) and the median of five more.
fn measure(app: &TestApp, label: &str, cmd: &str, args: Value) -> (Duration, Duration) {
    let (first, _) = time(app, cmd, args.clone());
    let mut runs: Vec<Duration> = (0..5).map(|_| time(app, cmd, args.clone()).0).collect();
    runs.sort();
    let median = runs[2];
    println!(
        "{label:<48} first {:>7.1} ms   median {:>7.1} ms",
        ms(first),
        ms(median)
    );
    (first, median)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[test]
#[ignore = "needs SCIMLENS_BENCH_WORKSPACE (a large workspace); run `make app-bench`"]
fn command_layer_stays_within_budget_on_a_large_workspace() {
    let path = std::env::var("SCIMLENS_BENCH_WORKSPACE").expect("SCIMLENS_BENCH_WORKSPACE");
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new(dir.path());
    app.grant(scimlens_app::Access::Workspace, [&path]);
    let (open, _) = time(&app, "open_workspace", json!({ "path": path }));
    println!("{:<48} {:>7.1} ms", "open_workspace", ms(open));
    let overview = app.ok("overview", json!({}));
    println!(
        "workspace: {} records, {} failing entities, {} sources",
        overview["totals"]["records"], overview["totals"]["problem_entities"], overview["sources"]
    );

    let mut verdicts = Vec::new();
    let mut check = |label: &str, cmd: &str, args: Value, budget: Duration| {
        let (first, median) = measure(&app, label, cmd, args);
        verdicts.push((label.to_string(), first.max(median) <= budget, budget));
    };
    let page = |q: Value| json!({ "query": q });
    check(
        "problems_page: first rows (default order)",
        "problems_page",
        page(json!({ "limit": 200 })),
        FIRST_ROWS,
    );
    check(
        "problems_page: sorted by name",
        "problems_page",
        page(json!({ "limit": 200, "sort": "name" })),
        FIRST_ROWS,
    );
    check(
        "problems_page: search 'user01234'",
        "problems_page",
        page(json!({ "limit": 200, "search": "user01234" })),
        FILTER,
    );
    check(
        "problems_page: search (no match)",
        "problems_page",
        page(json!({ "limit": 200, "search": "zz-nobody" })),
        FILTER,
    );
    check(
        "problems_page: category filter",
        "problems_page",
        page(json!({ "limit": 200, "categories": ["DUPLICATE_CONFLICT"] })),
        FILTER,
    );
    check(
        "problems_page: kind = group",
        "problems_page",
        page(json!({ "limit": 200, "kinds": ["group"] })),
        FILTER,
    );
    check(
        "problems_page: status = resolved, by last seen",
        "problems_page",
        page(json!({ "limit": 200, "statuses": ["resolved"], "sort": "last_seen", "desc": true })),
        FILTER,
    );
    let bucket = &overview["timeline"][overview["timeline"].as_array().map_or(0, |t| t.len() / 2)];
    check(
        "problems_page: one cycle (chart click)",
        "problems_page",
        page(json!({ "limit": 200, "from": bucket["from_ms"], "to": bucket["to_ms"] })),
        FILTER,
    );
    check(
        "problems_page: deep page (offset 20,000)",
        "problems_page",
        page(json!({ "limit": 200, "offset": 20000 })),
        FIRST_ROWS,
    );
    measure(&app, "overview", "overview", json!({}));
    measure(&app, "root_causes", "root_causes", json!({}));
    let first = app.ok("problems_page", page(json!({ "limit": 1 })));
    measure(
        &app,
        "entity",
        "entity",
        json!({ "key": first["rows"][0]["key"] }),
    );

    let failed: Vec<_> = verdicts.iter().filter(|(_, ok, _)| !ok).collect();
    for (label, _, budget) in &failed {
        println!("OVER BUDGET ({} ms): {label}", budget.as_millis());
    }
    assert!(failed.is_empty(), "{} queries over budget", failed.len());
}
