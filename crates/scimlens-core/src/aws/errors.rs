//! From SDK errors to what the fetch does next (retry after a throttle, retry a transient
//! failure, or stop) and to [`Error::Aws`] messages an admin can act on. Nothing secret is in
//! them: SDK errors carry codes and messages, never credentials.

use std::time::Duration;

use aws_sdk_identitystore::config::http::HttpResponse;
use aws_sdk_identitystore::error::{ProvideErrorMetadata, SdkError};

use crate::error::{AwsErrorKind, Error};

/// What the typed error of each operation can tell beyond code and message.
pub(crate) trait ErrorHints {
    /// `RetryAfterSeconds` of a ThrottlingException / InternalServerException (0 = not given).
    fn retry_after_seconds(&self) -> Option<i32>;
    /// `ResourceType` of a ResourceNotFoundException (`IDENTITY_STORE`, `GROUP`, ...).
    fn missing_resource(&self) -> Option<String>;
}

macro_rules! hints_for_identitystore {
    ($($error:path),* $(,)?) => {$(
        impl ErrorHints for $error {
            fn retry_after_seconds(&self) -> Option<i32> {
                use $error as E;
                match self {
                    E::ThrottlingException(e) => Some(e.retry_after_seconds()),
                    E::InternalServerException(e) => Some(e.retry_after_seconds()),
                    _ => None,
                }
            }
            fn missing_resource(&self) -> Option<String> {
                use $error as E;
                match self {
                    E::ResourceNotFoundException(e) => Some(
                        e.resource_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    ),
                    _ => None,
                }
            }
        }
    )*};
}

hints_for_identitystore!(
    aws_sdk_identitystore::operation::list_users::ListUsersError,
    aws_sdk_identitystore::operation::list_groups::ListGroupsError,
    aws_sdk_identitystore::operation::list_group_memberships::ListGroupMembershipsError,
);

impl ErrorHints for aws_sdk_ssoadmin::operation::list_instances::ListInstancesError {
    fn retry_after_seconds(&self) -> Option<i32> {
        use aws_sdk_ssoadmin::operation::list_instances::ListInstancesError as E;
        match self {
            E::ThrottlingException(_) => Some(0),
            _ => None,
        }
    }

    fn missing_resource(&self) -> Option<String> {
        None
    }
}

/// sso-admin's errors carry no `RetryAfterSeconds` and no resource type: a missing resource of
/// the access calls is a permission set (or its instance) deleted while the fetch ran.
macro_rules! hints_for_ssoadmin {
    ($($error:path),* $(,)?) => {$(
        impl ErrorHints for $error {
            fn retry_after_seconds(&self) -> Option<i32> {
                use $error as E;
                match self {
                    E::ThrottlingException(_) => Some(0),
                    _ => None,
                }
            }
            fn missing_resource(&self) -> Option<String> {
                use $error as E;
                match self {
                    E::ResourceNotFoundException(_) => Some("PERMISSION_SET".to_string()),
                    _ => None,
                }
            }
        }
    )*};
}

hints_for_ssoadmin!(
    aws_sdk_ssoadmin::operation::list_permission_sets::ListPermissionSetsError,
    aws_sdk_ssoadmin::operation::describe_permission_set::DescribePermissionSetError,
    aws_sdk_ssoadmin::operation::list_accounts_for_provisioned_permission_set::ListAccountsForProvisionedPermissionSetError,
    aws_sdk_ssoadmin::operation::list_account_assignments::ListAccountAssignmentsError,
);

impl ErrorHints for aws_sdk_organizations::operation::list_accounts::ListAccountsError {
    fn retry_after_seconds(&self) -> Option<i32> {
        use aws_sdk_organizations::operation::list_accounts::ListAccountsError as E;
        match self {
            E::TooManyRequestsException(_) => Some(0),
            _ => None,
        }
    }

    /// No organization: nothing to list names from.
    fn missing_resource(&self) -> Option<String> {
        use aws_sdk_organizations::operation::list_accounts::ListAccountsError as E;
        match self {
            E::AwsOrganizationsNotInUseException(_) => Some("ORGANIZATION".to_string()),
            _ => None,
        }
    }
}

/// CloudTrail models no throttling error of LookupEvents: a `ThrottlingException` arrives
/// unmodeled and is recognised by its code in [`classify`], after a pause of our own.
impl ErrorHints for aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError {
    fn retry_after_seconds(&self) -> Option<i32> {
        None
    }

    fn missing_resource(&self) -> Option<String> {
        None
    }
}

/// What to do about a failed call.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Throttled: wait (AWS's `RetryAfterSeconds` when given) and try again.
    Throttled {
        retry_after: Option<Duration>,
    },
    /// A server or network hiccup worth another try.
    Transient {
        why: String,
    },
    /// A resource that disappeared (a group deleted during the fetch); `kind` is AWS's type.
    Missing {
        kind: String,
        error: Error,
    },
    Fatal(Error),
}

/// Context for messages.
#[derive(Debug, Clone)]
pub(crate) struct CallSite<'a> {
    pub operation: &'static str,
    pub endpoint: &'a str,
    pub identity_store_id: Option<&'a str>,
}

const CREDENTIAL_CODES: [&str; 8] = [
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "UnauthorizedException",
    "IncompleteSignature",
];

pub(crate) fn classify<E>(site: &CallSite<'_>, err: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + ErrorHints + std::error::Error + Send + Sync + 'static,
{
    let aws = |code: AwsErrorKind, message: String| Error::Aws {
        operation: site.operation.to_string(),
        code,
        message,
    };
    match &err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let status = ctx.raw().status().as_u16();
            let code = e.code().unwrap_or_default().to_string();
            let message = e.message().unwrap_or_default().to_string();
            let header_retry = ctx
                .raw()
                .headers()
                .get("retry-after")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| *s > 0.0 && *s < 3600.0)
                .map(Duration::from_secs_f64);
            let retry_after = e
                .retry_after_seconds()
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s as u64))
                .or(header_retry);
            let said = if message.is_empty() {
                code.clone()
            } else {
                format!("{code}: {message}")
            };
            if code == "ThrottlingException" || code == "TooManyRequestsException" || status == 429
            {
                return Failure::Throttled { retry_after };
            }
            if let Some(kind) = e.missing_resource() {
                let what = match (kind.as_str(), site.identity_store_id) {
                    ("IDENTITY_STORE" | "", Some(id)) => format!(
                        "identity store {id} not found (check --identity-store-id, and --region: a store \
                         lives in one region) ({said})"
                    ),
                    _ => format!(
                        "{} not found ({said})",
                        if kind.is_empty() { "resource" } else { &kind }
                    ),
                };
                return Failure::Missing {
                    kind,
                    error: aws(AwsErrorKind::NotFound, what),
                };
            }
            if CREDENTIAL_CODES.contains(&code.as_str()) || status == 401 {
                return Failure::Fatal(aws(
                    AwsErrorKind::Credentials,
                    format!(
                        "the credentials were refused: check --profile / aws sso login ({said})"
                    ),
                ));
            }
            if code == "AccessDeniedException" || code == "AccessDenied" || status == 403 {
                let needs = match site.operation {
                    "ListPermissionSets"
                    | "DescribePermissionSet"
                    | "ListAccountsForProvisionedPermissionSet"
                    | "ListAccountAssignments" => format!("sso:{}", site.operation),
                    "ListAccounts" => "organizations:ListAccounts".to_string(),
                    _ => "identitystore:ListUsers, identitystore:ListGroups, \
                          identitystore:ListGroupMemberships (and sso:ListInstances when the store \
                          id is not given)"
                        .to_string(),
                };
                return Failure::Fatal(aws(
                    AwsErrorKind::AccessDenied,
                    format!("access denied: the caller needs {needs} ({said})"),
                ));
            }
            if code == "InternalServerException" || status >= 500 {
                if let Some(retry_after) = retry_after {
                    return Failure::Throttled {
                        retry_after: Some(retry_after),
                    };
                }
                return Failure::Transient {
                    why: format!("HTTP {status} {said}"),
                };
            }
            if code == "ValidationException"
                && site.identity_store_id.is_some()
                && message.to_lowercase().contains("identitystoreid")
            {
                let id = site.identity_store_id.unwrap_or_default();
                return Failure::Fatal(aws(
                    AwsErrorKind::NotFound,
                    format!("identity store {id} not found: AWS refused the id ({said})"),
                ));
            }
            Failure::Fatal(aws(
                AwsErrorKind::Other,
                format!("AWS answered HTTP {status} {said}"),
            ))
        }
        SdkError::TimeoutError(_) => Failure::Transient {
            why: format!("no answer from {} in time", site.endpoint),
        },
        SdkError::DispatchFailure(d) => {
            let chain = causes(&err);
            let lower = chain.to_lowercase();
            if credential_text(&lower) {
                return Failure::Fatal(aws(AwsErrorKind::Credentials, credential_message(&chain)));
            }
            if d.is_timeout() || d.is_io() {
                // Connection refused, DNS failure, TLS: worth a retry, then "cannot reach".
                return Failure::Transient {
                    why: unreachable_message(site.endpoint, &chain),
                };
            }
            Failure::Fatal(aws(
                AwsErrorKind::Unreachable,
                unreachable_message(site.endpoint, &chain),
            ))
        }
        SdkError::ResponseError(_) => Failure::Transient {
            why: format!(
                "{} answered something that is not an Identity Store API response: {}",
                site.endpoint,
                causes(&err)
            ),
        },
        _ => {
            let chain = causes(&err);
            if credential_text(&chain.to_lowercase()) {
                return Failure::Fatal(aws(AwsErrorKind::Credentials, credential_message(&chain)));
            }
            Failure::Fatal(aws(AwsErrorKind::Other, chain))
        }
    }
}

/// The error and its sources, as one readable line (`a: b: c`), repeats dropped.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn credential_text(lower: &str) -> bool {
    [
        "credential",
        "no providers in chain",
        "sso token",
        "token has expired",
        "profile",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

fn credential_message(chain: &str) -> String {
    format!(
        "no usable AWS credentials: check --profile / aws sso login (or AWS_PROFILE, \
         AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) ({})",
        first_line(chain)
    )
}

pub(crate) fn unreachable_message(endpoint: &str, chain: &str) -> String {
    format!(
        "cannot reach {endpoint}: {} (check --endpoint-url, --region and the network)",
        first_line(chain)
    )
}

fn first_line(s: &str) -> &str {
    let s = s.lines().next().unwrap_or(s);
    if s.len() > 400 {
        &s[..s
            .char_indices()
            .take_while(|(i, _)| *i < 400)
            .last()
            .map(|(i, _)| i)
            .unwrap_or(0)]
    } else {
        s
    }
}

/// After the last retry of a transient failure: say what kept failing.
pub(crate) fn gave_up(site: &CallSite<'_>, why: String, tries: u32) -> Error {
    let code = if why.starts_with("cannot reach") {
        AwsErrorKind::Unreachable
    } else {
        AwsErrorKind::Other
    };
    Error::Aws {
        operation: site.operation.to_string(),
        code,
        message: format!("{why} (gave up after {tries} tries)"),
    }
}

pub(crate) fn still_throttled(site: &CallSite<'_>, tries: u32) -> Error {
    Error::Aws {
        operation: site.operation.to_string(),
        code: AwsErrorKind::Throttled,
        message: format!(
            "AWS kept throttling the requests ({tries} tries): another caller may be using the account's \
             20 requests per second; lower --rate or try again later"
        ),
    }
}
