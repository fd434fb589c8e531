//! What the IdP holds: exports of its directory, read into [`Directory`] (users and groups with
//! their attributes named as the IdP names them, direct group members, and, when exported, the
//! principals assigned to the AWS app). The AWS attribute mapping ([`mapping`]) is applied when
//! the directory is used, so an edited mapping applies to past imports too.
//!
//! Formats, detected by content like the log importers: SCIM `ListResponse` JSON ([`scim`]),
//! Entra's "Download users" CSV, Graph `/users`, `/groups?$expand=members` and
//! `appRoleAssignedTo` JSON ([`entra`]), Okta's user CSV export ([`okta`]), Google Workspace's
//! Admin console downloads and Admin SDK Directory API pages ([`google`]).

pub mod entra;
pub mod google;
pub mod mapping;
pub mod okta;
pub mod scim;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Position, Result};
use crate::input::Input;

/// Which IdP's attribute names (and therefore which default mapping) a directory uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum DirectoryIdp {
    Entra,
    Okta,
    /// A SCIM ListResponse: attributes already carry AWS's SCIM names.
    Scim,
    /// Google Workspace (Admin console downloads, Admin SDK Directory API pages).
    Google,
}

impl DirectoryIdp {
    pub const ALL: [DirectoryIdp; 4] = [
        DirectoryIdp::Entra,
        DirectoryIdp::Okta,
        DirectoryIdp::Scim,
        DirectoryIdp::Google,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryIdp::Entra => "entra",
            DirectoryIdp::Okta => "okta",
            DirectoryIdp::Scim => "scim",
            DirectoryIdp::Google => "google",
        }
    }

    pub fn parse(s: &str) -> Option<DirectoryIdp> {
        DirectoryIdp::ALL
            .into_iter()
            .find(|i| i.as_str().eq_ignore_ascii_case(s))
    }

    /// The IdP as the fixes word it.
    pub fn idp(self) -> crate::model::Idp {
        match self {
            DirectoryIdp::Entra => crate::model::Idp::Entra,
            DirectoryIdp::Okta => crate::model::Idp::Okta,
            // Google Workspace reaches AWS through ssosync or idp-scim-sync.
            DirectoryIdp::Scim | DirectoryIdp::Google => crate::model::Idp::SyncTool,
        }
    }
}

impl fmt::Display for DirectoryIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every directory export scimlens reads. The names are part of the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum DirectoryFormat {
    ScimListResponse,
    EntraUsersCsv,
    EntraGraphUsers,
    EntraGraphGroups,
    EntraGraphAssignments,
    OktaUsersCsv,
    GoogleUsersCsv,
    GoogleGroupsCsv,
    GoogleMembersCsv,
    GoogleApiUsers,
    GoogleApiGroups,
    GoogleApiMembers,
}

impl DirectoryFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryFormat::ScimListResponse => "scim-list-response",
            DirectoryFormat::EntraUsersCsv => "entra-users-csv",
            DirectoryFormat::EntraGraphUsers => "entra-graph-users",
            DirectoryFormat::EntraGraphGroups => "entra-graph-groups",
            DirectoryFormat::EntraGraphAssignments => "entra-graph-assignments",
            DirectoryFormat::OktaUsersCsv => "okta-users-csv",
            DirectoryFormat::GoogleUsersCsv => "google-users-csv",
            DirectoryFormat::GoogleGroupsCsv => "google-groups-csv",
            DirectoryFormat::GoogleMembersCsv => "google-members-csv",
            DirectoryFormat::GoogleApiUsers => "google-api-users",
            DirectoryFormat::GoogleApiGroups => "google-api-groups",
            DirectoryFormat::GoogleApiMembers => "google-api-members",
        }
    }

    pub fn idp(self) -> DirectoryIdp {
        match self {
            DirectoryFormat::ScimListResponse => DirectoryIdp::Scim,
            DirectoryFormat::OktaUsersCsv => DirectoryIdp::Okta,
            DirectoryFormat::GoogleUsersCsv
            | DirectoryFormat::GoogleGroupsCsv
            | DirectoryFormat::GoogleMembersCsv
            | DirectoryFormat::GoogleApiUsers
            | DirectoryFormat::GoogleApiGroups
            | DirectoryFormat::GoogleApiMembers => DirectoryIdp::Google,
            _ => DirectoryIdp::Entra,
        }
    }
}

impl fmt::Display for DirectoryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One user or group as the IdP exported it: its IdP object id and its attributes, named as the
/// IdP names them (`userPrincipalName`, `login`, `emails[type eq "work"].value`), each with every
/// value the export holds (two values of one attribute stay two values).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub idp_id: Option<String>,
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl DirectoryEntry {
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.attributes
            .entry(name.into())
            .or_default()
            .push(value.into());
    }

    /// The first non-empty value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)?
            .iter()
            .map(String::as_str)
            .find(|v| !v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    User,
    Group,
    Unknown,
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Group => "group",
            MemberKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> MemberKind {
        match s.to_ascii_lowercase().as_str() {
            "user" | "#microsoft.graph.user" => MemberKind::User,
            "group" | "#microsoft.graph.group" => MemberKind::Group,
            _ => MemberKind::Unknown,
        }
    }
}

/// A direct member of a group, by IdP ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DirectoryMember {
    pub group_id: String,
    pub member_id: String,
    pub kind: MemberKind,
}

/// A principal assigned to the AWS app in the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignment {
    pub principal_id: String,
    pub kind: MemberKind,
}

/// Everything read from one or more export files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Directory {
    pub idp: Option<DirectoryIdp>,
    pub formats: Vec<DirectoryFormat>,
    pub users: Vec<DirectoryEntry>,
    pub groups: Vec<DirectoryEntry>,
    pub members: Vec<DirectoryMember>,
    /// `None` when no export named the app's assignments.
    pub assignments: Option<Vec<Assignment>>,
    pub warnings: Vec<String>,
}

impl Directory {
    /// Member kinds the export left open, resolved against the ids of users and groups read.
    pub fn resolve_member_kinds(&mut self) {
        if !self.members.iter().any(|m| m.kind == MemberKind::Unknown) {
            return;
        }
        let groups: std::collections::HashSet<&str> = self
            .groups
            .iter()
            .filter_map(|g| g.idp_id.as_deref())
            .collect();
        let users: std::collections::HashSet<&str> = self
            .users
            .iter()
            .filter_map(|u| u.idp_id.as_deref())
            .collect();
        for m in &mut self.members {
            if m.kind == MemberKind::Unknown {
                if groups.contains(m.member_id.as_str()) {
                    m.kind = MemberKind::Group;
                } else if users.contains(m.member_id.as_str()) {
                    m.kind = MemberKind::User;
                }
            }
        }
    }
}

/// Bytes read from the start of a file to decide its format.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Decides an export's format from its first bytes (after gunzip). Extensions are ignored.
pub fn detect(path: &Path) -> Result<DirectoryFormat> {
    let mut input = Input::open(path)?;
    let mut head = Vec::new();
    (&mut input.reader)
        .take(SNIFF_BYTES)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    detect_bytes(path, &head)
}

pub fn detect_bytes(path: &Path, head: &[u8]) -> Result<DirectoryFormat> {
    let unknown = |reason: &str| Error::UnknownFormat {
        path: path.to_path_buf(),
        reason: format!(
            "{reason}; directory exports scimlens reads: SCIM ListResponse JSON, Entra \"Download \
             users\" CSV, Graph /users, /groups?$expand=members and appRoleAssignedTo JSON, Okta \
             user CSV, Google Workspace user / group / group-member CSV and Admin SDK users.list, \
             groups.list, members.list JSON"
        ),
    };
    let text = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let text = match std::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Err(unknown("it is not UTF-8 text")),
    };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let has = |k: &str| crate::input::has_key(trimmed, k);
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if trimmed.contains("\"admin#directory#users\"") || (has("users") && has("primaryEmail")) {
            return Ok(DirectoryFormat::GoogleApiUsers);
        }
        if trimmed.contains("\"admin#directory#groups\"")
            || (has("groups") && has("directMembersCount"))
        {
            return Ok(DirectoryFormat::GoogleApiGroups);
        }
        if trimmed.contains("\"admin#directory#members\"") {
            return Ok(DirectoryFormat::GoogleApiMembers);
        }
        if has("Resources")
            || (trimmed.starts_with('[')
                && (has("userName") || has("schemas"))
                && !has("@odata.type"))
        {
            return Ok(DirectoryFormat::ScimListResponse);
        }
        if has("value") || trimmed.starts_with('[') {
            let context = odata_context(trimmed)
                .unwrap_or_default()
                .to_ascii_lowercase();
            if context.contains("approleassign") || (has("principalId") && has("appRoleId")) {
                return Ok(DirectoryFormat::EntraGraphAssignments);
            }
            if context.contains("#groups")
                || has("members")
                || has("groupTypes")
                || has("securityEnabled")
            {
                return Ok(DirectoryFormat::EntraGraphGroups);
            }
            if context.contains("#users") || has("userPrincipalName") {
                return Ok(DirectoryFormat::EntraGraphUsers);
            }
        }
        if crate::identity_store::looks_like_cli_json(trimmed) {
            return Err(unknown(
                "this is AWS identity store output (aws identitystore list-*): import it as a store \
                 snapshot (scimlens store-import), not as a directory",
            ));
        }
        return Err(unknown("JSON, but none of the known directory shapes"));
    }
    let mut lines = trimmed.lines();
    let mut header = lines.next().unwrap_or_default();
    // Entra's bulk templates start with a `version:v1.0` line before the header.
    if header.trim().to_ascii_lowercase().starts_with("version:") {
        header = lines.next().unwrap_or_default();
    }
    let names: Vec<String> = split_header(header)
        .iter()
        .map(|h| normalize_header(h))
        .collect();
    let has_col = |n: &str| names.iter().any(|h| h == n);
    let keys: Vec<String> = split_header(header)
        .iter()
        .map(|h| google::header_key(h))
        .collect();
    let has_key = |n: &str| keys.iter().any(|h| h == n);
    // Google's Admin console marks its columns (`Email Address [Required]`); GAM prints the
    // API's flattened names (`primaryEmail,name.givenName`).
    if has_col("emailaddressrequired")
        || (has_key("emailaddress") && has_key("firstname") && has_key("lastname"))
        || (has_col("primaryemail")
            && (has_col("namegivenname") || has_col("namefamilyname") || has_col("namefullname")))
    {
        return Ok(DirectoryFormat::GoogleUsersCsv);
    }
    if (has_key("groupemail") && has_key("memberemail"))
        || (has_col("group") && has_col("email") && has_col("role") && has_col("type"))
    {
        return Ok(DirectoryFormat::GoogleMembersCsv);
    }
    if has_key("groupemail") && has_key("groupname") {
        return Ok(DirectoryFormat::GoogleGroupsCsv);
    }
    if has_col("userprincipalname") {
        return Ok(DirectoryFormat::EntraUsersCsv);
    }
    if has_col("login")
        || (has_col("username")
            && (has_col("firstname") || has_col("primaryemail") || has_col("email")))
    {
        return Ok(DirectoryFormat::OktaUsersCsv);
    }
    Err(unknown(
        "neither JSON nor a CSV header with userPrincipalName (Entra), login/Username (Okta) or \
         Email Address [Required] / Group Email / Member Email (Google Workspace)",
    ))
}

fn odata_context(s: &str) -> Option<&str> {
    let i = s.find("\"@odata.context\"")? + "\"@odata.context\"".len();
    let rest = s[i..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    rest.split('"').next()
}

/// Header cells of a CSV header line (quotes removed), with its delimiter sniffed.
pub(crate) fn split_header(line: &str) -> Vec<String> {
    let delimiter = sniff_delimiter(line);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| {
            r.iter()
                .map(|s| s.trim_start_matches('\u{feff}').to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn sniff_delimiter(line: &str) -> u8 {
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// `User principal name`, `userPrincipalName`, `user_principal_name` -> `userprincipalname`.
pub(crate) fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads the export files in `paths` into one directory. Every file is detected first (nothing
/// is read if one is unrecognisable); files of different IdPs cannot be mixed.
pub fn read_files(paths: &[PathBuf]) -> Result<Directory> {
    if paths.is_empty() {
        return Err(Error::InvalidArgument(
            "no directory export given".to_string(),
        ));
    }
    let formats: Vec<(PathBuf, DirectoryFormat)> = paths
        .iter()
        .map(|p| Ok((p.clone(), detect(p)?)))
        .collect::<Result<_>>()?;
    let mut dir = Directory::default();
    for (path, format) in &formats {
        match dir.idp {
            Some(idp) if idp != format.idp() => {
                return Err(Error::InvalidArgument(format!(
                    "{} is a {} export but the other files are from {}: import one IdP's exports at a time",
                    path.display(),
                    format.idp(),
                    idp
                )));
            }
            _ => dir.idp = Some(format.idp()),
        }
        let input = Input::open(path)?.limited(
            crate::input::MAX_HELD_INPUT_BYTES,
            "an IdP directory export",
        );
        match format {
            DirectoryFormat::ScimListResponse => scim::read(path, input.reader, &mut dir)?,
            DirectoryFormat::EntraUsersCsv => entra::read_csv(path, input.reader, &mut dir)?,
            DirectoryFormat::EntraGraphUsers => {
                entra::read_graph_users(path, input.reader, &mut dir)?
            }
            DirectoryFormat::EntraGraphGroups => {
                entra::read_graph_groups(path, input.reader, &mut dir)?
            }
            DirectoryFormat::EntraGraphAssignments => {
                entra::read_graph_assignments(path, input.reader, &mut dir)?
            }
            DirectoryFormat::OktaUsersCsv => okta::read_csv(path, input.reader, &mut dir)?,
            DirectoryFormat::GoogleUsersCsv => {
                google::read_users_csv(path, input.reader, &mut dir)?
            }
            DirectoryFormat::GoogleGroupsCsv => {
                google::read_groups_csv(path, input.reader, &mut dir)?
            }
            DirectoryFormat::GoogleMembersCsv => {
                google::read_members_csv(path, input.reader, &mut dir)?
            }
            DirectoryFormat::GoogleApiUsers => {
                google::read_api_users(path, input.reader, &mut dir)?
            }
            DirectoryFormat::GoogleApiGroups => {
                google::read_api_groups(path, input.reader, &mut dir)?
            }
            DirectoryFormat::GoogleApiMembers => {
                google::read_api_members(path, input.reader, &mut dir)?
            }
        }
        dir.formats.push(*format);
    }
    if dir.idp == Some(DirectoryIdp::Google) {
        google::finish(&mut dir);
    }
    dir.resolve_member_kinds();
    Ok(dir)
}

/// Streams the elements of the array under `key` of a top-level JSON object (or of a top-level
/// array) to `each`, one at a time, so a 100,000-user export never sits in memory as one tree.
/// Returns the other top-level members (small values such as `@odata.nextLink`).
pub(crate) fn stream_array<T, F>(
    path: &Path,
    reader: impl BufRead,
    key: &str,
    each: F,
) -> Result<BTreeMap<String, Value>>
where
    T: DeserializeOwned,
    F: FnMut(T) -> Result<()>,
{
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = StreamState {
        key,
        each,
        error: None,
        others: BTreeMap::new(),
        _t: std::marker::PhantomData,
    };
    let outcome = (&mut state).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = state.error {
        return Err(e);
    }
    outcome.map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        position: Position::line_col(e.line() as u64, e.column() as u64),
        expected: format!("a JSON object with a \"{key}\" array"),
        found: e.to_string(),
    })?;
    Ok(state.others)
}

struct StreamState<'k, T, F> {
    key: &'k str,
    each: F,
    /// An error from `each` (kept apart so it is not reported as a JSON syntax error).
    error: Option<Error>,
    others: BTreeMap<String, Value>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> DeserializeSeed<'de>
    for &mut StreamState<'_, T, F>
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> Visitor<'de>
    for &mut StreamState<'_, T, F>
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a JSON object with a \"{}\" array, or an array",
            self.key
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if k == self.key {
                map.next_value_seed(ElementsSeed(&mut *self))?;
            } else {
                let v: Value = map.next_value()?;
                self.others.insert(k, v);
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        ElementsSeed(self).visit_seq(seq)
    }
}

struct ElementsSeed<'a, 'k, T, F>(&'a mut StreamState<'k, T, F>);

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> DeserializeSeed<'de>
    for ElementsSeed<'_, '_, T, F>
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> Visitor<'de>
    for ElementsSeed<'_, '_, T, F>
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array under \"{}\"", self.0.key)
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            if self.0.error.is_some() {
                continue;
            }
            if let Err(e) = (self.0.each)(item) {
                self.0.error = Some(e);
            }
        }
        Ok(())
    }
}

/// Skips whatever value comes (used to read only parts of an object).
#[allow(dead_code)]
pub(crate) fn skip<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<(), D::Error> {
    IgnoredAny::deserialize(d).map(|_| ())
}

/// Text of a JSON scalar; `None` for null, objects and arrays.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A CSV export read row by row: `on_row` gets the header and each record.
pub(crate) fn read_csv_rows(
    path: &Path,
    reader: impl BufRead,
    mut on_row: impl FnMut(&[String], &csv::StringRecord) -> Result<()>,
) -> Result<()> {
    let mut reader = reader;
    let mut first = String::new();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // Skip a `version:v1.0` preamble (Entra bulk files) and find the header line.
    loop {
        first.clear();
        if reader.read_line(&mut first).map_err(io)? == 0 {
            return Err(Error::Empty {
                path: path.to_path_buf(),
            });
        }
        let t = first.trim();
        if !t.is_empty() && !t.to_ascii_lowercase().starts_with("version:") {
            break;
        }
    }
    let delimiter = sniff_delimiter(&first);
    let header = split_header(first.trim_end_matches(['\r', '\n']));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                on_row(&header, &record)?;
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() + 1).unwrap_or(0);
                return Err(Error::Parse {
                    path: path.to_path_buf(),
                    position: Position::line_col(line, 1),
                    expected: "a well-formed CSV row".to_string(),
                    found: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// One CSV row as a directory entry: columns renamed through `canonical` (normalized header ->
/// the IdP's attribute name), others kept under their header text; empty cells dropped.
pub(crate) fn csv_entry(
    header: &[String],
    record: &csv::StringRecord,
    canonical: &dyn Fn(&str) -> Option<&'static str>,
    id_attribute: &str,
) -> DirectoryEntry {
    let mut entry = DirectoryEntry::default();
    for (i, cell) in record.iter().enumerate() {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let name = match header.get(i) {
            Some(h) => canonical(&normalize_header(h))
                .map(str::to_string)
                .unwrap_or_else(|| h.clone()),
            None => format!("column {}", i + 1),
        };
        entry.push(name, cell);
    }
    entry.idp_id = entry.first(id_attribute).map(str::to_string);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Result<DirectoryFormat> {
        detect_bytes(Path::new("x"), s.as_bytes())
    }

    #[test]
    fn exports_are_recognised_by_content() {
        assert_eq!(d(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"userName":"a"}]}"#).unwrap(), DirectoryFormat::ScimListResponse);
        assert_eq!(d(r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[{"id":"1","userPrincipalName":"a@x"}]}"#).unwrap(), DirectoryFormat::EntraGraphUsers);
        assert_eq!(
            d(r#"{"value":[{"id":"g","displayName":"G","members":[]}]}"#).unwrap(),
            DirectoryFormat::EntraGraphGroups
        );
        assert_eq!(
            d(r#"{"value":[{"principalId":"p","principalType":"User","appRoleId":"r"}]}"#).unwrap(),
            DirectoryFormat::EntraGraphAssignments
        );
        assert_eq!(
            d("userPrincipalName,displayName,surname\n").unwrap(),
            DirectoryFormat::EntraUsersCsv
        );
        assert_eq!(
            d("\u{feff}User principal name;Display name\n").unwrap(),
            DirectoryFormat::EntraUsersCsv
        );
        assert_eq!(
            d("id,status,login,firstName,lastName,email\n").unwrap(),
            DirectoryFormat::OktaUsersCsv
        );
        assert_eq!(
            d("Username,First name,Last name,Primary email\n").unwrap(),
            DirectoryFormat::OktaUsersCsv
        );
        let e = d(r#"{"Users":[{"UserId":"u"}]}"#).unwrap_err();
        assert!(e.to_string().contains("store-import"), "{e}");
        assert!(matches!(d("a,b,c\n"), Err(Error::UnknownFormat { .. })));
        assert!(matches!(d("   "), Err(Error::Empty { .. })));
    }

    #[test]
    fn arrays_stream_element_by_element_and_keep_the_rest() {
        let text = r#"{"@odata.nextLink":"https://next","value":[{"a":1},{"a":2}],"x":true}"#;
        let mut seen = Vec::new();
        let others = stream_array::<Value, _>(Path::new("x"), text.as_bytes(), "value", |v| {
            seen.push(v["a"].as_i64().unwrap());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![1, 2]);
        assert!(others.contains_key("@odata.nextLink"));
        let bare =
            stream_array::<Value, _>(Path::new("x"), &b"[1,2,3]"[..], "value", |_| Ok(())).unwrap();
        assert!(bare.is_empty());
        let err =
            stream_array::<Value, _>(Path::new("x"), &b"{\"value\":[1,"[..], "value", |_| Ok(()))
                .unwrap_err();
        assert!(matches!(err, Error::Parse { .. }), "{err}");
    }
}
