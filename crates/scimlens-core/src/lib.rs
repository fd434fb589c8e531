//! scimlens-core: the engine behind the `scimlens` CLI and the desktop app.
//!
//! Data flows one way: file -> [`import`] (format detection, streaming parsers) -> normalized
//! [`model::ProvisioningEvent`]s -> [`store`] (one SQLite workspace per investigation) ->
//! [`diagnose`] (classification, roll-up per entity, root causes) -> [`report`] (text, JSON, CSV,
//! Markdown, HTML). Nothing in this crate knows about Tauri or the terminal.

pub mod allocator;
pub mod api;

pub mod atomic;
pub mod aws;
pub mod cancel;
pub mod compare;

pub mod diagnose;
pub mod directory;
pub mod error;
pub mod generate;
pub mod import;
pub mod input;
pub mod model;
pub mod preflight;
pub(crate) mod redact;
pub mod report;

pub mod db;
pub mod identity_store;

pub use error::{Error, ErrorCode, Result};

#[cfg(test)]
mod tests;
