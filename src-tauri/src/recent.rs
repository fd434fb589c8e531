//! The list of recently opened workspaces, most recent first, kept as a JSON array of paths
//! in the app's data directory. A missing or unreadable list is an empty one: losing it costs
//! the user a click, never the app.

use std::path::{Path, PathBuf};

/// Entries kept.
pub const MAX_RECENT: usize = 10;

pub fn load(file: &Path) -> Vec<PathBuf> {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice::<Vec<PathBuf>>(&bytes).unwrap_or_else(|err| {
            tracing::warn!(file = %file.display(), %err, "ignoring an unreadable recent-workspaces list");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    }
}

fn save(file: &Path, list: &[PathBuf]) {
    let json = serde_json::to_vec_pretty(list).expect("paths serialize");
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(file, json));
    if let Err(err) = written {
        tracing::warn!(file = %file.display(), %err, "could not save the recent-workspaces list");
    }
}

/// Moves `workspace` to the front of the list.
pub fn remember(file: &Path, workspace: &Path) -> Vec<PathBuf> {
    let mut list = load(file);
    list.retain(|p| p != workspace);
    list.insert(0, workspace.to_path_buf());
    list.truncate(MAX_RECENT);
    save(file, &list);
    list
}

pub fn forget(file: &Path, workspace: &Path) -> Vec<PathBuf> {
    let mut list = load(file);
    list.retain(|p| p != workspace);
    save(file, &list);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembering_moves_to_front_without_duplicates_and_caps_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("recent.json");
        for i in 0..12 {
            remember(&file, Path::new(&format!("/cases/{i}.sqlite")));
        }
        let list = remember(&file, Path::new("/cases/5.sqlite"));
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0], Path::new("/cases/5.sqlite"));
        assert_eq!(list.iter().filter(|p| p.ends_with("5.sqlite")).count(), 1);
        assert_eq!(load(&file), list);
        assert!(
            !forget(&file, Path::new("/cases/5.sqlite"))
                .iter()
                .any(|p| p.ends_with("5.sqlite"))
        );
    }

    #[test]
    fn a_corrupt_list_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("recent.json");
        std::fs::write(&file, "{not json").unwrap();
        assert!(load(&file).is_empty());
    }
}
