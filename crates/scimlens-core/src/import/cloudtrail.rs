//! AWS CloudTrail events about the identity store: SCIM calls
//! (`identitystore-scim.amazonaws.com`), Identity Store API calls
//! (`identitystore.amazonaws.com`) and the older directory API (`sso-directory.amazonaws.com`).
//!
//! Accepted shapes: a trail file `{"Records": [...]}`, a bare JSON array of events, one event
//! object (pretty or not), events one per line, and the AWS CLI's `lookup-events` output
//! `{"Events": [{"CloudTrailEvent": "<event as a JSON string>", ...}], "NextToken"?}`. Events
//! from other services are skipped and counted in one [`WarningKind::Ignored`] warning.
//!
//! SCIM calls mask names and values as [`MASKED`]: such a record is identified only by the AWS id
//! in `requestParameters.id` / `responseElements.id`, its `masked` flag is set and its name is
//! left empty, so nothing downstream can mistake the mask for a name. Identity Store API calls
//! made by an admin often carry real names; those are used.

use serde_json::Value;

use super::{EventSink, Input, Leftovers, SourceWarning, WarningKind, head_text, key_position};
use crate::error::{Error, Result};
use crate::input::json::{JsonRecords, Layout};
use crate::input::lenient::lenient_record;
use crate::input::value::{de_text, http_status_in_text, parse_time, value_text};
use crate::model::{
    Action, EntityKind, EntityRef, MASKED, Outcome, ProvisioningEvent, SentAttribute,
};

/// The event sources whose calls change (or read) the identity store.
const SOURCES: [&str; 3] = [
    "identitystore-scim.amazonaws.com",
    "identitystore.amazonaws.com",
    "sso-directory.amazonaws.com",
];

/// How the events sit in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Records,
    LookupEvents,
    Array,
    ObjectOrLines,
}

pub fn import(input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let mut input = input;
    let shape = sniff_shape(&mut input)?;
    let layout = match shape {
        Shape::Records => Layout::ArrayUnderKey("Records"),
        Shape::LookupEvents => Layout::ArrayUnderKey("Events"),
        Shape::Array => Layout::Array,
        Shape::ObjectOrLines => Layout::ObjectOrLines,
    };
    let mut records = JsonRecords::new(input.reader, &input.path, layout);
    let mut skipped: u64 = 0;
    let mut leftovers = Leftovers::default();
    while let Some(rec) = records.next_record()? {
        let event: TrailEvent = if shape == Shape::LookupEvents {
            let outer: LookupEvent = serde_json::from_str(rec.text).map_err(|e| {
                rec.parse_error(
                    &input.path,
                    "a lookup-events entry (EventId, CloudTrailEvent)",
                    &e,
                )
            })?;
            match outer.cloud_trail_event.as_deref() {
                // A position inside the string would not be a file position: name the entry.
                Some(inner) => serde_json::from_str(inner).map_err(|e| Error::Parse {
                    path: input.path.clone(),
                    position: rec.position(),
                    expected: "a CloudTrail event inside the CloudTrailEvent string".to_string(),
                    found: e.to_string(),
                })?,
                None => outer.into_trail_event(),
            }
        } else {
            serde_json::from_str(rec.text).map_err(|e| {
                rec.parse_error(
                    &input.path,
                    "a CloudTrail event (eventTime, eventSource, eventName)",
                    &e,
                )
            })?
        };
        leftovers.record_keys(event.unknown_keys);
        let source = event.event_source.as_deref().unwrap_or_default();
        if !SOURCES.contains(&source) {
            skipped += 1;
            continue;
        }
        sink.event(event.into_event(rec.text.to_string()))?;
    }
    if records
        .meta()
        .iter()
        .any(|m| m.key == "NextToken" && m.raw_value != "null")
    {
        sink.warning(SourceWarning {
            kind: WarningKind::IncompletePage,
            message: "page 1 of more: the lookup-events output carries NextToken, so there are \
                      more events; run lookup-events again with --next-token for the rest"
                .to_string(),
        });
    }
    if skipped > 0 {
        sink.warning(SourceWarning {
            kind: WarningKind::Ignored,
            message: format!(
                "{skipped} CloudTrail events from services other than the identity store were \
                 skipped"
            ),
        });
    }
    leftovers.warn(sink, "CloudTrail events", "");
    Ok(())
}

/// Decides the layout from the first bytes, without consuming them.
fn sniff_shape(input: &mut Input) -> Result<Shape> {
    let head = head_text(input)?;
    let text = head.trim_start();
    if text.starts_with('[') {
        return Ok(Shape::Array);
    }
    let first_event = key_position(text, "eventSource");
    let before_events =
        |key: &str| key_position(text, key).is_some_and(|p| first_event.is_none_or(|e| p < e));
    Ok(if before_events("Records") {
        Shape::Records
    } else if before_events("Events") && key_position(text, "CloudTrailEvent").is_some() {
        Shape::LookupEvents
    } else {
        Shape::ObjectOrLines
    })
}

lenient_record! {
    struct TrailEvent {
        event_time: Option<String> = ["eventTime"] via de_text,
        event_source: Option<String> = ["eventSource"] via de_text,
        event_name: Option<String> = ["eventName"] via de_text,
        event_id: Option<String> = ["eventID", "eventId"] via de_text,
        request_id: Option<String> = ["requestID", "requestId"] via de_text,
        error_code: Option<String> = ["errorCode"] via de_text,
        error_message: Option<String> = ["errorMessage"] via de_text,
        request_parameters: Option<Value> = ["requestParameters"],
        response_elements: Option<Value> = ["responseElements"],
    }
    known [
        "eventVersion", "userIdentity", "awsRegion", "sourceIPAddress", "userAgent",
        "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory",
        "tlsDetails", "sessionCredentialFromConsole", "additionalEventData", "resources",
        "serviceEventDetails", "apiVersion", "sharedEventID", "vpcEndpointId",
        "vpcEndpointAccountId", "insightDetails", "edgeDeviceDetails", "addendum",
    ]
}

lenient_record! {
    /// One entry of `aws cloudtrail lookup-events`; the full event is the `CloudTrailEvent` string.
    struct LookupEvent {
        event_id: Option<String> = ["EventId"] via de_text,
        event_name: Option<String> = ["EventName"] via de_text,
        event_time: Option<String> = ["EventTime"] via de_text,
        event_source: Option<String> = ["EventSource"] via de_text,
        cloud_trail_event: Option<String> = ["CloudTrailEvent"] via de_text,
    }
    known ["ReadOnly", "AccessKeyId", "Username", "Resources"]
}

impl LookupEvent {
    fn into_trail_event(self) -> TrailEvent {
        TrailEvent {
            event_time: self.event_time,
            event_source: self.event_source,
            event_name: self.event_name,
            event_id: self.event_id,
            ..TrailEvent::default()
        }
    }
}

/// The entity an operation name is about. Membership calls change a group.
fn kind_for(event_name: &str) -> Option<EntityKind> {
    if event_name.contains("Group") {
        Some(EntityKind::Group)
    } else if event_name.contains("User") {
        Some(EntityKind::User)
    } else {
        None
    }
}

fn is_membership(event_name: &str) -> bool {
    event_name.contains("Membership")
        || event_name.contains("MemberToGroup")
        || event_name.contains("MemberFromGroup")
}

fn action_for(event_name: &str) -> Action {
    if is_membership(event_name) {
        return Action::Other;
    }
    let starts = |verbs: &[&str]| verbs.iter().any(|v| event_name.starts_with(v));
    if starts(&["Create"]) {
        Action::Create
    } else if starts(&["Patch", "Put", "Update"]) {
        Action::Update
    } else if starts(&["Delete"]) {
        Action::Delete
    } else if starts(&["Disable"]) {
        Action::Disable
    } else {
        Action::Other
    }
}

/// The HTTP status AWS answers with for each error code of the identity store APIs.
fn status_for(error_code: &str) -> Option<u16> {
    const STATUS: [(&str, u16); 8] = [
        ("ValidationException", 400),
        ("UnauthorizedException", 401),
        ("AccessDenied", 403),
        ("ResourceNotFoundException", 404),
        ("ConflictException", 409),
        ("ThrottlingException", 429),
        ("InternalServerException", 500),
        ("ServiceQuotaExceededException", 402),
    ];
    STATUS
        .iter()
        .find(|(code, _)| error_code.starts_with(code))
        .map(|&(_, status)| status)
}

/// A member of an object, by any of the spellings given (`id`, `UserId`, ...), as usable text:
/// not empty, not masked.
fn member(v: Option<&Value>, keys: &[&str]) -> Option<String> {
    let obj = v?.as_object()?;
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(value_text))
        .filter(|s| usable(s))
}

fn usable(s: &str) -> bool {
    !s.trim().is_empty() && s != MASKED
}

fn contains_masked(v: &Value) -> bool {
    match v {
        Value::String(s) => s == MASKED,
        Value::Array(items) => items.iter().any(contains_masked),
        Value::Object(map) => map.values().any(contains_masked),
        _ => false,
    }
}

/// Keys of a request that address the call, not the entity's attributes.
const ADDRESS_KEYS: [&str; 10] = [
    "identityStoreId",
    "IdentityStoreId",
    "directoryId",
    "tenantId",
    "id",
    "userId",
    "UserId",
    "groupId",
    "GroupId",
    "schemas",
];

/// The attributes a create or update sent, as far as CloudTrail shows them unmasked. SCIM bodies
/// are masked, so they yield nothing: an attribute with a hidden value must not look empty.
fn sent_attributes(body: &Value) -> Vec<SentAttribute> {
    if contains_masked(body) {
        return Vec::new();
    }
    let Some(obj) = body.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in obj {
        if ADDRESS_KEYS.contains(&key.as_str()) {
            continue;
        }
        if key.eq_ignore_ascii_case("operations") {
            // SCIM PATCH `{op, path, value}` and Identity Store `{AttributePath, AttributeValue}`.
            for op in value.as_array().into_iter().flatten() {
                let path = member(Some(op), &["path", "AttributePath", "attributePath"]);
                let value = op
                    .get("value")
                    .or_else(|| op.get("AttributeValue"))
                    .or_else(|| op.get("attributeValue"));
                if let Some(name) = path {
                    out.push(SentAttribute {
                        name,
                        old_value: None,
                        values: value.map(values_of).unwrap_or_default(),
                    });
                }
            }
            continue;
        }
        flatten(key, value, &mut out);
    }
    out
}

fn flatten(name: &str, value: &Value, out: &mut Vec<SentAttribute>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{name}.{k}"), v, out);
            }
        }
        other => out.push(SentAttribute {
            name: name.to_string(),
            old_value: None,
            values: values_of(other),
        }),
    }
}

/// `[{"value": "a"}, {"Value": "b"}]` and `["a", "b"]` are two values; a scalar is one.
fn values_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::Object(_) => member(Some(item), &["value", "Value"]),
                other => value_text(other),
            })
            .collect(),
        other => value_text(other).into_iter().collect(),
    }
}

impl TrailEvent {
    fn into_event(self, raw: String) -> ProvisioningEvent {
        let name = self.event_name.unwrap_or_default();
        let kind = kind_for(&name);
        let action = action_for(&name);
        let request = self.request_parameters.filter(|v| !v.is_null());
        let response = self.response_elements.filter(|v| !v.is_null());
        // SCIM calls carry the SCIM body under `httpBody`; the APIs put it in the request itself.
        let body = request
            .as_ref()
            .and_then(|r| r.get("httpBody"))
            .or(request.as_ref());

        const IDS: [&str; 5] = ["id", "userId", "groupId", "UserId", "GroupId"];
        let target_id = member(request.as_ref(), &IDS).or_else(|| member(response.as_ref(), &IDS));
        let entity_name = match kind {
            Some(EntityKind::Group) => member(body, &["displayName", "DisplayName"])
                .or_else(|| member(response.as_ref(), &["displayName", "DisplayName"])),
            Some(EntityKind::User) => member(body, &["userName", "UserName"])
                .or_else(|| member(response.as_ref(), &["userName", "UserName"])),
            _ => None,
        };
        let display_name = member(body, &["displayName", "DisplayName"]);
        let external_id = member(body, &["externalId"]).or_else(|| {
            let ids = body?
                .get("ExternalIds")
                .or_else(|| body?.get("externalIds"))?;
            member(ids.as_array()?.first(), &["Id", "id"])
        });
        let masked = entity_name.is_none() && raw.contains(MASKED);
        let attributes = match (action, body) {
            (Action::Create | Action::Update, Some(body)) => sent_attributes(body),
            _ => Vec::new(),
        };

        let error_code = self.error_code.filter(|c| !c.trim().is_empty());
        let aws_detail = self.error_message.filter(|m| !m.trim().is_empty());
        let http_status = error_code
            .as_deref()
            .and_then(status_for)
            .or_else(|| aws_detail.as_deref().and_then(http_status_in_text));
        let outcome = Some(if error_code.is_some() {
            Outcome::Failure
        } else {
            Outcome::Success
        });

        ProvisioningEvent {
            time: self.event_time.as_deref().and_then(parse_time),
            record_id: self.event_id,
            change_id: self.request_id,
            action: Some(action),
            operation: (!name.is_empty()).then_some(name),
            entity: EntityRef {
                kind,
                source_id: None,
                target_id,
                name: entity_name,
                display_name,
                external_id,
            },
            outcome,
            // A rejected token or wrong tenant is about the connection, not the entity.
            connection_level: http_status == Some(401),
            http_status,
            error_code,
            aws_detail,
            masked,
            attributes,
            raw,
            ..ProvisioningEvent::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::VecSink;

    fn import_str(text: &str) -> Result<VecSink> {
        let input = Input {
            path: "trail.json".into(),
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            size: text.len() as u64,
            gzip: false,
        };
        let mut sink = VecSink::default();
        import(input, &mut sink)?;
        Ok(sink)
    }

    const CREATE_FAILED: &str = r#"{"eventVersion":"1.10","eventTime":"2026-11-20T10:57:08Z","eventSource":"identitystore-scim.amazonaws.com","eventName":"CreateUser","errorCode":"ValidationException","errorMessage":"1 validation error detected: Value at 'name.givenName' failed to satisfy constraint: Member must have length greater than or equal to 1","requestParameters":{"httpBody":{"displayName":"HIDDEN_DUE_TO_SECURITY_REASONS","name":{"familyName":"HIDDEN_DUE_TO_SECURITY_REASONS","givenName":"HIDDEN_DUE_TO_SECURITY_REASONS"},"userName":"HIDDEN_DUE_TO_SECURITY_REASONS"},"tenantId":"t1"},"responseElements":null,"requestID":"req1","eventID":"ev1"}"#;
    const PATCH_OK: &str = r#"{"eventTime":"2026-11-20T10:57:52Z","eventSource":"identitystore-scim.amazonaws.com","eventName":"PatchGroup","requestParameters":{"httpBody":{"operations":[{"op":"ADD","path":"members","value":"HIDDEN_DUE_TO_SECURITY_REASONS"}]},"tenantId":"t1","id":"9067-g1"},"responseElements":null,"requestID":"req2","eventID":"ev2"}"#;

    #[test]
    fn cloudtrail_masked_failure_keeps_no_name_and_maps_the_error() {
        let sink = import_str(&format!("{{\"Records\": [{CREATE_FAILED}]}}")).unwrap();
        let ev = &sink.events[0];
        assert!(ev.masked);
        assert_eq!(ev.entity.name, None);
        assert_eq!(ev.entity.display_name, None);
        assert_eq!(ev.entity.kind, Some(EntityKind::User));
        assert_eq!(ev.action, Some(Action::Create));
        assert_eq!(ev.operation.as_deref(), Some("CreateUser"));
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.http_status, Some(400));
        assert_eq!(ev.error_code.as_deref(), Some("ValidationException"));
        assert!(ev.aws_detail.as_deref().unwrap().contains("name.givenName"));
        assert!(
            ev.attributes.is_empty(),
            "masked values must not look like empty ones"
        );
        assert_eq!(ev.record_id.as_deref(), Some("ev1"));
        assert_eq!(ev.change_id.as_deref(), Some("req1"));
        assert!(ev.time.is_some());
        assert_eq!(ev.raw, CREATE_FAILED);
    }

    #[test]
    fn cloudtrail_patch_is_identified_by_the_request_id() {
        let ev = &import_str(PATCH_OK).unwrap().events[0];
        assert_eq!(ev.entity.target_id.as_deref(), Some("9067-g1"));
        assert_eq!(ev.entity.kind, Some(EntityKind::Group));
        assert_eq!(ev.action, Some(Action::Update));
        assert_eq!(ev.outcome, Some(Outcome::Success));
        assert_eq!(ev.http_status, None);
        assert!(ev.masked);
    }

    #[test]
    fn cloudtrail_json_lines_and_a_pretty_single_event_are_read() {
        let lines = format!("{CREATE_FAILED}\n{PATCH_OK}\n");
        assert_eq!(import_str(&lines).unwrap().events.len(), 2);
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(CREATE_FAILED).unwrap())
                .unwrap();
        assert_eq!(import_str(&pretty).unwrap().events.len(), 1);
        assert_eq!(
            import_str(&format!("[{PATCH_OK}]")).unwrap().events.len(),
            1
        );
    }

    #[test]
    fn cloudtrail_identity_store_api_calls_use_real_names_and_ids() {
        let delete = r#"{"eventTime":"2026-11-20T09:20:03Z","eventSource":"identitystore.amazonaws.com","eventName":"DeleteUser","requestParameters":{"IdentityStoreId":"d-1","UserId":"9067-u7"},"responseElements":null,"eventID":"ev3"}"#;
        let create = r#"{"eventTime":"2026-11-20T09:21:00Z","eventSource":"identitystore.amazonaws.com","eventName":"CreateUser","requestParameters":{"IdentityStoreId":"d-1","UserName":"ann@example.com","DisplayName":"Ann Lee","Name":{"GivenName":"Ann","FamilyName":"Lee"},"Emails":[{"Value":"ann@example.com","Primary":true}]},"responseElements":{"UserId":"9067-u8","IdentityStoreId":"d-1"},"eventID":"ev4"}"#;
        let sink = import_str(&format!("{delete}\n{create}")).unwrap();
        let del = &sink.events[0];
        assert_eq!(del.entity.target_id.as_deref(), Some("9067-u7"));
        assert_eq!(del.action, Some(Action::Delete));
        assert!(!del.masked);
        let cre = &sink.events[1];
        assert_eq!(cre.entity.name.as_deref(), Some("ann@example.com"));
        assert_eq!(cre.entity.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(cre.entity.target_id.as_deref(), Some("9067-u8"));
        assert!(!cre.masked);
        let names: Vec<&str> = cre.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "DisplayName",
                "Emails",
                "Name.FamilyName",
                "Name.GivenName",
                "UserName"
            ]
        );
        assert_eq!(cre.attributes[1].values, vec!["ann@example.com"]);
    }

    #[test]
    fn cloudtrail_other_services_are_skipped_and_counted() {
        let other = r#"{"eventTime":"2026-11-20T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
        let text = format!("{{\"Records\":[{other},{PATCH_OK},{other}]}}");
        let sink = import_str(&text).unwrap();
        assert_eq!(sink.events.len(), 1);
        assert_eq!(sink.warnings.len(), 1);
        assert_eq!(sink.warnings[0].kind, WarningKind::Ignored);
        assert!(sink.warnings[0].message.starts_with("2 CloudTrail events"));
    }

    #[test]
    fn cloudtrail_lookup_events_output_unwraps_the_event_string() {
        let inner = serde_json::to_string(CREATE_FAILED).unwrap();
        let text = format!(
            r#"{{"Events":[{{"EventId":"ev1","EventName":"CreateUser","ReadOnly":"false","EventTime":"2026-11-20T10:57:08+00:00","EventSource":"identitystore-scim.amazonaws.com","CloudTrailEvent":{inner}}}],"NextToken":"abc"}}"#
        );
        let sink = import_str(&text).unwrap();
        assert_eq!(
            sink.events[0].error_code.as_deref(),
            Some("ValidationException")
        );
        assert_eq!(sink.warnings[0].kind, WarningKind::IncompletePage);
    }

    #[test]
    fn cloudtrail_unauthorized_is_connection_level() {
        let text = r#"{"eventTime":"2026-11-20T12:00:00Z","eventSource":"identitystore-scim.amazonaws.com","eventName":"ListUsers","errorCode":"UnauthorizedException","errorMessage":"Invalid token"}"#;
        let ev = &import_str(text).unwrap().events[0];
        assert_eq!(ev.http_status, Some(401));
        assert!(ev.connection_level);
        assert_eq!(ev.action, Some(Action::Other));
    }

    #[test]
    fn cloudtrail_membership_calls_change_the_group_without_deleting_it() {
        assert_eq!(action_for("DeleteGroupMembership"), Action::Other);
        assert_eq!(kind_for("DeleteGroupMembership"), Some(EntityKind::Group));
        assert_eq!(action_for("DeleteGroup"), Action::Delete);
        assert_eq!(action_for("PutUser"), Action::Update);
        assert_eq!(action_for("ListGroups"), Action::Other);
    }

    #[test]
    fn cloudtrail_truncated_records_name_the_position() {
        let text = format!("{{\"Records\": [\n{CREATE_FAILED},\n{{\"eventName\":");
        let msg = import_str(&text).unwrap_err().to_string();
        assert!(
            msg.contains("trail.json") && msg.contains("line 3"),
            "{msg}"
        );
    }
}
