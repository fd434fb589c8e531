//! Placeholder until the CSV importers land.
use std::path::PathBuf;

use super::{EventSink, Input};
use crate::error::{Error, Result};
use crate::model::Format;

pub fn detect_header(_header: &str) -> Option<Format> {
    None
}

pub fn import_log_analytics(input: Input, _sink: &mut dyn EventSink) -> Result<()> {
    Err(Error::UnknownFormat { path: input.path, reason: "importer not built yet".into() })
}

pub fn import_portal(input: Input, _companions: &[PathBuf], _sink: &mut dyn EventSink) -> Result<()> {
    Err(Error::UnknownFormat { path: input.path, reason: "importer not built yet".into() })
}
