//! The one error type of the core. Every variant carries the context a user needs to act
//! (which file, where in it, what was expected); shells branch on [`Error::code`], never on text.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input file a problem was found. Line and column are 1-based; a record number
/// is used where lines say nothing (one minified JSON array on a single line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Position {
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub record: Option<u64>,
    pub byte_offset: Option<u64>,
}

impl Position {
    pub fn line_col(line: u64, column: u64) -> Self {
        Position {
            line: Some(line),
            column: Some(column),
            record: None,
            byte_offset: None,
        }
    }

    pub fn record(record: u64) -> Self {
        Position {
            line: None,
            column: None,
            record: Some(record),
            byte_offset: None,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(column) = self.column {
            parts.push(format!("column {column}"));
        }
        if let Some(record) = self.record {
            parts.push(format!("record {record}"));
        }
        if parts.is_empty() {
            if let Some(offset) = self.byte_offset {
                parts.push(format!("byte {offset}"));
            } else {
                parts.push("start of file".to_string());
            }
        }
        f.write_str(&parts.join(", "))
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}: {position}: expected {expected}, found {found}", path.display())]
    Parse {
        path: PathBuf,
        position: Position,
        expected: String,
        found: String,
    },

    #[error(
        "{}: not a provisioning log scimlens recognises ({reason}); supported: Entra ID \
         (Graph page, portal JSON/CSV, diagnostic export, Log Analytics CSV), Okta System Log, \
         AWS CloudTrail, ssosync and idp-scim-sync JSON lines",
        path.display()
    )]
    UnknownFormat { path: PathBuf, reason: String },

    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },

    #[error("{}: {position}: not valid UTF-8 text (is this a binary file?)", path.display())]
    NotUtf8 { path: PathBuf, position: Position },

    #[error("{}: {position}: a single record is larger than {limit_mb} MB", path.display())]
    RecordTooLarge {
        path: PathBuf,
        position: Position,
        limit_mb: u64,
    },

    /// A part of an input larger than scimlens reads; `limit` names the bound ("8 MB").
    #[error(
        "{}: {position}: {what} is larger than {limit}, the most scimlens reads",
        path.display()
    )]
    TooLarge {
        path: PathBuf,
        position: Position,
        what: String,
        limit: String,
    },

    #[error("import of {} cancelled; the workspace is unchanged", path.display())]
    Cancelled { path: PathBuf },

    #[error("workspace {}: {source}", path.display())]
    Workspace { path: PathBuf, source: sqlx::Error },

    #[error("workspace {}: migration failed: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },

    /// The file is not a scimlens workspace (another application's database, or not SQLite at
    /// all); it was left as it was.
    #[error(
        "{} is not a scimlens workspace ({reason}); it was not modified. Choose a workspace \
         file, or a new or empty file to start one",
        path.display()
    )]
    NotAWorkspace { path: PathBuf, reason: String },

    /// The workspace was written by a newer scimlens, whose schema this one cannot read.
    #[error(
        "workspace {} was written by a newer version of scimlens (schema version {found}, this \
         version reads up to {supported}); open it with that version or update scimlens",
        path.display()
    )]
    WorkspaceTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// A row of the workspace does not hold what the schema says (damaged or crafted file).
    #[error("the workspace is damaged: {what}")]
    Corrupt { what: String },

    #[error("workspace query failed: {0}")]
    Db(#[from] sqlx::Error),

    /// Another writer (an import of a large file, a fetch) held the workspace longer than a
    /// writer waits for it.
    #[error(
        "the workspace has been busy for {minutes} minutes: another scimlens import or fetch is \
         still writing it; try again once it has finished"
    )]
    Busy { minutes: u64 },

    /// A write through SQLite's C API (bulk import) failed; the message is SQLite's.
    #[error("workspace write failed: {0}")]
    Storage(String),

    #[error("{what} not found: {name}")]
    NotFound { what: &'static str, name: String },

    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A broken invariant of scimlens itself (a bug), never the user's input.
    #[error("something went wrong inside scimlens: {0}")]
    Internal(String),

    #[error("AWS {operation} failed: {message}")]
    Aws {
        operation: String,
        code: AwsErrorKind,
        message: String,
    },

    /// A call to an identity provider's API (Microsoft Graph, Okta, ...) failed. `message` says
    /// what to do; it never holds a token.
    #[error("{service}: {message}")]
    Idp {
        service: String,
        kind: IdpErrorKind,
        message: String,
    },
}

/// How a call to an identity provider's API failed, so the shells can give advice without
/// parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdpErrorKind {
    /// No answer: DNS, connection refused, TLS, timeout.
    Unreachable,
    /// The token or sign-in was refused (HTTP 401): missing, invalid or expired.
    SignIn,
    /// Signed in, but the permission (role, scope) is missing (HTTP 403).
    AccessDenied,
    NotFound,
    /// Throttled (HTTP 429) beyond the retries.
    Throttled,
    /// An answer that is not what the API documents (an HTML page, a body too large).
    BadResponse,
    Other,
}

/// How an AWS call failed, so the shells can explain it without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AwsErrorKind {
    Unreachable,
    Credentials,
    AccessDenied,
    NotFound,
    Throttled,
    Other,
}

/// A size limit as a user reads it: `8 MB`, `64 KB`, `100 bytes`.
pub fn describe_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= KB && bytes.is_multiple_of(KB) {
        format!("{} KB", bytes / KB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Stable, machine-readable error codes; exported to TypeScript so the UI can branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Io,
    Parse,
    UnknownFormat,
    Empty,
    NotUtf8,
    RecordTooLarge,
    Cancelled,
    Workspace,
    NotAWorkspace,
    WorkspaceTooNew,
    Corrupt,
    NotFound,
    InvalidArgument,
    Internal,
    Aws,
    Idp,
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Io { .. } => ErrorCode::Io,
            Error::Parse { .. } => ErrorCode::Parse,
            Error::UnknownFormat { .. } => ErrorCode::UnknownFormat,
            Error::Empty { .. } => ErrorCode::Empty,
            Error::NotUtf8 { .. } => ErrorCode::NotUtf8,
            Error::RecordTooLarge { .. } | Error::TooLarge { .. } => ErrorCode::RecordTooLarge,
            Error::Cancelled { .. } => ErrorCode::Cancelled,
            Error::NotAWorkspace { .. } => ErrorCode::NotAWorkspace,
            Error::WorkspaceTooNew { .. } => ErrorCode::WorkspaceTooNew,
            Error::Corrupt { .. } => ErrorCode::Corrupt,
            // A stored value sqlx cannot decode into its column's type is a damaged row.
            Error::Db(sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_)) => {
                ErrorCode::Corrupt
            }
            Error::Workspace { .. }
            | Error::Migrate { .. }
            | Error::Db(_)
            | Error::Storage(_)
            | Error::Busy { .. } => ErrorCode::Workspace,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Aws { .. } => ErrorCode::Aws,
            Error::Idp { .. } => ErrorCode::Idp,
        }
    }

    /// A failure inside scimlens (a worker task that panicked, a broken invariant), never the
    /// user's input: `what` says which step, `cause` what happened.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Error {
        Error::Internal(format!("{what} failed: {cause}"))
    }

    /// A damaged row: `what` says which table and column hold what.
    pub fn corrupt(what: impl Into<String>) -> Error {
        Error::Corrupt { what: what.into() }
    }

    /// True when the error is the user's input (exit code 2 in the CLI) rather than the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self.code(),
            ErrorCode::Parse
                | ErrorCode::UnknownFormat
                | ErrorCode::Empty
                | ErrorCode::NotUtf8
                | ErrorCode::RecordTooLarge
                | ErrorCode::InvalidArgument
                | ErrorCode::NotFound
                | ErrorCode::Io
                | ErrorCode::NotAWorkspace
                | ErrorCode::WorkspaceTooNew
        )
    }
}
