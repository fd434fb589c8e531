//! What a failed command sends to the UI: the core's stable code to branch on, its message,
//! and for input errors the file, position and expectation pulled out so the UI can lay them
//! out without parsing text.

use scimlens_core::api::AwsErrorKind;
use scimlens_core::api::IdpErrorKind;
use scimlens_core::api::Position;
use scimlens_core::api::{Error, ErrorCode};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// The file the error is about, when there is one.
    pub path: Option<String>,
    pub position: Option<Position>,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// How an AWS call failed (code `AWS` only): unreachable, credentials, access denied...
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub aws: Option<AwsErrorKind>,
    /// How a call to the IdP failed (code `IDP` only): unreachable, sign-in, access denied...
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub idp: Option<IdpErrorKind>,
}

impl From<Error> for CommandError {
    fn from(err: Error) -> Self {
        let mut out = CommandError {
            code: err.code(),
            message: err.to_string(),
            path: None,
            position: None,
            expected: None,
            found: None,
            aws: None,
            idp: None,
        };
        match err {
            Error::Parse {
                path,
                position,
                expected,
                found,
            } => {
                out.path = Some(path.display().to_string());
                out.position = Some(position);
                out.expected = Some(expected);
                out.found = Some(found);
            }
            Error::NotUtf8 { path, position }
            | Error::RecordTooLarge { path, position, .. }
            | Error::TooLarge { path, position, .. } => {
                out.path = Some(path.display().to_string());
                out.position = Some(position);
            }
            Error::Io { path, .. }
            | Error::UnknownFormat { path, .. }
            | Error::Empty { path }
            | Error::Cancelled { path }
            | Error::Workspace { path, .. }
            | Error::Migrate { path, .. }
            | Error::NotAWorkspace { path, .. }
            | Error::WorkspaceTooNew { path, .. } => out.path = Some(path.display().to_string()),
            Error::Aws { code, .. } => out.aws = Some(code),
            Error::Idp { kind, .. } => out.idp = Some(kind),
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_file_position_and_expectation() {
        let err = Error::Parse {
            path: "/logs/truncated.json".into(),
            position: Position::line_col(3, 14),
            expected: "a JSON value".into(),
            found: "end of input".into(),
        };
        let json = serde_json::to_value(CommandError::from(err)).unwrap();
        assert_eq!(json["code"], "PARSE");
        assert_eq!(json["path"], "/logs/truncated.json");
        assert_eq!(json["position"]["line"], 3);
        assert_eq!(json["expected"], "a JSON value");
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("line 3, column 14")
        );
    }
}
