//! The one door into the core: everything the CLI and the desktop app call is here, as
//! `verb_noun(ws, request) -> Result<response>` operations over an open workspace, with the types
//! they take and give. The modules behind it are private to the crate.
//!
//! - [`logs`]: import log files, build the failure report, one entity, reserved names.
//! - [`identity_store`]: the AWS identity store (fetch, import, export a snapshot), IdP
//!   directory exports and their attribute mapping, compare and preflight.
//! - [`views`]: the app's pages (overview, problems, root causes, sources) and report export.
//! - [`demo`]: the built-in demo set.

pub mod demo;
pub mod identity_store;
pub mod logs;
pub mod views;

pub use logs::*;
