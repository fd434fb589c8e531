//! Okta System Log (`GET /api/v1/logs`): a JSON array of LogEvent objects, or the same events
//! one per line. Only provisioning events become [`ProvisioningEvent`]s:
//! `application.provision.*` (one entity each) and `application.integration.*` (connection-level:
//! authentication failure, rate limit, general failure). Everything else in the log (sign-ins,
//! policy evaluations, ...) is skipped and counted in one [`WarningKind::Ignored`] warning.
//!
//! Okta quotes AWS's answer in `outcome.reason` as free text, never as the SCIM error body; the
//! AWS part of that text is lifted into `aws_detail` by `aws_detail_in_text`, which the sync
//! tool importer shares.

use serde_json::Value;

use super::entra::split_values;
use super::{
    EventSink, Input, Leftovers, SourceWarning, WarningKind, head_text, one_record_per_line,
};
use crate::error::Result;
use crate::input::json::{JsonRecords, Layout};
use crate::input::lenient::lenient_record;
use crate::input::value::{
    de_text, embedded_aws_error, http_status_in_text, parse_time, value_text,
};
use crate::model::{Action, EntityKind, EntityRef, Outcome, ProvisioningEvent, SentAttribute};

pub fn import(input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let mut input = input;
    // An array of events, events one per line (strict, so a broken line is reported at that
    // line), or one event pretty-printed as the docs show it.
    let head = head_text(&mut input)?;
    let layout = if head.trim_start().starts_with('[') {
        Layout::Array
    } else if one_record_per_line(&head) {
        Layout::Lines
    } else {
        Layout::ObjectOrLines
    };
    let mut records = JsonRecords::new(input.reader, &input.path, layout);
    let mut skipped: u64 = 0;
    let mut leftovers = Leftovers::default();
    while let Some(rec) = records.next_record()? {
        let event: LogEvent = serde_json::from_str(rec.text).map_err(|e| {
            rec.parse_error(
                &input.path,
                "an Okta System Log event (uuid, published, eventType, outcome, target[])",
                &e,
            )
        })?;
        if event.event_type.is_none() {
            leftovers.unknown_shapes += 1;
            continue;
        }
        if !event.is_provisioning() {
            skipped += 1;
            continue;
        }
        leftovers.record_keys(event.unknown_keys);
        sink.event(event.into_event(rec.text.to_string()))?;
    }
    if skipped > 0 {
        sink.warning(SourceWarning {
            kind: WarningKind::Ignored,
            message: format!("{skipped} events that are not provisioning events were skipped"),
        });
    }
    leftovers.warn(sink, "Okta System Log events", "no eventType");
    Ok(())
}

lenient_record! {
    struct LogEvent {
        uuid: Option<String> = ["uuid"] via de_text,
        published: Option<String> = ["published"] via de_text,
        event_type: Option<String> = ["eventType"] via de_text,
        outcome: Option<LogOutcome> = ["outcome"],
        target: Option<Vec<Target>> = ["target"],
        transaction: Option<Transaction> = ["transaction"],
        debug_context: Option<DebugContext> = ["debugContext"],
    }
    known [
        "actor", "client", "device", "authenticationContext", "displayMessage", "severity",
        "securityContext", "request", "legacyEventType", "version", "_links",
    ]
}

lenient_record! {
    struct LogOutcome {
        result: Option<String> = ["result"] via de_text,
        reason: Option<String> = ["reason"] via de_text,
    }
}

lenient_record! {
    struct Target {
        id: Option<String> = ["id"] via de_text,
        kind: Option<String> = ["type"] via de_text,
        alternate_id: Option<String> = ["alternateId"] via de_text,
        display_name: Option<String> = ["displayName"] via de_text,
    }
    known ["detailEntry", "changeDetails"]
}

lenient_record! {
    struct Transaction {
        id: Option<String> = ["id"] via de_text,
    }
    known ["type", "detail"]
}

lenient_record! {
    struct DebugContext {
        debug_data: Option<serde_json::Map<String, Value>> = ["debugData"],
    }
}

const PROVISION: &str = "application.provision.";
const INTEGRATION: &str = "application.integration.";

/// `debugData` keys that name a profile attribute sent to the app. Everything else in
/// `debugData` is request metadata (`requestId`, `appname`, `retryAfter`, ...). An allowlist,
/// because a stray key read as an attribute would be judged by the attribute rules.
const ATTRIBUTE_KEYS: [&str; 38] = [
    "userName",
    "login",
    "email",
    "emails",
    "secondEmail",
    "givenName",
    "firstName",
    "familyName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "phoneNumbers",
    "mobilePhone",
    "primaryPhone",
    "addresses",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "postalCode",
    "countryCode",
    "externalId",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];

fn is_attribute_key(key: &str) -> bool {
    ATTRIBUTE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
        || [
            "name.",
            "emails",
            "addresses",
            "phoneNumbers",
            "urn:ietf:params:scim:",
        ]
        .iter()
        .any(|p| key.starts_with(p))
}

impl LogEvent {
    fn event_type(&self) -> &str {
        self.event_type.as_deref().unwrap_or_default()
    }

    fn is_provisioning(&self) -> bool {
        let t = self.event_type();
        t.starts_with(PROVISION) || t.starts_with(INTEGRATION)
    }

    fn into_event(self, raw: String) -> ProvisioningEvent {
        let event_type = self.event_type().to_string();
        let connection_level = event_type.starts_with(INTEGRATION);
        let outcome_info = self.outcome.unwrap_or_default();
        let outcome = outcome_info
            .result
            .as_deref()
            .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("unknown"))
            .map(Outcome::parse);
        let reason = outcome_info.reason.filter(|r| !r.trim().is_empty());

        let embedded = reason.as_deref().and_then(embedded_aws_error);
        let (embedded_detail, embedded_status) = embedded.unwrap_or((None, None));
        let aws_detail = embedded_detail.or_else(|| reason.as_deref().and_then(aws_detail_in_text));
        let http_status = embedded_status
            .or_else(|| reason.as_deref().and_then(http_status_in_text))
            .or_else(|| reason.as_deref().and_then(status_from_reason_phrase))
            .or(match event_type.strip_prefix(INTEGRATION) {
                // Okta names the failure; the status is what AWS answers for it.
                Some("authentication_failure") => Some(401),
                Some("rate_limit_exceeded") => Some(429),
                _ => None,
            });

        let mut entity = if connection_level {
            EntityRef::default()
        } else {
            entity_from_targets(&event_type, self.target.unwrap_or_default())
        };

        let debug_data = self
            .debug_context
            .and_then(|d| d.debug_data)
            .unwrap_or_default();
        if entity.kind == Some(EntityKind::Group) {
            // Group push events name the AWS group they are linked to.
            entity.target_id = debug_data.get("pushedGroupId").and_then(value_text);
        }
        let attributes = attributes_from_debug_data(debug_data);

        ProvisioningEvent {
            time: self.published.as_deref().and_then(parse_time),
            record_id: self.uuid,
            change_id: self.transaction.and_then(|t| t.id),
            action: Some(action_for(&event_type)),
            operation: Some(event_type),
            entity,
            outcome,
            http_status,
            aws_detail,
            reason,
            connection_level,
            attributes,
            raw,
            ..ProvisioningEvent::default()
        }
    }
}

/// What an Okta provisioning event type tried to do to the entity.
fn action_for(event_type: &str) -> Action {
    match event_type.strip_prefix(PROVISION).unwrap_or_default() {
        "user.push" | "group.add" | "group_push.pushed" => Action::Create,
        "user.push_profile" | "group.update" | "group_push.updated" => Action::Update,
        "user.deactivate" => Action::Disable,
        "group.remove" | "group_push.removed" => Action::Delete,
        _ => Action::Other,
    }
}

/// Group, group push and group membership events are about the group, even when a user is
/// among the targets; every other provisioning event is about the user.
fn is_group_event(event_type: &str) -> bool {
    let rest = event_type.strip_prefix(PROVISION).unwrap_or_default();
    rest.starts_with("group.")
        || rest.starts_with("group_push")
        || rest.starts_with("group_membership")
}

fn entity_from_targets(event_type: &str, targets: Vec<Target>) -> EntityRef {
    let of_type = |types: &[&str]| {
        targets.iter().find(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| types.iter().any(|want| k.eq_ignore_ascii_case(want)))
        })
    };
    let group = of_type(&["UserGroup", "AppGroup", "Group"]);
    let app_user = of_type(&["AppUser"]);
    let user = of_type(&["User"]);
    let prefer_group = is_group_event(event_type);

    if let Some(g) = group.filter(|_| prefer_group || (app_user.is_none() && user.is_none())) {
        return EntityRef {
            kind: Some(EntityKind::Group),
            source_id: g.id.clone(),
            name: g.display_name.clone().or_else(|| g.alternate_id.clone()),
            display_name: g.display_name.clone(),
            ..EntityRef::default()
        };
    }
    // The AppUser carries the name sent to AWS; the Okta User carries the IdP's own id.
    if let Some(u) = app_user.or(user) {
        return EntityRef {
            kind: Some(EntityKind::User),
            source_id: user.and_then(|u| u.id.clone()).or_else(|| u.id.clone()),
            name: u.alternate_id.clone().or_else(|| u.display_name.clone()),
            display_name: u.display_name.clone(),
            ..EntityRef::default()
        };
    }
    let rest = event_type.strip_prefix(PROVISION).unwrap_or_default();
    EntityRef {
        kind: if prefer_group {
            Some(EntityKind::Group)
        } else if rest.starts_with("user.") {
            Some(EntityKind::User)
        } else {
            None
        },
        ..EntityRef::default()
    }
}

fn attributes_from_debug_data(data: serde_json::Map<String, Value>) -> Vec<SentAttribute> {
    data.into_iter()
        .filter(|(k, _)| is_attribute_key(k))
        .map(|(name, v)| {
            let values = match &v {
                Value::String(s) => split_values(Some(s)),
                Value::Array(items) => items.iter().filter_map(value_text).collect(),
                other => value_text(other).into_iter().collect(),
            };
            SentAttribute {
                name,
                old_value: None,
                values,
            }
        })
        .collect()
}

/// HTTP reason phrases as Okta writes them in a failure reason (`...: Bad Request. Errors
/// reported by remote server: ...`, `... exists: Unauthorized`). Only a phrase that stands as its
/// own sentence counts, so prose such as "the user was not found in scope" does not.
const REASON_PHRASES: [(&str, u16); 9] = [
    ("Bad Request", 400),
    ("Unauthorized", 401),
    ("Forbidden", 403),
    ("Not Found", 404),
    ("Conflict", 409),
    ("Too Many Requests", 429),
    ("Internal Server Error", 500),
    ("Bad Gateway", 502),
    ("Service Unavailable", 503),
];

pub(crate) fn status_from_reason_phrase(text: &str) -> Option<u16> {
    REASON_PHRASES.iter().find_map(|&(phrase, status)| {
        text.match_indices(phrase).find_map(|(i, _)| {
            let before = text[..i].trim_end_matches(' ');
            let after = text[i + phrase.len()..].trim_start_matches(' ');
            let starts = before.is_empty() || before.ends_with([':', '.', '-', '(']);
            let ends = after.is_empty() || after.starts_with(['.', ')', ';', ',']);
            (starts && ends).then_some(status)
        })
    })
}

/// Messages AWS IAM Identity Center returns (its SCIM implementation guide), as IdPs and sync
/// tools quote them.
/// The Okta phrasings for a missing target object are included: they stand for AWS's 404.
const AWS_PHRASES: [&str; 12] = [
    "Request is unparsable",
    "Refused to create a new, duplicate resource",
    "No user returned for user",
    "Linked group is missing",
    "validation error detected",
    "validation errors detected",
    "List attribute ",
    "Currently list attributes only allow single item",
    "Missing path in PATCH request",
    "Replacing group memberships is not supported",
    "Duplicate GroupDisplayName",
    "Rate exceeded",
];

/// The AWS part of a free-text failure message: from the first known AWS phrase to the end.
/// `None` when the text quotes nothing AWS is known to say.
pub(crate) fn aws_detail_in_text(text: &str) -> Option<String> {
    let start = AWS_PHRASES.iter().filter_map(|p| text.find(p)).min()?;
    // "2 validation errors detected": keep the count in front of the phrase.
    let before = &text[..start];
    let start = if text[start..].starts_with("validation error") {
        let trimmed = before.trim_end();
        let digits = trimmed.len() - trimmed.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            trimmed.len() - digits
        } else {
            start
        }
    } else {
        start
    };
    let mut detail = text[start..]
        .trim()
        .trim_end_matches(['"', '\''])
        .trim_end();
    // "HTTP 429 Too Many Requests (Rate exceeded)": drop the bracket the detail did not open.
    if detail.ends_with(')') && !detail.contains('(') {
        detail = detail[..detail.len() - 1].trim_end();
    }
    (!detail.is_empty()).then(|| detail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::VecSink;

    fn import_str(text: &str) -> Result<VecSink> {
        let input = Input {
            path: "okta.json".into(),
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            size: text.len() as u64,
            gzip: false,
        };
        let mut sink = VecSink::default();
        import(input, &mut sink)?;
        Ok(sink)
    }

    const PUSH_FAILED: &str = r#"{"uuid":"e1","published":"2026-11-20T10:57:08.014Z","eventType":"application.provision.user.push","severity":"ERROR","displayMessage":"Push new user to external application","outcome":{"result":"FAILURE","reason":"Automatic provisioning of user Ann Lee to app AWS IAM Identity Center failed: Error while trying to push new user ann@example.com: Request is unparsable, syntactically incorrect, or violates schema."},"target":[{"id":"0oa1","type":"AppInstance","alternateId":"AWS IAM Identity Center","displayName":"AWS IAM Identity Center"},{"id":"0ua1","type":"AppUser","alternateId":"ann@example.com","displayName":"Ann Lee"},{"id":"00u1","type":"User","alternateId":"ann.lee@example.com","displayName":"Ann Lee"}],"transaction":{"type":"JOB","id":"tx1"},"debugContext":{"debugData":{"requestId":"r1","appname":"amazon_aws_sso","emails":"[\"ann@example.com\",\"a.lee@example.com\"]","givenName":"Ann"}}}"#;

    #[test]
    fn okta_push_failure_maps_user_outcome_and_aws_detail() {
        let sink = import_str(&format!("[{PUSH_FAILED}]")).unwrap();
        let ev = &sink.events[0];
        assert_eq!(ev.record_id.as_deref(), Some("e1"));
        assert_eq!(
            ev.operation.as_deref(),
            Some("application.provision.user.push")
        );
        assert_eq!(ev.action, Some(Action::Create));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.entity.kind, Some(EntityKind::User));
        assert_eq!(ev.entity.name.as_deref(), Some("ann@example.com"));
        assert_eq!(ev.entity.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(ev.entity.source_id.as_deref(), Some("00u1"));
        assert_eq!(ev.change_id.as_deref(), Some("tx1"));
        assert_eq!(
            ev.aws_detail.as_deref(),
            Some("Request is unparsable, syntactically incorrect, or violates schema.")
        );
        assert!(
            ev.reason
                .as_deref()
                .unwrap()
                .starts_with("Automatic provisioning")
        );
        assert_eq!(ev.http_status, None, "Okta does not state the status here");
        assert!(!ev.connection_level);
        assert!(ev.time.is_some());
        assert_eq!(ev.raw, PUSH_FAILED);
    }

    #[test]
    fn okta_debug_data_becomes_sent_attributes_without_request_metadata() {
        let sink = import_str(PUSH_FAILED).unwrap();
        let attrs = &sink.events[0].attributes;
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names.len(),
            2,
            "only profile attributes, not request metadata: {names:?}"
        );
        let emails = attrs.iter().find(|a| a.name == "emails").unwrap();
        assert_eq!(emails.values, vec!["ann@example.com", "a.lee@example.com"]);
    }

    #[test]
    fn okta_json_lines_are_read_like_an_array() {
        let lines = format!("{PUSH_FAILED}\n\n{PUSH_FAILED}\n");
        assert_eq!(import_str(&lines).unwrap().events.len(), 2);
    }

    #[test]
    fn okta_auth_failure_is_connection_level() {
        let line = r#"{"uuid":"e2","published":"2026-11-20T11:00:00Z","eventType":"application.integration.authentication_failure","outcome":{"result":"FAILURE","reason":"Authentication failed: invalid bearer token"},"target":[{"id":"0oa1","type":"AppInstance","displayName":"AWS IAM Identity Center"}]}"#;
        let ev = &import_str(line).unwrap().events[0];
        assert!(ev.connection_level);
        assert_eq!(ev.http_status, Some(401));
        assert_eq!(ev.entity, EntityRef::default(), "the app is not the entity");
    }

    #[test]
    fn okta_rate_limit_defaults_to_429_unless_the_reason_states_a_status() {
        let line = r#"{"uuid":"e3","eventType":"application.integration.rate_limit_exceeded","outcome":{"result":"FAILURE","reason":"Rate limit hit"}}"#;
        assert_eq!(import_str(line).unwrap().events[0].http_status, Some(429));
    }

    #[test]
    fn okta_group_events_name_the_group_and_map_actions() {
        let arr = r#"[
 {"uuid":"g1","eventType":"application.provision.group.add","outcome":{"result":"SUCCESS"},"target":[{"id":"0oa1","type":"AppInstance"},{"id":"00g1","type":"UserGroup","displayName":"Engineers"}]},
 {"uuid":"g2","eventType":"application.provision.group_push.removed","outcome":{"result":"FAILURE","reason":"Linked group is missing in AWS IAM Identity Center"},"target":[{"id":"00g1","type":"UserGroup","displayName":"Engineers"}]},
 {"uuid":"g3","eventType":"application.provision.group_membership.add","outcome":{"result":"SUCCESS"},"target":[{"id":"00u1","type":"User","alternateId":"ann@example.com"},{"id":"00g1","type":"UserGroup","displayName":"Engineers"}]},
 {"uuid":"u1","eventType":"application.provision.user.deactivate","outcome":{"result":"SKIPPED"},"target":[{"id":"00u2","type":"User","alternateId":"bob@example.com","displayName":"Bob"}]}
]"#;
        let sink = import_str(arr).unwrap();
        let ev = &sink.events;
        assert_eq!(ev[0].action, Some(Action::Create));
        assert_eq!(ev[0].entity.kind, Some(EntityKind::Group));
        assert_eq!(ev[0].entity.name.as_deref(), Some("Engineers"));
        assert_eq!(ev[1].action, Some(Action::Delete));
        assert_eq!(
            ev[1].aws_detail.as_deref(),
            Some("Linked group is missing in AWS IAM Identity Center")
        );
        assert_eq!(ev[2].action, Some(Action::Other));
        assert_eq!(
            ev[2].entity.kind,
            Some(EntityKind::Group),
            "membership changes the group"
        );
        assert_eq!(ev[3].action, Some(Action::Disable));
        assert_eq!(ev[3].outcome, Some(Outcome::Skipped));
        assert_eq!(ev[3].entity.name.as_deref(), Some("bob@example.com"));
    }

    #[test]
    fn okta_non_provisioning_events_are_skipped_and_counted_once() {
        let arr = format!(
            r#"[{{"uuid":"s1","eventType":"user.session.start","outcome":{{"result":"SUCCESS"}}}},{PUSH_FAILED},{{"uuid":"s2","eventType":"policy.evaluate_sign_on"}}]"#
        );
        let sink = import_str(&arr).unwrap();
        assert_eq!(sink.events.len(), 1);
        assert_eq!(
            sink.warnings,
            vec![SourceWarning {
                kind: WarningKind::Ignored,
                message: "2 events that are not provisioning events were skipped".to_string(),
            }]
        );
    }

    #[test]
    fn okta_duplicate_reason_keeps_only_the_aws_sentence() {
        let reason =
            "Error while trying to push new user x: Refused to create a new, duplicate resource.";
        assert_eq!(
            aws_detail_in_text(reason).as_deref(),
            Some("Refused to create a new, duplicate resource.")
        );
        let counted = "failed: 2 validation errors detected: Value at 'name.givenName' failed";
        assert!(
            aws_detail_in_text(counted)
                .unwrap()
                .starts_with("2 validation errors")
        );
        assert_eq!(aws_detail_in_text("Okta could not reach the app"), None);
    }

    #[test]
    fn okta_reason_phrase_states_the_http_status() {
        let bad = "failed: Error while creating user x: Bad Request. Errors reported by remote \
                   server: Request is unparsable, syntactically incorrect, or violates schema.";
        assert_eq!(status_from_reason_phrase(bad), Some(400));
        assert_eq!(
            status_from_reason_phrase("verifying if user x exists: Unauthorized"),
            Some(401)
        );
        assert_eq!(
            status_from_reason_phrase("Too Many Requests. Errors: Rate exceeded"),
            Some(429)
        );
        assert_eq!(
            status_from_reason_phrase("the user was Not Found in scope"),
            None
        );
        let limited = "calling AWS: HTTP 429 Too Many Requests (Rate exceeded)";
        assert_eq!(
            aws_detail_in_text(limited).as_deref(),
            Some("Rate exceeded")
        );
    }

    #[test]
    fn okta_group_push_names_the_linked_aws_group() {
        let line = r#"{"uuid":"p1","eventType":"application.provision.group_push.mapping.update.or.delete.failed.with.error","outcome":{"result":"FAILURE","reason":"Linked group is missing in AWS IAM Identity Center"},"target":[{"type":"UserGroup","alternateId":"unknown","displayName":"aws-platform-admins"}],"debugContext":{"debugData":{"pushedGroupId":"9067-g1"}}}"#;
        let ev = &import_str(line).unwrap().events[0];
        assert_eq!(ev.entity.name.as_deref(), Some("aws-platform-admins"));
        assert_eq!(ev.entity.target_id.as_deref(), Some("9067-g1"));
        assert!(ev.attributes.is_empty());
    }

    #[test]
    fn okta_bad_record_names_file_record_and_expectation() {
        let arr = "[\n{\"uuid\":\"a\",\"eventType\":\"application.provision.user.push\"},\n{\"uuid\":\"b\",\"target\":\"oops\"}\n]";
        let msg = import_str(arr).unwrap_err().to_string();
        assert!(msg.contains("okta.json"), "{msg}");
        assert!(msg.contains("line 3") && msg.contains("record 2"), "{msg}");
        assert!(msg.contains("an Okta System Log event"), "{msg}");
    }
}
