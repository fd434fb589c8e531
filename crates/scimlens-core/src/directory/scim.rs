//! SCIM 2.0 `ListResponse` JSON (`{"schemas": [...ListResponse], "Resources": [...]}`, or a bare
//! array of resources): Users and Groups, flattened onto SCIM attribute paths so the default
//! mapping is the identity. Multi-valued attributes keep their type in the path
//! (`emails[type eq "work"].value`), and every value, so two emails stay two.

use std::io::BufRead;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Directory, DirectoryEntry, DirectoryMember, MemberKind, scalar_text, stream_array};
use crate::error::Result;

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

pub fn read(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let others = stream_array::<Map<String, Value>, _>(path, reader, "Resources", |resource| {
        add_resource(resource, dir);
        Ok(())
    })?;
    let total = others.get("totalResults").and_then(Value::as_u64);
    let per_page = others.get("itemsPerPage").and_then(Value::as_u64);
    if let (Some(total), Some(per_page)) = (total, per_page)
        && per_page < total
    {
        dir.warnings.push(format!(
            "{}: one page of a longer list ({per_page} of {total} resources): export every page",
            path.display()
        ));
    }
    Ok(())
}

fn is_group(resource: &Map<String, Value>) -> bool {
    let schema_says = resource
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(GROUP_SCHEMA)));
    schema_says || (!resource.contains_key("userName") && resource.contains_key("members"))
}

fn add_resource(mut resource: Map<String, Value>, dir: &mut Directory) {
    let group = is_group(&resource);
    let mut entry = DirectoryEntry {
        idp_id: resource.get("id").and_then(scalar_text),
        ..Default::default()
    };
    let members = resource.remove("members");
    let groups = resource.remove("groups");
    for (key, value) in resource {
        if matches!(key.as_str(), "schemas" | "meta") {
            continue;
        }
        flatten(&key, &value, &mut entry);
    }
    let id = entry.idp_id.clone();
    if let Some(id) = &id {
        // SCIM group members: [{value, type?, $ref?}]; a `$ref` to /Groups/ marks a nested group.
        for m in members
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(member_id) = m.get("value").and_then(scalar_text) else {
                continue;
            };
            let kind = match m.get("type").and_then(Value::as_str) {
                Some(t) => MemberKind::parse(t),
                None if m
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.contains("/Groups/")) =>
                {
                    MemberKind::Group
                }
                None => MemberKind::Unknown,
            };
            dir.members.push(DirectoryMember {
                group_id: id.clone(),
                member_id,
                kind,
            });
        }
        // A user's `groups` attribute names the groups it is a direct member of.
        for g in groups
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let direct = g
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t.eq_ignore_ascii_case("direct"));
            if let (Some(group_id), true) = (g.get("value").and_then(scalar_text), direct) {
                let m = DirectoryMember {
                    group_id,
                    member_id: id.clone(),
                    kind: MemberKind::User,
                };
                dir.members.push(m);
            }
        }
    }
    if group {
        dir.groups.push(entry);
    } else {
        dir.users.push(entry);
    }
}

/// `name: {givenName}` -> `name.givenName`; `emails: [{value, type, primary}]` ->
/// `emails[type eq "work"].value` (+ `.primary`); extension objects -> `urn:...:User:department`.
pub(crate) fn flatten(key: &str, value: &Value, entry: &mut DirectoryEntry) {
    match value {
        Value::Null => {}
        Value::Object(obj) => {
            let sep = if key.starts_with("urn:") { ":" } else { "." };
            for (k, v) in obj {
                match v {
                    Value::Object(inner) => {
                        // enterprise manager: {value, displayName}
                        if let Some(t) = inner.get("value").and_then(scalar_text) {
                            entry.push(format!("{key}{sep}{k}"), t);
                        }
                    }
                    _ => flatten_scalar(&format!("{key}{sep}{k}"), v, entry),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(obj) => {
                        let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
                        let prefix = if kind.is_empty() {
                            key.to_string()
                        } else {
                            format!("{key}[type eq \"{kind}\"]")
                        };
                        for (k, v) in obj {
                            if k == "type" {
                                continue;
                            }
                            flatten_scalar(&format!("{prefix}.{k}"), v, entry);
                        }
                    }
                    other => flatten_scalar(key, other, entry),
                }
            }
        }
        scalar => flatten_scalar(key, scalar, entry),
    }
}

fn flatten_scalar(key: &str, v: &Value, entry: &mut DirectoryEntry) {
    if let Some(t) = scalar_text(v) {
        entry.push(key, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{
      "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      "totalResults": 3, "itemsPerPage": 3, "startIndex": 1,
      "Resources": [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "externalId": "e1",
         "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
         "displayName": "Ann Lee", "active": true,
         "emails": [{"value": "ann@example.com", "type": "work", "primary": true},
                    {"value": "ann@home.example", "type": "home"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "u9"}},
         "meta": {"resourceType": "User"}},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "Eng",
         "members": [{"value": "u1"}, {"value": "g2", "$ref": "https://x/scim/v2/Groups/g2"}]},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g2", "displayName": "Eng Sub", "members": []}
      ]
    }"#;

    #[test]
    fn users_groups_and_nested_members_are_read() {
        let mut dir = Directory::default();
        read(Path::new("scim.json"), LIST.as_bytes(), &mut dir).unwrap();
        dir.resolve_member_kinds();
        assert_eq!(dir.users.len(), 1);
        assert_eq!(dir.groups.len(), 2);
        let u = &dir.users[0];
        assert_eq!(u.idp_id.as_deref(), Some("u1"));
        assert_eq!(u.first("name.givenName"), Some("Ann"));
        assert_eq!(
            u.first("emails[type eq \"work\"].value"),
            Some("ann@example.com")
        );
        assert_eq!(u.first("emails[type eq \"work\"].primary"), Some("true"));
        assert_eq!(
            u.first("emails[type eq \"home\"].value"),
            Some("ann@home.example")
        );
        assert_eq!(
            u.first("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            Some("R&D")
        );
        assert_eq!(
            u.first("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
            Some("u9")
        );
        assert!(!u.attributes.contains_key("meta.resourceType"));
        assert_eq!(dir.members.len(), 2);
        assert_eq!(dir.members[0].kind, MemberKind::User);
        assert_eq!(dir.members[1].kind, MemberKind::Group);
        assert!(dir.warnings.is_empty());
    }
}
