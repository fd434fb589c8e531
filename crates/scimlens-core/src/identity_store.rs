//! What the AWS identity store holds: users, groups and memberships at one moment
//! ([`StoreSnapshot`]), in the shape `aws identitystore list-users`, `list-groups` and
//! `list-group-memberships` print (PascalCase keys), so the AWS CLI's JSON is the offline format
//! both ways: [`read_cli_json`] reads it, [`write_cli_json`] writes it back.
//!
//! Beside them, who has access to what ([`StoreAccess`]): IAM Identity Center's permission sets
//! and account assignments (sso-admin), and the accounts' names when Organizations could be read.
//! [`read_cli_json`] also reads `aws sso-admin list-permission-sets`, `describe-permission-set`
//! and `list-account-assignments`, and `aws organizations list-accounts`.
//!
//! Fields this module does not know (new attributes AWS adds) are kept as they came, so an
//! exported snapshot says what the imported one said.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Position, Result};

/// `ExternalIds[]`: the link SCIM clients set to their own object id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct ExternalId {
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// One entry of `Emails[]` or `PhoneNumbers[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "Type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "Type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreUser {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_ids: Vec<ExternalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<StoreName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub emails: Vec<StoreValue>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub addresses: Vec<StoreAddress>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub phone_numbers: Vec<StoreValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    /// Attributes scimlens does not model, kept for a faithful export.
    #[serde(flatten)]
    #[ts(skip)]
    pub extra: BTreeMap<String, Value>,
}

impl StoreUser {
    /// The email marked primary, else the only one.
    pub fn primary_email(&self) -> Option<&str> {
        primary_value(&self.emails)
    }

    pub fn first_external_id(&self) -> Option<&str> {
        self.external_ids
            .iter()
            .map(|e| e.id.as_str())
            .find(|id| !id.is_empty())
    }
}

pub(crate) fn primary_value(values: &[StoreValue]) -> Option<&str> {
    values
        .iter()
        .find(|v| v.primary == Some(true))
        .or_else(|| {
            if values.len() == 1 {
                values.first()
            } else {
                None
            }
        })
        .and_then(|v| v.value.as_deref())
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreGroup {
    pub group_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_ids: Vec<ExternalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    #[serde(flatten)]
    #[ts(skip)]
    pub extra: BTreeMap<String, Value>,
}

impl StoreGroup {
    pub fn first_external_id(&self) -> Option<&str> {
        self.external_ids
            .iter()
            .map(|e| e.id.as_str())
            .find(|id| !id.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct MemberId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct StoreMembership {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_id: Option<String>,
    pub group_id: String,
    #[serde(default)]
    pub member_id: MemberId,
}

/// Everything one snapshot holds, in memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreSnapshot {
    pub identity_store_id: Option<String>,
    pub users: Vec<StoreUser>,
    pub groups: Vec<StoreGroup>,
    pub memberships: Vec<StoreMembership>,
    /// False when no membership data was read (only users/groups files were imported).
    pub memberships_known: bool,
    /// Permission sets and account assignments; `None` when they were not read (`--no-access`,
    /// no sso-admin permission, or no sso-admin output imported).
    pub access: Option<StoreAccess>,
}

/// Who an account assignment is for: sso-admin's `PrincipalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrincipalType {
    User,
    Group,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "USER",
            PrincipalType::Group => "GROUP",
        }
    }

    pub fn parse(s: &str) -> Option<PrincipalType> {
        match s {
            "USER" => Some(PrincipalType::User),
            "GROUP" => Some(PrincipalType::Group),
            _ => None,
        }
    }
}

/// A permission set as `aws sso-admin describe-permission-set` prints it (`PermissionSet`).
/// Known only by its ARN when just `list-permission-sets` was imported.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionSet {
    pub permission_set_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<String>,
    /// What else AWS says (`CreatedDate`), kept as it came.
    #[serde(flatten)]
    #[ts(skip)]
    pub extra: BTreeMap<String, Value>,
}

/// One row of `aws sso-admin list-account-assignments`: a principal holds a permission set in
/// an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct AccountAssignment {
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

/// An AWS account as `aws organizations list-accounts` prints it (the fields scimlens uses).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "PascalCase")]
pub struct AwsAccount {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Who may use what: the instance's permission sets, every account assignment, and the names
/// of the accounts (empty when Organizations was not read: accounts are then known by id).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreAccess {
    pub permission_sets: Vec<PermissionSet>,
    pub assignments: Vec<AccountAssignment>,
    pub accounts: Vec<AwsAccount>,
}

impl StoreAccess {
    /// Adds a permission set, or completes the one already known by its ARN (a
    /// `describe-permission-set` after a bare ARN from `list-permission-sets`).
    pub fn add_permission_set(&mut self, ps: PermissionSet) {
        match self
            .permission_sets
            .iter_mut()
            .find(|p| p.permission_set_arn == ps.permission_set_arn)
        {
            Some(known) if ps.name.is_some() || known.name.is_none() => *known = ps,
            Some(_) => {}
            None => self.permission_sets.push(ps),
        }
    }
}

fn null_as_empty<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// What one AWS CLI JSON file contributed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliFileSummary {
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub permission_sets: u64,
    pub account_assignments: u64,
    pub accounts: u64,
    pub warnings: Vec<String>,
}

/// Reads `aws identitystore list-users` / `list-groups` / `list-group-memberships` output (or a
/// combined object with several of those keys, as [`write_cli_json`] writes) into `into`, and
/// `aws sso-admin list-permission-sets` / `describe-permission-set` / `list-account-assignments`
/// and `aws organizations list-accounts` output into `into.access`. A file
/// may hold several JSON documents one after another (the output of a shell loop appended with
/// `>>`); `NextToken` present means the file is one page of more, which is said in a warning.
pub fn read_cli_json(
    path: &Path,
    reader: impl BufRead,
    into: &mut StoreSnapshot,
) -> Result<CliFileSummary> {
    let mut summary = CliFileSummary::default();
    let mut stream = serde_json::Deserializer::from_reader(reader).into_iter::<CliDocument>();
    let mut documents = 0u64;
    loop {
        let doc = match stream.next() {
            None => break,
            Some(Ok(doc)) => doc,
            Some(Err(e)) => return Err(json_error(path, &e, documents)),
        };
        documents += 1;
        let known = doc.users.is_some() || doc.groups.is_some() || doc.group_memberships.is_some();
        let access = doc.permission_sets.is_some()
            || doc.permission_set.is_some()
            || doc.account_assignments.is_some()
            || doc.accounts.is_some();
        if !known && !access {
            return Err(Error::UnknownFormat {
                path: path.to_path_buf(),
                reason: "JSON without Users, Groups, GroupMemberships, PermissionSets, \
                         PermissionSet, AccountAssignments or Accounts: not the output of \
                         `aws identitystore list-users`, `list-groups`, `list-group-memberships`, \
                         `aws sso-admin list-permission-sets`, `describe-permission-set`, \
                         `list-account-assignments` or `aws organizations list-accounts`"
                    .to_string(),
            });
        }
        if access {
            let a = into.access.get_or_insert_default();
            for arn in doc.permission_sets.into_iter().flatten() {
                summary.permission_sets += 1;
                a.add_permission_set(PermissionSet {
                    permission_set_arn: arn,
                    ..Default::default()
                });
            }
            if let Some(ps) = doc.permission_set {
                summary.permission_sets += 1;
                a.add_permission_set(ps);
            }
            if let Some(assignments) = doc.account_assignments {
                summary.account_assignments += assignments.len() as u64;
                a.assignments.extend(assignments);
            }
            if let Some(accounts) = doc.accounts {
                summary.accounts += accounts.len() as u64;
                a.accounts.extend(accounts);
            }
        }
        if let Some(id) = doc.identity_store_id.filter(|s| !s.is_empty()) {
            into.identity_store_id.get_or_insert(id);
        }
        if doc.next_token.as_deref().is_some_and(|t| !t.is_empty()) {
            summary.warnings.push(format!(
                "{}: document {documents} carries a NextToken: it is one page of more (run the \
                 AWS CLI without --max-items / --no-paginate to get everything)",
                path.display()
            ));
        }
        if let Some(users) = doc.users {
            summary.users += users.len() as u64;
            into.users.extend(users);
        }
        if let Some(groups) = doc.groups {
            summary.groups += groups.len() as u64;
            into.groups.extend(groups);
        }
        if let Some(memberships) = doc.group_memberships {
            summary.memberships += memberships.len() as u64;
            into.memberships.extend(memberships);
            into.memberships_known = true;
        }
    }
    if documents == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if into.identity_store_id.is_none() {
        let from_objects = into
            .users
            .iter()
            .filter_map(|u| u.identity_store_id.clone())
            .chain(
                into.groups
                    .iter()
                    .filter_map(|g| g.identity_store_id.clone()),
            )
            .next();
        into.identity_store_id = from_objects;
    }
    Ok(summary)
}

fn json_error(path: &Path, e: &serde_json::Error, documents: u64) -> Error {
    if e.is_eof() && documents == 0 && e.line() <= 1 && e.column() == 0 {
        return Error::Empty {
            path: path.to_path_buf(),
        };
    }
    Error::Parse {
        path: path.to_path_buf(),
        position: Position::line_col(e.line() as u64, e.column() as u64),
        expected: "the JSON `aws identitystore list-users`, `list-groups`, \
                   `list-group-memberships`, `aws sso-admin list-permission-sets`, \
                   `describe-permission-set`, `list-account-assignments` or \
                   `aws organizations list-accounts` prints"
            .to_string(),
        found: e.to_string(),
    }
}

/// One document of AWS CLI output; any of the list keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CliDocument {
    /// `list-permission-sets`: ARNs only.
    #[serde(default)]
    permission_sets: Option<Vec<String>>,
    /// `describe-permission-set`.
    #[serde(default)]
    permission_set: Option<PermissionSet>,
    #[serde(default)]
    account_assignments: Option<Vec<AccountAssignment>>,
    /// `aws organizations list-accounts`.
    #[serde(default)]
    accounts: Option<Vec<AwsAccount>>,
    #[serde(default)]
    users: Option<Vec<StoreUser>>,
    #[serde(default)]
    groups: Option<Vec<StoreGroup>>,
    #[serde(default)]
    group_memberships: Option<Vec<StoreMembership>>,
    #[serde(default)]
    next_token: Option<String>,
    #[serde(default)]
    identity_store_id: Option<String>,
}

/// The three files an export writes, named after the AWS CLI commands that print them.
pub const EXPORT_FILES: [&str; 3] = [
    "list-users.json",
    "list-groups.json",
    "list-group-memberships.json",
];

/// The files an export adds when the snapshot holds access: one `describe-permission-set`
/// document per permission set (as a shell loop appends them), the assignments, and the named
/// accounts (when Organizations was read).
pub const ACCESS_EXPORT_FILES: [&str; 3] = [
    "describe-permission-set.json",
    "list-account-assignments.json",
    "list-accounts.json",
];

/// Writes `snapshot` as three AWS CLI-shaped files into `dir` (created if needed), and the access
/// files when it holds access; returns their paths. Re-importing them gives the same snapshot.
pub fn write_cli_json(snapshot: &StoreSnapshot, dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for name in EXPORT_FILES {
        let path = dir.join(name);
        let mut w = crate::atomic::AtomicFile::create(&path)?;
        let result = match name {
            "list-users.json" => serde_json::to_writer_pretty(
                &mut w,
                &UsersDoc {
                    users: &snapshot.users,
                },
            ),
            "list-groups.json" => serde_json::to_writer_pretty(
                &mut w,
                &GroupsDoc {
                    groups: &snapshot.groups,
                },
            ),
            _ => serde_json::to_writer_pretty(
                &mut w,
                &MembershipsDoc {
                    group_memberships: &snapshot.memberships,
                },
            ),
        };
        result.map_err(|e| Error::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        w.write_all(b"\n").map_err(io(&path))?;
        w.commit()?;
        written.push(path);
    }
    if let Some(access) = &snapshot.access {
        for name in ACCESS_EXPORT_FILES {
            if name == "list-accounts.json" && access.accounts.is_empty() {
                continue;
            }
            let path = dir.join(name);
            let mut w = crate::atomic::AtomicFile::create(&path)?;
            let result = match name {
                "describe-permission-set.json" => {
                    access.permission_sets.iter().try_for_each(|p| {
                        serde_json::to_writer(&mut w, &PermissionSetDoc { permission_set: p })?;
                        w.write_all(b"\n").map_err(serde_json::Error::io)
                    })
                }
                "list-account-assignments.json" => serde_json::to_writer_pretty(
                    &mut w,
                    &AssignmentsDoc {
                        account_assignments: &access.assignments,
                    },
                ),
                _ => serde_json::to_writer_pretty(
                    &mut w,
                    &AccountsDoc {
                        accounts: &access.accounts,
                    },
                ),
            };
            result.map_err(|e| Error::Io {
                path: path.clone(),
                source: e.into(),
            })?;
            w.write_all(b"\n").map_err(io(&path))?;
            w.commit()?;
            written.push(path);
        }
    }
    Ok(written)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PermissionSetDoc<'a> {
    permission_set: &'a PermissionSet,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssignmentsDoc<'a> {
    account_assignments: &'a [AccountAssignment],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountsDoc<'a> {
    accounts: &'a [AwsAccount],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UsersDoc<'a> {
    users: &'a [StoreUser],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsDoc<'a> {
    groups: &'a [StoreGroup],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MembershipsDoc<'a> {
    group_memberships: &'a [StoreMembership],
}

/// True when the first bytes look like AWS CLI identity store output (for format detection).
pub fn looks_like_cli_json(head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('{')
        && [
            "Users",
            "Groups",
            "GroupMemberships",
            "PermissionSets",
            "PermissionSet",
            "AccountAssignments",
        ]
        .iter()
            .any(|k| crate::input::has_key(head, k))
        && !crate::input::has_key(head, "schemas")
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = r#"{
        "Users": [
            {
                "UserName": "ann@example.com",
                "UserId": "9067e7f6c1-0a1b2c3d-1111-2222-3333-444455556666",
                "ExternalIds": [{"Issuer": "https://scim.aws.com/1234", "Id": "ext-ann"}],
                "Name": {"FamilyName": "Lee", "GivenName": "Ann"},
                "DisplayName": "Ann Lee",
                "Emails": [{"Value": "ann@example.com", "Type": "work", "Primary": true}],
                "UserStatus": "ENABLED",
                "IdentityStoreId": "d-1234567890"
            },
            {"UserName": "bob", "UserId": "u-2", "ExternalIds": null, "IdentityStoreId": "d-1234567890"}
        ]
    }"#;

    #[test]
    fn cli_output_reads_and_writes_back_the_same() {
        let mut snap = StoreSnapshot::default();
        let s = read_cli_json(Path::new("users.json"), USERS.as_bytes(), &mut snap).unwrap();
        assert_eq!(s.users, 2);
        assert_eq!(snap.identity_store_id.as_deref(), Some("d-1234567890"));
        assert!(!snap.memberships_known);
        let ann = &snap.users[0];
        assert_eq!(ann.primary_email(), Some("ann@example.com"));
        assert_eq!(ann.first_external_id(), Some("ext-ann"));
        assert_eq!(
            ann.extra.get("UserStatus"),
            Some(&Value::String("ENABLED".into()))
        );
        assert!(snap.users[1].external_ids.is_empty());

        let dir = tempfile::tempdir().unwrap();
        let files = write_cli_json(&snap, dir.path()).unwrap();
        let mut again = StoreSnapshot::default();
        for f in &files {
            let r = std::io::BufReader::new(std::fs::File::open(f).unwrap());
            read_cli_json(f, r, &mut again).unwrap();
        }
        assert_eq!(again.users, snap.users);
        assert!(
            again.memberships_known,
            "an exported snapshot says memberships were read"
        );
    }

    #[test]
    fn concatenated_pages_read_and_a_next_token_is_reported() {
        let text = r#"{"GroupMemberships":[{"IdentityStoreId":"d-1","MembershipId":"m1","GroupId":"g1","MemberId":{"UserId":"u1"}}],"NextToken":"abc"}
{"GroupMemberships":[{"MembershipId":"m2","GroupId":"g2","MemberId":{"UserId":"u1"}}]}"#;
        let mut snap = StoreSnapshot::default();
        let s = read_cli_json(Path::new("m.json"), text.as_bytes(), &mut snap).unwrap();
        assert_eq!(s.memberships, 2);
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("NextToken"));
    }

    #[test]
    fn sso_admin_and_organizations_output_read_as_the_snapshot_access() {
        // As the AWS CLI prints them, appended into one file by a shell loop: the ARNs first,
        // then one describe-permission-set per ARN, then the assignments and the accounts.
        let text = r#"{"PermissionSets": ["arn:aws:sso:::permissionSet/ssoins-1/ps-a", "arn:aws:sso:::permissionSet/ssoins-1/ps-b"]}
{"PermissionSet": {"Name": "AdministratorAccess", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-a",
  "CreatedDate": "2026-11-02T10:00:00.000000+00:00", "SessionDuration": "PT8H"}}
{"AccountAssignments": [
  {"AccountId": "111122223333", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-a", "PrincipalType": "GROUP", "PrincipalId": "g-1"},
  {"AccountId": "111122223333", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-a", "PrincipalType": "USER", "PrincipalId": "u-1"}
], "NextToken": "more"}
{"Accounts": [{"Id": "111122223333", "Arn": "arn:aws:organizations::1:account/o-1/111122223333", "Name": "Production", "Status": "ACTIVE"}]}"#;
        let mut snap = StoreSnapshot::default();
        let s = read_cli_json(Path::new("access.json"), text.as_bytes(), &mut snap).unwrap();
        assert_eq!(
            (s.permission_sets, s.account_assignments, s.accounts),
            (3, 2, 1)
        );
        assert!(
            s.warnings[0].contains("NextToken"),
            "a page of more is said: {:?}",
            s.warnings
        );
        let access = snap.access.expect("sso-admin output makes the access known");
        assert_eq!(access.permission_sets.len(), 2, "one row per ARN");
        assert_eq!(
            access.permission_sets[0].name.as_deref(),
            Some("AdministratorAccess"),
            "the description completes the bare ARN"
        );
        assert_eq!(access.permission_sets[1].name, None);
        assert_eq!(access.assignments[0].principal_type, PrincipalType::Group);
        assert_eq!(access.assignments[1].principal_id, "u-1");
        assert_eq!(access.accounts[0].name.as_deref(), Some("Production"));
        assert!(snap.users.is_empty() && !snap.memberships_known);
        assert!(looks_like_cli_json(text));
    }

    #[test]
    fn a_snapshot_with_access_exports_and_reimports_the_same() {
        let access = StoreAccess {
            permission_sets: vec![
                PermissionSet {
                    permission_set_arn: "arn:ps-a".into(),
                    name: Some("Admin".into()),
                    session_duration: Some("PT8H".into()),
                    ..Default::default()
                },
                PermissionSet {
                    permission_set_arn: "arn:ps-b".into(),
                    ..Default::default()
                },
            ],
            assignments: vec![AccountAssignment {
                account_id: "111122223333".into(),
                permission_set_arn: "arn:ps-a".into(),
                principal_type: PrincipalType::User,
                principal_id: "u-1".into(),
            }],
            accounts: vec![AwsAccount {
                id: "111122223333".into(),
                name: Some("Production".into()),
            }],
        };
        let snap = StoreSnapshot {
            access: Some(access),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let files = write_cli_json(&snap, dir.path()).unwrap();
        assert_eq!(files.len(), 6);
        let mut again = StoreSnapshot::default();
        for f in &files {
            let r = std::io::BufReader::new(std::fs::File::open(f).unwrap());
            read_cli_json(f, r, &mut again).unwrap();
        }
        assert_eq!(again.access, snap.access);

        let without = write_cli_json(&StoreSnapshot::default(), dir.path()).unwrap();
        assert_eq!(without.len(), 3, "a snapshot without access exports as before");
    }

    #[test]
    fn an_assignment_to_an_unknown_principal_type_is_refused_at_its_position() {
        let text = r#"{"AccountAssignments": [
  {"AccountId": "1", "PermissionSetArn": "arn:p", "PrincipalType": "ROLE", "PrincipalId": "x"}]}"#;
        let mut snap = StoreSnapshot::default();
        let e = read_cli_json(Path::new("a.json"), text.as_bytes(), &mut snap).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e}");
        assert!(e.to_string().contains("a.json"), "{e}");
    }

    #[test]
    fn other_json_is_refused_with_the_reason() {
        let mut snap = StoreSnapshot::default();
        let e = read_cli_json(Path::new("x.json"), &b"{\"value\": []}"[..], &mut snap).unwrap_err();
        assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
        let e = read_cli_json(Path::new("x.json"), &b"{\"Users\": [ {"[..], &mut snap).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e}");
    }
}
