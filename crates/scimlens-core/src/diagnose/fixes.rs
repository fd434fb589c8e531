//! The fix for each root cause, worded for the IdP the evidence came from, and the meaning and
//! fix of each reason Entra gives for quarantining a provisioning job.

use super::classify::{
    CLIENT_REQUEST, CONTROL_CHARACTER, EMPTY_VALUE, OTHER_APPLICATION_JOB, OUTSIDE_PATTERN,
    READ_REFUSED, RUN_ABORTED, SOURCE_UNREADABLE,
};
use crate::model::{Category, Idp, JOB_PAUSED, QUARANTINED_SINCE};

/// The fix for one diagnosed cause: [`fix_for`] its category, unless the normalized `message`
/// names a cause the category alone does not tell (a source directory the sync tool could not
/// read, an aborted run, a malformed request, an empty value, an invisible character).
pub fn fix_for_cause(
    category: Category,
    attribute: Option<&str>,
    message: Option<&str>,
    idp: Idp,
) -> String {
    let message = message.unwrap_or_default();
    let attr = attribute.unwrap_or("the attribute");
    if message.contains(OTHER_APPLICATION_JOB) {
        return "This job status is another application's: export the status of the AWS IAM \
                Identity Center job (its id starts with aWSSingleSignOn)."
            .to_string();
    }
    if let Some(reason) = quarantine_reason_in(message) {
        return quarantine_reason_explanation(reason).1.to_string();
    }
    if message.contains(JOB_PAUSED) {
        return "Start the provisioning job again (Entra admin center > the AWS IAM Identity \
                Center app > Provisioning > Start provisioning) once the cause of its pausing \
                is fixed."
            .to_string();
    }
    if message.contains(SOURCE_UNREADABLE) {
        let status = ["400", "401", "403", "404", "429", "500", "502", "503"]
            .into_iter()
            .find(|code| message.contains(&format!("Error {code}")))
            .unwrap_or_default();
        let first = match status {
            "400" => {
                "Google rejected the sync tool's query: check the group and user match filters (ssosync's google_group_match takes `Name:aws*`, not `name:aws*`) and the Google admin email."
            }
            "401" | "403" => {
                "Google refused the sync tool's credentials: check the service account's key, its domain-wide delegation and OAuth scopes, and that the Google admin email names a super admin."
            }
            "404" => {
                "Google did not find what the sync tool asked for (`Domain not found` usually means the Google admin email or customer id is wrong): check the tool's Google settings."
            }
            "429" | "500" | "502" | "503" => {
                "Google's API was unavailable or rate-limited: this is transient, the next run usually succeeds; if it repeats, check the Google Workspace status page and the Admin SDK quotas."
            }
            _ => "Read the Google API error above; it names what Google refused.",
        };
        let aborted = if message.starts_with(RUN_ABORTED) {
            " The run stopped there: nothing after this point was synced to AWS."
        } else {
            ""
        };
        return format!(
            "The sync tool could not read Google Workspace, so AWS never received the request; nothing needs fixing in AWS. {first}{aborted}"
        );
    }
    if message.starts_with(RUN_ABORTED) {
        return "The sync run aborted (the reason is quoted above) and synced nothing after that point. Fix the reason, then run the sync again (for ssosync as a Lambda function: invoke it, or wait for its next schedule)."
            .to_string();
    }
    if message.starts_with(CLIENT_REQUEST) {
        return "The request itself was malformed (invalid JSON or an invalid filter), so no value of the user or group is at fault: the client that calls AWS's SCIM endpoint (the IdP's connector or the sync tool) has a bug or a bad setting. Update the sync tool or report it to the IdP vendor with the raw record; if it happens only for some users, look for control characters or unescaped quotes in their values."
            .to_string();
    }
    if message.starts_with(READ_REFUSED) {
        return "A read (List, Get or Describe) changes nothing in AWS and concerns no user or \
                group: read the raw record for what AWS refused; if the client repeats it every \
                cycle, report it to the IdP vendor or the sync tool's maintainers."
            .to_string();
    }
    if category == Category::InvalidValue {
        let by_idp = |what: &str| in_idp(idp, what);
        if message.starts_with(EMPTY_VALUE) {
            return by_idp(&format!(
                "stop sending {attr} empty: give it a value for every user in scope, or change the mapping so it is left out when the source has no value (AWS accepts an absent optional attribute, never an empty string)"
            ));
        }
        if message.contains(CONTROL_CHARACTER) {
            return by_idp(&format!(
                "remove the invisible control character from {attr} in the source directory (paste the value into a hex viewer: U+0000-U+001F or U+007F-U+009F other than tab and line breaks), or map an expression that strips it"
            ));
        }
        if message.contains(OUTSIDE_PATTERN) {
            return by_idp(&format!(
                "make {attr} fit AWS's pattern: letters, marks, symbols, numbers and punctuation only; remove spaces (userName), zero-width and other format characters, and private-use characters from the source value"
            ));
        }
    }
    fix_for(category, attribute, idp)
}

/// The quarantine reason of a job-status message (`... quarantined since <date> (<reason>); ...`).
fn quarantine_reason_in(message: &str) -> Option<&str> {
    let rest = &message[message.find(QUARANTINED_SINCE)? + QUARANTINED_SINCE.len()..];
    let open = rest.find('(')?;
    let close = rest[open..].find(')')? + open;
    Some(&rest[open + 1..close])
}

/// The meaning and the fix of a reason Entra gives for quarantining a provisioning job (the job
/// status's `status.quarantine.reason`, or the audit log's Quarantine activity). Unknown reasons
/// get a general reading. While quarantined, cycles slow down to once a day, and a job still in
/// quarantine after four weeks is disabled.
pub fn quarantine_reason_explanation(reason: &str) -> (&'static str, &'static str) {
    match reason.trim().to_ascii_lowercase().as_str() {
        "encounteredquarantineexception" => (
            "Entra could not connect to AWS: the SCIM token or tenant URL was refused (expired, \
             revoked, or automatic provisioning was re-enabled in AWS and the tenant changed).",
            "In IAM Identity Center (Settings > Automatic provisioning) generate a new access \
             token, paste it with the SCIM endpoint into Entra (Provisioning > Admin \
             Credentials), Test Connection, then restart provisioning.",
        ),
        "encounteredbaseescrowthreshold" => (
            "Too many of the job's operations failed and are waiting to be retried (escrowed): \
             they passed Entra's base threshold. One repeated failure usually explains them.",
            "Fix the dominant failure shown in the root causes (often a missing attribute, a \
             duplicate or throttling), then restart provisioning.",
        ),
        "encounteredtotalescrowthreshold" => (
            "The total number of failed operations waiting to be retried (escrowed) passed \
             Entra's threshold: failures have been piling up across cycles.",
            "Fix the dominant failures shown in the root causes, then restart provisioning \
             (a full restart also clears the escrowed operations).",
        ),
        "encounteredescrowproportionthreshold" => (
            "The share of the job's operations that fail passed Entra's threshold: most calls to \
             AWS are failing.",
            "Fix the dominant failure shown in the root causes (when it is every call, check the \
             token and endpoint first), then restart provisioning.",
        ),
        "toomanydeletes" => (
            "Accidental-deletion prevention: the cycle would have deleted or disabled more users \
             and groups in AWS than the threshold set on the job, so Entra stopped it.",
            "Find why so many objects left the scope (an unassigned group, a changed scoping \
             filter or attribute). If the deletions are intended, approve them (Provisioning > \
             Settings > Prevent accidental deletion, or raise the threshold); if not, restore the \
             assignment or filter. Then restart provisioning.",
        ),
        "ingestioninterrupted" => (
            "The provisioning service's processing of the job was interrupted on Microsoft's \
             side.",
            "Usually clears on its own at the next attempt; if the job stays quarantined, restart \
             provisioning, and open a Microsoft support case if it recurs.",
        ),
        "quarantinedondemand" | "quarantineondemand" => (
            "The job was put into quarantine on purpose (by Microsoft, after detecting a problem \
             with the application, or through the API).",
            "Check the notification email and the audit log for the reason given, address it, \
             then restart provisioning.",
        ),
        _ => (
            "Entra quarantined the provisioning job for a reason scimlens does not know: most or \
             all of its calls to AWS fail.",
            "Read the quarantine error in the job status, fix what it names, then restart \
             provisioning.",
        ),
    }
}

/// `what` to do, placed where the admin of `idp` does it (the attribute mappings).
fn in_idp(idp: Idp, what: &str) -> String {
    match idp {
        Idp::Entra => format!(
            "In Entra ID: Enterprise applications > AWS IAM Identity Center > Provisioning > \
             Mappings > Provision Microsoft Entra ID Users: {what}. Then use 'Provision on demand' \
             for one affected user to confirm."
        ),
        Idp::Okta => format!(
            "In Okta: Applications > AWS IAM Identity Center > Provisioning > To App (and the \
             Profile Editor mappings): {what}. Then push the affected users again."
        ),
        Idp::SyncTool => {
            format!("In the sync tool's configuration or the source directory: {what}.")
        }
        Idp::Aws => format!("In the identity provider feeding AWS: {what}."),
    }
}

/// A concrete fix for `category` (and `attribute` when named), for the admin of `idp`.
pub fn fix_for(category: Category, attribute: Option<&str>, idp: Idp) -> String {
    let attr = attribute.unwrap_or("the attribute");
    let by_idp = |what: &str| in_idp(idp, what);
    match category {
        Category::MissingRequiredAttribute => by_idp(&format!(
            "give {attr} a non-empty value for every user in scope (fill it in the directory, or \
             map it from an expression with a fallback such as Coalesce([givenName], \"-\"))"
        )),
        Category::MultivalueNotSupported => by_idp(&format!(
            "map exactly one value onto {attr} (remove the second mapping, e.g. \
             emails[type eq \"other\"].value, or keep only the primary) and mark the email primary"
        )),
        Category::ReservedName => by_idp(&format!(
            "rename the object in the IdP or take it out of scope: its {attr} is reserved by AWS; \
             if it collides with an AWS Control Tower group, rename the IdP group"
        )),
        Category::DuplicateConflict => format!(
            "An object with the same {} already exists in AWS (often created by hand, by an \
             earlier tenant, or by Control Tower). In the IAM Identity Center console delete the \
             stray user or group (or give it the IdP's externalId), then let the next cycle \
             create it; or make the value unique in the IdP.",
            attribute.unwrap_or("userName, email, externalId or group name")
        ),
        Category::InvalidValue => by_idp(&format!(
            "make {attr} valid for AWS: no whitespace in userName, at most 128 characters, none of \
             <>;:% tab CR LF, and no #EXT# guest UPNs (map mail or an expression instead of \
             userPrincipalName for guests)"
        )),
        Category::TargetObjectMissing => match idp {
            Idp::Entra => "The object was deleted in AWS but Entra still holds its id. Restart \
                           provisioning with 'Clear current state' or remove and re-assign the \
                           user/group so Entra creates it again."
                .to_string(),
            Idp::Okta => "The object was deleted in AWS. In Okta unassign and reassign the user, \
                          or unlink and re-push the group (Push Groups > Unlink > Push again)."
                .to_string(),
            _ => "The object was deleted in AWS; let the sync recreate it (clear the tool's state \
                  for it)."
                .to_string(),
        },
        Category::Throttled => "AWS allows 20 SCIM requests per second. The IdP retries on its \
                                own; if throttling repeats every cycle, reduce other callers of \
                                the SCIM endpoint or the number of objects in scope."
            .to_string(),
        Category::AuthFailure => "The SCIM bearer token was refused. In the IAM Identity Center \
                                  console (Settings > Automatic provisioning) generate a new \
                                  access token and paste it into the IdP's provisioning settings, \
                                  then test the connection. Tokens last one year."
            .to_string(),
        Category::PatchInvalid => "The client sent a PATCH AWS does not support (a missing path, \
                                   or replacing all group members). Update the sync client; for \
                                   Entra, provision the group again so memberships are added \
                                   individually."
            .to_string(),
        Category::SchemaViolationUnspecified => by_idp(
            "check the affected users against the candidate causes listed below (empty name parts, \
             characters <>;:%, empty strings, more than one email, a user created by hand in AWS)",
        ),
        Category::NotProvisioned => by_idp(
            "assign the user or group to the AWS IAM Identity Center app (Entra does not \
             provision members of nested groups)",
        ),
        Category::Drift => by_idp("provision the user again so AWS receives the current values"),
        Category::UnmanagedInStore => "Created outside SCIM: delete it in AWS or link it to the \
                                       IdP object by giving it the IdP's externalId."
            .to_string(),
        Category::Other => {
            "Read the raw record below; scimlens has no rule for this failure.".to_string()
        }
    }
}
