//! End-to-end on the real app window: tauri-driver + WebKitWebDriver drive the built
//! `scimlens-app` binary (under Xvfb on Linux). Run with `make e2e`, which builds the UI,
//! installs tauri-driver when missing and runs this under `xvfb-run`:
//!
//! ```text
//! xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p scimlens-app --test e2e -- --ignored --nocapture
//! ```
//!
//! The app runs with `SCIMLENS_E2E=1` (its own identifier, so its own webview storage; the test
//! profile is a debug build, the only kind that honours it) and its data and XDG directories in
//! a temporary directory: the run never sees a user's workspaces.
//! WebDriver cannot drive native file dialogs, so the e2e build shows small path fields that
//! call the same `open_workspace`, `import_files` and `export_report` commands as the dialogs
//! (an e2e run skips the check that a path was chosen in a dialog; the mock-runtime tests in
//! `tests/app` cover it).
//! Screenshots of every view land in `target/e2e-screenshots/` (and in `docs/screenshots/` when
//! `SCIMLENS_SCREENSHOTS=docs`).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use scimlens_core::api::CancelToken;
use scimlens_core::api::Workspace;
use scimlens_core::api::identity_store::{self, CompareReq, PreflightReq};
use scimlens_core::api::views;
use scimlens_core::api::{self, ImportFilesReq};
use scimlens_core::api::{ReportFormat, render};

const DRIVER_PORT: u16 = 4444;
const WAIT: Duration = Duration::from_secs(20);
/// How often waits look again: short, so timings measured through them stay close.
const POLL: Duration = Duration::from_millis(20);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(rel: &str) -> PathBuf {
    repo()
        .join("tests/fixtures")
        .join(rel)
        .canonicalize()
        .expect("fixture exists")
}

/// Logs of four formats (Entra Graph, Okta, CloudTrail, ssosync) plus the Entra portal CSV
/// set (three files joined by change id).
fn fixtures() -> Vec<PathBuf> {
    [
        "entra-graph/page1.json",
        "okta/systemlog.json",
        "cloudtrail/records.json",
        "ssosync/ssosync.jsonl",
        "entra-portal-json/download.json",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect()
}

/// tauri-driver, stopped with SIGTERM (never SIGKILL: that orphans WebKitWebDriver on the
/// next port and the next run hangs creating its session).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("tauri-driver did not stop within 10 s of SIGTERM");
    }
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home.map(|h| h.join("bin/tauri-driver")) {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}

fn start_driver(tmp: &Path) -> Driver {
    assert!(
        TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err(),
        "port {DRIVER_PORT} is busy: another tauri-driver (or an orphaned WebKitWebDriver on 4445) is running"
    );
    for d in ["data", "xdg-data", "xdg-config", "xdg-cache"] {
        std::fs::create_dir_all(tmp.join(d)).unwrap();
    }
    let child = Command::new(tauri_driver())
        .args(["--port", &DRIVER_PORT.to_string()])
        .env("SCIMLENS_E2E", "1")
        .env("SCIMLENS_DATA_DIR", tmp.join("data"))
        .env("XDG_DATA_HOME", tmp.join("xdg-data"))
        .env("XDG_CONFIG_HOME", tmp.join("xdg-config"))
        .env("XDG_CACHE_HOME", tmp.join("xdg-cache"))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tauri-driver starts (install it with `cargo install tauri-driver --version '^2' --locked`)");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err() {
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not listen on {DRIVER_PORT} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

async fn connect() -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": env!("CARGO_BIN_EXE_scimlens-app") }),
    );
    caps.insert("browserName".into(), "wry".into());
    let mut builder = ClientBuilder::rustls().expect("rustls client");
    builder.capabilities(caps);
    tokio::time::timeout(
        Duration::from_secs(60),
        builder.connect(&format!("http://127.0.0.1:{DRIVER_PORT}")),
    )
    .await
    .expect("a WebDriver session within 60 s")
    .expect("a WebDriver session")
}

struct Ui {
    c: Client,
    shots: Vec<PathBuf>,
}

impl Ui {
    async fn find(&self, css: &str) -> Element {
        self.c
            .wait()
            .every(POLL)
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` within {WAIT:?}: {e}"))
    }

    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until `css` exists and its text satisfies `ok`.
    async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = match self.c.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.ok(),
                Err(_) => None,
            };
            if let Some(t) = text {
                if ok(&t) {
                    return t;
                }
                assert!(
                    Instant::now() < deadline,
                    "`{css}` never showed {what}; last text: {t}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` never appeared (waiting for {what})"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Replaces an input's value the way a user would, so React sees the change.
    async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    async fn count(&self, css: &str) -> usize {
        self.c.find_all(Locator::Css(css)).await.unwrap().len()
    }

    async fn screenshot(&mut self, name: &str) {
        // The first frame after a change can be stale.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.c.screenshot().await.expect("screenshot");
        let dirs = if std::env::var("SCIMLENS_SCREENSHOTS").as_deref() == Ok("docs") {
            vec![
                repo().join("target/e2e-screenshots"),
                repo().join("docs/screenshots"),
            ]
        } else {
            vec![repo().join("target/e2e-screenshots")]
        };
        for dir in dirs {
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{name}.png"));
            std::fs::write(&path, &png).unwrap();
            self.shots.push(path);
        }
    }

    async fn nav(&self, view: &str) {
        self.click(&format!("[data-testid=nav-{view}]")).await;
        self.find(&format!("[data-testid=view-{view}]")).await;
    }

    async fn search(&self, text: &str, expect_total: &str) {
        self.nav("problems").await;
        self.fill("[data-testid=problem-search]", text).await;
        // The total alone can be stale (the previous search had one entity too): wait for
        // the first row to be the one searched for.
        self.wait_text("[data-testid=problem-row] .name-text", text, |t| {
            t.contains(text)
        })
        .await;
        self.wait_text("[data-testid=problem-total]", expect_total, |t| {
            t == expect_total
        })
        .await;
    }
}

/// What core says the fixtures should show: the app must show the same.
async fn expected(paths: &[PathBuf]) -> (Vec<views::RootCauseView>, u64) {
    let ws = Workspace::in_memory().await.unwrap();
    let req = ImportFilesReq {
        paths: paths.to_vec(),
        extra_reserved: Vec::new(),
    };
    api::import_files(
        &ws,
        req,
        &CancelToken::default(),
        chrono::Utc::now(),
        &|_| {},
    )
    .await
    .unwrap();
    let causes = views::root_causes(&ws).await.unwrap();
    let total = views::problems_page(&ws, &views::ProblemQuery::default())
        .await
        .unwrap()
        .total;
    (causes, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the real window: needs tauri-driver, WebKitWebDriver and a display; run `make e2e`"]
async fn real_window_imports_diagnoses_drills_down_and_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let _driver = start_driver(tmp.path());
    let launched = Instant::now();
    let c = connect().await;
    let mut ui = Ui {
        c,
        shots: Vec::new(),
    };
    let result = flows(&mut ui, tmp.path(), launched).await;
    if result.is_err() {
        ui.screenshot("failure").await;
    }
    let _ = ui.c.clone().close().await;
    result.expect("flows");
    for s in &ui.shots {
        eprintln!("screenshot: {}", s.display());
    }
}

async fn flows(ui: &mut Ui, tmp: &Path, launched: Instant) -> Result<(), String> {
    // 1. First launch: the labelled demo workspace, every view populated.
    ui.find("[data-testid=demo-label]").await;
    ui.find("[data-testid=totals]").await;
    eprintln!(
        "first launch to the demo overview: {} ms (includes session set-up)",
        launched.elapsed().as_millis()
    );
    ui.find("[data-testid=timeline-chart] svg").await;
    ui.screenshot("overview-demo").await;
    // freezePrototype: the charts above drew with `Object.prototype` frozen.
    let frozen =
        ui.c.execute("return Object.isFrozen(Object.prototype);", vec![])
            .await
            .map_err(|e| format!("script: {e}"))?;
    if frozen != serde_json::Value::Bool(true) {
        return Err(format!(
            "Object.prototype is not frozen in the window: {frozen}"
        ));
    }
    // The demo holds a directory export and a store snapshot too: Compare and Preflight show
    // rows, not an empty view or an error.
    ui.nav("compare").await;
    ui.find("[data-testid=compare-table]").await;
    if ui.count("[data-testid=error-box]").await + ui.count("[data-testid=compare-empty]").await > 0
    {
        return Err("the demo's Compare shows an error or an empty view".into());
    }
    ui.screenshot("compare-demo").await;
    ui.nav("preflight").await;
    ui.find("[data-testid=preflight-findings]").await;
    ui.wait_text(
        "[data-testid=preflight-inputs]",
        "the demo's directory export",
        |t| t.contains("entra-graph-users.json") && !t.contains(&tmp.display().to_string()),
    )
    .await;
    ui.screenshot("preflight-demo").await;

    // 2. A fresh workspace, then fixtures of several formats in one import.
    let case = tmp.join("case.sqlite");
    ui.nav("sources").await;
    ui.fill("[data-testid=e2e-workspace]", &case.display().to_string())
        .await;
    ui.click("[data-testid=e2e-open]").await;
    ui.wait_text("[data-testid=workspace-name]", "the new workspace", |t| {
        t == "case"
    })
    .await;
    let paths = fixtures();
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    ui.fill("[data-testid=e2e-paths]", &joined.join("|")).await;
    let started = Instant::now();
    ui.click("[data-testid=e2e-import]").await;
    let outcome = ui
        .find("[data-testid=import-done], [data-testid=import-failed]")
        .await;
    if outcome.attr("data-testid").await.ok().flatten().as_deref() != Some("import-done") {
        return Err(format!(
            "the fixtures did not import: {}",
            outcome.text().await.unwrap_or_default()
        ));
    }
    eprintln!(
        "import of {} fixtures: {} ms",
        paths.len(),
        started.elapsed().as_millis()
    );
    let sources = ui.text("[data-testid=sources-table]").await;
    for format in [
        "entra-graph",
        "okta-systemlog",
        "cloudtrail",
        "ssosync",
        "entra-portal-json",
    ] {
        if !sources.contains(format) {
            return Err(format!("the sources table lacks {format}: {sources}"));
        }
    }
    if !sources.contains("one page of more") && !sources.to_lowercase().contains("page") {
        return Err(format!(
            "the incomplete Graph page is not flagged: {sources}"
        ));
    }
    ui.screenshot("sources").await;

    // 3. The expected root causes and counts (the same as core computes for these files).
    let (causes, total) = expected(&paths).await;
    ui.nav("problems").await;
    let want_total = format!("{total} entities");
    ui.wait_text("[data-testid=problem-total]", &want_total, |t| {
        t == want_total
    })
    .await;
    let counts: Vec<String> = {
        let mut out = Vec::new();
        for e in
            ui.c.find_all(Locator::Css("[data-testid=cause-count]"))
                .await
                .unwrap()
        {
            out.push(e.text().await.unwrap());
        }
        out
    };
    let want: Vec<String> = causes
        .iter()
        .take(counts.len())
        .map(|c| c.count.to_string())
        .collect();
    if counts != want {
        return Err(format!("root-cause counts {counts:?}, core says {want:?}"));
    }
    if ui.count("[data-testid=all-causes]").await > 0 {
        ui.click("[data-testid=all-causes]").await;
    }
    let causes_text = ui.text("[data-testid=root-causes]").await;
    let shown = ui.count("[data-testid=root-cause]").await;
    if shown != causes.len() {
        return Err(format!(
            "{shown} root causes shown, core finds {}",
            causes.len()
        ));
    }
    for title in [
        "Reserved name",
        "Missing required attribute",
        "Duplicate or conflict",
    ] {
        if !causes_text.contains(title) {
            return Err(format!("root causes lack {title}: {causes_text}"));
        }
    }
    ui.click("[data-testid=root-cause] .cause-head").await;
    ui.find("[data-testid=root-cause] .cause-entities button")
        .await;
    ui.screenshot("problems").await;

    // 4. One entity across sources: Entra's records and CloudTrail's masked calls.
    ui.search("alice@contoso.com", "1 entity").await;
    ui.click("[data-testid=problem-row]").await;
    ui.wait_text("[data-testid=entity-name]", "alice", |t| {
        t == "alice@contoso.com"
    })
    .await;
    let explain = ui.text("[data-testid=entity-explain]").await;
    if !explain.contains("name.givenName") {
        return Err(format!(
            "alice's explanation lacks name.givenName: {explain}"
        ));
    }
    let attempts = ui.count("[data-testid=attempt]").await;
    let timeline = ui.text("[data-testid=timeline]").await;
    if attempts < 2 || !timeline.contains("cloudtrail") || !timeline.contains("entra-graph") {
        return Err(format!(
            "alice's timeline should span Entra and CloudTrail ({attempts} attempts): {timeline}"
        ));
    }
    ui.screenshot("entity").await;

    // 5. The XSS fixture: its display name is literal text and runs nothing.
    ui.search("xss.probe", "1 entity").await;
    ui.click("[data-testid=problem-row]").await;
    ui.wait_text("[data-testid=entity-name]", "xss.probe", |t| {
        t == "xss.probe@contoso.com"
    })
    .await;
    let evidence = ui.text("[data-testid=timeline]").await;
    if !evidence.contains("<img src=x onerror=alert(1)>") {
        return Err(format!(
            "the XSS display name is not shown as text: {evidence}"
        ));
    }
    if ui.count("img[src='x']").await != 0 {
        return Err("an <img> element was created from log text".into());
    }
    if let Ok(text) = ui.c.get_alert_text().await {
        return Err(format!("an alert ran: {text}"));
    }
    let flag: serde_json::Value =
        ui.c.execute(
            "return window.__xss === undefined && document.querySelectorAll('img').length;",
            vec![],
        )
        .await
        .unwrap();
    eprintln!("images on the entity page (the app icon only): {flag}");
    ui.screenshot("entity-xss").await;

    // 6. Export a report and check the file: the same content the CLI renders.
    ui.nav("export").await;
    let out = tmp.join("report.json");
    ui.click("[data-testid=format-json]").await;
    ui.fill("[data-testid=e2e-export-path]", &out.display().to_string())
        .await;
    ui.click("[data-testid=e2e-export]").await;
    ui.find("[data-testid=export-done]").await;
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).map_err(|e| e.to_string())?)
            .map_err(|e| format!("the export is not JSON: {e}"))?;
    let ws = Workspace::open(&case).await.map_err(|e| e.to_string())?;
    let report = api::build_report(&ws, &[], chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let mut cli: serde_json::Value =
        serde_json::from_str(&render(&report, ReportFormat::Json)).unwrap();
    let mut app = exported.clone();
    cli["generated_at"] = serde_json::Value::Null;
    app["generated_at"] = serde_json::Value::Null;
    if cli != app {
        return Err(
            "the exported JSON differs from what the CLI renders for the same workspace".into(),
        );
    }
    let html = tmp.join("report.html");
    ui.click("[data-testid=format-html]").await;
    ui.fill("[data-testid=e2e-export-path]", &html.display().to_string())
        .await;
    ui.click("[data-testid=e2e-export]").await;
    ui.wait_text("[data-testid=export-done]", "report.html", |t| {
        t.contains("report.html")
    })
    .await;
    let page = std::fs::read_to_string(&html).map_err(|e| e.to_string())?;
    if page.contains("<img src=x") || !page.contains("xss.probe@contoso.com") {
        return Err("the HTML export lacks the XSS user or carries its markup unescaped".into());
    }
    ui.screenshot("export").await;

    // 7. A broken file: the core's error (file, position, expectation), nothing lost.
    ui.nav("sources").await;
    let before_rows = ui.count("[data-testid=sources-table] tbody tr").await;
    ui.fill(
        "[data-testid=e2e-paths]",
        &fixture("bad/truncated.json").display().to_string(),
    )
    .await;
    ui.click("[data-testid=e2e-import]").await;
    let error = ui
        .text("[data-testid=import-failed] [data-testid=error-box]")
        .await;
    for needle in [
        "truncated.json",
        "Where",
        "Expected",
        "workspace holds exactly what it held before",
    ] {
        if !error.contains(needle) {
            return Err(format!("the import error lacks `{needle}`: {error}"));
        }
    }
    let after_rows = ui.count("[data-testid=sources-table] tbody tr").await;
    if after_rows != before_rows {
        return Err(format!(
            "sources went from {before_rows} to {after_rows} after a failed import"
        ));
    }
    ui.screenshot("import-error").await;
    ui.nav("problems").await;
    ui.click("[data-testid=clear-filters]").await;
    ui.wait_text("[data-testid=problem-total]", &want_total, |t| {
        t == want_total
    })
    .await;

    // 8. The timeline chart filters the problems.
    ui.nav("overview").await;
    ui.click("[data-testid=bucket]").await;
    ui.find("[data-testid=range-chip]").await;
    ui.find("[data-testid=view-problems]").await;

    // 9. The identity store side: a store snapshot and a directory export, Compare, Preflight.
    identity_store(ui, case.as_path()).await
}

/// Waits for the outcome of a store-side import: `done` or the error box.
async fn imported(ui: &Ui, done: &str) -> Result<(), String> {
    let outcome = ui
        .find(&format!(
            "[data-testid={done}], [data-testid=store-panel] [data-testid=error-box]"
        ))
        .await;
    if outcome.attr("data-testid").await.ok().flatten().as_deref() == Some(done) {
        Ok(())
    } else {
        Err(format!(
            "the import failed: {}",
            outcome.text().await.unwrap_or_default()
        ))
    }
}

fn joined(rels: &[&str]) -> String {
    rels.iter()
        .map(|r| fixture(r).display().to_string())
        .collect::<Vec<_>>()
        .join("|")
}

async fn identity_store(ui: &mut Ui, case: &Path) -> Result<(), String> {
    ui.nav("sources").await;
    ui.fill(
        "[data-testid=e2e-store-paths]",
        &joined(&[
            "identitystore/list-users.json",
            "identitystore/list-groups.json",
            "identitystore/list-group-memberships.json",
        ]),
    )
    .await;
    ui.click("[data-testid=e2e-store-import]").await;
    imported(ui, "store-imported").await?;
    let directory = [
        "directory/entra-graph-users.json",
        "directory/entra-graph-groups.json",
        "directory/entra-graph-assignments.json",
    ];
    ui.fill("[data-testid=e2e-directory-paths]", &joined(&directory))
        .await;
    ui.click("[data-testid=e2e-directory-import]").await;
    imported(ui, "directory-imported").await?;
    ui.wait_text("[data-testid=snapshots-table]", "the snapshot", |t| {
        t.contains("list-users.json") || t.contains("d-1234567890")
    })
    .await;

    // What core computes for the same workspace, shown by the app.
    let ws = Workspace::open(case).await.map_err(|e| e.to_string())?;
    let report = identity_store::compare_store(&ws, &CompareReq::default(), chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let c = report.compare.expect("the compare section");
    ui.nav("compare").await;
    ui.find("[data-testid=compare-table]").await;
    for (state, want) in [
        ("DRIFT", c.users.drift + c.groups.drift),
        (
            "NOT_PROVISIONED",
            c.users.not_provisioned + c.groups.not_provisioned,
        ),
        (
            "UNMANAGED_IN_STORE",
            c.users.unmanaged_in_store + c.groups.unmanaged_in_store,
        ),
    ] {
        let shown = ui
            .text(&format!("[data-testid=count-{state}] .total-value"))
            .await;
        if shown != want.to_string() {
            return Err(format!(
                "{state}: the app shows {shown}, core counts {want}"
            ));
        }
    }
    if (
        c.users.drift,
        c.users.not_provisioned,
        c.users.unmanaged_in_store,
    ) != (1, 6, 2)
    {
        return Err(format!(
            "the fixtures' users should be 1 drift / 6 not provisioned / 2 unmanaged: {:?}",
            c.users
        ));
    }
    ui.screenshot("compare").await;

    ui.click("[data-testid=state-filter-DRIFT]").await;
    let drift = ui
        .wait_text("[data-testid=compare-table]", "karen's drift", |t| {
            t.contains("karen.lee@contoso.com")
        })
        .await;
    for needle in ["title", "Director", "Manager"] {
        if !drift.contains(needle) {
            return Err(format!("karen's drift lacks {needle}: {drift}"));
        }
    }
    if ui
        .count("[data-testid=compare-row][data-state=DRIFT]")
        .await
        != ui.count("[data-testid=compare-row]").await
    {
        return Err("the drift filter shows other states".into());
    }
    ui.click("[data-testid=state-filter-DRIFT]").await;
    ui.click("[data-testid=state-filter-UNMANAGED_IN_STORE]")
        .await;
    ui.wait_text("[data-testid=compare-table]", "breakglass", |t| {
        t.contains("breakglass.admin@contoso.com") && t.contains("AWSSecurityAuditors")
    })
    .await;
    ui.click("[data-testid=state-filter-UNMANAGED_IN_STORE]")
        .await;
    ui.fill("[data-testid=compare-search]", "alice@contoso.com")
        .await;
    let alice = ui
        .wait_text("[data-testid=compare-total]", "one entity", |t| {
            t.starts_with("1 entity")
        })
        .await;
    let row = ui.text("[data-testid=compare-row]").await;
    if !row.contains("Not in the identity store") {
        return Err(format!(
            "alice is not shown as missing in AWS ({alice}): {row}"
        ));
    }

    ui.nav("preflight").await;
    ui.fill(
        "[data-testid=e2e-preflight-paths]",
        &joined(&directory[..2]),
    )
    .await;
    ui.click("[data-testid=e2e-preflight]").await;
    // The workspace's own directory export was checked on opening the view; now the files typed.
    ui.wait_text("[data-testid=preflight-inputs]", "the picked files", |t| {
        !t.contains("directory export (")
    })
    .await;
    ui.find("[data-testid=preflight-findings]").await;
    let req = PreflightReq {
        paths: directory[..2].iter().map(|r| fixture(r)).collect(),
        against_store: true,
        snapshot_id: None,
        extra_reserved: Vec::new(),
    };
    let predicted = identity_store::preflight_export(Some(&ws), &req, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let errors = predicted.preflight.expect("the preflight section").errors;
    let shown = ui.text("[data-testid=preflight-errors]").await;
    if shown != errors.to_string() {
        return Err(format!(
            "preflight: the app shows {shown} errors, core predicts {errors}"
        ));
    }
    let findings = ui.text("[data-testid=preflight-findings]").await;
    for needle in [
        "alice@contoso.com",
        "Administrator",
        "AWSSecurityAuditors",
        "#EXT#",
    ] {
        if !findings.contains(needle) {
            return Err(format!("the preflight findings lack {needle}: {findings}"));
        }
    }
    ui.screenshot("preflight").await;
    ws.close().await;
    Ok(())
}

/// The pace the app benchmark types a search at (a key every 60 ms, round trip excluded).
const KEY_INTERVAL: Duration = Duration::from_millis(60);

/// Prints the span from the UI's last `from` mark to the first frame painted with rows after it
/// (marks the UI sets: the same span as the page sees it, without WebDriver's polling and
/// round trips).
async fn page_span(ui: &Ui, from: &str, label: &str) {
    painted_span(ui, from, "problems-rows-painted", label).await;
}

/// Prints the span from the UI's last `from` mark to its first `painted` mark after it.
async fn painted_span(ui: &Ui, from: &str, painted: &str, label: &str) {
    let ms =
        ui.c.execute_async(
            "const [from, name, done] = arguments;
             const start = performance.getEntriesByName(from).pop().startTime;
             const check = () => {
               const painted = performance.getEntriesByName(name)
                 .find((m) => m.startTime > start);
               if (painted) done(painted.startTime - start); else setTimeout(check, 5);
             };
             check();",
            vec![serde_json::json!(from), serde_json::json!(painted)],
        )
        .await
        .unwrap();
    let ms = ms.as_f64().expect("the page marks the rows it paints");
    println!("real window, {label:<40} {ms:>7.1} ms");
}

/// The Problems view in the real window on a large workspace (`make app-bench` builds one of
/// 1,000,000 records and sets SCIMLENS_BENCH_WORKSPACE): the time from the click on Problems to
/// its first rows, from Enter in the search box to the answer, from a click on a row to its
/// entity view and from the click on Overview back to it, as WebDriver sees them (round trips
/// and polling included) and as the page does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs SCIMLENS_BENCH_WORKSPACE, tauri-driver and a display; run `make app-bench`"]
async fn real_window_problems_on_a_large_workspace() {
    let ws = std::env::var("SCIMLENS_BENCH_WORKSPACE").expect("SCIMLENS_BENCH_WORKSPACE");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("data")).unwrap();
    std::fs::write(
        tmp.path().join("data/recent.json"),
        serde_json::to_vec(&[&ws]).unwrap(),
    )
    .unwrap();
    let _driver = start_driver(tmp.path());
    let c = connect().await;
    let ui = Ui {
        c,
        shots: Vec::new(),
    };
    ui.find("[data-testid=totals]").await;
    // Let the window finish drawing the Overview's charts first: a click sent while it still
    // lays them out waits for that, which is the Overview's time, not the Problems view's.
    ui.find(".recharts-bar-rectangle").await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let timed = |label: &'static str, started: Instant| {
        println!(
            "real window, {label:<40} {:>7.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        )
    };
    let started = Instant::now();
    ui.click("[data-testid=nav-problems]").await;
    ui.find("[data-testid=problem-row]").await;
    timed("Problems: first rows (WebDriver)", started);
    page_span(
        &ui,
        "open-problems",
        "Problems: click to rows painted (page)",
    )
    .await;

    // Names from the page itself, so the search has an answer whatever the generator made.
    let mut names = Vec::new();
    for e in
        ui.c.find_all(Locator::Css("[data-testid=problem-row] .name-text"))
            .await
            .unwrap()
    {
        names.push(e.text().await.unwrap());
    }
    let picks = [
        names[names.len() / 2].clone(),
        names[names.len() - 1].clone(),
    ];
    for name in &picks {
        let name = name.as_str();
        let search = ui.find("[data-testid=problem-search]").await;
        search.clear().await.unwrap();
        // Typed as a fast typist does (a key every 60-100 ms, under the search's 150 ms pause for
        // more typing, so the search waits for Enter), Enter a key's time after the last.
        // Typed all at once, WebKit is still drawing the typed text when Enter arrives.
        for ch in name.chars() {
            search.send_keys(&ch.to_string()).await.unwrap();
            tokio::time::sleep(KEY_INTERVAL).await;
        }
        let started = Instant::now();
        search.send_keys("\u{e007}").await.unwrap();
        ui.wait_text("[data-testid=problem-row] .name-text", name, |t| {
            t.contains(name)
        })
        .await;
        timed("search (Enter to the matching row, WebDriver)", started);
        page_span(&ui, "search-submit", "search: Enter to rows painted (page)").await;
    }
    let search = ui.find("[data-testid=problem-search]").await;
    search.clear().await.unwrap();
    search.send_keys("zz-nobody").await.unwrap();
    let started = Instant::now();
    search.send_keys("\u{e007}").await.unwrap();
    ui.wait_text("[data-testid=problem-total]", "0 entities", |t| {
        t.starts_with("0 ")
    })
    .await;
    timed("search without a match (to '0 entities')", started);

    // The entity view of a problem row, then back to the Overview.
    let search = ui.find("[data-testid=problem-search]").await;
    search.clear().await.unwrap();
    search.send_keys(&picks[0]).await.unwrap();
    search.send_keys("\u{e007}").await.unwrap();
    ui.wait_text("[data-testid=problem-row] .name-text", &picks[0], |t| {
        t.contains(picks[0].as_str())
    })
    .await;
    let started = Instant::now();
    ui.click("[data-testid=problem-row]").await;
    ui.find("[data-testid=entity-name]").await;
    timed("entity view: click to its name (WebDriver)", started);
    painted_span(
        &ui,
        "open-entity",
        "entity-painted",
        "entity view: click to painted (page)",
    )
    .await;
    let started = Instant::now();
    ui.click("[data-testid=nav-overview]").await;
    ui.find("[data-testid=totals]").await;
    timed("Overview: click to totals (WebDriver)", started);
    ui.find(".recharts-bar-rectangle").await;
    timed("Overview: click to charts drawn (WebDriver)", started);
    painted_span(
        &ui,
        "open-overview",
        "overview-painted",
        "Overview: click to painted (page)",
    )
    .await;
    let _ = ui.c.clone().close().await;
}
