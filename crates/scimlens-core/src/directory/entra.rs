//! Microsoft Entra ID directory exports: the admin center's "Download users" CSV, Graph
//! `/users` JSON, Graph `/groups?$expand=members` JSON (direct members; Entra does not flatten
//! nested groups) and Graph `/servicePrincipals/{id}/appRoleAssignedTo` (who is assigned to the
//! AWS app). Attribute names are brought to the names Entra's provisioning schema uses (and its
//! AWS app's default mapping refers to): Graph `id` -> `objectId`, `mobilePhone` -> `mobile`,
//! `businessPhones` -> `telephoneNumber`, `officeLocation` -> `physicalDeliveryOfficeName`.
//! CSV header names are [unknown] across portal versions: matched by alias, case-insensitively.

use std::io::BufRead;
use std::path::Path;

use serde_json::{Map, Value};

use super::{
    Assignment, Directory, DirectoryEntry, DirectoryMember, MemberKind, csv_entry, read_csv_rows,
    scalar_text, stream_array,
};
use crate::error::Result;

/// Normalized CSV header (see `normalize_header`) or Graph property -> Entra attribute name.
fn canonical(normalized: &str) -> Option<&'static str> {
    Some(match normalized {
        "userprincipalname" | "upn" => "userPrincipalName",
        "objectid" | "id" => "objectId",
        "displayname" | "name" => "displayName",
        "givenname" | "firstname" => "givenName",
        "surname" | "lastname" => "surname",
        "mail" | "email" | "emailaddress" => "mail",
        "mailnickname" | "alias" => "mailNickname",
        "jobtitle" | "title" => "jobTitle",
        "department" => "department",
        "mobile" | "mobilephone" => "mobile",
        "telephonenumber" | "officephone" | "businessphone" | "businessphones" => "telephoneNumber",
        "facsimiletelephonenumber" | "fax" | "faxnumber" => "facsimileTelephoneNumber",
        "streetaddress" => "streetAddress",
        "city" => "city",
        "state" | "stateorprovince" => "state",
        "postalcode" | "ziporpostalcode" | "zipcode" => "postalCode",
        "country" | "countryorregion" => "country",
        "physicaldeliveryofficename" | "office" | "officelocation" => "physicalDeliveryOfficeName",
        "usagelocation" => "usageLocation",
        "accountenabled" => "accountEnabled",
        "usertype" => "userType",
        "employeeid" => "employeeId",
        "preferredlanguage" => "preferredLanguage",
        "companyname" => "companyName",
        _ => return None,
    })
}

pub fn read_csv(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let mut has_nickname = false;
    read_csv_rows(path, reader, |header, record| {
        let entry = csv_entry(header, record, &canonical, "objectId");
        has_nickname |= entry.attributes.contains_key("mailNickname");
        dir.users.push(entry);
        Ok(())
    })?;
    if !has_nickname && !dir.users.is_empty() {
        dir.warnings.push(format!(
            "{}: no mailNickname column: Entra's AWS app sends it as externalId, so users are \
             matched by userName and email instead",
            path.display()
        ));
    }
    Ok(())
}

pub fn read_graph_users(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let others = stream_array::<Map<String, Value>, _>(path, reader, "value", |user| {
        dir.users.push(graph_entry(user));
        Ok(())
    })?;
    next_link_warning(path, &others, dir);
    Ok(())
}

pub fn read_graph_groups(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let mut truncated = false;
    let others = stream_array::<Map<String, Value>, _>(path, reader, "value", |mut group| {
        let members = group.remove("members");
        truncated |= group.contains_key("members@odata.nextLink");
        let entry = graph_entry(group);
        if let Some(id) = &entry.idp_id {
            for m in members
                .as_ref()
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(member_id) = m.get("id").and_then(scalar_text) else {
                    continue;
                };
                let kind = m
                    .get("@odata.type")
                    .and_then(Value::as_str)
                    .map(MemberKind::parse)
                    .unwrap_or(MemberKind::Unknown);
                dir.members.push(DirectoryMember {
                    group_id: id.clone(),
                    member_id,
                    kind,
                });
            }
        }
        dir.groups.push(entry);
        Ok(())
    })?;
    next_link_warning(path, &others, dir);
    if truncated {
        dir.warnings.push(format!(
            "{}: some groups list only their first members (members@odata.nextLink): Graph's \
             $expand=members returns at most 20; export /groups/{{id}}/members for those groups",
            path.display()
        ));
    }
    Ok(())
}

pub fn read_graph_assignments(
    path: &Path,
    reader: impl BufRead,
    dir: &mut Directory,
) -> Result<()> {
    let mut read = Vec::new();
    let others = stream_array::<Map<String, Value>, _>(path, reader, "value", |a| {
        let id = a.get("principalId").and_then(scalar_text);
        let kind = a
            .get("principalType")
            .and_then(Value::as_str)
            .map(MemberKind::parse);
        if let (Some(principal_id), Some(kind)) = (id, kind) {
            read.push(Assignment { principal_id, kind });
        }
        Ok(())
    })?;
    next_link_warning(path, &others, dir);
    dir.assignments.get_or_insert_with(Vec::new).extend(read);
    Ok(())
}

fn next_link_warning(
    path: &Path,
    others: &std::collections::BTreeMap<String, Value>,
    dir: &mut Directory,
) {
    if others.contains_key("@odata.nextLink") {
        dir.warnings.push(format!(
            "{}: @odata.nextLink present: the file is one page of more; export every page",
            path.display()
        ));
    }
}

/// A Graph object as a directory entry under Entra's attribute names.
fn graph_entry(object: Map<String, Value>) -> DirectoryEntry {
    let mut entry = DirectoryEntry::default();
    for (key, value) in object {
        if key.starts_with("@odata") || key.contains("@odata.") {
            continue;
        }
        let name = canonical(&super::normalize_header(&key))
            .map(str::to_string)
            .unwrap_or(key);
        match &value {
            Value::Array(items) => {
                for item in items {
                    if let Some(t) = scalar_text(item) {
                        entry.push(name.clone(), t);
                    }
                }
            }
            Value::Object(obj) => {
                for (k, v) in obj {
                    if let Some(t) = scalar_text(v) {
                        entry.push(format!("{name}.{k}"), t);
                    }
                }
            }
            other => {
                if let Some(t) = scalar_text(other) {
                    entry.push(name, t);
                }
            }
        }
    }
    entry.idp_id = entry.first("objectId").map(str::to_string);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_users_csv_reads_with_portal_headers() {
        let csv = "\u{feff}User principal name,Display name,First name,Last name,Object ID,Mobile phone,Office phone,Extra\n\
                   ann@contoso.com,Ann Lee,Ann,Lee,o-1,+1 555,+1 556,x\n\
                   bob@contoso.com,Bob,,Bo,o-2,,,\n";
        let mut dir = Directory::default();
        read_csv(Path::new("users.csv"), csv.as_bytes(), &mut dir).unwrap();
        assert_eq!(dir.users.len(), 2);
        let ann = &dir.users[0];
        assert_eq!(ann.idp_id.as_deref(), Some("o-1"));
        assert_eq!(ann.first("userPrincipalName"), Some("ann@contoso.com"));
        assert_eq!(ann.first("mobile"), Some("+1 555"));
        assert_eq!(ann.first("telephoneNumber"), Some("+1 556"));
        assert_eq!(ann.first("Extra"), Some("x"));
        assert_eq!(dir.users[1].first("givenName"), None);
        assert_eq!(dir.warnings.len(), 1, "no mailNickname column is said");
    }

    #[test]
    fn graph_users_and_groups_with_nested_members() {
        let users = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[
            {"id":"o-1","userPrincipalName":"ann@contoso.com","givenName":"Ann","surname":"Lee",
             "businessPhones":["+1 1","+1 2"],"mobilePhone":null,"mail":"ann@contoso.com"}]}"#;
        let groups = r##"{"value":[{"id":"g-1","displayName":"AWS Admins","members":[
            {"@odata.type":"#microsoft.graph.user","id":"o-1"},
            {"@odata.type":"#microsoft.graph.group","id":"g-2"}]}],
            "@odata.nextLink":"https://graph.microsoft.com/v1.0/groups?$skiptoken=x"}"##;
        let mut dir = Directory::default();
        read_graph_users(Path::new("u.json"), users.as_bytes(), &mut dir).unwrap();
        read_graph_groups(Path::new("g.json"), groups.as_bytes(), &mut dir).unwrap();
        let ann = &dir.users[0];
        assert_eq!(ann.idp_id.as_deref(), Some("o-1"));
        assert_eq!(
            ann.attributes["telephoneNumber"].len(),
            2,
            "both business phones kept"
        );
        assert!(!ann.attributes.contains_key("mobile"), "null is no value");
        assert_eq!(dir.groups[0].first("displayName"), Some("AWS Admins"));
        assert_eq!(dir.members.len(), 2);
        assert_eq!(dir.members[1].kind, MemberKind::Group);
        assert!(dir.warnings.iter().any(|w| w.contains("nextLink")));
    }

    #[test]
    fn app_assignments_are_read() {
        let text = r#"{"value":[{"principalId":"g-1","principalType":"Group","appRoleId":"r","resourceId":"sp"},
                                {"principalId":"o-9","principalType":"User","appRoleId":"r","resourceId":"sp"}]}"#;
        let mut dir = Directory::default();
        read_graph_assignments(Path::new("a.json"), text.as_bytes(), &mut dir).unwrap();
        let a = dir.assignments.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].kind, MemberKind::Group);
    }
}
