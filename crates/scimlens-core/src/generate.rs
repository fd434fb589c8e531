//! Deterministic generator of large provisioning logs, for benchmarks. The same format, record
//! count and seed always produce the same bytes.

use std::io::Write;

use crate::error::{Error, Result};
use crate::model::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenStats {
    pub records: u64,
    pub bytes: u64,
}

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Counting<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write + ?Sized> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

const CYCLE_MS: i64 = 40 * 60 * 1000;
const START_MS: i64 = 1_795_000_000_000; // 2026-11-18

/// Failure scenarios mixed into generated logs, with the AWS detail Entra quotes.
const FAILURES: [(&str, &str, &str); 6] = [
    (
        "BadRequest",
        "400",
        "1 validation error detected: Value at 'name.givenName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    (
        "BadRequest",
        "400",
        "List attribute emails exceeds allowed limit of 1",
    ),
    (
        "Conflict",
        "409",
        "Refused to create a new, duplicate resource.",
    ),
    (
        "BadRequest",
        "400",
        "Request is unparsable, syntactically incorrect, or violates schema.",
    ),
    ("TooManyRequests", "429", "Rate exceeded"),
    ("NotFound", "404", "Resource not found"),
];

pub fn generate(format: Format, records: u64, seed: u64, out: &mut dyn Write) -> Result<GenStats> {
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let io = |source| Error::Io {
        path: "generated output".into(),
        source,
    };
    match format {
        Format::EntraPortalJson | Format::EntraGraph | Format::EntraDiagnostic => {
            entra(format, records, seed, &mut w).map_err(io)?
        }
        Format::OktaSystemlog => okta(records, seed, &mut w).map_err(io)?,
        Format::Cloudtrail => cloudtrail(records, seed, &mut w).map_err(io)?,
        Format::Ssosync => ssosync(records, seed, &mut w).map_err(io)?,
        Format::IdpScimSync => idp_scim_sync(records, seed, &mut w).map_err(io)?,
        Format::EntraLogAnalyticsCsv | Format::EntraPortalCsv => {
            entra_csv(format, records, seed, &mut w).map_err(io)?
        }
        Format::EntraJobStatus => {
            return Err(Error::InvalidArgument(
                "entra-job-status is one provisioning job's status, not a log: there are no \
                 records to generate"
                    .to_string(),
            ));
        }
    }
    w.flush().map_err(io)?;
    Ok(GenStats {
        records,
        bytes: w.bytes,
    })
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn guid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn entra(format: Format, records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // A tenant of about records/4 users (each retried over several cycles) and 1/50 as many groups.
    let users = (records / 4).max(10);
    let groups = (records / 200).max(3);
    let job = format!("AWSSCIM.{}.{}", guid(&mut rng).replace('-', ""), "contoso");
    match format {
        Format::EntraGraph => write!(
            w,
            "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning\",\"value\":["
        )?,
        Format::EntraPortalJson => write!(w, "[")?,
        _ => {}
    }
    let per_cycle = (records / 40).max(1);
    for i in 0..records {
        let cycle = i / per_cycle;
        let time = START_MS + cycle as i64 * CYCLE_MS + (i % per_cycle) as i64 * 7;
        let is_group = rng.below(50) == 0;
        let n = if is_group {
            rng.below(groups)
        } else {
            rng.below(users)
        };
        let fail = rng.below(100) < 6;
        let failure = FAILURES[rng.below(FAILURES.len() as u64) as usize];
        let (kind, name, display) = if is_group {
            ("Group", format!("Team {n:05}"), format!("Team {n:05}"))
        } else {
            (
                "User",
                format!("user{n:06}@contoso.com"),
                format!("User {n:06}"),
            )
        };
        let source_id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            n,
            n * 7 + u64::from(is_group)
        );
        let target_id = format!(
            "90{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            n,
            n % 65536,
            0x7000 + n % 4096,
            0x8000 + n % 4096,
            n * 13
        );
        let status = if fail { "failure" } else { "success" };
        let action = if rng.below(3) == 0 {
            "Create"
        } else {
            "Update"
        };
        let (code, http, detail) = failure;
        let error = if fail {
            let body = format!(
                "{{\\\"schema\\\":[\\\"urn:ietf:params:scim:api:messages:2.0:Error\\\"],\\\"schemas\\\":[\\\"urn:ietf:params:scim:api:messages:2.0:Error\\\"],\\\"detail\\\":\\\"{detail}\\\",\\\"status\\\":\\\"{http}\\\",\\\"exceptionRequestId\\\":\\\"{}\\\",\\\"timeStamp\\\":\\\"2026-11-20 10:57:08.014\\\"}}",
                guid(&mut rng)
            );
            format!(
                "{{\"errorCode\":\"SystemForCrossDomainIdentityManagementServiceIncompatible\",\"reason\":\"Failed to {} {kind} '{name}' in customappsso; Error: StatusCode: {code} Message: Processing of the HTTP request resulted in an exception. Please see the HTTP response returned by the 'Response' property of this exception for details. Web Response: {body}. We will retry this operation on the next synchronization cycle.\",\"additionalDetails\":null,\"errorCategory\":\"NonServiceFailure\",\"recommendedAction\":null}}",
                action.to_lowercase()
            )
        } else {
            "null".to_string()
        };
        let given = if fail && failure.2.contains("givenName") {
            String::new()
        } else {
            format!("Given{n}")
        };
        let record = format!(
            concat!(
                "{{\"id\":\"{id}\",\"activityDateTime\":\"{time}\",\"tenantId\":\"{tenant}\",\"jobId\":\"{job}\",",
                "\"cycleId\":\"{cycle:08x}-c0de-4000-8000-000000000000\",\"changeId\":\"{change}\",\"provisioningAction\":\"{action}\",",
                "\"durationInMilliseconds\":{dur},",
                "\"provisioningStatusInfo\":{{\"status\":\"{status}\",\"errorInformation\":{error}}},",
                "\"provisioningSteps\":[",
                "{{\"name\":\"EntryImportAdd\",\"provisioningStepType\":\"import\",\"status\":\"success\",\"description\":\"Received {kind} '{name}' change of type (Add) from Azure Active Directory\",\"details\":{{\"objectId\":\"{source_id}\",\"accountEnabled\":\"True\",\"userPrincipalName\":\"{name}\"}}}},",
                "{{\"name\":\"EntrySynchronizationScoping\",\"provisioningStepType\":\"scoping\",\"status\":\"success\",\"description\":\"Determine if {kind} is in scope by evaluating against each scoping filter\",\"details\":{{\"Active in the source system\":\"True\",\"Assigned to the application\":\"True\",\"User has the required role\":\"True\",\"ScopeEvaluationResult\":\"{{}}\"}}}},",
                "{{\"name\":\"EntryExportUpdate\",\"provisioningStepType\":\"export\",\"status\":\"{status}\",\"description\":\"{export_desc}\",\"details\":{{\"ReportableIdentifier\":\"{name}\"}}}}",
                "],",
                "\"modifiedProperties\":[",
                "{{\"displayName\":\"accountEnabled\",\"oldValue\":null,\"newValue\":\"True\"}},",
                "{{\"displayName\":\"displayName\",\"oldValue\":null,\"newValue\":\"{display}\"}},",
                "{{\"displayName\":\"userName\",\"oldValue\":null,\"newValue\":\"{name}\"}},",
                "{{\"displayName\":\"name.givenName\",\"oldValue\":null,\"newValue\":\"{given}\"}},",
                "{{\"displayName\":\"name.familyName\",\"oldValue\":null,\"newValue\":\"Family{n}\"}},",
                "{{\"displayName\":\"externalId\",\"oldValue\":null,\"newValue\":\"{source_id}\"}}",
                "],",
                "\"servicePrincipal\":{{\"id\":\"{sp}\",\"displayName\":\"AWS IAM Identity Center\"}},",
                "\"sourceIdentity\":{{\"id\":\"{source_id}\",\"displayName\":\"{display}\",\"identityType\":\"{kind}\",\"details\":{{}}}},",
                "\"targetIdentity\":{{\"id\":\"{target_id}\",\"displayName\":\"{name}\",\"identityType\":\"{kind}\",\"details\":{{}}}},",
                "\"sourceSystem\":{{\"id\":\"{sys1}\",\"displayName\":\"Azure Active Directory\",\"details\":{{}}}},",
                "\"targetSystem\":{{\"id\":\"{sys2}\",\"displayName\":\"AWS IAM Identity Center\",\"details\":{{\"ApplicationId\":\"{sp}\",\"ServicePrincipalId\":\"{sp}\"}}}},",
                "\"initiatedBy\":{{\"id\":\"\",\"displayName\":\"Azure AD Provisioning Service\",\"initiatorType\":\"system\"}}}}"
            ),
            id = guid(&mut rng),
            time = iso(time),
            tenant = "7d6d2a53-1f2b-4a3c-9d4e-5f6a7b8c9d0e",
            job = job,
            cycle = cycle,
            change = guid(&mut rng),
            action = action,
            dur = rng.below(3000),
            status = status,
            error = error,
            kind = kind,
            name = name,
            display = display,
            given = given,
            n = n,
            source_id = source_id,
            target_id = target_id,
            sp = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            sys1 = "4b3c2d1e-0f9a-4b8c-8d7e-6f5a4b3c2d1e",
            sys2 = "5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f",
            export_desc = if fail {
                "Failed to export the change to AWS IAM Identity Center"
            } else {
                "Exported the change to AWS IAM Identity Center"
            },
        );
        match format {
            Format::EntraDiagnostic => {
                writeln!(
                    w,
                    "{{\"time\":\"{}\",\"resourceId\":\"/tenants/7d6d2a53/providers/Microsoft.aadiam\",\"operationName\":\"Provisioning activity\",\"category\":\"ProvisioningLogs\",\"properties\":{record}}}",
                    iso(time)
                )?;
            }
            _ => {
                if i > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(record.as_bytes())?;
            }
        }
    }
    match format {
        Format::EntraGraph => write!(w, "]}}")?,
        Format::EntraPortalJson => write!(w, "]")?,
        _ => {}
    }
    Ok(())
}

/// One generated attempt: who, when, and whether (and how) it failed.
struct Attempt {
    time: i64,
    n: u64,
    is_group: bool,
    failure: Option<(&'static str, &'static str, &'static str)>,
}

fn attempts(records: u64, seed: u64) -> impl Iterator<Item = Attempt> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let users = (records / 4).max(10);
    let groups = (records / 200).max(3);
    let per_cycle = (records / 40).max(1);
    (0..records).map(move |i| {
        let is_group = rng.below(50) == 0;
        let n = if is_group {
            rng.below(groups)
        } else {
            rng.below(users)
        };
        let fail = rng.below(100) < 6;
        let failure = FAILURES[rng.below(FAILURES.len() as u64) as usize];
        Attempt {
            time: START_MS + (i / per_cycle) as i64 * CYCLE_MS + (i % per_cycle) as i64 * 7,
            n,
            is_group,
            failure: fail.then_some(failure),
        }
    })
}

fn okta(records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(b"[")?;
    for (i, a) in attempts(records, seed).enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let (event_type, target) = if a.is_group {
            (
                "application.provision.group_push.pushed",
                format!(
                    "{{\"id\":\"00g{:014}\",\"type\":\"UserGroup\",\"alternateId\":\"unknown\",\"displayName\":\"Team {:05}\"}}",
                    a.n, a.n
                ),
            )
        } else {
            (
                "application.provision.user.push",
                format!(
                    "{{\"id\":\"00u{:014}\",\"type\":\"AppUser\",\"alternateId\":\"user{:06}@example.com\",\"displayName\":\"User {:06}\"}}",
                    a.n, a.n, a.n
                ),
            )
        };
        let (result, reason) = match a.failure {
            Some((_, _, detail)) => (
                "FAILURE",
                format!(
                    "\"Automatic provisioning to app AWS IAM Identity Center failed: {detail}\""
                ),
            ),
            None => ("SUCCESS", "null".to_string()),
        };
        write!(
            w,
            "{{\"uuid\":\"{:08x}-0000-4000-8000-{:012x}\",\"published\":\"{}\",\"eventType\":\"{event_type}\",\"version\":\"0\",\"severity\":\"{}\",\"displayMessage\":\"Push user to app\",\"actor\":{{\"id\":\"0oa1aws\",\"type\":\"PublicClientApp\",\"alternateId\":\"AWS IAM Identity Center\",\"displayName\":\"AWS IAM Identity Center\"}},\"outcome\":{{\"result\":\"{result}\",\"reason\":{reason}}},\"target\":[{target},{{\"id\":\"0oa1aws\",\"type\":\"AppInstance\",\"alternateId\":\"AWS IAM Identity Center\",\"displayName\":\"AWS IAM Identity Center\"}}],\"transaction\":{{\"type\":\"JOB\",\"id\":\"job{:08}\"}}}}",
            i,
            i,
            iso(a.time),
            if a.failure.is_some() { "WARN" } else { "INFO" },
            i / 100
        )?;
    }
    w.write_all(b"]")
}

fn cloudtrail(records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(b"{\"Records\":[")?;
    for (i, a) in attempts(records, seed).enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let name = if a.is_group {
            "CreateGroup"
        } else {
            "CreateUser"
        };
        let error = match a.failure {
            Some((_, http, detail)) => {
                let code = match http {
                    "409" => "ConflictException",
                    "429" => "ThrottlingException",
                    "404" => "ResourceNotFoundException",
                    _ => "ValidationException",
                };
                format!(",\"errorCode\":\"{code}\",\"errorMessage\":\"{detail}\"")
            }
            None => String::new(),
        };
        let response = if a.failure.is_none() {
            format!("{{\"id\":\"90{:08x}-0000-4000-8000-{:012x}\"}}", a.n, a.n)
        } else {
            "null".to_string()
        };
        write!(
            w,
            "{{\"eventVersion\":\"1.10\",\"userIdentity\":{{\"type\":\"Unknown\",\"accountId\":\"123456789012\"}},\"eventTime\":\"{}\",\"eventSource\":\"identitystore-scim.amazonaws.com\",\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.10\",\"userAgent\":\"Microsoft.Identity.Provisioning\",\"requestParameters\":{{\"userName\":\"HIDDEN_DUE_TO_SECURITY_REASONS\",\"displayName\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}},\"responseElements\":{response}{error},\"requestID\":\"{:08x}-1111-4000-8000-000000000000\",\"eventID\":\"{:08x}-2222-4000-8000-000000000000\",\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"123456789012\"}}",
            iso(a.time),
            i,
            i
        )?;
    }
    w.write_all(b"]}")
}

fn ssosync(records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    for a in attempts(records, seed) {
        let time = chrono::DateTime::from_timestamp_millis(a.time)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        // ssosync logs the operation, then a warning or error line about it (its real messages).
        if a.is_group {
            writeln!(
                w,
                "{{\"Name\":\"aws-team-{:05}\",\"level\":\"info\",\"msg\":\"creating group\",\"time\":\"{time}\"}}",
                a.n
            )?;
        } else {
            writeln!(
                w,
                "{{\"level\":\"info\",\"msg\":\"creating user\",\"time\":\"{time}\",\"user\":\"user{:06}@example.com\"}}",
                a.n
            )?;
        }
        match a.failure {
            None => {}
            Some((_, "409", _)) if !a.is_group => writeln!(
                w,
                "{{\"level\":\"warning\",\"msg\":\"user already exists\",\"time\":\"{time}\",\"user\":\"user{:06}@example.com\"}}",
                a.n
            )?,
            Some((_, http, _)) => {
                let what = if a.is_group { "group" } else { "user" };
                writeln!(
                    w,
                    "{{\"level\":\"error\",\"msg\":\"error creating {what}\",\"time\":\"{time}\"}}"
                )?;
                writeln!(
                    w,
                    "{{\"level\":\"fatal\",\"msg\":\"status of http response was {http}\",\"time\":\"{time}\"}}"
                )?;
            }
        }
    }
    Ok(())
}

fn idp_scim_sync(records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    for a in attempts(records, seed) {
        let time = iso(a.time);
        match (a.is_group, a.failure) {
            (true, _) => writeln!(
                w,
                "{{\"time\":\"{time}\",\"level\":\"WARN\",\"msg\":\"creating group\",\"group\":\"AWS-Team-{:05}\"}}",
                a.n
            )?,
            (false, None) => writeln!(
                w,
                "{{\"time\":\"{time}\",\"level\":\"WARN\",\"msg\":\"creating user\",\"user\":\"user{:06}@example.com\"}}",
                a.n
            )?,
            (false, Some((_, http, detail))) => writeln!(
                w,
                "{{\"time\":\"{time}\",\"level\":\"ERROR\",\"msg\":\"error creating user\",\"user\":\"user{:06}@example.com\",\"error\":\"aws CreateOrGetUser: error creating user: status code {http}: {detail}\"}}",
                a.n
            )?,
        }
    }
    Ok(())
}

fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn entra_csv(format: Format, records: u64, seed: u64, w: &mut dyn Write) -> std::io::Result<()> {
    if format == Format::EntraLogAnalyticsCsv {
        writeln!(
            w,
            "TenantId,SourceSystem,TimeGenerated [UTC],ActivityDateTime [UTC],Id,JobId,CycleId,ChangeId,Action,ProvisioningStatusInfo,ProvisioningSteps,ModifiedProperties,SourceIdentity,TargetIdentity,ResultType,ResultSignature,ResultDescription,DurationMs,AADTenantId,OperationName,Type"
        )?;
    } else {
        writeln!(
            w,
            "Date (UTC),Id,Job ID,Cycle ID,Change ID,Action,Source Identity ID,Source Identity Display Name,Source Identity Type,Target Identity ID,Target Identity Display Name,Target Identity Type,Status,Error Code,Failure Reason,Duration (ms)"
        )?;
    }
    for (i, a) in attempts(records, seed).enumerate() {
        let kind = if a.is_group { "Group" } else { "User" };
        let name = if a.is_group {
            format!("Team {:05}", a.n)
        } else {
            format!("user{:06}@contoso.com", a.n)
        };
        let source_id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            a.n,
            a.n * 7 + u64::from(a.is_group)
        );
        let (status, code, reason) = match a.failure {
            Some((code, http, detail)) => (
                "Failure",
                code,
                format!(
                    "Failed to create {kind} '{name}'; Error: StatusCode: {code} Message: Web Response: {{\"schema\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"detail\":\"{detail}\",\"status\":\"{http}\"}}"
                ),
            ),
            None => ("Success", "", String::new()),
        };
        let time = iso(a.time);
        let cycle = format!(
            "{:08x}-c0de-4000-8000-000000000000",
            (a.time - START_MS) / CYCLE_MS
        );
        if format == Format::EntraLogAnalyticsCsv {
            let info = match a.failure {
                Some(_) => {
                    serde_json::json!({"status": "failure", "errorInformation": {"errorCode": code, "reason": reason}})
                }
                None => serde_json::json!({"status": "success", "errorInformation": null}),
            };
            let steps = serde_json::json!([{"name": "EntryExportAdd", "provisioningStepType": 5, "status": if a.failure.is_some() { 1 } else { 0 }, "description": format!("{kind} '{name}' export"), "details": {}}]);
            let props = serde_json::json!([{"displayName": if a.is_group { "displayName" } else { "userName" }, "oldValue": null, "newValue": name}]);
            let source = serde_json::json!({"id": source_id, "displayName": name, "identityType": kind, "details": {}});
            let target = serde_json::json!({"id": "", "displayName": "", "identityType": kind, "details": {}});
            writeln!(
                w,
                "0b5d8e2f-91a4-4c37-b6e8-3f2a1d9c7e45,Azure,{time},{time},{i:08x}-aaaa-4000-8000-000000000000,AWSSCIM.contoso,{cycle},{i:08x}-bbbb-4000-8000-000000000000,Create,{},{},{},{},{},{status},{},{},120,7d6d2a53-1f2b-4a3c-9d4e-5f6a7b8c9d0e,Provisioning activity,AADProvisioningLogs",
                csv_cell(&info.to_string()),
                csv_cell(&steps.to_string()),
                csv_cell(&props.to_string()),
                csv_cell(&source.to_string()),
                csv_cell(&target.to_string()),
                if code.is_empty() { "None" } else { code },
                csv_cell(&reason),
            )?;
        } else {
            writeln!(
                w,
                "{time},{i:08x}-aaaa-4000-8000-000000000000,AWSSCIM.contoso,{cycle},{i:08x}-bbbb-4000-8000-000000000000,Create,{source_id},{},{kind},,,{kind},{status},{code},{},120",
                csv_cell(&name),
                csv_cell(&reason),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_generates_a_log_its_importer_reads() {
        let dir = std::env::temp_dir().join(format!("scimlens-gen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A job status is one object, not a log of records: there is nothing to generate.
        for format in Format::ALL
            .into_iter()
            .filter(|f| *f != Format::EntraJobStatus)
        {
            let path = dir.join(format!("gen-{format}"));
            let mut file = std::fs::File::create(&path).unwrap();
            generate(format, 400, 3, &mut file).unwrap();
            drop(file);
            let (detected, sink) =
                crate::import::import_path(&path).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(detected, format, "generated {format} is detected as itself");
            assert!(
                sink.events.len() >= 100,
                "{format}: only {} events",
                sink.events.len()
            );
            assert!(
                sink.events
                    .iter()
                    .any(|e| e.outcome == Some(crate::model::Outcome::Failure)),
                "{format}: failures are mixed in"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn generation_is_deterministic_and_imports() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        generate(Format::EntraPortalJson, 50, 7, &mut a).unwrap();
        generate(Format::EntraPortalJson, 50, 7, &mut b).unwrap();
        assert_eq!(a, b);
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 50);
    }
}
