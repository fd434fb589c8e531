//! Per-record classification: which failure category a record shows, which attribute is
//! involved, and a normalized message that groups like failures into one root cause.
//!
//! Evidence is used in the order the AWS side states it best: the AWS `detail` text, the HTTP
//! status, rules applied to the values that were sent, then the IdP's error code as a hint.
//! The more specific wins: a reserved name that fails with a generic 400 is `RESERVED_NAME`.

use crate::model::{Category, EntityKind, Outcome, ProvisioningEvent};

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
}

impl Classification {
    fn new(category: Category, attribute: Option<&str>, message: impl Into<String>) -> Self {
        Classification {
            category,
            attribute: attribute.map(str::to_string),
            message: message.into(),
        }
    }
}

/// True when the record can decide an entity's status. Benign skips (out of scope, nothing to
/// do) say nothing about whether the entity is provisioned correctly.
pub fn is_decisive(event: &ProvisioningEvent, classification: Option<&Classification>) -> bool {
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
    let mut found = by_detail(event)
        .or_else(|| by_http_status(event))
        .or_else(|| by_sent_values(event))
        .or_else(|| by_error_code(event));
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

/// Classifies a message text alone (AWS detail, CloudTrail errorMessage, an IdP reason).
pub fn classify_text(text: &str) -> Option<Classification> {
    let lower = text.to_lowercase();
    if let Some(attr) = validation_attribute(text) {
        let attribute = normalize_attribute(&attr);
        if lower.contains("length greater than or equal to 1") || lower.contains("must not be null")
        {
            return Some(Classification::new(
                Category::MissingRequiredAttribute,
                Some(&attribute),
                format!("{attribute} is required by AWS and was empty or missing"),
            ));
        }
        return Some(Classification::new(
            Category::InvalidValue,
            Some(&attribute),
            format!("{attribute} breaks an AWS length or character rule"),
        ));
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
        });
    }
    if lower.contains("missing path in patch") || lower.contains("replacing group memberships") {
        return Some(Classification::new(
            Category::PatchInvalid,
            None,
            "the client sent a PATCH AWS does not support (missing path or replacing all members)",
        ));
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
    if lower.contains("unauthorizedexception")
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

/// Rules on the values the IdP sent: a required attribute empty, two values of a single-valued
/// attribute, a name AWS's patterns refuse.
fn by_sent_values(event: &ProvisioningEvent) -> Option<Classification> {
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
    sent_name.and_then(|n| check_name(name_attr, n, is_user))
}

/// AWS's length and character rules for a userName or group displayName, plus the characters
/// the Entra and Okta guides warn about.
pub fn check_name(attribute: &str, value: &str, is_user: bool) -> Option<Classification> {
    let invalid = |why: &str| {
        Some(Classification::new(
            Category::InvalidValue,
            Some(attribute),
            format!("{attribute} {why}"),
        ))
    };
    let len = value.chars().count();
    if is_user {
        if value.contains("#EXT#") {
            return invalid("contains #EXT# (an Entra guest); AWS rejects it");
        }
        if value.chars().any(char::is_whitespace) {
            return invalid("contains whitespace; AWS allows none in a userName");
        }
        if len > 128 {
            return invalid("is longer than AWS's 128-character limit");
        }
    } else if len > 1024 {
        return invalid("is longer than AWS's 1024-character limit");
    }
    if value
        .chars()
        .any(|c| matches!(c, '<' | '>' | ';' | ':' | '%' | '\t' | '\r' | '\n'))
    {
        return invalid(
            "contains a character the Entra and Okta guides say AWS rejects (<>;:% tab CR LF)",
        );
    }
    None
}

fn by_error_code(event: &ProvisioningEvent) -> Option<Classification> {
    let code = event.error_code.as_deref()?.to_ascii_lowercase();
    // Codes may carry an app prefix (`ContosoEntryConflict`): match on the suffix.
    if code.ends_with("entryconflict") || code.contains("conflict") {
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
pub const UNSPECIFIED_CANDIDATES: [&str; 6] = [
    "name.givenName, name.familyName or displayName empty or missing",
    "userName not unique in AWS (or the user was created manually in AWS)",
    "a value contains one of <>;:% or a tab or line break",
    "an empty string \"\" sent for an attribute",
    "an incomplete address or more than one email, phone or address",
    "a reserved name (Administrator, AWSAdministrators) or a Control Tower group name",
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
                if let Some(c) = check_name(attr, v, is_user) {
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

/// `Value at 'name.givenName' failed to satisfy constraint` -> `name.givenName`.
fn validation_attribute(text: &str) -> Option<String> {
    let i = text.find("Value at '")? + "Value at '".len();
    let end = text[i..].find('\'')?;
    Some(text[i..i + end].to_string())
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
pub fn normalize_attribute(name: &str) -> String {
    let base = name.split('[').next().unwrap_or(name).trim();
    let base = base
        .strip_prefix("urn:ietf:params:scim:schemas:core:2.0:User:")
        .unwrap_or(base);
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
