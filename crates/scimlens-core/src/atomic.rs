//! Files written whole or not at all: a report, an export, a generated log. The bytes go to a
//! temporary file beside the target, are flushed to disk, and the temporary file is renamed over
//! the target, so a crash or a kill mid-way never leaves a half-written file under the target's
//! name. A rename replaces a symlink at the target rather than writing through it. A killed
//! writer cannot remove its temporary file; the next write of the same target that succeeds
//! does.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; it appears under its name only on [`AtomicFile::commit`]. Dropped
/// without a commit, it removes its temporary file.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => dir.to_path_buf(),
            None => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| Error::InvalidArgument(format!("{} names no file", target.display())))?;
        // Hidden, unique per process and call, in the same directory (a rename across file
        // systems would not be atomic).
        let unique = format!(
            ".{}.{}-{:x}.partial",
            name.to_string_lossy(),
            std::process::id(),
            random_suffix()
        );
        let temp = dir.join(unique);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            // The user named the target; the temporary file is ours.
            .map_err(|source| Error::Io {
                path: target.to_path_buf(),
                source,
            })?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Flushes the bytes to disk and puts the file under its name.
    pub fn commit(mut self) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let out = self.out.take().expect("an AtomicFile commits once");
        let file = out.into_inner().map_err(|e| Error::Io {
            path: self.temp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io(&self.temp))?;
        drop(file);
        std::fs::rename(&self.temp, &self.target).map_err(io(&self.target))?;
        self.remove_stale();
        Ok(())
    }

    /// Removes the temporary files of this target that writers killed before they could clean
    /// up left behind (`.NAME.PID-HEX.partial` of a process that is gone). Best effort: a file
    /// that cannot be judged or removed stays.
    fn remove_stale(&self) {
        let (Some(dir), Some(name)) = (self.temp.parent(), self.target.file_name()) else {
            return;
        };
        let prefix = format!(".{}.", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            let Some((pid, suffix)) = file
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".partial"))
                .and_then(|middle| middle.split_once('-'))
            else {
                continue;
            };
            let digits = |s: &str, hex: bool| {
                !s.is_empty()
                    && s.bytes().all(|b| {
                        if hex {
                            b.is_ascii_hexdigit()
                        } else {
                            b.is_ascii_digit()
                        }
                    })
            };
            if digits(pid, false) && digits(suffix, true) && writer_gone(pid, &entry) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether the process `pid` that wrote the temporary file `entry` is gone: on Linux, it has no
/// `/proc` entry (a reused pid keeps the file, which is the safe side); elsewhere, or without
/// `/proc`, the file is a day old. Never this process's own files.
fn writer_gone(pid: &str, entry: &std::fs::DirEntry) -> bool {
    if pid == std::process::id().to_string() {
        return false;
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600))
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("not committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.is_some() {
            self.out = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `target` whole or not at all.
pub fn write(target: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(target)?;
    file.write_all(bytes).map_err(|source| Error::Io {
        path: target.to_path_buf(),
        source,
    })?;
    file.commit()
}

fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS generator once per process; the counter keeps two
    // files of one process apart.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_under_its_name_only_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.html");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"<html>").unwrap();
        f.flush().unwrap();
        assert!(!target.exists(), "nothing under the name before the commit");
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"<html>");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn an_abandoned_write_leaves_nothing_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        std::fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half of the new").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_commit_removes_what_killed_writers_of_the_same_target_left() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.html");
        // pid_max is at most 2^22: no process has this id.
        let killed = dir.path().join(".report.html.4294967295-3f2a.partial");
        // Still writing: pid 1 and this process.
        let alive = dir.path().join(".report.html.1-3f2a.partial");
        let ours = dir
            .path()
            .join(format!(".report.html.{}-3f2a.partial", std::process::id()));
        // Another target's, and names that only look alike.
        let other = dir.path().join(".report.csv.4294967295-3f2a.partial");
        let alike = dir.path().join(".report.html.4294967295-notes.partial");
        let nested = dir
            .path()
            .join(".report.html.4294967295-f.4294967295-3f2a.partial");
        for f in [&killed, &alive, &ours, &other, &alike, &nested] {
            std::fs::write(f, "half").unwrap();
        }
        write(&target, b"whole").unwrap();
        assert!(!killed.exists());
        for f in [&alive, &ours, &other, &alike, &nested] {
            assert!(f.exists(), "{} kept", f.display());
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("bashrc");
        std::fs::write(&victim, "keep me").unwrap();
        let target = dir.path().join("report.txt");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write(&target, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "report");
        assert!(
            !std::fs::symlink_metadata(&target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
