//! The normalized model every importer produces and every later stage consumes.
//!
//! One [`ProvisioningEvent`] is one attempt to change one entity (or one connection-level
//! event such as an authentication failure), whatever log it came from. Fields a format does
//! not carry stay `None`: the UI says "not stated in the log" rather than guessing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The `operation` of the connection-level event an Entra job status becomes.
pub const JOB_STATUS_OPERATION: &str = "provisioning job status";

/// How the reason of a quarantined job status starts; the quarantine reason follows in
/// parentheses after the date.
pub const QUARANTINED_SINCE: &str = "quarantined since";

/// How the reason of a job status whose schedule is disabled says so.
pub const JOB_PAUSED: &str = "its schedule is disabled";

/// Every log format scimlens can import. The names are part of the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    EntraGraph,
    EntraPortalJson,
    EntraDiagnostic,
    EntraLogAnalyticsCsv,
    EntraPortalCsv,
    OktaSystemlog,
    Cloudtrail,
    Ssosync,
    IdpScimSync,
    /// The Entra provisioning job's status (Graph `.../synchronization/jobs`).
    EntraJobStatus,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::EntraGraph,
        Format::EntraPortalJson,
        Format::EntraDiagnostic,
        Format::EntraLogAnalyticsCsv,
        Format::EntraPortalCsv,
        Format::OktaSystemlog,
        Format::Cloudtrail,
        Format::Ssosync,
        Format::IdpScimSync,
        Format::EntraJobStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::EntraGraph => "entra-graph",
            Format::EntraPortalJson => "entra-portal-json",
            Format::EntraDiagnostic => "entra-diagnostic",
            Format::EntraLogAnalyticsCsv => "entra-log-analytics-csv",
            Format::EntraPortalCsv => "entra-portal-csv",
            Format::OktaSystemlog => "okta-systemlog",
            Format::Cloudtrail => "cloudtrail",
            Format::Ssosync => "ssosync",
            Format::IdpScimSync => "idp-scim-sync",
            Format::EntraJobStatus => "entra-job-status",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Which side produced the log; fixes are worded for that side.
    pub fn idp(self) -> Idp {
        match self {
            Format::EntraGraph
            | Format::EntraPortalJson
            | Format::EntraDiagnostic
            | Format::EntraLogAnalyticsCsv
            | Format::EntraPortalCsv
            | Format::EntraJobStatus => Idp::Entra,
            Format::OktaSystemlog => Idp::Okta,
            Format::Cloudtrail => Idp::Aws,
            Format::Ssosync | Format::IdpScimSync => Idp::SyncTool,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum Idp {
    Entra,
    Okta,
    /// ssosync / idp-scim-sync pushing from Google Workspace or another directory.
    SyncTool,
    Aws,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    User,
    Group,
    /// A failure nothing identifies yet (a masked CloudTrail call); named after its operation.
    Unknown,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> EntityKind {
        match s {
            "user" => EntityKind::User,
            "group" => EntityKind::Group,
            _ => EntityKind::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    Disable,
    StagedDelete,
    /// Reads (Get/List), verify-exists, membership pushes and anything not listed above.
    Other,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Disable => "disable",
            Action::StagedDelete => "stageddelete",
            Action::Other => "other",
        }
    }

    /// Lenient: accepts Graph names, Okta/CloudTrail verbs and any case.
    pub fn parse(s: &str) -> Action {
        match s.to_ascii_lowercase().as_str() {
            "create" | "add" | "push" | "createuser" | "creategroup" => Action::Create,
            "update" | "patch" | "put" | "push_profile" | "patchuser" | "patchgroup"
            | "putuser" => Action::Update,
            "delete" | "remove" | "deleteuser" | "deletegroup" => Action::Delete,
            "disable" | "deactivate" => Action::Disable,
            "stageddelete" | "staged_delete" => Action::StagedDelete,
            _ => Action::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Warning,
    Failure,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Warning => "warning",
            Outcome::Failure => "failure",
            Outcome::Skipped => "skipped",
        }
    }

    /// Lenient: accepts Graph, Okta (`SUCCESS`, `FAILURE`, `SKIPPED`, `DENY`), Log Analytics
    /// (`Success`, `Failure`) and the integer enum of the diagnostic export (0, 1, 2).
    pub fn parse(s: &str) -> Outcome {
        match s.to_ascii_lowercase().as_str() {
            "success" | "succeeded" | "0" | "allow" => Outcome::Success,
            "warning" | "3" => Outcome::Warning,
            "skipped" | "skip" | "2" => Outcome::Skipped,
            _ => Outcome::Failure,
        }
    }
}

/// One attribute value the IdP sent (or tried to send). Multi-valued attributes carry all their
/// values: two emails are two entries in `values`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SentAttribute {
    pub name: String,
    pub old_value: Option<String>,
    pub values: Vec<String>,
}

/// One step of an Entra provisioning record (import, scoping, matching, processing, export).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Step {
    pub name: String,
    pub step_type: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    /// `details` as key/value pairs, in the order the log gives them.
    pub details: Vec<(String, String)>,
}

/// Identifiers for the entity a record is about. Any may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityRef {
    pub kind: Option<EntityKind>,
    /// The IdP's object id (Entra object id, Okta user id, Google id).
    pub source_id: Option<String>,
    /// The AWS identity store id (UserId / GroupId), when known.
    pub target_id: Option<String>,
    /// userName (users) or displayName (groups): the name an admin searches for.
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
}

/// One normalized provisioning record. `raw` is the exact record as it appeared in the file
/// (one JSON object, one CSV row re-encoded as JSON, or one log line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProvisioningEvent {
    pub time: Option<DateTime<Utc>>,
    /// The record's own id in its log (Graph `id`, Okta `uuid`, CloudTrail `eventID`).
    pub record_id: Option<String>,
    pub job_id: Option<String>,
    pub cycle_id: Option<String>,
    pub change_id: Option<String>,
    pub action: Option<Action>,
    /// The log's own name for the operation: CloudTrail `eventName`, Okta `eventType`.
    pub operation: Option<String>,
    pub entity: EntityRef,
    pub outcome: Option<Outcome>,
    pub http_status: Option<u16>,
    pub error_code: Option<String>,
    /// The AWS `detail` text (or CloudTrail `errorMessage`) when the log carries it.
    pub aws_detail: Option<String>,
    /// The IdP's own reason text (Entra `errorInformation.reason`, Okta `outcome.reason`).
    pub reason: Option<String>,
    /// Entra skip reason (`AttributeValidationFailed`, `RedundantExport`, ...).
    pub skip_reason: Option<String>,
    /// True for connection-level events (Okta `application.integration.*`, 401s).
    pub connection_level: bool,
    /// True when the source masks names (CloudTrail `HIDDEN_DUE_TO_SECURITY_REASONS`).
    pub masked: bool,
    pub attributes: Vec<SentAttribute>,
    pub steps: Vec<Step>,
    pub raw: String,
}

/// What CloudTrail writes instead of names and values.
pub const MASKED: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// The failure categories (the README's category table explains each). The names are part of the
/// JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    MissingRequiredAttribute,
    MultivalueNotSupported,
    ReservedName,
    DuplicateConflict,
    InvalidValue,
    TargetObjectMissing,
    Throttled,
    AuthFailure,
    PatchInvalid,
    SchemaViolationUnspecified,
    NotProvisioned,
    Drift,
    UnmanagedInStore,
    Other,
}

impl Category {
    pub const ALL: [Category; 14] = [
        Category::MissingRequiredAttribute,
        Category::MultivalueNotSupported,
        Category::ReservedName,
        Category::DuplicateConflict,
        Category::InvalidValue,
        Category::TargetObjectMissing,
        Category::Throttled,
        Category::AuthFailure,
        Category::PatchInvalid,
        Category::SchemaViolationUnspecified,
        Category::NotProvisioned,
        Category::Drift,
        Category::UnmanagedInStore,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::MissingRequiredAttribute => "MISSING_REQUIRED_ATTRIBUTE",
            Category::MultivalueNotSupported => "MULTIVALUE_NOT_SUPPORTED",
            Category::ReservedName => "RESERVED_NAME",
            Category::DuplicateConflict => "DUPLICATE_CONFLICT",
            Category::InvalidValue => "INVALID_VALUE",
            Category::TargetObjectMissing => "TARGET_OBJECT_MISSING",
            Category::Throttled => "THROTTLED",
            Category::AuthFailure => "AUTH_FAILURE",
            Category::PatchInvalid => "PATCH_INVALID",
            Category::SchemaViolationUnspecified => "SCHEMA_VIOLATION_UNSPECIFIED",
            Category::NotProvisioned => "NOT_PROVISIONED",
            Category::Drift => "DRIFT",
            Category::UnmanagedInStore => "UNMANAGED_IN_STORE",
            Category::Other => "OTHER",
        }
    }

    /// Accepts the report names case-insensitively (`reserved_name`, `RESERVED_NAME`).
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }

    /// Connection-level categories explain a whole job, not one entity.
    pub fn is_connection_level(self) -> bool {
        matches!(self, Category::AuthFailure | Category::Throttled)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entity's status after rolling up all its records: the last record decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum EntityStatus {
    Failing,
    /// Failed at least once, and the last record succeeded.
    Resolved,
    Ok,
}

impl EntityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityStatus::Failing => "failing",
            EntityStatus::Resolved => "resolved",
            EntityStatus::Ok => "ok",
        }
    }
}

/// A note about a whole source, shown beside it and in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWarning {
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// The file is one page of a longer log (`@odata.nextLink`).
    IncompletePage,
    /// Records of a kind the importer does not use (skipped, counted).
    Ignored,
    Other,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::IncompletePage => "incomplete-page",
            WarningKind::Ignored => "ignored",
            WarningKind::Other => "other",
        }
    }
}

/// What a user or group can use in AWS, in the newest store snapshot that holds account
/// assignments: how many account x permission set pairs (a user's directly and through its
/// groups), over how many accounts and permission sets. What a failing entity puts at stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessImpact {
    pub accounts: u32,
    pub permission_sets: u32,
    /// Account x permission set pairs.
    pub assignments: u32,
}

impl AccessImpact {
    /// "3 permission sets in 2 accounts", or "no account access" when it holds nothing.
    pub fn summary(&self) -> String {
        if self.assignments == 0 {
            return "no account access".to_string();
        }
        let plural = |n: u32, one: &str, many: &str| {
            format!("{n} {}", if n == 1 { one } else { many })
        };
        format!(
            "{} in {}",
            plural(self.permission_sets, "permission set", "permission sets"),
            plural(self.accounts, "account", "accounts")
        )
    }
}
