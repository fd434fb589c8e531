//! Crash consistency beyond imports: the real `scimlens` binary SIGKILLed at a random moment
//! (deterministic seed) of a `fetch` against moto_server and of a `report -o`, run after run.
//! After every kill the workspace opens, passes `PRAGMA integrity_check`, and holds each store
//! snapshot whole or not at all; an export's target holds a complete report or nothing.
//!
//! A third of the kills land anywhere in a run, a third in its last part, a third a moment after
//! the writing began (moto answered the last call; the temporary file appeared). Each loop
//! prints its figures (`--nocapture`). The normal suite runs 50 report kills and 10 fetch kills;
//! `make crash-loops` runs 50 of each.

#![cfg(unix)]

#[path = "../../../scimlens-core/src/tests/moto.rs"]
mod moto;

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scimlens_core::api::Workspace;

#[test]
fn a_fetch_killed_at_any_moment_stores_its_snapshot_whole_or_not_at_all() {
    fetch_kill_loop(10);
}

/// 50 kills take about 90 s in a debug build: `make crash-loops`.
#[test]
#[ignore]
fn fifty_fetches_killed_at_any_moment_store_their_snapshots_whole_or_not_at_all() {
    fetch_kill_loop(50);
}

#[test]
fn fifty_reports_killed_at_any_moment_leave_a_whole_file_or_none() {
    report_kill_loop(50);
}

/// splitmix64: the kill moments are the same at every run of the test.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// When to kill run `run` of a command whose whole runs took `t`: anywhere in it; in its
    /// last 40 %; or a moment after `writing` says the writing began, within the time a whole
    /// run took from there.
    fn moment<'a>(&mut self, run: usize, t: Timing, writing: &'a dyn Fn() -> bool) -> Moment<'a> {
        let u = self.unit();
        match run % 3 {
            0 => Moment::At(t.whole.mul_f64(u)),
            1 => Moment::At(t.whole.mul_f64(0.6 + 0.4 * u)),
            _ => Moment::After(writing, t.writing.mul_f64(u)),
        }
    }
}

/// How long a whole run took, and the part of it from the moment the writing began.
#[derive(Clone, Copy, Debug)]
struct Timing {
    whole: Duration,
    writing: Duration,
}

enum Moment<'a> {
    At(Duration),
    After(&'a dyn Fn() -> bool, Duration),
}

fn scimlens(ws: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimlens"));
    cmd.env_remove("SCIMLENS_WORKSPACE")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .arg("--workspace")
        .arg(ws)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` to its end and times it.
fn run_whole(cmd: &mut Command, writing: &dyn Fn() -> bool) -> Timing {
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut began = None;
    while child.try_wait().unwrap().is_none() {
        if began.is_none() && writing() {
            began = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Timing {
        whole: started.elapsed(),
        writing: began.map_or(Duration::ZERO, |b| b.elapsed()),
    }
}

/// Two runs' mean time, and the shorter writing.
fn mean(a: Timing, b: Timing) -> Timing {
    Timing {
        whole: (a.whole + b.whole) / 2,
        writing: a.writing.min(b.writing),
    }
}

/// Starts `cmd` and SIGKILLs it at `moment`; false when it had ended by then.
fn run_and_kill(cmd: &mut Command, moment: Moment<'_>) -> bool {
    let started = Instant::now();
    let mut child = cmd.stderr(Stdio::null()).spawn().unwrap();
    match moment {
        Moment::At(after) => std::thread::sleep(after.saturating_sub(started.elapsed())),
        Moment::After(writing, delay) => {
            while child.try_wait().unwrap().is_none() {
                if writing() {
                    std::thread::sleep(delay);
                    break;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    if child.try_wait().unwrap().is_none() {
        // SIGKILL on unix.
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    match status.signal() {
        Some(9) => true,
        _ => {
            assert!(status.success(), "an unkilled run failed: {status}");
            false
        }
    }
}

/// Snapshot ids with their stored rows (users, groups, memberships), after checking that the
/// workspace opens, is intact and has no rows outside a snapshot.
async fn snapshots_in(ws: &Path) -> Vec<(i64, [i64; 3])> {
    let ws = Workspace::open(ws)
        .await
        .unwrap_or_else(|e| panic!("the workspace no longer opens: {e}"));
    let pool = ws.pool();
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    let fk: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(fk.is_empty(), "rows without their parent: {fk:?}");
    let orphans: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM store_users WHERE snapshot_id NOT IN (SELECT id FROM store_snapshots)) \
         + (SELECT count(*) FROM store_groups WHERE snapshot_id NOT IN (SELECT id FROM store_snapshots)) \
         + (SELECT count(*) FROM store_memberships WHERE snapshot_id NOT IN (SELECT id FROM store_snapshots))",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0, "rows of no snapshot");
    let rows: Vec<(i64, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, users, groups, memberships, \
         (SELECT count(*) FROM store_users u WHERE u.snapshot_id = s.id), \
         (SELECT count(*) FROM store_groups g WHERE g.snapshot_id = s.id), \
         (SELECT count(*) FROM store_memberships m WHERE m.snapshot_id = s.id) \
         FROM store_snapshots s ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    ws.close().await;
    rows.into_iter()
        .map(|(id, u, g, m, su, sg, sm)| {
            assert_eq!(
                (u, g, m),
                (su, sg, sm),
                "snapshot #{id}: header and rows agree"
            );
            (id, [su, sg, sm])
        })
        .collect()
}

fn wal_len(ws: &Path) -> u64 {
    let mut wal = ws.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// Waits until moto has answered everything a killed client left in flight.
fn settle(moto: &moto::Moto) {
    let mut last = moto.requests();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = moto.requests();
        if now == last {
            return;
        }
        last = now;
    }
}

fn fetch_kill_loop(n: usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = moto::start_moto();
    let store_id = rt.block_on(moto::seed(&moto.endpoint));
    let seeded = [
        moto::USERS as i64,
        moto::TEAMS as i64 + 3,
        moto::MEMBERSHIPS as i64,
    ];
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let fetch = |ws: &Path| {
        let mut cmd = scimlens(ws);
        cmd.args(["fetch", "--region", "us-east-1", "--identity-store-id"])
            .arg(&store_id)
            .args(["--endpoint-url", &moto.endpoint, "--rate", "100"]);
        cmd
    };

    // Whole fetches: how many calls one makes, how long it takes, and how long it takes from
    // moto's last answer to its end (storing the snapshot).
    let before = moto.requests();
    let first = run_whole(&mut fetch(&ws), &|| false);
    settle(&moto);
    let calls = moto.requests() - before;
    let before = moto.requests();
    let second = run_whole(&mut fetch(&ws), &|| moto.requests() - before >= calls);
    settle(&moto);
    let typical = Timing {
        whole: (first.whole + second.whole) / 2,
        writing: second.writing,
    };
    let mut count = rt.block_on(snapshots_in(&ws)).len();
    assert_eq!(count, 2);
    eprintln!(
        "fetch: {} users, {} groups, {} memberships in {calls} calls; a whole fetch takes {:?}, {:?} of it after the last answer",
        seeded[0], seeded[1], seeded[2], typical.whole, typical.writing
    );

    let mut rng = Rng(0x5c1e_15c4_a5f0_0001);
    let (mut killed, mut ended, mut listing, mut mid_write, mut after_commit) = (0, 0, 0, 0, 0);
    let (mut none, mut whole, mut fresh, mut in_commit) = (0, 0, 0, 0);
    for run in 0..n {
        // Every fifth run is a first fetch into a new workspace, so kills also land while the
        // file is created.
        let (path, before) = if run % 5 == 4 {
            fresh += 1;
            (dir.path().join(format!("new-{run}.sqlite")), 0)
        } else {
            (ws.clone(), count)
        };
        let wal = wal_len(&path);
        let requests = moto.requests();
        let listed = || moto.requests() - requests >= calls;
        let was_killed = run_and_kill(&mut fetch(&path), rng.moment(run, typical, &listed));
        settle(&moto);
        let answered = moto.requests() - requests;
        // Pages the killed process wrote (the workspace was opened, and so recovered and its
        // WAL emptied, after the run before).
        let wrote = wal_len(&path) > wal;
        let snapshots = rt.block_on(snapshots_in(&path));
        let stored = snapshots.len() - before;
        assert!(stored <= 1, "run {run}: {stored} snapshots from one fetch");
        for (id, rows) in &snapshots {
            assert_eq!(rows, &seeded, "run {run}: snapshot #{id} is not whole");
        }
        if stored == 1 {
            whole += 1;
        } else {
            none += 1;
        }
        if !was_killed {
            ended += 1;
            assert_eq!(
                stored, 1,
                "run {run}: a fetch that ended stored its snapshot"
            );
        } else {
            killed += 1;
            match (stored, answered >= calls) {
                (1, _) => after_commit += 1,
                (_, true) => {
                    mid_write += 1;
                    if wrote && path == ws {
                        in_commit += 1;
                    }
                }
                (_, false) => listing += 1,
            }
        }
        if path == ws {
            count = snapshots.len();
        }
    }
    eprintln!(
        "fetch kill loop: {n} runs ({fresh} into a new workspace), {killed} killed ({listing} while \
         listing, {mid_write} after the last answer and before the commit ended, {in_commit} of them \
         with uncommitted pages in the WAL, {after_commit} after the commit), {ended} ended first; snapshots: {none} none, {whole} whole, 0 partial"
    );
}

/// The reports' one varying value, `generated_at`, masked.
fn masked(report: &[u8]) -> Vec<u8> {
    let mut out = report.to_vec();
    for marker in [&b"\"generated_at\": \""[..], b"<p>Generated "] {
        if let Some(at) = out.windows(marker.len()).position(|w| w == marker) {
            let start = at + marker.len();
            let end = (start + 24).min(out.len());
            out[start..end].fill(b'#');
        }
    }
    out
}

fn partials(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with('.') && name.ends_with(".partial")
        })
        .collect()
}

fn report_kill_loop(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws.sqlite");
    let log = dir.path().join("log.json");
    run_whole(
        scimlens(&ws)
            .args(["generate", "--format", "entra-portal-json", "--records"])
            .arg(RECORDS.to_string())
            .arg("-o")
            .arg(&log),
        &|| false,
    );
    run_whole(scimlens(&ws).arg("import").arg(&log), &|| false);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let report = |format: &str, target: &Path| {
        let mut cmd = scimlens(&ws);
        cmd.args(["report", "--format", format, "-o"]).arg(target);
        cmd
    };

    // A complete export of each format without a kill, and how long one takes.
    let formats = ["html", "csv", "json"];
    let mut reference = Vec::new();
    let mut typical = Vec::new();
    for format in formats {
        let target = out.join(format!("reference.{format}"));
        let writing = || !partials(&out).is_empty();
        let first = run_whole(&mut report(format, &target), &writing);
        let second = run_whole(&mut report(format, &target), &writing);
        typical.push(mean(first, second));
        reference.push(masked(&std::fs::read(&target).unwrap()));
    }
    eprintln!("report: {RECORDS} records; a whole html, csv, json report takes {typical:?}");

    let mut rng = Rng(0x5c1e_15c4_a5f0_0002);
    let (mut killed, mut ended, mut rendering, mut mid_write, mut after_rename) = (0, 0, 0, 0, 0);
    let (mut none, mut whole, mut kept) = (0, 0, 0);
    for run in 0..n {
        // Mostly HTML; CSV and JSON in some runs.
        let f = [0, 1, 0, 2, 0][run % 5];
        let target = out.join(format!("report.{}", formats[f]));
        // Half of the runs write a new file, the others replace a complete one.
        if rng.unit() < 0.5 {
            let _ = std::fs::remove_file(&target);
        }
        let previous = std::fs::metadata(&target).ok().map(|m| m.ino());
        let temps = partials(&out);
        let writing = || partials(&out).difference(&temps).next().is_some();
        let was_killed = run_and_kill(
            &mut report(formats[f], &target),
            rng.moment(run, typical[f], &writing),
        );
        let now = match std::fs::read(&target) {
            Ok(bytes) => {
                assert!(
                    masked(&bytes) == reference[f],
                    "run {run}: {} holds {} bytes that are not a whole report",
                    target.display(),
                    bytes.len()
                );
                whole += 1;
                Some(std::fs::metadata(&target).unwrap().ino())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                none += 1;
                None
            }
            Err(e) => panic!("run {run}: {e}"),
        };
        let left = partials(&out).difference(&temps).count();
        if now.is_some() && now == previous {
            kept += 1;
        }
        if !was_killed {
            ended += 1;
            assert!(
                now.is_some() && left == 0,
                "run {run}: an export that ended"
            );
        } else {
            killed += 1;
            if now != previous && now.is_some() {
                after_rename += 1;
            } else if left > 0 {
                mid_write += 1;
            } else {
                rendering += 1;
            }
        }
    }
    // Later exports of the same targets were not disturbed by what killed writers left, and
    // the last ones remove it.
    let left = partials(&out).len();
    for (f, format) in formats.iter().enumerate() {
        let target = out.join(format!("report.{format}"));
        run_whole(&mut report(format, &target), &|| false);
        assert!(masked(&std::fs::read(&target).unwrap()) == reference[f]);
    }
    assert_eq!(partials(&out), BTreeSet::new(), "stale temporary files");
    // The killed reports only read the workspace.
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt.block_on(snapshots_in(&ws)).is_empty());
    eprintln!(
        "report kill loop: {n} runs, {killed} killed ({rendering} while rendering, {mid_write} \
         while writing the temporary file, {after_rename} after the rename), {ended} ended first; \
         target: {none} none, {whole} whole ({kept} the previous file kept), 0 partial; \
         {mid_write} temporary files left by killed writers, {left} still there at the end of the \
         loop, 0 after one more export of each format"
    );
}

const RECORDS: usize = 20_000;
