//! A mutation fuzzer for format detection and every importer, on the stable toolchain.
//!
//! libFuzzer needs a nightly compiler; this harness needs nothing but the crate. For each format
//! it takes the fixtures that are (or are named as) that format as seeds, mutates them (bytes,
//! ranges, splices, JSON values of another type, deep nesting, huge numbers, long strings,
//! escapes, NUL, truncation, CRLF, byte order marks, gzip) and runs detection and the importer in
//! memory, the way `Input::open` feeds them a file. Without coverage feedback, an input joins the
//! corpus when its outcome (format detected, error kind and message shape, number of events) is
//! one not seen before.
//!
//! Findings:
//! - a panic is caught, minimized (ranges dropped while it still panics at the same place) and
//!   written to `tests/fixtures/fuzz-crashers/<format>-<hash>.bin`, the hash naming the panic's
//!   location so a bug found again keeps one file;
//! - an input that runs longer than 2 s per MB (at least 2 s) is a hang, and one that holds more than 1 GiB at once
//!   trips the memory guard; both, like a stack overflow, end the worker process: a supervisor
//!   (this same binary) keeps the input it was running, minimizes it by re-running the binary,
//!   and starts a new worker for the rest of the budget.
//!
//! Usage: `fuzz_importers [--seconds N] [--seed S] [--format NAME]... [--runs N]
//! [--out DIR] [--fixtures DIR]`; `--seconds` is the whole budget, shared evenly by the formats.
//! `--canary` plants a panic the mutations soon reach, to see the harness find one.
//! `fuzz_importers --replay FILE... [--format NAME]` runs files through detection and the
//! importers and reports what each does. `make fuzz FUZZ_SECONDS=300` builds it in release and
//! runs it.
// The memory guard is a counting global allocator, which only `unsafe` can declare.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scimlens_core::import::{EventSink, Input, SourceWarning, detect, detect_bytes, run_importer};
use scimlens_core::model::{Format, ProvisioningEvent};

/// Inputs never grow past this (the memory guard's first line).
const MAX_INPUT: usize = 4 << 20;
/// Gunzip output read per input, like a file cut there.
const MAX_GUNZIPPED: u64 = MAX_INPUT as u64;
/// What `detect` reads, and the buffer `Input::open` reads through.
const SNIFF_BYTES: u64 = 64 * 1024;
const READ_BUFFER: usize = 256 * 1024;
/// An input that runs longer than this per MB it holds (and at least this long) is a hang: the
/// importers run at tens of MB/s, a few MB/s on rows of a few bytes, so only a loop that does
/// not end or that grows with the square of the input gets there.
const HANG_AFTER: Duration = Duration::from_secs(2);
/// Live heap beyond which the worker stops (`handle_alloc_error` aborts it).
const HARD_MEMORY: usize = 1 << 30;
/// Heap growth during one input worth reporting (an amplification, not a crash).
const SOFT_MEMORY: usize = 256 << 20;
/// Stack of the thread that runs the importers: a spawned thread's default, as in the app.
const WORKER_STACK: usize = 2 << 20;
const MAX_CORPUS: usize = 2000;
/// Exit code of a worker that stopped on a hang (the input is saved already).
const EXIT_HANG: i32 = 3;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TRIPPED: AtomicBool = AtomicBool::new(false);
/// `--canary`: the importer stage panics on inputs holding NUL then `{`, which mutations reach in
/// seconds; proves the harness catches, minimizes and keeps a crasher.
static CANARY: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting live bytes; past [`HARD_MEMORY`] it refuses once, which
/// aborts the worker with the input it was running saved.
struct Counting;

impl Counting {
    fn grow(size: usize) -> bool {
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        if live > HARD_MEMORY && !TRIPPED.swap(true, Ordering::Relaxed) {
            LIVE.fetch_sub(size, Ordering::Relaxed);
            let _ = std::io::stderr().write_all(b"memory guard: more than 1 GiB live\n");
            return false;
        }
        PEAK.fetch_max(live, Ordering::Relaxed);
        true
    }
}

// SAFETY: every call is passed to `System` unchanged; only the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Counting::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout contract is passed on.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Counting::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !Counting::grow(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > old {
                LIVE.fetch_sub(new_size - old, Ordering::Relaxed);
            }
        } else if new_size < old {
            LIVE.fetch_sub(old - new_size, Ordering::Relaxed);
        }
        p
    }
}

// ---------------------------------------------------------------------------------------------
// Running one input

/// Where a panic happened and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Panic {
    /// `detect` or the format whose importer panicked.
    stage: String,
    location: String,
    message: String,
}

enum Verdict {
    /// No panic; `outcome` summarizes what happened, for the corpus.
    Clean {
        outcome: u64,
        peak: usize,
    },
    Crash(Panic),
}

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        };
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        // Outside the threads that run inputs, a panic is the harness's own: say so.
        let thread = std::thread::current();
        if !thread.name().is_some_and(|n| n.starts_with("fuzz-")) {
            eprintln!("harness panicked at {location}: {message}");
        }
        LAST_PANIC.with(|p| *p.borrow_mut() = Some((location, message)));
    }));
}

fn catch<T>(stage: &str, f: impl FnOnce() -> T) -> Result<T, Panic> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        let (location, message) = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_default();
        Panic {
            stage: stage.to_string(),
            location,
            message,
        }
    })
}

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// How long `bytes` may run before it is a hang ([`HANG_AFTER`] per MB, gzip counted as the most
/// it may expand to).
fn time_budget(bytes: &[u8]) -> Duration {
    let size = if is_gzip(bytes) {
        MAX_GUNZIPPED as usize
    } else {
        bytes.len()
    };
    HANG_AFTER * size.div_ceil(1 << 20).max(1) as u32
}

/// The reader `Input::open` would give for a file holding `bytes`.
fn reader(bytes: &[u8]) -> Box<dyn BufRead + Send> {
    let raw = Cursor::new(bytes.to_vec());
    if is_gzip(bytes) {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            flate2::bufread::MultiGzDecoder::new(raw).take(MAX_GUNZIPPED),
        ))
    } else {
        Box::new(BufReader::with_capacity(READ_BUFFER, raw))
    }
}

fn input(bytes: &[u8]) -> Input {
    Input {
        path: PathBuf::from("fuzz-input"),
        reader: reader(bytes),
        size: bytes.len() as u64,
        gzip: is_gzip(bytes),
    }
}

fn detect_in_memory(bytes: &[u8]) -> scimlens_core::api::Result<Format> {
    let mut head = Vec::new();
    if let Err(source) = reader(bytes).take(SNIFF_BYTES).read_to_end(&mut head) {
        return Err(scimlens_core::api::Error::Io {
            path: PathBuf::from("fuzz-input"),
            source,
        });
    }
    detect_bytes(Path::new("fuzz-input"), &head)
}

/// Counts what an importer finds and drops it, as the store's streaming import does (a sink that
/// kept every event would measure itself, not the importer).
#[derive(Default)]
struct Counter {
    events: usize,
    warnings: usize,
}

impl EventSink for Counter {
    fn event(&mut self, event: ProvisioningEvent) -> scimlens_core::api::Result<()> {
        drop(event);
        self.events += 1;
        Ok(())
    }

    fn warning(&mut self, _: SourceWarning) {
        self.warnings += 1;
    }
}

fn error_shape(e: &scimlens_core::api::Error) -> String {
    let text: String = e
        .to_string()
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(60)
        .collect();
    format!("{:?} {text}", e.code())
}

/// Detection, then the importer of `format`, then the importer detection chose if another.
fn exec(format: Format, bytes: &[u8]) -> Verdict {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut outcome = DefaultHasher::new();
    let detected = match catch("detect", || detect_in_memory(bytes)) {
        Ok(d) => d,
        Err(p) => return Verdict::Crash(p),
    };
    match &detected {
        Ok(f) => f.as_str().hash(&mut outcome),
        Err(e) => format!("{:?}", e.code()).hash(&mut outcome),
    }
    let mut targets = vec![format];
    if let Ok(d) = detected {
        if d != format {
            targets.push(d);
        }
    }
    for target in targets {
        let result = catch(target.as_str(), || {
            if CANARY.load(Ordering::Relaxed) && memchr::memmem::find(bytes, b"\0{").is_some() {
                panic!("canary: the input holds NUL then {{");
            }
            let mut sink = Counter::default();
            let r = run_importer(target, input(bytes), &[], &mut sink);
            (r, sink.events, sink.warnings)
        });
        match result {
            Err(p) => return Verdict::Crash(p),
            Ok((Ok(()), events, warnings)) => {
                (usize::BITS - events.leading_zeros(), warnings).hash(&mut outcome)
            }
            Ok((Err(e), events, _)) => {
                (error_shape(&e), usize::BITS - events.leading_zeros()).hash(&mut outcome)
            }
        }
    }
    Verdict::Clean {
        outcome: outcome.finish(),
        peak: PEAK.load(Ordering::Relaxed).saturating_sub(base),
    }
}

/// A thread with an app-sized stack that runs inputs; the caller waits at most its [`time_budget`].
struct Worker {
    jobs: mpsc::Sender<Arc<Vec<u8>>>,
    verdicts: mpsc::Receiver<Verdict>,
}

impl Worker {
    fn start(format: Format) -> Worker {
        let (jobs, job_rx) = mpsc::channel::<Arc<Vec<u8>>>();
        let (verdict_tx, verdicts) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("fuzz-{format}"))
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for bytes in job_rx {
                    if verdict_tx.send(exec(format, &bytes)).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn the fuzz worker thread");
        Worker { jobs, verdicts }
    }

    /// `None` on a hang (the thread is still stuck in the input).
    fn run(&self, bytes: Arc<Vec<u8>>) -> Option<Verdict> {
        let budget = time_budget(&bytes);
        self.jobs
            .send(bytes)
            .expect("the fuzz worker thread is alive");
        self.verdicts.recv_timeout(budget).ok()
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// splitmix64: small, fast, and the same sequence for the same `--seed` everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A length that is mostly short, sometimes long (up to `max`).
    fn len(&mut self, max: usize) -> usize {
        let cap = match self.below(10) {
            0..=5 => 8,
            6..=8 => 128,
            _ => max,
        };
        1 + self.below(cap.min(max).max(1))
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const INTERESTING_BYTES: &[u8] = b"\0\x01\x7f\x80\xff\xc3\xe2\xef{}[]\",:\\\n\r\t 0-.eE";

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\\udfff\\ud800",
    b"\\uD83D\\uDE00",
    b"\\u",
    b"null",
    b"true",
    b"-0",
    b"1e309",
    b"-1e309",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"0.000000000000000000000000000001",
    b"NaN",
    b"\r\n",
    b"\n",
    b"\r",
    b"\xef\xbb\xbf",
    b"\0",
    b"\xc3\xa9",
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80",
    b"\xf0\x9f\x98",
    b"\"\"",
    b"\",\"",
    b"=",
    b" level=error msg=",
    b"time=\"",
    b"2024-02-30T25:61:61Z",
    b"9999-12-31T23:59:59.9999999Z",
    b"0001-01-01T00:00:00Z",
    b"1970-01-01T00:00:00.000+14:00",
    b"T",
    b"Z",
    b"+",
    b"%",
];

const VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    "1e999",
    "-1e999",
    "123456789012345678901234567890",
    "-9223372036854775808",
    "\"\"",
    "\" \"",
    "[]",
    "{}",
    "[null]",
    "{\"\":\"\"}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udfff\\ud800x\"",
    "\"\\\"\"",
    "\"2024-13-45T99:99:99Z\"",
    "\"9999-12-31T23:59:59.9999999+14:00\"",
    "\"0000-00-00\"",
    "\"-1\"",
    "\"1e999\"",
    "\"NaN\"",
    "\"null\"",
    "\"é\\n\\t\\r\"",
    "\"\u{1F600}\u{0301}\"",
];

/// Spans of JSON values (scalars and containers) in `data`, found lexically; garbage yields
/// fewer or odd spans, which is fine for mutation.
fn json_spans(data: &[u8], limit: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < data.len() && spans.len() < limit {
        match data[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < data.len() && data[i] != b'"' {
                    i += if data[i] == b'\\' { 2 } else { 1 };
                }
                let end = (i + 1).min(data.len());
                // A member name is followed by `:`; only values are spans.
                let rest = data[end..].iter().find(|b| !b.is_ascii_whitespace());
                if rest != Some(&b':') {
                    spans.push((start, end));
                }
                i = end;
                continue;
            }
            b'{' | b'[' => stack.push(i),
            b'}' | b']' => {
                if let Some(start) = stack.pop() {
                    spans.push((start, i + 1));
                }
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                let start = i;
                while i < data.len()
                    && matches!(data[i], b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E')
                {
                    i += 1;
                }
                spans.push((start, i));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    spans
}

fn nested(rng: &mut Rng) -> Vec<u8> {
    let depth = *rng.pick(&[16usize, 64, 127, 128, 129, 200, 1000, 10_000, 100_000]);
    let mut v = Vec::new();
    if rng.chance(50) {
        v.extend(std::iter::repeat_n(b'[', depth));
        v.extend(std::iter::repeat_n(b']', depth));
    } else {
        for _ in 0..depth {
            v.extend_from_slice(b"{\"a\":");
        }
        v.push(b'1');
        v.extend(std::iter::repeat_n(b'}', depth));
    }
    if rng.chance(20) {
        v.truncate(rng.below(v.len()));
    }
    v
}

fn long_string(rng: &mut Rng) -> Vec<u8> {
    let n = *rng.pick(&[
        255usize,
        256,
        1025,
        4096,
        4096,
        65_537,
        65_537,
        300_000,
        1 << 21,
    ]);
    let units: [&[u8]; 6] = [b"a", b"\\u00e9", b"\xc3\xa9", b"\\\\", b" ", b"\\n"];
    let unit = *rng.pick(&units);
    let mut v = vec![b'"'];
    while v.len() < n {
        v.extend_from_slice(unit);
    }
    v.push(b'"');
    v
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("gzip into memory");
    gz.finish().expect("gzip into memory")
}

fn line_starts(data: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|i| i + 1))
        .filter(|&i| i <= data.len())
        .collect()
}

/// What a mutation may borrow from: the corpus of this format and the words of every seed.
struct Material<'a> {
    corpus: &'a [Arc<Vec<u8>>],
    others: &'a [Arc<Vec<u8>>],
    words: &'a [Vec<u8>],
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, m: &Material<'_>) {
    let len = data.len();
    let at = rng.below(len + 1);
    match rng.below(22) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(INTERESTING_BYTES);
        }
        2 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        3 if len > 0 => {
            let start = rng.below(len);
            let n = rng.len(len - start);
            data.drain(start..start + n);
        }
        4 => {
            let n = rng.len(32);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        5 | 6 => {
            let token = rng.pick(TOKENS).to_vec();
            data.splice(at..at, token);
        }
        7 if !m.words.is_empty() => {
            let mut word = b"\"".to_vec();
            word.extend_from_slice(rng.pick(m.words).as_slice());
            word.extend_from_slice(if rng.chance(70) {
                b"\":".as_slice()
            } else {
                b"\""
            });
            data.splice(at..at, word);
        }
        8 if len > 0 => {
            // Duplicate a range, sometimes many times.
            let start = rng.below(len);
            let n = rng.len(len - start);
            let chunk = data[start..start + n].to_vec();
            let times = if rng.chance(80) { 1 } else { 1 + rng.below(64) };
            // Grown no further than an input may be (the memory guard is for the importers).
            let times = times.min(MAX_INPUT / n);
            let repeated: Vec<u8> = chunk.iter().copied().cycle().take(n * times).collect();
            data.splice(at..at, repeated);
        }
        9 => {
            // Splice with another seed: mostly of this format, sometimes of any.
            let pool = if rng.chance(75) { m.corpus } else { m.others };
            let other = rng.pick(pool);
            let from = rng.below(other.len() + 1);
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
        }
        10..=13 => {
            let spans = json_spans(data, 4096);
            if spans.is_empty() {
                return;
            }
            let (start, end) = *rng.pick(&spans);
            let replacement = match rng.below(8) {
                0..=2 => rng.pick(VALUES).as_bytes().to_vec(),
                3 => nested(rng),
                4 => long_string(rng),
                5 => {
                    let (s, e) = *rng.pick(&spans);
                    data[s..e].to_vec()
                }
                6 => Vec::new(),
                _ => {
                    // The same value wrapped in another type.
                    let inner = data[start..end].to_vec();
                    match rng.below(3) {
                        0 => [b"[".as_slice(), &inner, b"]"].concat(),
                        1 => [b"{\"value\":".as_slice(), &inner, b"}"].concat(),
                        _ => [
                            b"\"".as_slice(),
                            &inner.escape_ascii().to_string().into_bytes(),
                            b"\"",
                        ]
                        .concat(),
                    }
                }
            };
            data.splice(start..end, replacement);
        }
        14 => {
            let v = nested(rng);
            data.splice(at..at, v);
        }
        15 => {
            let v = long_string(rng);
            data.splice(at..at, v);
        }
        16 if len > 0 => data.truncate(rng.below(len)),
        17 => {
            // Line endings: all CRLF, one CR, or all LF becoming CR.
            match rng.below(3) {
                0 => {
                    let mut out = Vec::with_capacity(len + len / 16);
                    for &b in data.iter() {
                        if b == b'\n' {
                            out.push(b'\r');
                        }
                        out.push(b);
                    }
                    *data = out;
                }
                1 => {
                    let eols: [&[u8]; 3] = [b"\r\n", b"\r", b"\n\n"];
                    let eol = *rng.pick(&eols);
                    data.splice(at..at, eol.iter().copied());
                }
                _ => data
                    .iter_mut()
                    .filter(|b| **b == b'\n')
                    .for_each(|b| *b = b'\r'),
            }
        }
        18 => {
            let bom = b"\xef\xbb\xbf";
            if rng.chance(60) {
                data.splice(0..0, *bom);
            } else {
                let starts = line_starts(data);
                let i = *rng.pick(&starts);
                data.splice(i..i, *bom);
            }
        }
        19 if len > 0 => {
            // Lines: duplicate, drop or swap one (JSON lines, CSV, text logs).
            let starts = line_starts(data);
            let k = rng.below(starts.len());
            let s = starts[k];
            let e = starts.get(k + 1).copied().unwrap_or(len);
            let line = data[s..e].to_vec();
            match rng.below(3) {
                0 => {
                    let most = if rng.chance(90) { 2 } else { 500 };
                    let times = (1 + rng.below(most)).min(MAX_INPUT / line.len().max(1));
                    let rep = line.repeat(times);
                    data.splice(e..e, rep);
                }
                1 => {
                    data.drain(s..e);
                }
                _ => {
                    let j = *rng.pick(&starts);
                    data.drain(s..e);
                    let j = j.min(data.len());
                    data.splice(j..j, line);
                }
            }
        }
        20 => {
            // CSV: a stray quote, delimiter or empty field near a delimiter.
            let commas: Vec<usize> = memchr::memchr_iter(b',', data).collect();
            let i = if commas.is_empty() {
                at
            } else {
                *rng.pick(&commas) + 1
            };
            let tokens: [&[u8]; 6] = [b"\"", b",", b",,", b"\"\"", b"\"\n", b"=cmd|"];
            let token = *rng.pick(&tokens);
            data.splice(i..i, token.iter().copied());
        }
        _ => {
            // Long runs that straddle read buffers and line limits.
            let n = *rng.pick(&[300usize, 4096, 4096, 65_536, 65_536, 262_144, 1 << 20]);
            let b = *rng.pick(b" a\n\0{\",");
            data.splice(at..at, std::iter::repeat_n(b, n));
        }
    }
}

fn mutate(rng: &mut Rng, parent: &[u8], m: &Material<'_>) -> Vec<u8> {
    let mut data = parent.to_vec();
    let rounds = 1 << rng.below(4);
    for _ in 0..rounds {
        mutate_once(rng, &mut data, m);
        if data.len() > MAX_INPUT {
            data.truncate(MAX_INPUT);
        }
    }
    if rng.chance(3) {
        data = gzip(&data);
        if rng.chance(30) && !data.is_empty() {
            // A damaged or cut gzip stream.
            let i = rng.below(data.len());
            if rng.chance(50) {
                data.truncate(i);
            } else {
                data[i] ^= 1 << rng.below(8);
            }
        }
    }
    data
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// The fixture directories named after a format, beyond the names `Format::parse` reads.
fn format_of_dir(dir: &str) -> Option<Format> {
    Format::parse(dir).or(match dir {
        "entra-log-analytics" => Some(Format::EntraLogAnalyticsCsv),
        "entra-portal-csv-alt" => Some(Format::EntraPortalCsv),
        "okta" => Some(Format::OktaSystemlog),
        _ => None,
    })
}

struct Seeds {
    by_format: BTreeMap<&'static str, Vec<Arc<Vec<u8>>>>,
    all: Vec<Arc<Vec<u8>>>,
    words: Vec<Vec<u8>>,
}

/// Every fixture file (not the Markdown, nor earlier crashers) is a seed for the format it is
/// detected as and for the format its directory is named after.
fn load_seeds(fixtures: &Path) -> Seeds {
    let mut files = Vec::new();
    let mut dirs = vec![fixtures.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "fuzz-crashers") {
                    dirs.push(path);
                }
            } else if path.extension().is_none_or(|e| e != "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut seeds = Seeds {
        by_format: BTreeMap::new(),
        all: Vec::new(),
        words: Vec::new(),
    };
    let mut words = HashSet::new();
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let bytes = Arc::new(bytes);
        let dir_format = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(format_of_dir);
        let detected = detect(&path).ok();
        let mut formats: Vec<Format> = dir_format.into_iter().chain(detected).collect();
        formats.dedup();
        for f in formats {
            seeds
                .by_format
                .entry(f.as_str())
                .or_default()
                .push(bytes.clone());
        }
        // Member names, as a dictionary for the mutations.
        let text = String::from_utf8_lossy(&bytes);
        for piece in text.split('"').skip(1).step_by(2) {
            if (2..48).contains(&piece.len()) && piece.bytes().all(|b| b.is_ascii_graphic()) {
                words.insert(piece.as_bytes().to_vec());
            }
        }
        seeds.all.push(bytes);
    }
    let mut words: Vec<Vec<u8>> = words.into_iter().collect();
    words.sort();
    seeds.words = words;
    seeds
}

// ---------------------------------------------------------------------------------------------
// Findings

fn short_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..12].to_string()
}

/// Drops ranges (halves, quarters, ... single bytes) while `still` holds; at most `budget` tries.
fn minimize(
    data: &[u8],
    budget: usize,
    within: Duration,
    mut still: impl FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let deadline = Instant::now() + within;
    let mut cur = data.to_vec();
    let mut tries = 0;
    let mut chunk = cur.len().div_ceil(2).max(1);
    loop {
        let mut progressed = false;
        let mut i = 0;
        while i < cur.len() {
            if tries >= budget || Instant::now() > deadline {
                return cur;
            }
            tries += 1;
            let end = (i + chunk).min(cur.len());
            let candidate: Vec<u8> = [&cur[..i], &cur[end..]].concat();
            if still(&candidate) {
                cur = candidate;
                progressed = true;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 && !progressed {
            return cur;
        }
        if !progressed {
            chunk = chunk.div_ceil(2);
        }
    }
}

fn gunzipped(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_GUNZIPPED)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

fn crasher_path(out: &Path, name: &str, key: &str) -> PathBuf {
    out.join(format!("{name}-{}.bin", short_hash(key.as_bytes())))
}

// ---------------------------------------------------------------------------------------------
// The worker process: one format, until its budget or run count is spent

#[derive(Default, Clone, Copy)]
struct Stats {
    execs: u64,
    crashes: u64,
    unique: u64,
    hangs: u64,
    memory: u64,
    aborts: u64,
    seconds: f64,
}

impl Stats {
    fn line(&self) -> String {
        format!(
            "STATS {} {} {} {} {} {} {:.3}",
            self.execs,
            self.crashes,
            self.unique,
            self.hangs,
            self.memory,
            self.aborts,
            self.seconds
        )
    }

    fn parse(line: &str) -> Option<Stats> {
        let mut it = line.strip_prefix("STATS ")?.split(' ');
        let mut n = || it.next()?.parse::<f64>().ok();
        Some(Stats {
            execs: n()? as u64,
            crashes: n()? as u64,
            unique: n()? as u64,
            hangs: n()? as u64,
            memory: n()? as u64,
            aborts: n()? as u64,
            seconds: n()?,
        })
    }

    fn add(&mut self, o: &Stats) {
        self.execs += o.execs;
        self.crashes += o.crashes;
        self.unique += o.unique;
        self.hangs += o.hangs;
        self.memory += o.memory;
        self.aborts += o.aborts;
        self.seconds += o.seconds;
    }
}

struct WorkerArgs {
    format: Format,
    seconds: f64,
    runs: u64,
    seed: u64,
    out: PathBuf,
    fixtures: PathBuf,
}

fn worker_main(a: WorkerArgs) -> ExitCode {
    install_panic_hook();
    let started = Instant::now();
    let seeds = load_seeds(&a.fixtures);
    let Some(initial) = seeds.by_format.get(a.format.as_str()) else {
        println!("NOTE no seeds for {}", a.format);
        println!("{}", Stats::default().line());
        return ExitCode::SUCCESS;
    };
    std::fs::create_dir_all(&a.out).expect("create the crasher directory");
    // The input being run, on disk, for the supervisor when this process dies in it.
    let current_path = a.out.join(format!(".current-{}", a.format));
    let current = File::create(&current_path).expect("create the current-input file");
    let mut corpus: Vec<Arc<Vec<u8>>> = initial.clone();
    let mut outcomes = HashSet::new();
    let mut known = HashSet::new();
    let mut memory_kept = false;
    let mut stats = Stats::default();
    let mut rng = Rng(a.seed);
    let worker = Worker::start(a.format);
    let deadline = started + Duration::from_secs_f64(a.seconds);
    let mut last_report = Instant::now();
    let report = |stats: &mut Stats| {
        stats.seconds = started.elapsed().as_secs_f64();
        println!("{}", stats.line());
        let _ = std::io::stdout().flush();
    };
    let run = |bytes: &Arc<Vec<u8>>, stats: &mut Stats| -> Verdict {
        current.set_len(0).expect("write the current input");
        current
            .write_all_at(bytes, 0)
            .expect("write the current input");
        match worker.run(bytes.clone()) {
            Some(v) => v,
            None => {
                let path = a
                    .out
                    .join(format!("{}-hang-{}.bin", a.format, short_hash(bytes)));
                std::fs::write(&path, &**bytes).expect("write the hang");
                println!("HANG {} {}", a.format, path.display());
                stats.hangs += 1;
                report(stats);
                std::process::exit(EXIT_HANG);
            }
        }
    };
    // The seeds first: their outcomes are the corpus's starting point.
    for seed in initial {
        if let Verdict::Clean { outcome, .. } = run(seed, &mut stats) {
            outcomes.insert(outcome);
        }
    }
    let others = seeds.all.clone();
    while Instant::now() < deadline && (a.runs == 0 || stats.execs < a.runs) {
        // Mostly the smaller of two: small inputs run fast and mutate into more shapes per second.
        let parent = {
            let x = &corpus[rng.below(corpus.len())];
            let y = &corpus[rng.below(corpus.len())];
            if rng.chance(75) && y.len() < x.len() {
                y.clone()
            } else {
                x.clone()
            }
        };
        let material = Material {
            corpus: &corpus,
            others: &others,
            words: &seeds.words,
        };
        let child = Arc::new(mutate(&mut rng, &parent, &material));
        stats.execs += 1;
        match run(&child, &mut stats) {
            Verdict::Clean { outcome, peak } => {
                if peak > SOFT_MEMORY {
                    stats.memory += 1;
                    let path =
                        a.out
                            .join(format!("{}-memory-{}.bin", a.format, short_hash(&child)));
                    // One kept per run and format; the count says how often.
                    if !std::mem::replace(&mut memory_kept, true) {
                        std::fs::write(&path, &*child).expect("write the memory finding");
                        println!("MEMORY {} {} MB {}", a.format, peak >> 20, path.display());
                    }
                }
                if outcomes.insert(outcome) {
                    if corpus.len() < MAX_CORPUS {
                        corpus.push(child);
                    } else {
                        let i = initial.len() + rng.below(MAX_CORPUS - initial.len());
                        corpus[i] = child;
                    }
                }
            }
            Verdict::Crash(p) => {
                stats.crashes += 1;
                let key = format!("{} {}", p.stage, p.location);
                let name = p.stage.as_str();
                let path = crasher_path(&a.out, name, &key);
                // Known from this run, or kept by an earlier one: counted, not minimized again.
                let first = known.insert(key.clone());
                if first && !path.exists() {
                    stats.unique += 1;
                    let same = |v: &Verdict| matches!(v, Verdict::Crash(q) if q.stage == p.stage && q.location == p.location);
                    // A gzip crasher is kept as text when the text alone crashes the same way.
                    let mut start = child.to_vec();
                    if is_gzip(&start) {
                        if let Some(text) = gunzipped(&start) {
                            if same(&run(&Arc::new(text.clone()), &mut stats)) {
                                start = text;
                            }
                        }
                    }
                    let small = minimize(&start, 20_000, Duration::from_secs(30), |c| {
                        same(&run(&Arc::new(c.to_vec()), &mut stats))
                    });
                    std::fs::write(&path, &small).expect("write the crasher");
                    println!(
                        "CRASH {} {} {} bytes {}: {}",
                        p.stage,
                        p.location,
                        small.len(),
                        path.display(),
                        p.message.replace('\n', " ")
                    );
                } else if first {
                    println!("CRASH {} {} known {}", p.stage, p.location, path.display());
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(1) {
            last_report = Instant::now();
            report(&mut stats);
        }
    }
    report(&mut stats);
    let _ = std::fs::remove_file(&current_path);
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------
// Replay: files through detection and importers, in this process

fn replay_main(files: &[PathBuf], formats: &[Format]) -> ExitCode {
    install_panic_hook();
    let mut failed = false;
    for path in files {
        let Ok(bytes) = std::fs::read(path) else {
            eprintln!("{}: cannot read", path.display());
            failed = true;
            continue;
        };
        let targets: Vec<Format> = if formats.is_empty() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            match Format::ALL
                .into_iter()
                .find(|f| name.starts_with(&format!("{f}-")))
            {
                Some(f) => vec![f],
                None => Format::ALL.to_vec(),
            }
        } else {
            formats.to_vec()
        };
        for format in targets {
            let bytes = bytes.clone();
            // On a thread with the worker's stack, so a stack overflow reproduces.
            let verdict = std::thread::Builder::new()
                .name(format!("fuzz-{format}"))
                .stack_size(WORKER_STACK)
                .spawn(move || exec(format, &bytes))
                .expect("spawn the replay thread")
                .join()
                .expect("exec catches panics");
            match verdict {
                Verdict::Clean { .. } => println!("{} [{format}]: no panic", path.display()),
                Verdict::Crash(p) => {
                    failed = true;
                    println!(
                        "{} [{format}]: panic in {} at {}: {}",
                        path.display(),
                        p.stage,
                        p.location,
                        p.message
                    );
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

// ---------------------------------------------------------------------------------------------
// The supervisor: a worker process per format, restarted after a hang or a death

struct Args {
    seconds: f64,
    runs: u64,
    seed: u64,
    formats: Vec<Format>,
    out: PathBuf,
    fixtures: PathBuf,
    worker: bool,
    replay: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        seconds: 60.0,
        runs: 0,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
        formats: Vec::new(),
        out: root.join("tests/fixtures/fuzz-crashers"),
        fixtures: root.join("tests/fixtures"),
        worker: false,
        replay: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => a.seconds = value()?.parse().map_err(|_| "--seconds: a number")?,
            "--runs" => a.runs = value()?.parse().map_err(|_| "--runs: a number")?,
            "--seed" => a.seed = value()?.parse().map_err(|_| "--seed: a number")?,
            "--format" => {
                let v = value()?;
                a.formats
                    .push(Format::parse(&v).ok_or(format!("unknown format {v}"))?);
            }
            "--out" => a.out = value()?.into(),
            "--fixtures" => a.fixtures = value()?.into(),
            "--worker" => a.worker = true,
            "--canary" => CANARY.store(true, Ordering::Relaxed),
            "--replay" => a.replay.extend(it.by_ref().map(PathBuf::from)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// True when running `file` through `format` kills a fresh process (not a clean exit or a
/// caught panic): the predicate for minimizing a hang, a stack overflow or an allocation abort.
fn dies(exe: &Path, format: Format, file: &Path) -> bool {
    let budget = std::fs::read(file)
        .map(|b| time_budget(&b))
        .unwrap_or(HANG_AFTER);
    let mut child = match Command::new(exe)
        .args(CANARY.load(Ordering::Relaxed).then_some("--canary"))
        .args(["--format", format.as_str(), "--replay"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.code().is_none_or(|c| c != 0 && c != 1),
            Ok(None) if started.elapsed() > budget => {
                let _ = child.kill();
                let _ = child.wait();
                return true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return false,
        }
    }
}

fn supervise(a: Args) -> ExitCode {
    let exe = std::env::current_exe().expect("the fuzzer's own path");
    let formats = if a.formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        a.formats.clone()
    };
    let share = a.seconds / formats.len() as f64;
    println!(
        "fuzzing {} formats, {share:.0} s each, seed {}, crashers in {}",
        formats.len(),
        a.seed,
        a.out.display()
    );
    let mut totals: Vec<(Format, Stats)> = Vec::new();
    let mut bugs = HashSet::new();
    for (n, &format) in formats.iter().enumerate() {
        let started = Instant::now();
        let mut total = Stats::default();
        let mut format_bugs = HashSet::new();
        for restart in 0..50u64 {
            let left = share - started.elapsed().as_secs_f64();
            if left <= 0.5 || (a.runs > 0 && total.execs >= a.runs) {
                break;
            }
            let seed = a.seed ^ ((n as u64 + 1) << 40) ^ restart.wrapping_mul(0x9E37_79B9);
            let mut child = Command::new(&exe)
                .env("RUST_BACKTRACE", "0")
                .arg("--worker")
                .args(CANARY.load(Ordering::Relaxed).then_some("--canary"))
                .args(["--format", format.as_str()])
                .args(["--seconds", &format!("{left:.3}")])
                .args(["--runs", &(a.runs.saturating_sub(total.execs)).to_string()])
                .args(["--seed", &seed.to_string()])
                .arg("--out")
                .arg(&a.out)
                .arg("--fixtures")
                .arg(&a.fixtures)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a fuzz worker");
            let stderr = child.stderr.take().expect("piped stderr");
            let stderr_tail = Arc::new(Mutex::new(Vec::<String>::new()));
            let tail = stderr_tail.clone();
            let reader = std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut t = tail.lock().expect("stderr tail");
                    t.push(line);
                    if t.len() > 5 {
                        t.remove(0);
                    }
                }
            });
            let mut last = Stats::default();
            let stdout = child.stdout.take().expect("piped stdout");
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(s) = Stats::parse(&line) {
                    last = s;
                    continue;
                }
                // `CRASH <stage> <location> ...`: one bug however often and wherever found.
                let mut words = line.split(' ');
                if words.next() == Some("CRASH") {
                    let bug = words.take(2).collect::<Vec<_>>().join(" ");
                    if bugs.insert(bug.clone()) {
                        format_bugs.insert(bug);
                    }
                }
                println!("  {line}");
            }
            let status = child.wait().expect("wait for the fuzz worker");
            let _ = reader.join();
            total.add(&last);
            match status.code() {
                Some(0) => break,
                Some(EXIT_HANG) => continue,
                _ => {
                    // Died inside an input: a stack overflow, the memory guard, an abort.
                    let current = a.out.join(format!(".current-{format}"));
                    let Ok(bytes) = std::fs::read(&current) else {
                        println!("  worker for {format} died ({status}) with no input saved");
                        break;
                    };
                    let _ = std::fs::remove_file(&current);
                    let why = stderr_tail.lock().expect("stderr tail").join(" | ");
                    let scratch = a.out.join(format!(".minimize-{format}"));
                    // The harness's own failure (or a flake) does not reproduce on the input.
                    if !(std::fs::write(&scratch, &bytes).is_ok() && dies(&exe, format, &scratch)) {
                        let _ = std::fs::remove_file(&scratch);
                        println!("  worker for {format} died ({status}), not on its input: {why}");
                        continue;
                    }
                    total.aborts += 1;
                    let small = minimize(&bytes, 300, Duration::from_secs(90), |c| {
                        std::fs::write(&scratch, c).is_ok() && dies(&exe, format, &scratch)
                    });
                    let _ = std::fs::remove_file(&scratch);
                    let path = a
                        .out
                        .join(format!("{format}-abort-{}.bin", short_hash(&small)));
                    std::fs::write(&path, &small).expect("write the crasher");
                    println!(
                        "  ABORT {format} {} bytes {}: {why}",
                        small.len(),
                        path.display()
                    );
                }
            }
        }
        total.unique = format_bugs.len() as u64;
        let rate = total.execs as f64 / total.seconds.max(0.001);
        println!(
            "{format:<24} {:>9} execs {:>8.0}/s  crashes {} ({} unique)  hangs {}  aborts {}  \
             memory {}",
            total.execs, rate, total.crashes, total.unique, total.hangs, total.aborts, total.memory
        );
        totals.push((format, total));
    }
    let mut all = Stats::default();
    for (_, s) in &totals {
        all.add(s);
    }
    all.unique = bugs.len() as u64;
    println!(
        "{:<24} {:>9} execs {:>8.0}/s  crashes {} ({} unique)  hangs {}  aborts {}  memory {}",
        "total",
        all.execs,
        all.execs as f64 / all.seconds.max(0.001),
        all.crashes,
        all.unique,
        all.hangs,
        all.aborts,
        all.memory
    );
    if all.unique + all.hangs + all.aborts > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fuzz_importers: {e}");
            return ExitCode::from(2);
        }
    };
    if !a.replay.is_empty() {
        return replay_main(&a.replay, &a.formats);
    }
    if a.worker {
        let format = *a.formats.first().expect("a worker is given its format");
        return worker_main(WorkerArgs {
            format,
            seconds: a.seconds,
            runs: a.runs,
            seed: a.seed,
            out: a.out,
            fixtures: a.fixtures,
        });
    }
    supervise(a)
}
