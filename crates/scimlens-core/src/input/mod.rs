//! Reading untrusted files safely, below every importer: an [`Input`] (gzip unwrapped, bounded
//! by ratio and total; files held whole bounded by size), the streaming JSON record splitter
//! ([`json`]), CSV ([`csvutil`]), lenient record types ([`lenient`]) and value helpers
//! ([`value`]). Knows no format: logs, directory exports and store snapshots all read through it.

pub mod csvutil;
pub mod json;
pub(crate) mod lenient;
pub mod value;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Gunzip output is bounded twice: in total, and in its ratio to the compressed bytes once it is
/// past a size where real logs never are (JSON logs compress 10-30 times; a decompression bomb
/// a thousand times).
pub const MAX_GUNZIP_BYTES: u64 = 64 * 1024 * 1024 * 1024;
pub const MAX_GUNZIP_RATIO: u64 = 200;
pub(crate) const GUNZIP_RATIO_AFTER: u64 = 256 * 1024 * 1024;
const MB: u64 = 1024 * 1024;
/// Store snapshots and IdP directory exports are held in memory whole (AWS caps a store at
/// 100,000 users and 100,000 groups, well under this as JSON).
pub const MAX_HELD_INPUT_BYTES: u64 = 1024 * MB;

/// Bytes read from the start of a file to decide its format.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;
pub(crate) const READ_BUFFER: usize = 256 * 1024;

/// An opened input: decompressed if needed, positioned at the start.
pub struct Input {
    pub path: PathBuf,
    pub reader: Box<dyn BufRead + Send>,
    /// Size on disk (compressed size for gzip), for progress.
    pub size: u64,
    /// The file was gzip; read only by tests and the fuzzer, which check detection.
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    pub gzip: bool,
}

/// Watches the bytes of a file as they are read (below gzip): a content hash for "already
/// imported", and a byte count for progress.
#[derive(Default)]
pub struct Tap {
    hasher: std::sync::Mutex<blake3::Hasher>,
    bytes: std::sync::atomic::AtomicU64,
}

impl Tap {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hex blake3 of everything read so far (the whole file once the import has finished).
    pub fn hash_hex(&self) -> String {
        self.hasher
            .lock()
            .expect("hash lock")
            .finalize()
            .to_hex()
            .to_string()
    }
}

struct TapReader {
    inner: File,
    tap: std::sync::Arc<Tap>,
}

impl Read for TapReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tap.hasher.lock().expect("hash lock").update(&buf[..n]);
        self.tap
            .bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl Input {
    pub fn open(path: &Path) -> Result<Input> {
        Input::open_tapped(path, std::sync::Arc::new(Tap::default()))
    }

    /// Opens `path`, reporting its raw bytes to `tap` as they are read.
    pub fn open_tapped(path: &Path, tap: std::sync::Arc<Tap>) -> Result<Input> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if file.metadata().map_err(io)?.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "{} is a directory, not a log file",
                path.display()
            )));
        }
        let tap_for_ratio = tap.clone();
        let mut reader = BufReader::with_capacity(READ_BUFFER, TapReader { inner: file, tap });
        let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                GunzipGuard {
                    inner: flate2::bufread::MultiGzDecoder::new(reader),
                    tap: tap_for_ratio,
                    out: 0,
                },
            ))
        } else {
            Box::new(reader)
        };
        Ok(Input {
            path: path.to_path_buf(),
            reader,
            size,
            gzip,
        })
    }
}

impl Input {
    /// Reads at most `limit` bytes (after gunzip); more is an error naming the limit and `what`
    /// the file was read as. For inputs that are held in memory whole (store snapshots).
    pub fn limited(self, limit: u64, what: &'static str) -> Input {
        Input {
            reader: Box::new(BufReader::with_capacity(
                READ_BUFFER,
                Bounded {
                    inner: self.reader,
                    left: limit,
                    limit,
                    what,
                },
            )),
            ..self
        }
    }
}

struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
    what: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "more than {} MB of {}: scimlens reads at most that much",
                    self.limit / MB,
                    self.what
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Stops a gzip stream that expands beyond [`MAX_GUNZIP_BYTES`] or [`MAX_GUNZIP_RATIO`] times
/// the compressed bytes read so far.
struct GunzipGuard<R> {
    inner: R,
    tap: std::sync::Arc<Tap>,
    out: u64,
}

impl<R: Read> Read for GunzipGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.tap.bytes().max(1);
        let bomb = |why: String| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{why}; stopped after {} MB: is it a decompression bomb?",
                    self.out / MB
                ),
            ))
        };
        if self.out > MAX_GUNZIP_BYTES {
            return bomb(format!(
                "the gzip stream expands beyond {} GB",
                MAX_GUNZIP_BYTES / (1024 * MB)
            ));
        }
        if self.out > GUNZIP_RATIO_AFTER && self.out / compressed > MAX_GUNZIP_RATIO {
            return bomb(format!(
                "the gzip stream expands more than {MAX_GUNZIP_RATIO} times its compressed size"
            ));
        }
        Ok(n)
    }
}

/// The text of the first object in `s`, or as much of it as the head holds.
pub(crate) fn first_object_prefix(s: &str) -> &str {
    let start = match s.find('{') {
        Some(i) => i,
        None => return s,
    };
    let bytes = s.as_bytes();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return &s[start..=i];
                }
            }
            _ => {}
        }
    }
    &s[start..]
}

/// True when `"key"` appears as a member name (followed by `:`), anywhere in `s`.
pub(crate) fn has_key(s: &str, key: &str) -> bool {
    key_position(s, key).is_some()
}

/// The first bytes of an input as text (byte order mark dropped), without consuming them: for
/// importers that pick a layout from the start of the file.
pub(crate) fn head_text(input: &mut Input) -> Result<String> {
    let head = input.reader.fill_buf().map_err(|source| Error::Io {
        path: input.path.clone(),
        source,
    })?;
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    Ok(String::from_utf8_lossy(head).into_owned())
}

/// Byte position of `"key"` used as a member name in `s`.
pub(crate) fn key_position(s: &str, key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    s.match_indices(&needle)
        .find(|(i, _)| s[i + needle.len()..].trim_start().starts_with(':'))
        .map(|(i, _)| i)
}

/// True when the text starts with a JSON object that closes on its first line (JSON lines),
/// rather than one object pretty-printed over several.
pub(crate) fn one_record_per_line(text: &str) -> bool {
    let first_line = text.trim_start().lines().next().unwrap_or_default();
    first_line.starts_with('{') && first_line.trim_end().ends_with('}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn a_gzip_bomb_is_stopped_with_an_error_naming_the_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::best(),
        );
        let block = vec![b' '; 1 << 20];
        for _ in 0..300 {
            gz.write_all(&block).unwrap();
        }
        gz.finish().unwrap();
        let mut input = Input::open(&path).unwrap();
        assert!(input.gzip);
        let err = std::io::copy(&mut input.reader, &mut std::io::sink()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("more than 200 times"), "{msg}");
        assert!(msg.contains("decompression bomb"), "{msg}");
    }

    #[test]
    fn an_input_held_in_memory_is_bounded_with_an_error_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(&path, vec![b' '; 3 * 1024 * 1024]).unwrap();
        let mut input = Input::open(&path)
            .unwrap()
            .limited(2 * MB, "a store snapshot");
        let err = std::io::copy(&mut input.reader, &mut std::io::sink()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "more than 2 MB of a store snapshot: scimlens reads at most that much"
        );
    }
}
