//! The failure report: one versioned structure ([`Report`]) built from a diagnosed workspace
//! ([`build`](mod@build)) or a preflight ([`preflight`]), pseudonymized for support cases
//! ([`pseudonym`]) and rendered as text, JSON, CSV, Markdown or HTML ([`render`]). The CLI and
//! the app render the same value, so their exports carry the same content.

pub mod build;
pub mod preflight;
pub mod pseudonym;
pub mod render;

pub use crate::db::sources::SourceSummary;
pub use crate::diagnose::findings::{JobFinding, JobFindingKind};
pub use build::build;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Category, EntityKind, EntityStatus};

/// Bumped whenever a field of the JSON report changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: String,
    pub sources: Vec<SourceSummary>,
    pub totals: Totals,
    /// Category name -> number of problem entities in it (every category present, zeros too).
    #[ts(type = "Record<string, number>")]
    pub categories: std::collections::BTreeMap<String, u64>,
    pub entities: Vec<ReportEntity>,
    pub root_causes: Vec<RootCause>,
    pub connection: Vec<ConnectionFinding>,
    pub findings: Vec<JobFinding>,
    /// IdP directory beside the AWS identity store (`scimlens compare`). Absent unless asked
    /// for, so schema 1 consumers are unaffected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub compare: Option<crate::compare::CompareSection>,
    /// AWS's rules run against an IdP export before any sync (`scimlens preflight`); the
    /// entities and root causes above are then predicted, not observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub preflight: Option<crate::preflight::PreflightSection>,
    /// Who lost access: the account assignments of the newest store snapshot whose user or
    /// group no longer exists (`scimlens access --orphaned`). Absent when that snapshot holds
    /// no assignments (or no users and groups to check them against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<AccessSection>,
}

/// The account assignments of one store snapshot that no user or group holds any more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessSection {
    pub snapshot_id: i64,
    pub orphaned: Vec<crate::access::OrphanedAssignment>,
    /// Assigned groups without members: the access reaches nobody.
    #[serde(default)]
    pub empty_groups: Vec<crate::access::AssignedGroup>,
    /// Assigned groups without an externalId: no IdP manages their members.
    #[serde(default)]
    pub unmanaged_groups: Vec<crate::access::AssignedGroup>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Totals {
    pub records: u64,
    pub success: u64,
    pub failure: u64,
    pub skipped: u64,
    pub problem_entities: u64,
    pub connection_failures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReportEntity {
    pub kind: EntityKind,
    pub name: String,
    pub ids: EntityIds,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    /// Number of records (attempts) about this entity, across sources.
    pub events: u64,
    pub last_seen: Option<String>,
    /// What it holds in AWS (account x permission set pairs, directly and through its groups)
    /// in the store snapshot of the access section; absent when that snapshot does not hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub access: Option<crate::model::AccessImpact>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityIds {
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RootCause {
    pub category: Category,
    pub attribute: Option<String>,
    pub summary: String,
    pub count: u64,
    /// Names of the affected entities.
    pub entities: Vec<String>,
    pub fix: String,
    /// For SCHEMA_VIOLATION_UNSPECIFIED: the causes that could explain it.
    pub candidates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionFinding {
    pub category: Category,
    pub message: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub count: u64,
    pub fix: String,
}
