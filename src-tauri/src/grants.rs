//! The files the user chose. The page never names a file on its own authority: a path reaches
//! a command only after the Rust side granted it, because the user picked it in a dialog the
//! Rust side opened, dropped it on the window (the window's own drag-and-drop event, not a
//! message from the page), or opened it before (the recent-workspaces list). Any other path is
//! refused with a clear error, so a compromised page can neither read log-shaped files elsewhere
//! nor overwrite a file with report text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use scimlens_core::api::{Error, Result};

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Import or preflight: read the file.
    Read,
    /// Export a report: write the file (atomically, never through a symlink).
    Write,
    /// Open or create the file as a workspace.
    Workspace,
}

#[derive(Default)]
pub struct Grants {
    granted: Mutex<HashSet<(Access, PathBuf)>>,
}

impl Grants {
    pub fn grant(&self, access: Access, paths: impl IntoIterator<Item = PathBuf>) {
        let mut granted = self.granted.lock().expect("grants lock is never poisoned");
        granted.extend(paths.into_iter().map(|p| (access, p)));
    }

    /// Ok when every path of `paths` was granted `access`; else an error naming the first one
    /// that was not.
    pub fn check<'a>(
        &self,
        access: Access,
        paths: impl IntoIterator<Item = &'a Path>,
    ) -> Result<()> {
        let granted = self.granted.lock().expect("grants lock is never poisoned");
        for path in paths {
            if !granted.contains(&(access, path.to_path_buf())) {
                return Err(refused(access, path));
            }
        }
        Ok(())
    }
}

pub fn refused(access: Access, path: &Path) -> Error {
    let how = match access {
        Access::Read => "reads only files picked in its dialog or dropped on its window",
        Access::Write => "writes only to a file chosen in its save dialog",
        Access::Workspace => {
            "opens only workspaces picked in its dialog or listed among the recent ones"
        }
    };
    Error::InvalidArgument(format!(
        "{} was not chosen by the user: the app {how}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_granted_for_that_use_passes() {
        let grants = Grants::default();
        grants.grant(Access::Read, [PathBuf::from("/logs/a.json")]);
        grants.grant(Access::Write, [PathBuf::from("/out/report.html")]);
        assert!(
            grants
                .check(Access::Read, [Path::new("/logs/a.json")])
                .is_ok()
        );
        let err = grants
            .check(
                Access::Read,
                [Path::new("/logs/a.json"), Path::new("/etc/passwd")],
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("/etc/passwd was not chosen"),
            "{err}"
        );
        assert!(
            grants
                .check(Access::Write, [Path::new("/logs/a.json")])
                .is_err(),
            "a file picked to read is not one to write"
        );
        assert!(
            grants
                .check(Access::Read, [Path::new("/out/report.html")])
                .is_err()
        );
    }
}
