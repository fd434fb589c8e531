//! Placeholder until the sync-tool importer lands.
use super::{EventSink, Input};
use crate::error::{Error, Result};
use crate::model::Format;

pub fn detect_tool(_head: &str) -> Format {
    Format::Ssosync
}

pub fn import(_format: Format, input: Input, _sink: &mut dyn EventSink) -> Result<()> {
    Err(Error::UnknownFormat { path: input.path, reason: "importer not built yet".into() })
}
