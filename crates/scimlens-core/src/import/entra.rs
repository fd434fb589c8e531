//! Microsoft Entra ID provisioning records in their JSON shapes: a Graph page
//! (`{"@odata.context", "value": [...]}`), the portal's JSON download (a bare array, older
//! `action`/`statusInfo` names) and the Azure Monitor diagnostic export (JSON lines, record under
//! `properties`, capitalised keys, integer step enums). One record type reads all three.

use serde_json::Value;

use super::{
    EventSink, Input, Leftovers, SourceWarning, WarningKind, head_text, key_position,
    one_record_per_line,
};
use crate::error::Result;
use crate::input::json::{JsonRecords, Layout};
use crate::input::lenient::lenient_record;
use crate::input::value::{
    de_text, embedded_aws_error, http_status_in_text, parse_time, value_text,
};
use crate::model::{
    Action, EntityKind, EntityRef, Format, Outcome, ProvisioningEvent, SentAttribute, Step,
};

pub fn import(format: Format, mut input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let layout = layout_of(format, &mut input)?;
    let mut records = JsonRecords::new(input.reader, &input.path, layout);
    let mut leftovers = Leftovers::default();
    while let Some(rec) = records.next_record()? {
        let parsed: std::result::Result<Option<ProvisioningRecord>, _> =
            if format == Format::EntraDiagnostic {
                serde_json::from_str::<DiagnosticLine>(rec.text).map(|l| {
                    l.properties.map(|mut r| {
                        if r.activity_date_time.is_none() {
                            r.activity_date_time = l.time;
                        }
                        r.unknown_keys += l.unknown_keys;
                        r
                    })
                })
            } else {
                serde_json::from_str(rec.text).map(Some)
            };
        let record =
            parsed.map_err(|e| rec.parse_error(&input.path, "an Entra provisioning record", &e))?;
        match record {
            Some(r) if r.is_provisioning_record() => {
                leftovers.record_keys(r.unknown_keys);
                sink.event(r.into_event(rec.text.to_string()))?;
            }
            _ => leftovers.unknown_shapes += 1,
        }
    }
    for meta in records.meta() {
        if meta.key == "@odata.nextLink" {
            sink.warning(SourceWarning {
                kind: WarningKind::IncompletePage,
                message: "page 1 of more: the file carries @odata.nextLink, so the log goes on \
                          beyond it; download the remaining pages for the full picture"
                    .to_string(),
            });
        }
    }
    leftovers.warn(
        sink,
        "Entra provisioning records",
        "no id, time, action, status or identities",
    );
    Ok(())
}

/// Where the records are: a Graph page keeps them under `value`, an Event Hub capture of the
/// diagnostic export under `records`; a portal download is an array; docs and tools also show
/// one bare record, and the diagnostic export is usually JSON lines.
fn layout_of(format: Format, input: &mut Input) -> Result<Layout> {
    let head = head_text(input)?;
    let text = head.trim_start();
    let first_record_key = [
        "activityDateTime",
        "provisioningAction",
        "properties",
        "id",
        "Id",
    ]
    .iter()
    .filter_map(|k| key_position(text, k))
    .min();
    let wraps =
        |key: &str| key_position(text, key).is_some_and(|p| first_record_key.is_none_or(|r| p < r));
    Ok(if text.starts_with('[') {
        Layout::Array
    } else if wraps("value") {
        Layout::ArrayUnderKey("value")
    } else if format == Format::EntraDiagnostic && wraps("records") {
        Layout::ArrayUnderKey("records")
    } else if format == Format::EntraDiagnostic && one_record_per_line(text) {
        // Strict lines: a broken line is reported at that line.
        Layout::Lines
    } else {
        Layout::ObjectOrLines
    })
}

lenient_record! {
    struct DiagnosticLine {
        time: Option<String> = ["time", "TimeGenerated"] via de_text,
        properties: Option<ProvisioningRecord> = ["properties", "Properties"],
    }
    known [
        "resourceId", "operationName", "operationVersion", "category", "tenantId", "resultType",
        "resultSignature", "resultDescription", "durationMs", "callerIpAddress", "correlationId",
        "identity", "Level", "level", "location", "Tenant", "TenantId",
    ]
}

lenient_record! {
    /// One provisioning record, accepting Graph (camelCase), diagnostic (PascalCase) and the older
    /// `action` / `statusInfo` names, also side by side in one record (the current name wins).
    pub(crate) struct ProvisioningRecord {
        pub id: Option<String> = ["id", "Id"] via de_text,
        pub activity_date_time: Option<String> = ["activityDateTime", "ActivityDateTime"] via de_text,
        pub job_id: Option<String> = ["jobId", "JobId"] via de_text,
        pub cycle_id: Option<String> = ["cycleId", "CycleId"] via de_text,
        pub change_id: Option<String> = ["changeId", "ChangeId"] via de_text,
        pub provisioning_action: Option<String> =
            ["provisioningAction", "ProvisioningAction", "action", "Action"] via de_text,
        pub provisioning_status_info: Option<StatusInfo> =
            ["provisioningStatusInfo", "ProvisioningStatusInfo", "statusInfo", "StatusInfo"],
        pub provisioning_steps: Option<Vec<RawStep>> = ["provisioningSteps", "ProvisioningSteps"],
        pub modified_properties: Option<Vec<ModifiedProperty>> =
            ["modifiedProperties", "ModifiedProperties"],
        pub source_identity: Option<Identity> = ["sourceIdentity", "SourceIdentity"],
        pub target_identity: Option<Identity> = ["targetIdentity", "TargetIdentity"],
    }
    known [
        "@odata.type", "@odata.context", "@odata.id", "tenantId", "TenantId",
        "durationInMilliseconds", "DurationInMilliseconds", "initiatedBy", "InitiatedBy",
        "servicePrincipal", "ServicePrincipal", "sourceSystem", "SourceSystem", "targetSystem",
        "TargetSystem", "status", "Status", "statusInfo@odata.type",
    ]
}

lenient_record! {
    pub(crate) struct StatusInfo {
        pub status: Option<String> = ["status", "Status"] via de_text,
        pub error_information: Option<ErrorInformation> = ["errorInformation", "ErrorInformation"],
        // Older (beta) downloads put the error fields directly under `statusInfo`.
        pub flat_error_code: Option<String> = ["errorCode", "ErrorCode"] via de_text,
        pub flat_reason: Option<String> = ["reason", "Reason"] via de_text,
        pub flat_additional_details: Option<String> =
            ["additionalDetails", "AdditionalDetails"] via de_text,
    }
    known [
        "@odata.type", "errorCategory", "ErrorCategory", "recommendedAction", "RecommendedAction",
    ]
}

lenient_record! {
    pub(crate) struct ErrorInformation {
        pub error_code: Option<String> = ["errorCode", "ErrorCode"] via de_text,
        pub reason: Option<String> = ["reason", "Reason"] via de_text,
        pub additional_details: Option<String> =
            ["additionalDetails", "AdditionalDetails"] via de_text,
    }
    known ["@odata.type", "errorCategory", "ErrorCategory", "recommendedAction", "RecommendedAction"]
}

lenient_record! {
    pub(crate) struct RawStep {
        pub name: Option<String> = ["name", "Name"] via de_text,
        pub provisioning_step_type: Option<String> =
            ["provisioningStepType", "ProvisioningStepType"] via de_text,
        pub status: Option<String> = ["status", "Status"] via de_text,
        pub description: Option<String> = ["description", "Description"] via de_text,
        pub details: Option<Value> = ["details", "Details"],
    }
    known ["@odata.type"]
}

lenient_record! {
    pub(crate) struct ModifiedProperty {
        pub display_name: Option<String> = ["displayName", "DisplayName"] via de_text,
        pub old_value: Option<String> = ["oldValue", "OldValue"] via de_text,
        pub new_value: Option<String> = ["newValue", "NewValue"] via de_text,
    }
    known ["@odata.type", "id", "Id"]
}

lenient_record! {
    pub(crate) struct Identity {
        pub id: Option<String> = ["id", "Id"] via de_text,
        pub display_name: Option<String> = ["displayName", "DisplayName"] via de_text,
        pub identity_type: Option<String> = ["identityType", "IdentityType"] via de_text,
        pub details: Option<Value> = ["details", "Details"],
    }
    known ["@odata.type"]
}

/// Step type and status as words, whether the export wrote names or the integer enums.
fn step_type_name(s: &str) -> String {
    match s {
        "0" => "import",
        "1" => "scoping",
        "2" => "matching",
        "3" => "processing",
        "4" => "referenceResolution",
        "5" => "export",
        other => return other.to_string(),
    }
    .to_string()
}

fn step_status_name(s: &str) -> String {
    match s {
        "0" => "success",
        "1" => "failure",
        "2" => "skipped",
        "3" => "warning",
        other => return other.to_string(),
    }
    .to_string()
}

/// `details` is an object in Graph, sometimes a list of `{key, value}` pairs elsewhere.
pub(crate) fn details_pairs(details: Option<&Value>) -> Vec<(String, String)> {
    match details {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| value_text(v).map(|v| (k.clone(), v)))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let key = item
                    .get("key")
                    .or_else(|| item.get("Key"))
                    .and_then(value_text)?;
                let value = item
                    .get("value")
                    .or_else(|| item.get("Value"))
                    .and_then(value_text)?;
                Some((key, value))
            })
            .collect(),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .map(|v| details_pairs(Some(&v)))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A modified property's new value split into its values: a JSON array string becomes its
/// items; a plain string is one value (possibly empty: `""` is a value, and an invalid one).
pub(crate) fn split_values(new_value: Option<&str>) -> Vec<String> {
    let Some(v) = new_value else {
        return Vec::new();
    };
    let trimmed = v.trim();
    if trimmed.starts_with('[') {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(trimmed) {
            return items.iter().filter_map(value_text).collect();
        }
    }
    // Quoted scalars (`"\"alice\""`) appear in some downloads.
    if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
        if let Ok(Value::String(s)) = serde_json::from_str::<Value>(trimmed) {
            return vec![s];
        }
    }
    vec![v.to_string()]
}

fn detail<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn entity_kind(identity_type: Option<&str>) -> Option<EntityKind> {
    let t = identity_type?.to_ascii_lowercase();
    if t.contains("group") {
        Some(EntityKind::Group)
    } else if t.contains("user") {
        Some(EntityKind::User)
    } else {
        None
    }
}

impl ProvisioningRecord {
    /// False for an object that holds none of a provisioning record's parts (a stray object in
    /// the container): it is skipped and counted rather than read as an empty record.
    fn is_provisioning_record(&self) -> bool {
        self.id.is_some()
            || self.activity_date_time.is_some()
            || self.provisioning_action.is_some()
            || self.provisioning_status_info.is_some()
            || self.source_identity.is_some()
            || self.target_identity.is_some()
    }

    pub(crate) fn into_event(self, raw: String) -> ProvisioningEvent {
        let steps: Vec<Step> = self
            .provisioning_steps
            .unwrap_or_default()
            .into_iter()
            .map(|s| Step {
                name: s.name.unwrap_or_default(),
                step_type: s.provisioning_step_type.as_deref().map(step_type_name),
                status: s.status.as_deref().map(step_status_name),
                description: s.description,
                details: details_pairs(s.details.as_ref()),
            })
            .collect();
        let attributes: Vec<SentAttribute> = self
            .modified_properties
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let values = split_values(p.new_value.as_deref());
                Some(SentAttribute {
                    name: p.display_name?,
                    old_value: p.old_value,
                    values,
                })
            })
            .collect();

        let status_info = self.provisioning_status_info.unwrap_or_default();
        let error = status_info.error_information.unwrap_or(ErrorInformation {
            error_code: status_info.flat_error_code,
            reason: status_info.flat_reason,
            additional_details: status_info.flat_additional_details,
            unknown_keys: 0,
        });
        let outcome = status_info.status.as_deref().map(Outcome::parse);
        let text = [error.reason.as_deref(), error.additional_details.as_deref()];
        let embedded = text.iter().flatten().find_map(|t| embedded_aws_error(t));
        let (aws_detail, embedded_status) = embedded.unwrap_or((None, None));
        let http_status =
            embedded_status.or_else(|| text.iter().flatten().find_map(|t| http_status_in_text(t)));

        let skip_reason = steps
            .iter()
            .find_map(|s| detail(&s.details, "SkipReason").map(str::to_string));

        let source = self.source_identity.unwrap_or_default();
        let target = self.target_identity.unwrap_or_default();
        let kind = entity_kind(source.identity_type.as_deref())
            .or_else(|| entity_kind(target.identity_type.as_deref()));
        let source_details = details_pairs(source.details.as_ref());
        let attr = |names: &[&str]| {
            attributes
                .iter()
                .find(|a| names.iter().any(|n| a.name.eq_ignore_ascii_case(n)))
                .and_then(|a| a.values.first().cloned())
        };
        let name = match kind {
            Some(EntityKind::Group) => {
                attr(&["displayName"]).or_else(|| source.display_name.clone())
            }
            // The UPN is how the admin knows the user in Entra; the userName sent may be the
            // very value that failed.
            _ => detail(&source_details, "UserPrincipalName")
                .map(str::to_string)
                .or_else(|| attr(&["userName"]).filter(|v| !v.trim().is_empty()))
                .or_else(|| source.display_name.clone()),
        };
        let external_id = attr(&["externalId"]);
        let target_id = target.id.filter(|s| !s.is_empty());

        ProvisioningEvent {
            time: self.activity_date_time.as_deref().and_then(parse_time),
            record_id: self.id,
            job_id: self.job_id,
            cycle_id: self.cycle_id,
            change_id: self.change_id,
            action: self.provisioning_action.as_deref().map(Action::parse),
            operation: None,
            entity: EntityRef {
                kind,
                source_id: source.id,
                target_id,
                name,
                display_name: source.display_name,
                external_id,
            },
            outcome,
            http_status,
            error_code: error.error_code,
            aws_detail,
            reason: error.reason,
            skip_reason,
            connection_level: false,
            masked: false,
            attributes,
            steps,
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::VecSink;

    fn import_str(format: Format, text: &str) -> Result<VecSink> {
        let input = Input {
            path: "test.json".into(),
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            size: text.len() as u64,
            gzip: false,
        };
        let mut sink = VecSink::default();
        import(format, input, &mut sink)?;
        Ok(sink)
    }

    #[test]
    fn diagnostic_lines_read_capitalised_keys_and_integer_enums() {
        let line = r#"{"time":"2026-11-20T10:00:00Z","category":"ProvisioningLogs","properties":{"Id":"r1","Action":"Create","ProvisioningStatusInfo":{"Status":1,"ErrorInformation":{"ErrorCode":"X","Reason":"boom"}},"ProvisioningSteps":[{"Name":"EntryExportAdd","ProvisioningStepType":5,"Status":1,"Details":{"SkipReason":"AttributeValidationFailed"}}],"SourceIdentity":{"Id":"s1","DisplayName":"Ann","IdentityType":"User"}}}"#;
        let sink = import_str(Format::EntraDiagnostic, line).unwrap();
        let ev = &sink.events[0];
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(ev.action, Some(Action::Create));
        assert_eq!(ev.steps[0].step_type.as_deref(), Some("export"));
        assert_eq!(ev.steps[0].status.as_deref(), Some("failure"));
        assert_eq!(ev.skip_reason.as_deref(), Some("AttributeValidationFailed"));
        assert_eq!(ev.entity.kind, Some(EntityKind::User));
        assert!(ev.time.is_some());
    }

    #[test]
    fn older_action_and_status_info_names_are_accepted() {
        let arr = r#"[{"id":"1","activityDateTime":"2026-11-20T10:00:00Z","action":"update","statusInfo":{"status":"success"},"sourceIdentity":{"id":"g","displayName":"Ops","identityType":"Group"},"servicePrincipal":[{"id":"sp"}]}]"#;
        let sink = import_str(Format::EntraPortalJson, arr).unwrap();
        assert_eq!(sink.events[0].action, Some(Action::Update));
        assert_eq!(sink.events[0].outcome, Some(Outcome::Success));
        assert_eq!(sink.events[0].entity.name.as_deref(), Some("Ops"));
    }

    #[test]
    fn graph_page_with_next_link_warns_incomplete() {
        let page = r#"{"@odata.context":"x","value":[],"@odata.nextLink":"https://graph/next"}"#;
        let sink = import_str(Format::EntraGraph, page).unwrap();
        assert_eq!(sink.warnings.len(), 1);
        assert_eq!(sink.warnings[0].kind, WarningKind::IncompletePage);
    }

    #[test]
    fn a_record_of_the_wrong_shape_names_its_position() {
        let arr = "[\n{\"id\":\"1\"},\n{\"id\":\"2\",\"provisioningSteps\":\"oops\"}\n]";
        let err = import_str(Format::EntraPortalJson, arr).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("record 2") && msg.contains("line 3"), "{msg}");
    }
}
