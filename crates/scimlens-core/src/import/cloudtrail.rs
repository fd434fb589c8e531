//! Placeholder until the cloudtrail importer lands.
use super::{EventSink, Input};
use crate::error::{Error, Result};

pub fn import(input: Input, _sink: &mut dyn EventSink) -> Result<()> {
    Err(Error::UnknownFormat { path: input.path, reason: "importer not built yet".into() })
}
