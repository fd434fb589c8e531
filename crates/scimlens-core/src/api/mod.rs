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
pub mod idp;
pub mod logs;
mod pulled;
pub mod views;

pub use idp::*;
pub use logs::*;

// What the operations take and give, and the few tools the shells share with the core.
pub use crate::access::{
    AccessOverview, AccessPath, AssignedGroup, EffectiveAccess, EntityAccess, OrphanedAssignment,
    SuccessorMatch,
};
pub use crate::atomic::{AtomicFile, write as write_atomically};
pub use crate::aws::cloudtrail::{CloudTrailProgress, CloudTrailPullStats};
pub use crate::aws::{DEFAULT_CONCURRENCY, DEFAULT_RATE, FetchOptions, FetchProgress};
pub use crate::cancel::CancelToken;
pub use crate::compare::SnapshotDiff;
pub use crate::compare::{
    CompareSection, CompareState, IdentityChange, IdentityChangeKind, MatchKey,
};
pub use crate::db::Workspace;
pub use crate::db::directories::DirectoryInfo;
pub use crate::db::snapshots::SnapshotInfo;
pub use crate::db::sources::SourceSummary;
pub use crate::diagnose::classify::BUILT_IN_RESERVED_NAMES;
pub use crate::directory::DirectoryIdp;
pub use crate::error::IdpErrorKind;
pub use crate::error::{AwsErrorKind, Error, ErrorCode, Position, Result};
pub use crate::generate::{GenStats, generate};
pub use crate::idp::entra::{
    DeviceCodePrompt, Endpoints as EntraEndpoints, EntraProgress, EntraPullStats,
};
pub use crate::idp::okta::{OktaProgress, OktaPullStats, OktaTokenKind};
pub use crate::import::pipeline::{ImportOutcome, ImportProgress};
pub use crate::model::{AccessImpact, Category, EntityKind, EntityStatus, Format};
pub use crate::report::Report;
pub use crate::report::pseudonym::new_key as new_pseudonym_key;
pub use crate::report::render::{ReportFormat, json_pretty, pseudonymize, render, terminal_safe};

/// The renderers of compare, snapshot diffs and preflight for the terminal.
pub mod render {
    pub use crate::report::render::compare::{
        diff_text as snapshot_diff_text, text as compare_text,
    };
    pub use crate::report::render::preflight::text as preflight_text;
}
