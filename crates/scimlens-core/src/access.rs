//! Who may use what, read from a store snapshot's account assignments: a user's effective access
//! (each account x permission set, and every path that grants it: directly or through a group).
//! Pure functions over rows `db::access` reads; the api puts them together.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::db::access::NamedAssignment;
use crate::identity_store::PrincipalType;

/// How a user holds a permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AccessPath {
    /// Assigned to the user.
    Direct,
    /// Assigned to a group the user is a member of.
    Group {
        group_id: String,
        /// The group's display name in the snapshot.
        group_name: Option<String>,
    },
}

/// One account x permission set a user can use, with every path that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EffectiveAccess {
    pub account_id: String,
    /// Known when Organizations was read.
    pub account_name: Option<String>,
    pub permission_set_arn: String,
    /// Known when the permission set was described.
    pub permission_set_name: Option<String>,
    /// Direct first, then groups by name.
    pub via: Vec<AccessPath>,
}

/// Folds a user's assignments (its own and its groups') into one entry per account x
/// permission set, ordered by account, then permission set name.
pub fn effective(rows: Vec<NamedAssignment>) -> Vec<EffectiveAccess> {
    let mut by_pair: BTreeMap<(String, String), EffectiveAccess> = BTreeMap::new();
    for r in rows {
        let entry = by_pair
            .entry((r.account_id.clone(), r.permission_set_arn.clone()))
            .or_insert_with(|| EffectiveAccess {
                account_id: r.account_id,
                account_name: r.account_name,
                permission_set_arn: r.permission_set_arn,
                permission_set_name: r.permission_set_name,
                via: Vec::new(),
            });
        entry.via.push(match r.principal_type {
            PrincipalType::User => AccessPath::Direct,
            PrincipalType::Group => AccessPath::Group {
                group_id: r.principal_id,
                group_name: r.group_name,
            },
        });
    }
    let mut all: Vec<EffectiveAccess> = by_pair.into_values().collect();
    for a in &mut all {
        a.via.sort_by(|x, y| match (x, y) {
            (AccessPath::Group { group_name: a, .. }, AccessPath::Group { group_name: b, .. }) => {
                a.cmp(b).then_with(|| x.cmp(y))
            }
            _ => x.cmp(y),
        });
        a.via.dedup();
    }
    all.sort_by(|a, b| {
        (&a.account_id, &a.permission_set_name, &a.permission_set_arn).cmp(&(
            &b.account_id,
            &b.permission_set_name,
            &b.permission_set_arn,
        ))
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(account: &str, ps: &str, kind: PrincipalType, principal: &str) -> NamedAssignment {
        NamedAssignment {
            account_id: account.into(),
            account_name: None,
            permission_set_arn: format!("arn:{ps}"),
            permission_set_name: Some(ps.into()),
            principal_type: kind,
            principal_id: principal.into(),
            group_name: (kind == PrincipalType::Group).then(|| format!("{principal} name")),
        }
    }

    #[test]
    fn one_entry_per_account_and_permission_set_lists_direct_then_each_group() {
        let all = effective(vec![
            row("2", "ReadOnly", PrincipalType::Group, "g-b"),
            row("1", "Admin", PrincipalType::Group, "g-b"),
            row("1", "Admin", PrincipalType::User, "u"),
            row("1", "Admin", PrincipalType::Group, "g-a"),
        ]);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].account_id.as_str(), all[0].permission_set_name.as_deref()),
            ("1", Some("Admin"))
        );
        assert_eq!(
            all[0].via,
            vec![
                AccessPath::Direct,
                AccessPath::Group {
                    group_id: "g-a".into(),
                    group_name: Some("g-a name".into())
                },
                AccessPath::Group {
                    group_id: "g-b".into(),
                    group_name: Some("g-b name".into())
                },
            ]
        );
        assert_eq!(all[1].via.len(), 1);
    }
}
