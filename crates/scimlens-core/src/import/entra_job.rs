//! The Entra provisioning job's status, as Microsoft Graph returns it
//! (`GET /servicePrincipals/{id}/synchronization/jobs` and `.../jobs/{jobId}`): one job object, or
//! a `{"value": [...]}` list of them. The status is what the provisioning log cannot show: a job
//! in quarantine (an expired token, a wrong tenant URL, too many deletes) stops writing records,
//! so the log just goes silent.
//!
//! Each job becomes one connection-level event: a failure while quarantined, with the dates and
//! counts in its reason ("quarantined since ..., 14 successive complete failures, last steady state
//! ..."); a success otherwise. It is never an entity.

use super::{EventSink, Input, Leftovers, head_text, key_position};
use crate::error::Result;
use crate::input::json::{JsonRecords, Layout};
use crate::input::lenient::lenient_record;
use crate::input::value::{de_text, parse_time};
use crate::model::{
    EntityRef, JOB_PAUSED, JOB_STATUS_OPERATION, Outcome, ProvisioningEvent, QUARANTINED_SINCE,
};

/// Graph's "never" (`0001-01-01T00:00:00Z`) and empty strings mean no date.
const NEVER_YEAR: &str = "0001-";

pub fn import(mut input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let head = head_text(&mut input)?;
    let text = head.trim_start();
    let first_job_key = ["templateId", "schedule", "status"]
        .iter()
        .filter_map(|k| key_position(text, k))
        .min();
    let listed = key_position(text, "value").is_some_and(|p| first_job_key.is_none_or(|j| p < j));
    let layout = if listed {
        Layout::ArrayUnderKey("value")
    } else {
        Layout::ObjectOrLines
    };
    let mut records = JsonRecords::new(input.reader, &input.path, layout);
    let mut leftovers = Leftovers::default();
    while let Some(rec) = records.next_record()? {
        let job: Job = serde_json::from_str(rec.text).map_err(|e| {
            rec.parse_error(
                &input.path,
                "an Entra provisioning job (id, templateId, schedule, status)",
                &e,
            )
        })?;
        let Some(status) = job.status.as_ref() else {
            leftovers.unknown_shapes += 1;
            continue;
        };
        leftovers.record_keys(job.unknown_keys + status.unknown_keys);
        sink.event(job.to_event(rec.text.to_string()))?;
    }
    leftovers.warn(sink, "provisioning jobs", "no status");
    Ok(())
}

lenient_record! {
    struct Job {
        id: Option<String> = ["id"] via de_text,
        template_id: Option<String> = ["templateId"] via de_text,
        schedule: Option<Schedule> = ["schedule"],
        status: Option<JobStatus> = ["status"],
    }
    known ["@odata.context", "@odata.type", "synchronizationJobSettings"]
}

lenient_record! {
    struct Schedule {
        state: Option<String> = ["state"] via de_text,
        interval: Option<String> = ["interval"] via de_text,
    }
    known ["expiration"]
}

lenient_record! {
    struct JobStatus {
        code: Option<String> = ["code"] via de_text,
        successive_failures: Option<String> = ["countSuccessiveCompleteFailures"] via de_text,
        steady_state_last: Option<String> = ["steadyStateLastAchievedTime"] via de_text,
        last_execution: Option<Execution> = ["lastExecution"],
        last_successful_execution: Option<Execution> = ["lastSuccessfulExecution"],
        quarantine: Option<Quarantine> = ["quarantine"],
    }
    known [
        "escrowsPruned", "lastSuccessfulExecutionWithExports", "steadyStateFirstAchievedTime",
        "troubleshootingUrl", "progress", "synchronizedEntryCountByType",
    ]
}

lenient_record! {
    struct Execution {
        state: Option<String> = ["state"] via de_text,
        time_began: Option<String> = ["timeBegan"] via de_text,
        time_ended: Option<String> = ["timeEnded"] via de_text,
        error: Option<JobError> = ["error"],
    }
    known [
        "activityIdentifier", "countEntitled", "countEntitledForProvisioning", "countEscrowed",
        "countEscrowedRaw", "countExported", "countExports", "countImported",
        "countImportedDeltas", "countImportedReferenceDeltas",
    ]
}

lenient_record! {
    struct Quarantine {
        reason: Option<String> = ["reason"] via de_text,
        current_began: Option<String> = ["currentBegan"] via de_text,
        next_attempt: Option<String> = ["nextAttempt"] via de_text,
        series_began: Option<String> = ["seriesBegan"] via de_text,
        error: Option<JobError> = ["error"],
    }
    known ["seriesCount"]
}

lenient_record! {
    struct JobError {
        code: Option<String> = ["code"] via de_text,
        message: Option<String> = ["message"] via de_text,
    }
    known ["tenantActionable"]
}

/// A Graph date, or `None` for "never" and blanks.
fn date(s: &Option<String>) -> Option<&str> {
    s.as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty() && !d.starts_with(NEVER_YEAR))
}

impl Job {
    fn quarantine(&self) -> Option<&Quarantine> {
        let status = self.status.as_ref()?;
        let quarantined = status
            .code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("quarantine"));
        status
            .quarantine
            .as_ref()
            .filter(|q| quarantined || q.reason.as_deref().is_some_and(|r| !r.trim().is_empty()))
    }

    fn to_event(&self, raw: String) -> ProvisioningEvent {
        let status = self.status.as_ref();
        let last = status.and_then(|s| s.last_execution.as_ref());
        let quarantine = self.quarantine();
        let error = quarantine
            .and_then(|q| q.error.as_ref())
            .or_else(|| last.and_then(|l| l.error.as_ref()));
        let job = self
            .template_id
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or("the provisioning job");
        let paused = self
            .schedule
            .as_ref()
            .and_then(|s| s.state.as_deref())
            .is_some_and(|s| {
                s.eq_ignore_ascii_case("disabled") || s.eq_ignore_ascii_case("paused")
            });
        let mut parts = Vec::new();
        match quarantine {
            Some(q) => parts.push(format!(
                "provisioning job {job} {QUARANTINED_SINCE} {} ({})",
                date(&q.current_began)
                    .or(date(&q.series_began))
                    .unwrap_or("a date not stated"),
                q.reason.as_deref().unwrap_or("reason not stated"),
            )),
            None => parts.push(format!(
                "provisioning job {job} is {}{}",
                status
                    .and_then(|s| s.code.as_deref())
                    .unwrap_or("in a state not stated"),
                if paused {
                    format!(" and {JOB_PAUSED}: nothing is provisioned until it is started")
                } else {
                    String::new()
                }
            )),
        }
        if let Some(n) = status.and_then(|s| s.successive_failures.as_deref()) {
            parts.push(format!("successive complete failures: {n}"));
        }
        parts.push(format!(
            "last steady state {}",
            date(&status.and_then(|s| s.steady_state_last.clone())).unwrap_or("never")
        ));
        let last_success = status
            .and_then(|s| s.last_successful_execution.as_ref())
            .and_then(|e| date(&e.time_ended).or(date(&e.time_began)));
        parts.push(format!(
            "last successful run {}",
            last_success.unwrap_or("never")
        ));
        if let Some(next) = quarantine.and_then(|q| date(&q.next_attempt)) {
            parts.push(format!("next attempt {next}"));
        }
        if let Some(e) = error {
            parts.push(format!(
                "error {}: {}",
                e.code.as_deref().unwrap_or("(no code)"),
                e.message
                    .as_deref()
                    .map(|m| m.trim().trim_end_matches('.'))
                    .unwrap_or("(no message)")
            ));
        }
        let code = error.and_then(|e| e.code.clone()).unwrap_or_default();
        // A refused credential is how an expired or revoked SCIM token shows in the job status.
        let http_status = ["InvalidCredentials", "Unauthorized", "CredentialsInvalid"]
            .iter()
            .any(|c| code.contains(c))
            .then_some(401);
        let time = quarantine
            .and_then(|q| date(&q.current_began))
            .or_else(|| last.and_then(|l| date(&l.time_ended).or(date(&l.time_began))))
            .and_then(parse_time);
        ProvisioningEvent {
            time,
            record_id: None,
            job_id: self.id.clone(),
            cycle_id: None,
            change_id: None,
            action: None,
            operation: Some(JOB_STATUS_OPERATION.to_string()),
            entity: EntityRef::default(),
            // A paused job provisions nothing: as much a finding as a quarantine.
            outcome: Some(if quarantine.is_some() || paused {
                Outcome::Failure
            } else {
                Outcome::Success
            }),
            http_status,
            error_code: quarantine.and_then(|q| q.reason.clone()),
            aws_detail: None,
            reason: Some(parts.join("; ")),
            skip_reason: None,
            connection_level: true,
            masked: false,
            attributes: Vec::new(),
            steps: Vec::new(),
            raw,
        }
    }
}
