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
    ("BadRequest", "400", "1 validation error detected: Value at 'name.givenName' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ("BadRequest", "400", "List attribute emails exceeds allowed limit of 1"),
    ("Conflict", "409", "Refused to create a new, duplicate resource."),
    ("BadRequest", "400", "Request is unparsable, syntactically incorrect, or violates schema."),
    ("TooManyRequests", "429", "Rate exceeded"),
    ("NotFound", "404", "Resource not found"),
];

pub fn generate(format: Format, records: u64, seed: u64, out: &mut dyn Write) -> Result<GenStats> {
    let mut w = Counting { inner: out, bytes: 0 };
    let io = |source| Error::Io { path: "generated output".into(), source };
    match format {
        Format::EntraPortalJson | Format::EntraGraph | Format::EntraDiagnostic => {
            entra(format, records, seed, &mut w).map_err(io)?
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "the generator does not write {other} yet; use entra-portal-json, entra-graph or entra-diagnostic"
            )));
        }
    }
    w.flush().map_err(io)?;
    Ok(GenStats { records, bytes: w.bytes })
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
        Format::EntraGraph => write!(w, "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning\",\"value\":[")?,
        Format::EntraPortalJson => write!(w, "[")?,
        _ => {}
    }
    let per_cycle = (records / 40).max(1);
    for i in 0..records {
        let cycle = i / per_cycle;
        let time = START_MS + cycle as i64 * CYCLE_MS + (i % per_cycle) as i64 * 7;
        let is_group = rng.below(50) == 0;
        let n = if is_group { rng.below(groups) } else { rng.below(users) };
        let fail = rng.below(100) < 6;
        let failure = FAILURES[rng.below(FAILURES.len() as u64) as usize];
        let (kind, name, display) = if is_group {
            ("Group", format!("Team {n:05}"), format!("Team {n:05}"))
        } else {
            ("User", format!("user{n:06}@contoso.com"), format!("User {n:06}"))
        };
        let source_id = format!("{:08x}-0000-4000-8000-{:012x}", n, n * 7 + u64::from(is_group));
        let target_id = format!("90{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", n, n % 65536, 0x7000 + n % 4096, 0x8000 + n % 4096, n * 13);
        let status = if fail { "failure" } else { "success" };
        let action = if rng.below(3) == 0 { "Create" } else { "Update" };
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
        let given = if fail && failure.2.contains("givenName") { String::new() } else { format!("Given{n}") };
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
            export_desc = if fail { "Failed to export the change to AWS IAM Identity Center" } else { "Exported the change to AWS IAM Identity Center" },
        );
        match format {
            Format::EntraDiagnostic => {
                writeln!(w, "{{\"time\":\"{}\",\"resourceId\":\"/tenants/7d6d2a53/providers/Microsoft.aadiam\",\"operationName\":\"Provisioning activity\",\"category\":\"ProvisioningLogs\",\"properties\":{record}}}", iso(time))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
