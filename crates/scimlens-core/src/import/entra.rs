//! Microsoft Entra ID provisioning records in their JSON shapes: a Graph page
//! (`{"@odata.context", "value": [...]}`), the portal's JSON download (a bare array, older
//! `action`/`statusInfo` names) and the Azure Monitor diagnostic export (JSON lines, record under
//! `properties`, capitalised keys, integer step enums). One record type reads all three.

use serde::Deserialize;
use serde_json::Value;

use super::json::{JsonRecords, Layout};
use super::value::{de_text, embedded_aws_error, http_status_in_text, parse_time, value_text};
use super::{EventSink, Input, SourceWarning, WarningKind};
use crate::error::{Error, Position, Result};
use crate::model::{
    Action, EntityKind, EntityRef, Format, Outcome, ProvisioningEvent, SentAttribute, Step,
};

pub fn import(format: Format, input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let layout = match format {
        Format::EntraGraph => Layout::ArrayUnderKey("value"),
        Format::EntraPortalJson => Layout::Array,
        _ => Layout::Lines,
    };
    let mut records = JsonRecords::new(input.reader, &input.path, layout);
    while let Some(rec) = records.next_record()? {
        let position = Position {
            line: Some(rec.line),
            column: Some(rec.column),
            record: Some(rec.number),
            byte_offset: None,
        };
        let parsed: std::result::Result<ProvisioningRecord, _> =
            if format == Format::EntraDiagnostic {
                serde_json::from_str::<DiagnosticLine>(rec.text).map(|l| {
                    let mut r = l.properties;
                    if r.activity_date_time.is_none() {
                        r.activity_date_time = l.time;
                    }
                    r
                })
            } else {
                serde_json::from_str(rec.text)
            };
        let record = parsed.map_err(|e| Error::Parse {
            path: input.path.clone(),
            position,
            expected: "an Entra provisioning record".to_string(),
            found: e.to_string(),
        })?;
        sink.event(record.into_event(rec.text.to_string()))?;
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
    Ok(())
}

#[derive(Deserialize)]
struct DiagnosticLine {
    #[serde(default, deserialize_with = "de_text")]
    time: Option<String>,
    properties: ProvisioningRecord,
}

/// One provisioning record, accepting Graph (camelCase), diagnostic (PascalCase) and the older
/// `action` / `statusInfo` names.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ProvisioningRecord {
    #[serde(alias = "Id", deserialize_with = "de_text")]
    pub id: Option<String>,
    #[serde(alias = "ActivityDateTime", deserialize_with = "de_text")]
    pub activity_date_time: Option<String>,
    #[serde(alias = "JobId", deserialize_with = "de_text")]
    pub job_id: Option<String>,
    #[serde(alias = "CycleId", deserialize_with = "de_text")]
    pub cycle_id: Option<String>,
    #[serde(alias = "ChangeId", deserialize_with = "de_text")]
    pub change_id: Option<String>,
    #[serde(
        alias = "action",
        alias = "Action",
        alias = "ProvisioningAction",
        deserialize_with = "de_text"
    )]
    pub provisioning_action: Option<String>,
    #[serde(
        alias = "statusInfo",
        alias = "StatusInfo",
        alias = "ProvisioningStatusInfo"
    )]
    pub provisioning_status_info: Option<StatusInfo>,
    #[serde(alias = "ProvisioningSteps")]
    pub provisioning_steps: Option<Vec<RawStep>>,
    #[serde(alias = "ModifiedProperties")]
    pub modified_properties: Option<Vec<ModifiedProperty>>,
    #[serde(alias = "SourceIdentity")]
    pub source_identity: Option<Identity>,
    #[serde(alias = "TargetIdentity")]
    pub target_identity: Option<Identity>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct StatusInfo {
    #[serde(alias = "Status", deserialize_with = "de_text")]
    pub status: Option<String>,
    #[serde(alias = "ErrorInformation")]
    pub error_information: Option<ErrorInformation>,
    /// Older (beta) downloads put the error fields directly under `statusInfo`.
    #[serde(flatten)]
    pub flat_error: ErrorInformation,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ErrorInformation {
    #[serde(alias = "ErrorCode", deserialize_with = "de_text")]
    pub error_code: Option<String>,
    #[serde(alias = "Reason", deserialize_with = "de_text")]
    pub reason: Option<String>,
    #[serde(alias = "AdditionalDetails", deserialize_with = "de_text")]
    pub additional_details: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct RawStep {
    #[serde(alias = "Name", deserialize_with = "de_text")]
    pub name: Option<String>,
    #[serde(alias = "ProvisioningStepType", deserialize_with = "de_text")]
    pub provisioning_step_type: Option<String>,
    #[serde(alias = "Status", deserialize_with = "de_text")]
    pub status: Option<String>,
    #[serde(alias = "Description", deserialize_with = "de_text")]
    pub description: Option<String>,
    #[serde(alias = "Details")]
    pub details: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ModifiedProperty {
    #[serde(alias = "DisplayName", deserialize_with = "de_text")]
    pub display_name: Option<String>,
    #[serde(alias = "OldValue", deserialize_with = "de_text")]
    pub old_value: Option<String>,
    #[serde(alias = "NewValue", deserialize_with = "de_text")]
    pub new_value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Identity {
    #[serde(alias = "Id", deserialize_with = "de_text")]
    pub id: Option<String>,
    #[serde(alias = "DisplayName", deserialize_with = "de_text")]
    pub display_name: Option<String>,
    #[serde(alias = "IdentityType", deserialize_with = "de_text")]
    pub identity_type: Option<String>,
    #[serde(alias = "Details")]
    pub details: Option<Value>,
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
        let error = status_info
            .error_information
            .unwrap_or(status_info.flat_error);
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
