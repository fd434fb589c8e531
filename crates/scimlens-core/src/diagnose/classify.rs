//! Per-record classification: which failure category a record shows, which attribute is
//! involved, and a normalized message that groups like failures into one root cause.
//!
//! Evidence is used in the order the AWS side states it best: the AWS `detail` text, the HTTP
//! status, rules applied to the values that were sent, then the IdP's error code as a hint.
//! The more specific wins: a reserved name that fails with a generic 400 is `RESERVED_NAME`.
//!
//! Some failures concern no entity and become job-level findings ([`Classification::job_level`]):
//! a read of the identity store that failed, a sync tool that could not read its source
//! directory (Google Workspace), and a run that aborted. Reads never decide an entity's status
//! ([`is_decisive`]): they show that an object existed, not that a change reached it.

use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::model::{Category, EntityKind, JOB_STATUS_OPERATION, Outcome, ProvisioningEvent};

/// Names AWS refuses for users and groups (Identity Store API documentation).
pub const BUILT_IN_RESERVED_NAMES: [&str; 2] = ["Administrator", "AWSAdministrators"];

/// The rules in force for a workspace: the reserved-name list is data (built-ins + user's).
#[derive(Debug, Clone)]
pub struct Rules {
    reserved_lower: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new(&[])
    }
}

impl Rules {
    pub fn new(extra_reserved: &[String]) -> Rules {
        let mut reserved_lower: Vec<String> = BUILT_IN_RESERVED_NAMES
            .iter()
            .map(|s| s.to_string())
            .chain(extra_reserved.iter().cloned())
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        reserved_lower.sort();
        reserved_lower.dedup();
        Rules { reserved_lower }
    }

    pub fn is_reserved(&self, name: &str) -> bool {
        let lower = name.trim().to_lowercase();
        self.reserved_lower.contains(&lower)
    }

    pub fn reserved_names(&self) -> &[String] {
        &self.reserved_lower
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub category: Category,
    pub attribute: Option<String>,
    /// Normalized: no names, ids or request ids, so equal causes group together.
    pub message: String,
    /// True when the record concerns the job rather than any entity (a failed read, a source
    /// directory the sync tool could not read, an aborted run): it is keyed to the connection and
    /// shown above the entities, never as a failing user or group.
    pub job_level: bool,
}

impl Classification {
    fn new(category: Category, attribute: Option<&str>, message: impl Into<String>) -> Self {
        Classification {
            category,
            attribute: attribute.map(str::to_string),
            message: message.into(),
            job_level: false,
        }
    }

    fn about_the_job(mut self) -> Self {
        self.job_level = true;
        self
    }
}

/// True when the record can decide an entity's status. Benign skips (out of scope, nothing to
/// do) say nothing about whether the entity is provisioned correctly, and neither do reads: a
/// `ListGroupMemberships` that succeeds after a throttled membership PATCH shows the group
/// exists, not that the PATCH went through.
pub fn is_decisive(event: &ProvisioningEvent, classification: Option<&Classification>) -> bool {
    if is_read(event) {
        return false;
    }
    if classification.is_some() {
        return true;
    }
    match event.outcome {
        Some(Outcome::Skipped) => event
            .skip_reason
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("RedundantExport")),
        Some(_) => true,
        None => false,
    }
}

/// True for a call that only reads: Identity Store API `List*`, `Describe*`, `Get*` and
/// `IsMemberInGroups`, SCIM `GET`s (CloudTrail names them `GetUser`, `ListGroups`, ...), or an
/// operation logged with its HTTP method (`GET /Users?filter=...`). Sync tools log prose
/// (`creating user`), which never matches: only API names and methods do.
pub fn is_read(event: &ProvisioningEvent) -> bool {
    let Some(op) = event.operation.as_deref().map(str::trim) else {
        return false;
    };
    if op.get(..4).is_some_and(|m| m.eq_ignore_ascii_case("GET ")) {
        return true;
    }
    if op.contains(char::is_whitespace) {
        return false;
    }
    op == "IsMemberInGroups"
        || ["List", "Describe", "Get"].iter().any(|verb| {
            op.strip_prefix(verb)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| c.is_ascii_uppercase())
        })
}

/// Classifies one record; `None` when the record shows no problem.
pub fn classify(event: &ProvisioningEvent, rules: &Rules) -> Option<Classification> {
    let failed = match event.outcome {
        Some(Outcome::Failure) => true,
        Some(Outcome::Skipped) => {
            let reason = event.skip_reason.as_deref().unwrap_or_default();
            if reason.eq_ignore_ascii_case("AttributeValidationFailed") {
                return Some(classify_attribute_validation(event));
            }
            false
        }
        Some(Outcome::Success | Outcome::Warning) => false,
        None => event.error_code.is_some() || event.aws_detail.is_some(),
    };
    if !failed {
        return None;
    }
    if let Some(c) = job_status(event) {
        return Some(c);
    }
    if let Some(c) = source_side(event) {
        return Some(c);
    }
    let mut found = by_detail(event)
        .or_else(|| by_http_status(event))
        .or_else(|| by_sent_values(event))
        .or_else(|| by_error_code(event));
    if is_read(event) {
        // A read that failed changed nothing: it says the client's query (or the connection)
        // went wrong, which is about the job, not about the object read.
        let c = found.unwrap_or_else(|| {
            Classification::new(
                Category::Other,
                None,
                format!("{READ_REFUSED} (List, Get or Describe); it concerns no entity"),
            )
        });
        return Some(c.about_the_job());
    }
    // A group's only unique attributes are displayName and externalId; a create that conflicts
    // without saying which is, in practice, the displayName.
    if let Some(c) = found.as_mut() {
        if c.category == Category::DuplicateConflict
            && c.attribute.is_none()
            && event.entity.kind == Some(EntityKind::Group)
        {
            c.attribute = Some("displayName".to_string());
        }
    }
    let generic = found
        .as_ref()
        .is_none_or(|c| GENERIC_CATEGORIES.contains(&c.category));
    if generic {
        if let Some(name) = entity_names(event).find(|n| rules.is_reserved(n)) {
            return Some(reserved(event.entity.kind, name));
        }
    }
    Some(found.unwrap_or_else(|| unexplained(event)))
}

/// The categories a reserved name overrides: what the rules can change in a diagnosis.
pub const GENERIC_CATEGORIES: [Category; 2] =
    [Category::SchemaViolationUnspecified, Category::Other];

/// Re-checks an entity's classification against the reserved list in force now (the user may
/// have added names after the import).
pub fn reclassify_reserved(
    current: Option<Category>,
    kind: EntityKind,
    name: &str,
    rules: &Rules,
) -> Option<Classification> {
    let generic = current.is_some_and(|c| GENERIC_CATEGORIES.contains(&c));
    (generic && rules.is_reserved(name)).then(|| reserved(Some(kind), name))
}

fn reserved(kind: Option<EntityKind>, _name: &str) -> Classification {
    let attribute = match kind {
        Some(EntityKind::Group) => "displayName",
        _ => "userName",
    };
    Classification::new(
        Category::ReservedName,
        Some(attribute),
        format!("the {attribute} is a name AWS IAM Identity Center reserves"),
    )
}

fn entity_names(event: &ProvisioningEvent) -> impl Iterator<Item = &str> {
    [
        event.entity.name.as_deref(),
        event.entity.display_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|n| !event.masked || *n != crate::model::MASKED)
}

/// The texts that may carry AWS's words: detail first, then the IdP's reason.
fn texts(event: &ProvisioningEvent) -> impl Iterator<Item = &str> {
    [event.aws_detail.as_deref(), event.reason.as_deref()]
        .into_iter()
        .flatten()
}

fn by_detail(event: &ProvisioningEvent) -> Option<Classification> {
    texts(event).find_map(classify_text)
}

/// An Entra provisioning job found in quarantine (its job status, imported as one event). The
/// message keeps the job's own dates and counts, with what the quarantine reason means: it is
/// the one record that explains why the log went silent.
fn job_status(event: &ProvisioningEvent) -> Option<Classification> {
    if event.operation.as_deref() != Some(JOB_STATUS_OPERATION) {
        return None;
    }
    let reason = event
        .reason
        .as_deref()
        .unwrap_or("the provisioning job is failing");
    // The meanings speak of AWS: the status of another application's job gets the facts only.
    let aws_job = event
        .job_id
        .as_deref()
        .is_some_and(|id| id.to_ascii_lowercase().starts_with("aws"));
    let meaning = event
        .error_code
        .as_deref()
        .filter(|_| aws_job)
        .map(|code| super::fixes::quarantine_reason_explanation(code).0);
    let category = if event.http_status == Some(401) {
        Category::AuthFailure
    } else {
        Category::Other
    };
    let message = match meaning {
        Some(m) => format!("{reason}. {m}"),
        None if aws_job => reason.to_string(),
        None => format!("{reason} ({OTHER_APPLICATION_JOB})"),
    };
    Some(Classification::new(category, None, message).about_the_job())
}

/// Said of a job status that is not the AWS IAM Identity Center job's.
pub const OTHER_APPLICATION_JOB: &str = "this job provisions another application, not AWS";

/// Failures on the source side of a sync tool: it could not read Google Workspace
/// (`googleapi: Error 503: ...`), or the run aborted (ssosync's `Notifying Lambda and mark this
/// execution as Failure: <reason>`). Both are job-level. An abort that follows an entity's own
/// AWS failure (the open operation got a 409, then the tool gave up) stays that entity's failure:
/// the classification chain explains it.
fn source_side(event: &ProvisioningEvent) -> Option<Classification> {
    let google = texts(event).find_map(googleapi_error);
    let aborted = texts(event).find_map(abort_reason);
    if let Some(google) = google {
        let message = format!("{SOURCE_UNREADABLE} ({google}); not an AWS failure");
        let message = if aborted.is_some() {
            format!("{RUN_ABORTED}{message}")
        } else {
            format!("the sync tool {message}")
        };
        return Some(Classification::new(Category::Other, None, message).about_the_job());
    }
    let reason = aborted?;
    let names_entity = event.entity.kind.is_some() && !event.connection_level;
    let explained = by_detail(event).or_else(|| by_http_status(event)).is_some();
    if explained || (names_entity && event.http_status.is_some()) {
        return None;
    }
    let reason = if reason.is_empty() {
        "the log states no reason".to_string()
    } else {
        reason
    };
    Some(
        Classification::new(Category::Other, None, format!("{RUN_ABORTED}{reason}"))
            .about_the_job(),
    )
}

/// How the message of an aborted run begins ([`super::fixes`] words its fix by it).
pub const RUN_ABORTED: &str = "the sync run aborted: ";
/// What the message of a sync tool that could not read Google Workspace says.
pub const SOURCE_UNREADABLE: &str = "could not read Google Workspace";
/// How the message of a failed read no other rule explains begins.
pub const READ_REFUSED: &str = "AWS refused a read request";
/// How the message of a malformed request from the client begins.
pub const CLIENT_REQUEST: &str = "the client sent a request AWS could not parse";
/// How the message of an empty value sent for an attribute begins.
pub const EMPTY_VALUE: &str = "an empty value was sent for ";
/// What the message of a value holding a Unicode control character says.
pub const CONTROL_CHARACTER: &str = " contains a Unicode control character";
/// What the message of a value holding a character outside AWS's pattern says.
pub const OUTSIDE_PATTERN: &str = " contains a character outside AWS's allowed pattern";

/// The Google API error in a sync tool's text, cut to one clause: `googleapi: Error 503: ...`.
fn googleapi_error(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower
        .find("googleapi:")
        .or_else(|| lower.find("googleapis.com"))?;
    // A `googleapis.com` URL sits inside a Go error such as `Get "https://admin.googleapis...":
    // oauth2: ...`: keep the whole clause from its start.
    let start = text[..at].rfind("; ").map(|i| i + 2).unwrap_or(0);
    let start = if lower[at..].starts_with("googleapi:") {
        at
    } else {
        start
    };
    let clause = text[start..].split("; ").next().unwrap_or_default().trim();
    Some(truncate(clause, 200))
}

/// The reason of an aborted ssosync run: what follows `mark this execution as Failure`.
fn abort_reason(text: &str) -> Option<String> {
    const MARK: &str = "mark this execution as failure";
    let at = text.to_ascii_lowercase().find(MARK)? + MARK.len();
    let rest = text[at..].trim_start_matches([':', ' ']);
    let clause = rest.split("; ").next().unwrap_or_default().trim();
    Some(truncate(clause, 300))
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Classifies a message text alone (AWS detail, CloudTrail errorMessage, an IdP reason).
pub fn classify_text(text: &str) -> Option<Classification> {
    let lower = text.to_lowercase();
    let errors = validation_errors(text);
    if !errors.is_empty() {
        return Some(classify_validation(&errors));
    }
    if lower.contains("exceeds allowed limit of 1")
        || lower.contains("allowed limit of 1")
        || lower.contains("only allow single item")
    {
        let attribute = list_attribute(text).map(|a| normalize_attribute(&a));
        let message = match &attribute {
            Some(a) => format!("more than one value for {a}; AWS accepts exactly one"),
            None => "a multi-valued attribute had more than one value; AWS accepts exactly one"
                .to_string(),
        };
        return Some(Classification {
            category: Category::MultivalueNotSupported,
            attribute,
            message,
            job_level: false,
        });
    }
    if lower.contains("missing path in patch") || lower.contains("replacing group memberships") {
        return Some(Classification::new(
            Category::PatchInvalid,
            None,
            "the client sent a PATCH AWS does not support (missing path or replacing all members)",
        ));
    }
    if lower.contains("allows omitting \"path\"") || lower.contains("current patch support allows")
    {
        return Some(Classification::new(
            Category::PatchInvalid,
            None,
            "the client sent a PATCH operation without a path that changes more than one \
             attribute; AWS allows that only for an Add or Replace of a single attribute",
        ));
    }
    for (needle, said) in [
        (
            "invalid json from requestbody",
            "Invalid JSON from RequestBody",
        ),
        ("invalid filter format", "Invalid Filter format"),
    ] {
        if lower.contains(needle) {
            return Some(Classification::new(
                Category::Other,
                None,
                format!("{CLIENT_REQUEST} ({said}): a client bug, not a problem with the data"),
            ));
        }
    }
    if lower.contains("duplicate")
        || lower.contains("conflictexception")
        || lower.contains("already exists")
    {
        let attribute = if lower.contains("groupdisplayname") {
            Some("displayName")
        } else {
            None
        };
        return Some(Classification::new(
            Category::DuplicateConflict,
            attribute,
            "an object with the same unique value already exists in AWS",
        ));
    }
    if lower.contains("rate exceeded")
        || lower.contains("throttlingexception")
        || lower.contains("too many requests")
    {
        return Some(throttled());
    }
    // Okta: `Error while verifying if user <u> exists: Unauthorized` is the token refused.
    if lower.contains("unauthorized")
        || lower.contains("authentication failed")
        || lower.contains("invalid token")
        || lower.contains("token is expired")
        || lower.contains("authentication_failure")
    {
        return Some(auth_failure());
    }
    if lower.contains("resourcenotfoundexception")
        || lower.contains("no user returned for user")
        || lower.contains("linked group is missing")
        || lower.contains("invalidanchor")
        || lower.contains("resource not found")
        || lower.contains("matching user not found")
        || lower.contains("user does not exist")
        || lower.contains("group does not exist")
    {
        return Some(target_missing());
    }
    if lower.contains("accessdeniedexception") || lower.contains("not authorized to perform") {
        return Some(permission());
    }
    if lower.contains("#ext#") {
        return Some(Classification::new(
            Category::InvalidValue,
            Some("userName"),
            "userName contains #EXT# (an Entra guest); AWS rejects it",
        ));
    }
    None
}

/// One `Value at '<attribute>' failed to satisfy constraint: <constraint>` of an AWS validation
/// message, the attribute normalized and the constraint lowercased.
struct ValidationError {
    attribute: String,
    constraint: String,
}

impl ValidationError {
    /// `length greater than or equal to 1` or `must not be null`: nothing (or `""`) was sent.
    fn is_empty_value(&self) -> bool {
        self.constraint
            .contains("length greater than or equal to 1")
            || self.constraint.contains("must not be null")
    }
}

/// Every attribute an AWS validation message names, in order: `N validation errors detected:
/// Value at 'a' failed ...; Value at 'b' failed ...`. AWS writes `Value at 'x'`, `Value null at
/// 'x'` or `Value '<v>' at 'x'`; the attribute is always the quoted text just before
/// `failed to satisfy constraint`.
fn validation_errors(text: &str) -> Vec<ValidationError> {
    const FAILED: &str = "' failed to satisfy constraint";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = text[from..].find(FAILED) {
        let end = from + rel;
        let after = end + FAILED.len();
        let next = text[after..]
            .find(FAILED)
            .map(|i| after + i)
            .unwrap_or(text.len());
        // The constraint runs to the start of the next error's `Value ...` (or the end).
        let segment = &text[after..next];
        let constraint_end = if next < text.len() {
            segment.rfind("Value").unwrap_or(segment.len())
        } else {
            segment.len()
        };
        let constraint = segment[..constraint_end]
            .trim_start_matches([':', ' '])
            .trim_end_matches([';', ' '])
            .to_lowercase();
        if let Some(open) = text[..end].rfind("at '") {
            let attribute = &text[open + "at '".len()..end];
            if !attribute.is_empty() && !attribute.contains('\'') {
                out.push(ValidationError {
                    attribute: normalize_attribute(attribute),
                    constraint,
                });
            }
        }
        from = after;
    }
    out
}

/// The most specific reading of AWS's validation errors: a required attribute sent empty beats an
/// optional one sent empty, which beats a pattern or length rule. Every other attribute named is
/// listed in the message.
fn classify_validation(errors: &[ValidationError]) -> Classification {
    let required = |e: &&ValidationError| REQUIRED_USER.contains(&e.attribute.as_str());
    let main = errors
        .iter()
        .find(|e| e.is_empty_value() && required(e))
        .or_else(|| errors.iter().find(|e| e.is_empty_value()))
        .unwrap_or(&errors[0]);
    let attribute = main.attribute.as_str();
    let mut others: Vec<&str> = Vec::new();
    for e in errors {
        if e.attribute != attribute && !others.contains(&e.attribute.as_str()) {
            others.push(&e.attribute);
        }
    }
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (AWS also rejected {})", others.join(", "))
    };
    if main.is_empty_value() && required(&main) {
        return Classification::new(
            Category::MissingRequiredAttribute,
            Some(attribute),
            format!("{attribute} is required by AWS and was empty or missing{also}"),
        );
    }
    if main.is_empty_value() {
        return empty_value(attribute, &also);
    }
    let why = if main.constraint.contains("regular expression pattern") {
        OUTSIDE_PATTERN.trim_start().to_string()
    } else if main.constraint.contains("length less than or equal to") {
        "is longer than AWS allows".to_string()
    } else {
        "breaks an AWS length or character rule".to_string()
    };
    Classification::new(
        Category::InvalidValue,
        Some(attribute),
        format!("{attribute} {why}{also}"),
    )
}

/// An attribute AWS does not require was sent as `""`: every string AWS receives must be at
/// least one character long, so an optional attribute must be left out rather than sent empty.
fn empty_value(attribute: &str, also: &str) -> Classification {
    Classification::new(
        Category::InvalidValue,
        Some(attribute),
        format!(
            "{EMPTY_VALUE}{attribute}{also}; AWS rejects an empty string for any attribute it \
             receives (an optional attribute must be left out instead)"
        ),
    )
}

fn by_http_status(event: &ProvisioningEvent) -> Option<Classification> {
    match event.http_status? {
        401 => Some(auth_failure()),
        403 => Some(permission()),
        404 => Some(target_missing()),
        409 => Some(Classification::new(
            Category::DuplicateConflict,
            None,
            "an object with the same unique value already exists in AWS",
        )),
        429 => Some(throttled()),
        _ => None,
    }
}

const REQUIRED_USER: [&str; 4] = [
    "userName",
    "name.givenName",
    "name.familyName",
    "displayName",
];
const SINGLE_VALUED: [&str; 4] = ["emails", "phoneNumbers", "addresses", "roles"];

/// AWS's limit of members per CreateGroup and of membership changes per PATCH.
pub const MAX_MEMBERS_PER_REQUEST: usize = 100;

/// Rules on the shape of the request: a group replaced with PUT, or more members added or
/// removed in one request than AWS takes. Visible from the operation and the members sent.
fn by_request_shape(event: &ProvisioningEvent) -> Option<Classification> {
    let op = event.operation.as_deref().unwrap_or_default().trim();
    let is_group =
        event.entity.kind == Some(EntityKind::Group) || op.to_ascii_lowercase().contains("group");
    if !is_group {
        return None;
    }
    let put = op.eq_ignore_ascii_case("PutGroup")
        || (op.get(..4).is_some_and(|m| m.eq_ignore_ascii_case("PUT "))
            && op.to_ascii_lowercase().contains("/groups"));
    if put {
        return Some(Classification::new(
            Category::PatchInvalid,
            Some("members"),
            "the client replaced the group with PUT (all its members at once); AWS takes group \
             changes only as PATCH",
        ));
    }
    let members: usize = event
        .attributes
        .iter()
        .filter(|a| normalize_attribute(&a.name) == "members")
        .map(|a| a.values.len())
        .sum();
    (members > MAX_MEMBERS_PER_REQUEST).then(|| {
        Classification::new(
            Category::PatchInvalid,
            Some("members"),
            format!(
                "more than {MAX_MEMBERS_PER_REQUEST} members added or removed in one request; AWS \
                 accepts at most {MAX_MEMBERS_PER_REQUEST} membership changes per PATCH (and \
                 {MAX_MEMBERS_PER_REQUEST} members per CreateGroup)"
            ),
        )
    })
}

/// Rules on the values the IdP sent, the candidate causes of a 400 that states nothing: a
/// required attribute empty, two values of a single-valued attribute, too many members in one
/// request, a name AWS's patterns refuse, a Unicode control character or an empty string in any
/// value. AWS's own rules come first; the characters only the IdP guides warn about, last.
fn by_sent_values(event: &ProvisioningEvent) -> Option<Classification> {
    if let Some(c) = by_request_shape(event) {
        return Some(c);
    }
    if event.attributes.is_empty() {
        return None;
    }
    let is_user = event.entity.kind != Some(EntityKind::Group);
    if is_user {
        for required in REQUIRED_USER {
            let sent: Vec<_> = event
                .attributes
                .iter()
                .filter(|a| normalize_attribute(&a.name) == required)
                .collect();
            // An attribute listed with no value at all says nothing; `""` is an empty value.
            if sent
                .iter()
                .any(|a| !a.values.is_empty() && a.values.iter().all(|v| v.trim().is_empty()))
            {
                return Some(missing(required));
            }
        }
        // On a create the IdP sends every mapped attribute: an absent required one is missing.
        // Only a full attribute list (it names userName) says anything about what is absent.
        let full_list = event
            .attributes
            .iter()
            .any(|a| normalize_attribute(&a.name) == "userName")
            && event.attributes.len() >= 4;
        if event.action == Some(crate::model::Action::Create) && full_list {
            for required in REQUIRED_USER {
                if !event
                    .attributes
                    .iter()
                    .any(|a| normalize_attribute(&a.name) == required)
                {
                    return Some(missing(required));
                }
            }
        }
        for single in SINGLE_VALUED {
            let values: usize = event
                .attributes
                .iter()
                .filter(|a| normalize_attribute(&a.name) == single)
                .map(|a| a.values.iter().filter(|v| !v.trim().is_empty()).count())
                .sum();
            if values > 1 {
                return Some(Classification::new(
                    Category::MultivalueNotSupported,
                    Some(single),
                    format!("more than one value for {single}; AWS accepts exactly one"),
                ));
            }
        }
    }
    let name_attr = if is_user { "userName" } else { "displayName" };
    let sent_name = event
        .attributes
        .iter()
        .find(|a| normalize_attribute(&a.name) == name_attr)
        .and_then(|a| a.values.first())
        .map(String::as_str)
        .or(event.entity.name.as_deref());
    let name = sent_name.and_then(|n| name_violation(name_attr, n, is_user));
    if let Some(v) = name.as_ref().filter(|v| v.aws_rule) {
        return Some(v.classification.clone());
    }
    // Names and name parts go through `name_violation`; every other value is checked here.
    let checked_as_name =
        |attr: &str| attr == name_attr || (is_user && REQUIRED_USER.contains(&attr));
    for a in &event.attributes {
        let attr = normalize_attribute(&a.name);
        if !checked_as_name(&attr) && a.values.iter().any(|v| has_control_character(v)) {
            return Some(control_character(&attr));
        }
    }
    for a in &event.attributes {
        let attr = normalize_attribute(&a.name);
        if !a.values.is_empty() && a.values.iter().all(String::is_empty) {
            return Some(empty_value(&attr, ""));
        }
    }
    name.map(|v| v.classification)
}

/// A value that breaks a character or length rule, and whether the rule is AWS's own (it
/// rejects the value) or only the IdP guides' (`<>;:%`, tab, CR, LF: AWS's pattern allows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameViolation {
    pub classification: Classification,
    pub aws_rule: bool,
}

/// AWS's `UserName` pattern `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`: letters, marks, symbols, numbers
/// and punctuation, so no separator (space), control, format, private-use or unassigned
/// character.
pub fn allowed_in_user_name(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter
            | GeneralCategoryGroup::Mark
            | GeneralCategoryGroup::Symbol
            | GeneralCategoryGroup::Number
            | GeneralCategoryGroup::Punctuation
    )
}

/// AWS's pattern for its other strings (display and name parts, titles, ...):
/// `[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r  ]+`. The space characters AWS lists vary by attribute;
/// every space separator is allowed here, so only what no attribute takes is refused.
pub fn allowed_in_string(c: char) -> bool {
    allowed_in_user_name(c)
        || matches!(c, '\t' | '\n' | '\r')
        || c.general_category() == GeneralCategory::SpaceSeparator
}

/// A Unicode control character (general category Cc) other than tab, CR and LF, which AWS's
/// string pattern lists: BEL, NUL, ESC, DEL, the C1 controls. Invisible in most consoles and
/// found only through AWS support when AWS answers a plain 400.
pub fn has_control_character(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn control_character(attribute: &str) -> Classification {
    Classification::new(
        Category::InvalidValue,
        Some(attribute),
        format!("{attribute}{CONTROL_CHARACTER}; AWS rejects it"),
    )
}

/// AWS's length and character rules for a userName or group displayName (or a name part),
/// plus the characters the Entra and Okta guides warn about.
pub fn check_name(attribute: &str, value: &str, is_user: bool) -> Option<Classification> {
    name_violation(attribute, value, is_user).map(|v| v.classification)
}

/// [`check_name`] with the rule's origin: AWS's own rules first, the IdP guides' last.
pub fn name_violation(attribute: &str, value: &str, is_user: bool) -> Option<NameViolation> {
    let aws = |why: String| {
        Some(NameViolation {
            classification: Classification::new(
                Category::InvalidValue,
                Some(attribute),
                format!("{attribute} {why}"),
            ),
            aws_rule: true,
        })
    };
    let len = value.chars().count();
    if is_user {
        if value.contains("#EXT#") {
            return aws("contains #EXT# (an Entra guest); AWS rejects it".into());
        }
        if value.chars().any(char::is_whitespace) {
            return aws("contains whitespace; AWS allows none in a userName".into());
        }
    }
    if has_control_character(value) {
        return Some(NameViolation {
            classification: control_character(attribute),
            aws_rule: true,
        });
    }
    let allowed = if is_user {
        allowed_in_user_name
    } else {
        allowed_in_string
    };
    if !value.chars().all(allowed) {
        return aws(format!(
            "{} (letters, marks, symbols, numbers, punctuation): a format, private-use, \
             unassigned or line-separator character such as a zero-width space",
            OUTSIDE_PATTERN.trim_start()
        ));
    }
    if is_user && len > 128 {
        return aws("is longer than AWS's 128-character limit".into());
    }
    if !is_user && len > 1024 {
        return aws("is longer than AWS's 1024-character limit".into());
    }
    if value
        .chars()
        .any(|c| matches!(c, '<' | '>' | ';' | ':' | '%' | '\t' | '\r' | '\n'))
    {
        return Some(NameViolation {
            classification: Classification::new(
                Category::InvalidValue,
                Some(attribute),
                format!(
                    "{attribute} contains a character the Entra and Okta guides say AWS rejects \
                     (<>;:% tab CR LF)"
                ),
            ),
            aws_rule: false,
        });
    }
    None
}

fn by_error_code(event: &ProvisioningEvent) -> Option<Classification> {
    let code = event.error_code.as_deref()?.to_ascii_lowercase();
    // Codes may carry an app prefix (`ContosoEntryConflict`): match on the suffix.
    // Entra's `DuplicateTargetEntries`: more than one object in AWS matches the IdP's object.
    if code.ends_with("duplicatetargetentries") {
        return Some(Classification::new(
            Category::DuplicateConflict,
            None,
            "more than one object in AWS matches the IdP's object (DuplicateTargetEntries)",
        ));
    }
    if code.ends_with("entryconflict") || code.contains("conflict") || code.contains("duplicate") {
        return Some(Classification::new(
            Category::DuplicateConflict,
            None,
            "an object with the same unique value already exists in AWS",
        ));
    }
    if code.ends_with("toomanyrequests") || code.contains("throttl") {
        return Some(throttled());
    }
    if code.ends_with("invalidanchor") || code.contains("notfound") {
        return Some(target_missing());
    }
    if code.ends_with("mandatoryfieldsmissing") {
        return Some(Classification::new(
            Category::MissingRequiredAttribute,
            None,
            "a required attribute was empty or missing (the log does not say which)",
        ));
    }
    if code.ends_with("schemapropertycanonlyacceptvalue") {
        return Some(Classification::new(
            Category::MultivalueNotSupported,
            None,
            "a multi-valued attribute had more than one value; AWS accepts exactly one",
        ));
    }
    if code.contains("unauthorized") {
        return Some(auth_failure());
    }
    None
}

/// The candidate causes of a 400 that states nothing (Okta's guidance, AWS's rules).
pub const UNSPECIFIED_CANDIDATES: [&str; 9] = [
    "name.givenName, name.familyName or displayName empty or missing",
    "userName not unique in AWS (or the user was created manually in AWS)",
    "a value contains one of <>;:% or a tab or line break",
    "an empty string \"\" sent for an attribute (any attribute, optional ones included)",
    "an incomplete address or more than one email, phone or address",
    "a reserved name (Administrator, AWSAdministrators) or a Control Tower group name",
    "a Unicode control character in a value (invisible: BEL, NUL, ESC and the like)",
    "a userName outside AWS's pattern: letters, marks, symbols, numbers and punctuation only \
     (no spaces, control or format characters such as a zero-width space)",
    "more than 100 members added or removed in one PATCH, or a group sent with PUT",
];

fn unexplained(event: &ProvisioningEvent) -> Classification {
    let generic_400 = event.http_status == Some(400)
        || texts(event).any(|t| t.to_lowercase().contains("request is unparsable"));
    if generic_400 {
        Classification::new(
            Category::SchemaViolationUnspecified,
            None,
            "AWS rejected the request as unparsable or against the schema, without saying why",
        )
    } else {
        Classification::new(
            Category::Other,
            None,
            "a failure scimlens has no rule for; see the raw record",
        )
    }
}

fn classify_attribute_validation(event: &ProvisioningEvent) -> Classification {
    let property = event
        .steps
        .iter()
        .find_map(|s| {
            s.details
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("PropertyName"))
        })
        .map(|(_, v)| normalize_attribute(v));
    let is_user = event.entity.kind != Some(EntityKind::Group);
    if let Some(attr) = property.as_deref() {
        let value = event
            .attributes
            .iter()
            .find(|a| normalize_attribute(&a.name) == attr)
            .and_then(|a| a.values.first())
            .map(String::as_str)
            .or(event
                .entity
                .name
                .as_deref()
                .filter(|_| attr == "userName" || attr == "displayName"));
        match value {
            Some(v) if v.trim().is_empty() && REQUIRED_USER.contains(&attr) => {
                return missing(attr);
            }
            Some(v) => {
                // The userName pattern (no whitespace) binds the userName alone.
                if let Some(c) = check_name(attr, v, is_user && attr == "userName") {
                    return c;
                }
            }
            None if REQUIRED_USER.contains(&attr) => return missing(attr),
            None => {}
        }
    }
    Classification {
        category: Category::InvalidValue,
        attribute: property.clone(),
        message: match property {
            Some(p) => format!("{p} failed the IdP's attribute validation before export"),
            None => "an attribute failed the IdP's validation before export".to_string(),
        },
        job_level: false,
    }
}

fn missing(attribute: &str) -> Classification {
    Classification::new(
        Category::MissingRequiredAttribute,
        Some(attribute),
        format!("{attribute} is required by AWS and was empty or missing"),
    )
}

fn throttled() -> Classification {
    Classification::new(
        Category::Throttled,
        None,
        "AWS throttled the request (20 requests/second limit)",
    )
}

fn auth_failure() -> Classification {
    Classification::new(
        Category::AuthFailure,
        None,
        "AWS refused the SCIM token (expired, revoked, or for another tenant)",
    )
}

fn target_missing() -> Classification {
    Classification::new(
        Category::TargetObjectMissing,
        None,
        "the object no longer exists in AWS but the IdP still points at it",
    )
}

fn permission() -> Classification {
    Classification::new(
        Category::Other,
        None,
        "access denied: the caller lacks permission in AWS",
    )
}

/// `List attribute emails exceeds ...` -> `emails`.
fn list_attribute(text: &str) -> Option<String> {
    let i = text.find("List attribute ")? + "List attribute ".len();
    let word: String = text[i..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Maps the many spellings of an attribute onto AWS's SCIM name: `givenName`,
/// `name.givenName`, `emails[type eq "work"].value` -> `emails`, `userPrincipalName` stays.
/// Schema-qualified paths lose their schema: `urn:ietf:params:scim:schemas:core:2.0:User:userName`
/// -> `userName`, and the enterprise extension's
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value` (or `:manager`) ->
/// `manager`.
pub fn normalize_attribute(name: &str) -> String {
    const SCHEMAS: [&str; 2] = [
        "urn:ietf:params:scim:schemas:core:2.0:user",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
    ];
    let base = name.split('[').next().unwrap_or(name).trim();
    let lower = base.to_ascii_lowercase();
    let base = SCHEMAS
        .iter()
        .find(|s| {
            lower.starts_with(*s) && matches!(base.as_bytes().get(s.len()), Some(b':' | b'.'))
        })
        .map(|s| &base[s.len() + 1..])
        .unwrap_or(base);
    let extension = lower.starts_with(SCHEMAS[1]);
    // `manager.value` is the manager: the enterprise extension's only complex attribute.
    let base = match base.strip_suffix(".value") {
        Some(parent) if extension => parent,
        _ => base,
    };
    match base.to_ascii_lowercase().as_str() {
        "givenname" | "name.givenname" | "firstname" => "name.givenName".to_string(),
        "familyname" | "name.familyname" | "surname" | "lastname" => "name.familyName".to_string(),
        "displayname" => "displayName".to_string(),
        "username" => "userName".to_string(),
        "externalid" => "externalId".to_string(),
        "emails" | "email" | "emails.value" | "mail" => "emails".to_string(),
        "phonenumbers" | "phonenumber" | "phonenumbers.value" => "phoneNumbers".to_string(),
        "addresses" | "address" => "addresses".to_string(),
        "roles" => "roles".to_string(),
        _ => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, EntityRef, SentAttribute};

    fn failed(detail: Option<&str>, status: Option<u16>) -> ProvisioningEvent {
        ProvisioningEvent {
            outcome: Some(Outcome::Failure),
            aws_detail: detail.map(str::to_string),
            http_status: status,
            entity: EntityRef {
                kind: Some(EntityKind::User),
                name: Some("ann@x.com".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn aws_validation_detail_names_the_missing_attribute() {
        let ev = failed(
            Some(
                "1 validation error detected: Value at 'name.givenName' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
            Some(400),
        );
        let c = classify(&ev, &Rules::default()).unwrap();
        assert_eq!(c.category, Category::MissingRequiredAttribute);
        assert_eq!(c.attribute.as_deref(), Some("name.givenName"));
    }

    #[test]
    fn a_reserved_group_name_beats_a_generic_400() {
        let mut ev = failed(
            Some("Request is unparsable, syntactically incorrect, or violates schema."),
            Some(400),
        );
        ev.entity = EntityRef {
            kind: Some(EntityKind::Group),
            name: Some("Administrator".into()),
            ..Default::default()
        };
        let c = classify(&ev, &Rules::default()).unwrap();
        assert_eq!(c.category, Category::ReservedName);
        assert_eq!(c.attribute.as_deref(), Some("displayName"));
    }

    #[test]
    fn user_added_reserved_names_count_too() {
        let mut ev = failed(None, Some(400));
        ev.entity.name = Some("AWSControlTowerAdmins".into());
        ev.entity.kind = Some(EntityKind::Group);
        assert_eq!(
            classify(&ev, &Rules::default()).unwrap().category,
            Category::SchemaViolationUnspecified
        );
        let rules = Rules::new(&["awscontroltoweradmins".to_string()]);
        assert_eq!(
            classify(&ev, &rules).unwrap().category,
            Category::ReservedName
        );
    }

    #[test]
    fn two_emails_sent_explain_a_generic_400() {
        let mut ev = failed(
            Some("Request is unparsable, syntactically incorrect, or violates schema."),
            Some(400),
        );
        ev.attributes = vec![
            SentAttribute {
                name: "emails[type eq \"work\"].value".into(),
                old_value: None,
                values: vec!["a@x.com".into()],
            },
            SentAttribute {
                name: "emails[type eq \"other\"].value".into(),
                old_value: None,
                values: vec!["b@x.com".into()],
            },
        ];
        let c = classify(&ev, &Rules::default()).unwrap();
        assert_eq!(c.category, Category::MultivalueNotSupported);
        assert_eq!(c.attribute.as_deref(), Some("emails"));
    }

    #[test]
    fn an_empty_given_name_sent_on_create_is_missing() {
        let mut ev = failed(None, None);
        ev.action = Some(Action::Create);
        ev.attributes = vec![SentAttribute {
            name: "name.givenName".into(),
            old_value: None,
            values: vec!["".into()],
        }];
        assert_eq!(
            classify(&ev, &Rules::default()).unwrap().category,
            Category::MissingRequiredAttribute
        );
    }

    #[test]
    fn an_unexplained_400_lists_as_unspecified() {
        let ev = failed(
            Some("Request is unparsable, syntactically incorrect, or violates schema."),
            Some(400),
        );
        assert_eq!(
            classify(&ev, &Rules::default()).unwrap().category,
            Category::SchemaViolationUnspecified
        );
    }

    #[test]
    fn status_and_codes_classify_when_text_says_nothing() {
        assert_eq!(
            classify(&failed(None, Some(409)), &Rules::default())
                .unwrap()
                .category,
            Category::DuplicateConflict
        );
        assert_eq!(
            classify(&failed(None, Some(429)), &Rules::default())
                .unwrap()
                .category,
            Category::Throttled
        );
        let mut ev = failed(None, None);
        ev.error_code = Some("ContosoEntryConflict".into());
        assert_eq!(
            classify(&ev, &Rules::default()).unwrap().category,
            Category::DuplicateConflict
        );
    }

    #[test]
    fn successes_and_benign_skips_are_not_problems() {
        let mut ev = failed(None, None);
        ev.outcome = Some(Outcome::Success);
        assert!(classify(&ev, &Rules::default()).is_none());
        ev.outcome = Some(Outcome::Skipped);
        ev.skip_reason = Some("RedundantExport".into());
        assert!(classify(&ev, &Rules::default()).is_none());
        assert!(is_decisive(&ev, None));
        ev.skip_reason = Some("NotEffectivelyEntitled".into());
        assert!(!is_decisive(&ev, None));
    }
}
