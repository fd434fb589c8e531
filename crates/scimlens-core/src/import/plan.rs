//! Turns the files a user named into import jobs: detects each file's format and attaches the
//! Entra portal CSV companions (steps, modified properties) to their main file.
//!
//! A companion is attached to the only main portal CSV of the call; with several, to the one
//! whose file name shares the longest prefix with it (preferring the same folder), so
//! `Jan_ProvisioningSteps.csv` goes with `Jan.csv` rather than `Feb.csv`. A companion with no
//! main file, or one that fits two main files equally well, is an error naming the file: it
//! cannot be imported on its own.

use std::path::{Path, PathBuf};

use super::detect;
use super::entra_csv::{Companion, companion_kind_of_file};
use crate::error::{Error, Result};
use crate::model::Format;

/// One source to import: a file, its detected format, and companion files read with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub path: PathBuf,
    pub format: Format,
    pub companions: Vec<PathBuf>,
}

pub fn plan(paths: &[PathBuf]) -> Result<Vec<ImportJob>> {
    let mut jobs: Vec<ImportJob> = Vec::new();
    let mut companions: Vec<(PathBuf, Companion)> = Vec::new();
    for path in paths {
        let format = detect(path)?;
        if format == Format::EntraPortalCsv
            && let Some(kind) = companion_kind_of_file(path)?
        {
            if !companions.iter().any(|(p, _)| p == path) {
                companions.push((path.clone(), kind));
            }
            continue;
        }
        jobs.push(ImportJob {
            path: path.clone(),
            format,
            companions: Vec::new(),
        });
    }
    for (path, kind) in companions {
        let mains: Vec<usize> = (0..jobs.len())
            .filter(|&i| jobs[i].format == Format::EntraPortalCsv)
            .collect();
        let chosen = match mains.as_slice() {
            [] => {
                return Err(Error::InvalidArgument(format!(
                    "{} holds {} of an Entra portal CSV download, but its main ProvisioningLogs \
                     file (the one with Date, Status and Action columns) was not given; import \
                     them together",
                    path.display(),
                    kind.describe()
                )));
            }
            [only] => *only,
            several => best_main(&path, several, &jobs).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{} holds {} of an Entra portal CSV download, and several main files could \
                     be its own ({}); import each download separately",
                    path.display(),
                    kind.describe(),
                    several
                        .iter()
                        .map(|&i| jobs[i].path.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        };
        jobs[chosen].companions.push(path);
    }
    Ok(jobs)
}

/// The main file that fits the companion best, if one fits better than all others.
fn best_main(companion: &Path, mains: &[usize], jobs: &[ImportJob]) -> Option<usize> {
    let score = |main: &Path| {
        let same_dir = usize::from(main.parent() == companion.parent());
        (common_prefix(&stem(main), &stem(companion)), same_dir)
    };
    let mut scored: Vec<(usize, (usize, usize))> =
        mains.iter().map(|&i| (i, score(&jobs[i].path))).collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.1));
    match scored.as_slice() {
        [(best, s), (_, next), ..] if s > next => Some(*best),
        [(best, _)] => Some(*best),
        _ => None,
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str =
        "Date (UTC),Id,Change ID,Action,Status\r\n11/20/2026 10:57:08 AM,r1,c1,Create,Success\r\n";
    const STEPS: &str = "Change ID,Step Number,Name,Type,Status,Description,Details\r\nc1,1,EntryImport,Import,Success,x,\r\n";
    const PROPS: &str = "Change ID,Display Name,Old Value,New Value\r\nc1,userName,,a@b.c\r\n";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn plan_attaches_companions_to_their_main_portal_csv() {
        let dir = tempfile::tempdir().unwrap();
        let steps = write(dir.path(), "ProvisioningLogs_ProvisioningSteps.csv", STEPS);
        let main = write(dir.path(), "ProvisioningLogs.csv", MAIN);
        let props = write(dir.path(), "ProvisioningLogs_ModifiedProperties.csv", PROPS);
        let jobs = plan(&[steps.clone(), main.clone(), props.clone()]).unwrap();
        assert_eq!(
            jobs,
            vec![ImportJob {
                path: main,
                format: Format::EntraPortalCsv,
                companions: vec![steps, props]
            }]
        );
    }

    #[test]
    fn plan_refuses_a_companion_without_its_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let steps = write(dir.path(), "ProvisioningLogs_ProvisioningSteps.csv", STEPS);
        let err = plan(&[steps]).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)));
        let msg = err.to_string();
        assert!(
            msg.contains("ProvisioningLogs_ProvisioningSteps.csv"),
            "{msg}"
        );
        assert!(
            msg.contains("provisioning steps") && msg.contains("not given"),
            "{msg}"
        );
    }

    #[test]
    fn plan_matches_companions_by_file_name_when_two_downloads_are_given() {
        let dir = tempfile::tempdir().unwrap();
        let jan = write(dir.path(), "jan.csv", MAIN);
        let feb = write(dir.path(), "feb.csv", MAIN);
        let feb_steps = write(dir.path(), "feb_ProvisioningSteps.csv", STEPS);
        let jobs = plan(&[jan, feb.clone(), feb_steps.clone()]).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[1].path, feb);
        assert_eq!(jobs[1].companions, vec![feb_steps]);
        assert!(jobs[0].companions.is_empty());
    }
}
