//! The fix for each root cause, worded for the IdP the evidence came from.

use crate::model::{Category, Idp};

/// A concrete fix for `category` (and `attribute` when named), for the admin of `idp`.
pub fn fix_for(category: Category, attribute: Option<&str>, idp: Idp) -> String {
    let attr = attribute.unwrap_or("the attribute");
    let entra_mapping = |what: &str| {
        format!(
            "In Entra ID: Enterprise applications > AWS IAM Identity Center > Provisioning > \
             Mappings > Provision Microsoft Entra ID Users: {what}. Then use 'Provision on demand' \
             for one affected user to confirm."
        )
    };
    let okta_mapping = |what: &str| {
        format!(
            "In Okta: Applications > AWS IAM Identity Center > Provisioning > To App (and the \
             Profile Editor mappings): {what}. Then push the affected users again."
        )
    };
    let tool =
        |what: &str| format!("In the sync tool's configuration or the source directory: {what}.");
    let by_idp = |what: &str| match idp {
        Idp::Entra => entra_mapping(what),
        Idp::Okta => okta_mapping(what),
        Idp::SyncTool => tool(what),
        Idp::Aws => format!("In the identity provider feeding AWS: {what}."),
    };
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
