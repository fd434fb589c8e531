//! Google Workspace directory exports: the Admin console's user download CSV (`First Name
//! [Required]`, `Email Address [Required]`, `Work Secondary Email`, `Status [READ ONLY]`, ...),
//! a group list CSV, the group members CSV (the Admin console's bulk format `Group Email
//! [Required],Member Email,Member Type,Member Role`, or GAM's `group,type,role,id,status,email`),
//! and the Admin SDK Directory API's `users.list`, `groups.list` and `members.list` pages as
//! saved by GAM or curl.
//!
//! Every source is brought onto the Admin SDK's attribute names, flattened (`primaryEmail`,
//! `name.givenName`, `emails[type eq "work"].address`, `phones[type eq "mobile"].value`,
//! `suspended`), so one mapping serves the CSV and the API alike, and the sync tools' mapping
//! (ssosync, idp-scim-sync: primaryEmail -> userName and the one email, the name parts, the user
//! id -> externalId) reads as it does in their code. A cell of the CSV may hold several values
//! separated by commas (Google's CSV rules): each becomes its own value, so two secondary emails
//! stay two.
//!
//! After all files are read, [`finish`] links members to users and groups by email (the CSVs
//! name members by email; the user download carries no user id) and flattens nested groups as
//! the sync tools read them (`includeDerivedMembership`: the users of a nested group become
//! members of the parent, the nested group itself is never sent).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use serde_json::{Map, Value};

use super::{
    Directory, DirectoryEntry, DirectoryMember, MemberKind, normalize_header, read_csv_rows,
    scalar_text, stream_array,
};
use crate::error::{Error, Position, Result};

/// The attribute that says whether a user is suspended (`true` / `false`).
pub const SUSPENDED: &str = "suspended";
pub const PRIMARY_EMAIL: &str = "primaryEmail";
const GROUP_EMAIL: &str = "email";

/// `Recovery Phone [MUST BE IN THE E.164 FORMAT]` -> `recoveryphone`: the bracketed note of the
/// Admin console's headers is dropped, the rest normalized.
pub(crate) fn header_key(h: &str) -> String {
    let h = h.trim_start_matches('\u{feff}');
    let cut = h.find('[').map_or(h, |i| &h[..i]);
    normalize_header(cut)
}

/// How a column of the user download is read.
enum Column {
    /// One value under this attribute.
    One(&'static str),
    /// Comma-separated values, each under this attribute.
    Many(&'static str),
    /// `Status [READ ONLY]`: `Active` / `Suspended`.
    Status,
    /// Never stored (passwords and their hash function).
    Secret,
}

fn user_column(key: &str) -> Option<Column> {
    use Column::*;
    Some(match key {
        "firstname" | "namegivenname" | "givenname" => One("name.givenName"),
        "lastname" | "namefamilyname" | "familyname" => One("name.familyName"),
        "namefullname" | "fullname" => One("name.fullName"),
        "emailaddress" | "primaryemail" => One(PRIMARY_EMAIL),
        "id" | "userid" => One("id"),
        "password" | "passwordhashfunction" | "hashfunction" => Secret,
        "orgunitpath" => One("orgUnitPath"),
        "newprimaryemail" => One("newPrimaryEmail"),
        "status" => Status,
        "suspended" => One(SUSPENDED),
        "lastsignin" | "lastlogintime" => One("lastLoginTime"),
        "recoveryemail" => One("recoveryEmail"),
        "recoveryphone" => One("recoveryPhone"),
        "homesecondaryemail" => Many("emails[type eq \"home\"].address"),
        "worksecondaryemail" => Many("emails[type eq \"work\"].address"),
        "workphone" => Many("phones[type eq \"work\"].value"),
        "homephone" => Many("phones[type eq \"home\"].value"),
        "mobilephone" => Many("phones[type eq \"mobile\"].value"),
        "workaddress" => One("addresses[type eq \"work\"].formatted"),
        "homeaddress" => One("addresses[type eq \"home\"].formatted"),
        "employeeid" => One("externalIds[type eq \"organization\"].value"),
        "employeetype" => One("organizations.description"),
        "employeetitle" => One("organizations.title"),
        "manageremail" => One("relations[type eq \"manager\"].value"),
        "department" => One("organizations.department"),
        "costcenter" => One("organizations.costCenter"),
        "buildingid" => One("locations.buildingId"),
        "floorname" => One("locations.floorName"),
        "floorsection" => One("locations.floorSection"),
        "changepasswordatnextsignin" => One("changePasswordAtNextLogin"),
        _ => return None,
    })
}

fn parse_error(path: &Path, line: u64, expected: String, found: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        position: Position::line_col(line, 1),
        expected,
        found,
    }
}

fn row_line(record: &csv::StringRecord) -> u64 {
    // The csv reader starts after the header line, so its line 1 is the file's line 2.
    record.position().map_or(0, |p| p.line() + 1)
}

fn missing_column(path: &Path, header: &[String], wanted: &str) -> Error {
    parse_error(
        path,
        1,
        format!("a header with a {wanted} column"),
        format!("the columns {}", header.join(", ")),
    )
}

/// The Admin console's user download (or GAM's `print users` CSV, whose columns are the API's
/// flattened names).
pub fn read_users_csv(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let mut columns: Option<Vec<Option<Column>>> = None;
    let mut has_id = false;
    let mut any_secret = false;
    read_csv_rows(path, reader, |header, record| {
        let columns = match &mut columns {
            Some(c) => c,
            None => {
                let c: Vec<Option<Column>> =
                    header.iter().map(|h| user_column(&header_key(h))).collect();
                if !c
                    .iter()
                    .any(|c| matches!(c, Some(Column::One(PRIMARY_EMAIL))))
                {
                    return Err(missing_column(path, header, "Email Address [Required]"));
                }
                has_id = c.iter().any(|c| matches!(c, Some(Column::One("id"))));
                columns.insert(c)
            }
        };
        let mut entry = DirectoryEntry::default();
        // GAM's indexed columns (`phones.0.value`, `phones.0.type`), per (attribute, index).
        let mut indexed: BTreeMap<(&str, u32), BTreeMap<&str, &str>> = BTreeMap::new();
        for (i, cell) in record.iter().enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match columns.get(i).and_then(Option::as_ref) {
                Some(Column::One(SUSPENDED)) => {
                    entry.push(SUSPENDED, cell.to_ascii_lowercase());
                }
                Some(Column::One(name)) => entry.push(*name, cell),
                Some(Column::Many(name)) => {
                    for v in cell.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                        entry.push(*name, v);
                    }
                }
                Some(Column::Status) => {
                    entry.push("status", cell);
                    match cell.to_ascii_lowercase().as_str() {
                        "active" => entry.push(SUSPENDED, "false"),
                        "suspended" => entry.push(SUSPENDED, "true"),
                        _ => {}
                    }
                }
                Some(Column::Secret) => any_secret |= cell != "****",
                None => match header.get(i).and_then(|h| gam_indexed(h)) {
                    Some((base, index, field)) => {
                        indexed.entry((base, index)).or_default().insert(field, cell);
                    }
                    None => {
                        let name = header
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| format!("column {}", i + 1));
                        entry.push(name, cell);
                    }
                },
            }
        }
        let primary = entry.first(PRIMARY_EMAIL).map(str::to_lowercase);
        for ((base, _), fields) in indexed {
            let object: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| {
                    let v = match (k, v.to_ascii_lowercase().as_str()) {
                        ("primary", "true") => Value::Bool(true),
                        ("primary", "false") => Value::Bool(false),
                        _ => Value::String(v.to_string()),
                    };
                    (k.to_string(), v)
                })
                .collect();
            push_array_item(&mut entry, base, object, primary.as_deref());
        }
        if entry.first(PRIMARY_EMAIL).is_none() {
            return Err(parse_error(
                path,
                row_line(record),
                "the user's primary email in the Email Address [Required] column".to_string(),
                "an empty cell".to_string(),
            ));
        }
        full_name(&mut entry);
        entry.idp_id = entry
            .first("id")
            .or(entry.first(PRIMARY_EMAIL))
            .map(str::to_string);
        dir.users.push(entry);
        Ok(())
    })?;
    if !has_id && !dir.users.is_empty() {
        dir.warnings.push(format!(
            "{}: the user download carries no user id: ssosync and idp-scim-sync send Google's \
             user id as externalId, so users are matched by userName and email instead",
            path.display()
        ));
    }
    if any_secret {
        dir.warnings.push(format!(
            "{}: the Password column holds values: they were not read nor stored",
            path.display()
        ));
    }
    Ok(())
}

/// `phones.0.value` -> (`phones`, 0, `value`): GAM's columns for the items of an array.
fn gam_indexed(header: &str) -> Option<(&str, u32, &str)> {
    let mut parts = header.split('.');
    let (base, index, field) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || base.is_empty() || field.is_empty() {
        return None;
    }
    Some((base, index.parse().ok()?, field))
}

/// Google forms `name.fullName` from the first and last names; the download has no column for
/// it, so it is formed the same way here (the sync tools send it, or given + family, as
/// displayName).
fn full_name(entry: &mut DirectoryEntry) {
    if entry.first("name.fullName").is_some() {
        return;
    }
    let parts: Vec<&str> = ["name.givenName", "name.familyName"]
        .iter()
        .filter_map(|a| entry.first(a))
        .collect();
    if !parts.is_empty() {
        let full = parts.join(" ");
        entry.push("name.fullName", full);
    }
}

fn group_column(key: &str) -> Option<&'static str> {
    Some(match key {
        "groupname" | "name" => "name",
        "groupemail" | "email" => GROUP_EMAIL,
        "groupid" | "id" => "id",
        "description" | "groupdescription" => "description",
        "directmemberscount" | "memberscount" | "members" => "directMembersCount",
        _ => return None,
    })
}

/// A list of groups as CSV: one group a row, with its email and name.
pub fn read_groups_csv(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    read_csv_rows(path, reader, |header, record| {
        let names: Vec<Option<&'static str>> =
            header.iter().map(|h| group_column(&header_key(h))).collect();
        if !names.contains(&Some(GROUP_EMAIL)) {
            return Err(missing_column(path, header, "Group Email"));
        }
        let mut entry = DirectoryEntry::default();
        for (i, cell) in record.iter().enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match names.get(i).copied().flatten() {
                Some(name) => entry.push(name, cell),
                None => entry.push(header.get(i).cloned().unwrap_or_default(), cell),
            }
        }
        if entry.first(GROUP_EMAIL).is_none() {
            return Err(parse_error(
                path,
                row_line(record),
                "the group's email in the Group Email column".to_string(),
                "an empty cell".to_string(),
            ));
        }
        entry.idp_id = entry
            .first("id")
            .or(entry.first(GROUP_EMAIL))
            .map(str::to_string);
        dir.groups.push(entry);
        Ok(())
    })
}

/// Members CSV: the Admin console's bulk format or GAM's `print group-members`.
pub fn read_members_csv(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let mut customers = 0usize;
    read_csv_rows(path, reader, |header, record| {
        let col = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.contains(&header_key(h).as_str()))
        };
        let group = col(&["groupemail", "group"])
            .ok_or_else(|| missing_column(path, header, "Group Email [Required]"))?;
        let email = col(&["memberemail", "email"])
            .ok_or_else(|| missing_column(path, header, "Member Email"))?;
        let kind = col(&["membertype", "type"]);
        let id = col(&["memberid", "id"]);
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(group_key) = cell(Some(group)) else {
            return Err(parse_error(
                path,
                row_line(record),
                "the group's email in the Group Email column".to_string(),
                "an empty cell".to_string(),
            ));
        };
        let kind_text = cell(kind).unwrap_or("USER");
        if kind_text.eq_ignore_ascii_case("customer") {
            customers += 1;
            return Ok(());
        }
        let Some(member) = cell(Some(email)).or(cell(id)) else {
            return Err(parse_error(
                path,
                row_line(record),
                "the member's email in the Member Email column".to_string(),
                "an empty cell".to_string(),
            ));
        };
        dir.members.push(DirectoryMember {
            group_id: group_key.to_string(),
            member_id: member.to_string(),
            kind: MemberKind::parse(kind_text),
        });
        Ok(())
    })?;
    customer_warning(path, customers, dir);
    Ok(())
}

pub(crate) fn customer_warning(path: &Path, customers: usize, dir: &mut Directory) {
    if customers > 0 {
        dir.warnings.push(format!(
            "{}: {customers} member(s) of type CUSTOMER (everyone in the organization) left out: \
             the sync tools send users only",
            path.display()
        ));
    }
}

fn next_page_warning(path: &Path, others: &BTreeMap<String, Value>, dir: &mut Directory) {
    if next_page_token(others).is_some() {
        dir.warnings.push(format!(
            "{}: nextPageToken present: the file is one page of more; save every page (pageToken) \
             and import them together",
            path.display()
        ));
    }
}

/// `users.list` pages.
pub fn read_api_users(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let others = users_page(path, reader, dir)?;
    next_page_warning(path, &others, dir);
    Ok(())
}

/// The `nextPageToken` of a page, when there is a next page.
pub fn next_page_token(others: &BTreeMap<String, Value>) -> Option<String> {
    others
        .get("nextPageToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// One `users.list` page into `dir`; the page's other members (`nextPageToken`) returned.
pub fn users_page(
    path: &Path,
    reader: impl BufRead,
    dir: &mut Directory,
) -> Result<BTreeMap<String, Value>> {
    stream_array::<Map<String, Value>, _>(path, reader, "users", |user| {
        let mut entry = api_entry(user);
        full_name(&mut entry);
        entry.idp_id = entry
            .first("id")
            .or(entry.first(PRIMARY_EMAIL))
            .map(str::to_string);
        dir.users.push(entry);
        Ok(())
    })
}

/// `groups.list` pages.
pub fn read_api_groups(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let others = groups_page(path, reader, dir)?;
    next_page_warning(path, &others, dir);
    Ok(())
}

/// One `groups.list` page into `dir`.
pub fn groups_page(
    path: &Path,
    reader: impl BufRead,
    dir: &mut Directory,
) -> Result<BTreeMap<String, Value>> {
    stream_array::<Map<String, Value>, _>(path, reader, "groups", |group| {
        let mut entry = api_entry(group);
        entry.idp_id = entry
            .first("id")
            .or(entry.first(GROUP_EMAIL))
            .map(str::to_string);
        dir.groups.push(entry);
        Ok(())
    })
}

/// `members.list` pages. The response does not name its group, so the file's name does:
/// `eng@example.com.json` (or `members-eng@example.com.json`), the group's email or id as
/// `groups/{groupKey}/members` was called.
pub fn read_api_members(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            let n = n.strip_suffix(".gz").unwrap_or(n);
            n.strip_suffix(".json").unwrap_or(n)
        })
        .map(|n| {
            n.strip_prefix("members-")
                .or(n.strip_prefix("members_"))
                .unwrap_or(n)
        })
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{}: a members.list page does not name its group: save it as <group email>.json",
                path.display()
            ))
        })?
        .to_string();
    let (others, customers) = members_page(path, reader, dir, &stem)?;
    next_page_warning(path, &others, dir);
    customer_warning(path, customers, dir);
    Ok(())
}

/// One `members.list` page of the group `group_key` into `dir`; also the number of CUSTOMER
/// members left out.
pub fn members_page(
    path: &Path,
    reader: impl BufRead,
    dir: &mut Directory,
    group_key: &str,
) -> Result<(BTreeMap<String, Value>, usize)> {
    let mut customers = 0usize;
    let others = stream_array::<Map<String, Value>, _>(path, reader, "members", |m| {
        let kind_text = m.get("type").and_then(Value::as_str).unwrap_or("USER");
        if kind_text.eq_ignore_ascii_case("customer") {
            customers += 1;
            return Ok(());
        }
        let member = m
            .get("email")
            .and_then(scalar_text)
            .or_else(|| m.get("id").and_then(scalar_text));
        if let Some(member_id) = member {
            dir.members.push(DirectoryMember {
                group_id: group_key.to_string(),
                member_id,
                kind: MemberKind::parse(kind_text),
            });
        }
        Ok(())
    })?;
    Ok((others, customers))
}

/// Arrays whose entries are one object each (the primary first), not typed alternatives.
const UNTYPED: [&str; 3] = ["organizations", "locations", "languages"];

/// An Admin SDK user or group flattened onto the names the CSV readers use.
fn api_entry(object: Map<String, Value>) -> DirectoryEntry {
    let mut entry = DirectoryEntry::default();
    let primary = object
        .get(PRIMARY_EMAIL)
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    for (key, value) in object {
        if matches!(key.as_str(), "kind" | "etag" | "customSchemas") {
            continue;
        }
        match value {
            Value::Object(obj) => {
                for (k, v) in obj {
                    if let Some(t) = scalar_text(&v) {
                        entry.push(format!("{key}.{k}"), t);
                    }
                }
            }
            Value::Array(items) => {
                let mut items: Vec<Value> = items;
                if UNTYPED.contains(&key.as_str()) {
                    // The primary entry first, so its values are the ones read first.
                    items.sort_by_key(|i| i.get("primary").and_then(Value::as_bool) != Some(true));
                }
                for item in items {
                    match item {
                        Value::Object(obj) => {
                            push_array_item(&mut entry, &key, obj, primary.as_deref());
                        }
                        other => {
                            if let Some(t) = scalar_text(&other) {
                                entry.push(key.clone(), t);
                            }
                        }
                    }
                }
            }
            other => {
                if let Some(t) = scalar_text(&other) {
                    entry.push(key, t);
                }
            }
        }
    }
    entry
}

/// One item of an array attribute (`emails`, `phones`, `organizations`): its fields under
/// `key[type eq "work"].field` (untyped arrays: `key.field`). The item that is the primary
/// email is `primaryEmail` itself and is left out.
fn push_array_item(
    entry: &mut DirectoryEntry,
    key: &str,
    obj: Map<String, Value>,
    primary: Option<&str>,
) {
    let is_primary = match obj.get("primary") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if key == "emails"
        && is_primary
        && obj
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
            .as_deref()
            == primary
    {
        return;
    }
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let prefix = if kind.is_empty() || UNTYPED.contains(&key) {
        key.to_string()
    } else {
        format!("{key}[type eq \"{kind}\"]")
    };
    for (k, v) in &obj {
        if matches!(k.as_str(), "type" | "primary" | "customType") {
            continue;
        }
        if let Some(t) = scalar_text(v) {
            entry.push(format!("{prefix}.{k}"), t);
        }
    }
}

/// Links members to the users and groups read (by email, alias or id), then flattens nested
/// groups as the sync tools read them; says what it could not link.
pub fn finish(dir: &mut Directory) {
    let mut users: HashMap<String, String> = HashMap::new();
    let mut groups: HashMap<String, String> = HashMap::new();
    for (entries, index, email) in [
        (&dir.users, &mut users, PRIMARY_EMAIL),
        (&dir.groups, &mut groups, GROUP_EMAIL),
    ] {
        for e in entries {
            let Some(id) = &e.idp_id else { continue };
            index.insert(id.to_lowercase(), id.clone());
            for name in [email, "aliases", "nonEditableAliases"] {
                for v in e.attributes.get(name).into_iter().flatten() {
                    index.entry(v.trim().to_lowercase()).or_insert(id.clone());
                }
            }
        }
    }
    let mut unknown_groups: Vec<String> = Vec::new();
    let mut unknown_members = 0usize;
    let mut seen = HashSet::new();
    let mut linked = Vec::with_capacity(dir.members.len());
    for mut m in std::mem::take(&mut dir.members) {
        match groups.get(&m.group_id.trim().to_lowercase()) {
            Some(id) => m.group_id = id.clone(),
            None if !dir.groups.is_empty() && !unknown_groups.contains(&m.group_id) => {
                unknown_groups.push(m.group_id.clone());
            }
            None => {}
        }
        let key = m.member_id.trim().to_lowercase();
        match (m.kind, users.get(&key), groups.get(&key)) {
            (MemberKind::User | MemberKind::Unknown, Some(id), _) => {
                m.member_id = id.clone();
                m.kind = MemberKind::User;
            }
            (MemberKind::Group | MemberKind::Unknown, _, Some(id)) => {
                m.member_id = id.clone();
                m.kind = MemberKind::Group;
            }
            _ if m.kind != MemberKind::Group && !dir.users.is_empty() => unknown_members += 1,
            _ => {}
        }
        if seen.insert((m.group_id.clone(), m.member_id.clone())) {
            linked.push(m);
        }
    }
    dir.members = linked;
    if !unknown_groups.is_empty() {
        dir.warnings.push(format!(
            "members listed for {} group(s) not among the groups read ({}): import the group list \
             with them",
            unknown_groups.len(),
            unknown_groups.join(", ")
        ));
    }
    if unknown_members > 0 {
        dir.warnings.push(format!(
            "{unknown_members} membership(s) name a member that is not among the users read \
             (an external account, or a user download that is not complete)"
        ));
    }
    flatten_nested(dir);
    let suspended = dir
        .users
        .iter()
        .filter(|u| u.first(SUSPENDED) == Some("true"))
        .count();
    if suspended > 0 {
        dir.warnings.push(format!(
            "{suspended} suspended user(s): ssosync leaves suspended users and their memberships \
             out unless run with --suspended; idp-scim-sync provisions them inactive"
        ));
    }
}

/// Nested groups as `includeDerivedMembership` lists them: every user reachable through a
/// group member becomes a member of the parent, and group members are dropped (the sync tools
/// skip them).
fn flatten_nested(dir: &mut Directory) {
    let mut users_of: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in &dir.members {
        match m.kind {
            MemberKind::Group => children.entry(&m.group_id).or_default().push(&m.member_id),
            _ => users_of.entry(&m.group_id).or_default().push(&m.member_id),
        }
    }
    if children.is_empty() {
        return;
    }
    let mut derived: Vec<DirectoryMember> = Vec::new();
    for (&parent, kids) in &children {
        let mut seen: HashSet<&str> = HashSet::from([parent]);
        let mut stack: Vec<&str> = kids.clone();
        let direct: HashSet<&str> = users_of.get(parent).into_iter().flatten().copied().collect();
        let mut added: HashSet<&str> = HashSet::new();
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue;
            }
            for &u in users_of.get(g).into_iter().flatten() {
                if !direct.contains(u) && added.insert(u) {
                    derived.push(DirectoryMember {
                        group_id: parent.to_string(),
                        member_id: u.to_string(),
                        kind: MemberKind::User,
                    });
                }
            }
            stack.extend(children.get(g).into_iter().flatten().copied());
        }
    }
    let nested = dir
        .members
        .iter()
        .filter(|m| m.kind == MemberKind::Group)
        .count();
    let added = derived.len();
    dir.members.retain(|m| m.kind != MemberKind::Group);
    dir.members.extend(derived);
    dir.warnings.push(format!(
        "{nested} nested group membership(s) flattened as ssosync and idp-scim-sync read them \
         (includeDerivedMembership): {added} user membership(s) added to the parent groups, the \
         nested groups themselves are not sent"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = "\u{feff}First Name [Required],Last Name [Required],Email Address [Required],Password [Required],Status [READ ONLY],Work Secondary Email,Work Phone,Mobile Phone,Employee ID,2sv Enrolled [READ ONLY]\r\n\
        Ann,Lee,ann@example.com,****,Active,\"ann.lee@example.com,al@example.com\",+1 555 0100,+1 555 0199,E-7,False\r\n\
        Bob,,bob@example.com,****,Suspended,,,,,True\r\n";

    #[test]
    fn the_user_download_reads_onto_admin_sdk_names_and_keeps_every_value() {
        let mut dir = Directory::default();
        read_users_csv(Path::new("users.csv"), USERS.as_bytes(), &mut dir).unwrap();
        let ann = &dir.users[0];
        assert_eq!(ann.idp_id.as_deref(), Some("ann@example.com"));
        assert_eq!(ann.first("name.fullName"), Some("Ann Lee"));
        assert_eq!(
            ann.attributes["emails[type eq \"work\"].address"],
            vec!["ann.lee@example.com", "al@example.com"]
        );
        assert_eq!(ann.first("phones[type eq \"mobile\"].value"), Some("+1 555 0199"));
        assert_eq!(ann.first(SUSPENDED), Some("false"));
        assert!(!ann.attributes.keys().any(|k| k.contains("assword")));
        assert_eq!(ann.first("2sv Enrolled [READ ONLY]"), Some("False"));
        let bob = &dir.users[1];
        assert_eq!(bob.first(SUSPENDED), Some("true"));
        assert_eq!(bob.first("name.fullName"), Some("Bob"));
        assert!(dir.warnings[0].contains("no user id"), "{:?}", dir.warnings);
    }

    #[test]
    fn a_user_row_without_its_email_names_its_line() {
        let csv = "First Name [Required],Last Name [Required],Email Address [Required]\na,b,a@x\nc,d,\n";
        let err = read_users_csv(Path::new("u.csv"), csv.as_bytes(), &mut Directory::default())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("u.csv") && text.contains('3'), "{text}");
        assert!(text.contains("Email Address"), "{text}");
    }

    #[test]
    fn api_pages_flatten_like_the_csv_and_skip_the_primary_email_entry() {
        let page = r#"{"kind":"admin#directory#users","users":[{"kind":"admin#directory#user",
            "id":"1001","primaryEmail":"ann@example.com","suspended":false,
            "name":{"givenName":"Ann","familyName":"Lee","fullName":"Ann Lee"},
            "emails":[{"address":"ann@example.com","primary":true},{"address":"al@example.com","type":"work"}],
            "phones":[{"value":"+1 1","type":"work"},{"value":"+1 2","type":"mobile"}],
            "organizations":[{"title":"Eng","primary":false},{"title":"Lead","primary":true}]}],
            "nextPageToken":"tok"}"#;
        let mut dir = Directory::default();
        read_api_users(Path::new("u.json"), page.as_bytes(), &mut dir).unwrap();
        let ann = &dir.users[0];
        assert_eq!(ann.idp_id.as_deref(), Some("1001"));
        assert_eq!(ann.first("name.givenName"), Some("Ann"));
        assert_eq!(
            ann.attributes["emails[type eq \"work\"].address"],
            vec!["al@example.com"]
        );
        assert_eq!(ann.first("phones[type eq \"work\"].value"), Some("+1 1"));
        assert_eq!(ann.first("organizations.title"), Some("Lead"), "primary first");
        assert_eq!(ann.first(SUSPENDED), Some("false"));
        assert!(dir.warnings.iter().any(|w| w.contains("nextPageToken")));
    }

    #[test]
    fn members_link_by_email_and_nested_groups_flatten_into_their_parents() {
        let mut dir = Directory::default();
        read_users_csv(
            Path::new("u.csv"),
            "First Name [Required],Last Name [Required],Email Address [Required]\nA,A,a@x\nB,B,b@x\n"
                .as_bytes(),
            &mut dir,
        )
        .unwrap();
        read_groups_csv(
            Path::new("g.csv"),
            "Group Name,Group Email\nEng,eng@x\nOps,ops@x\n".as_bytes(),
            &mut dir,
        )
        .unwrap();
        read_members_csv(
            Path::new("m.csv"),
            "Group Email [Required],Member Email,Member Type,Member Role\n\
             ENG@x,A@x,USER,MEMBER\neng@x,ops@x,GROUP,MEMBER\nops@x,b@x,USER,OWNER\n\
             eng@x,,CUSTOMER,MEMBER\n"
                .as_bytes(),
            &mut dir,
        )
        .unwrap();
        finish(&mut dir);
        let mut pairs: Vec<(&str, &str)> = dir
            .members
            .iter()
            .map(|m| (m.group_id.as_str(), m.member_id.as_str()))
            .collect();
        pairs.sort();
        assert_eq!(pairs, vec![("eng@x", "a@x"), ("eng@x", "b@x"), ("ops@x", "b@x")]);
        assert!(dir.members.iter().all(|m| m.kind == MemberKind::User));
        assert!(dir.warnings.iter().any(|w| w.contains("flattened")));
        assert!(dir.warnings.iter().any(|w| w.contains("CUSTOMER")));
    }
}
