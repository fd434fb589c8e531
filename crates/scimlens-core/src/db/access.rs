//! The `store_permission_sets`, `store_account_assignments` and `store_accounts` tables: who may
//! use what, stored with a store snapshot (in its transaction, by `snapshots::insert`), and the
//! questions asked of them: a user's assignments (direct and through its groups), and the
//! assignments whose principal no longer exists.

use std::collections::{BTreeMap, HashMap};

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::Workspace;
use crate::error::{Error, Result};
use crate::model::AccessImpact;
use crate::identity_store::{
    AccountAssignment, AwsAccount, PermissionSet, PrincipalType, StoreAccess, StoreGroup,
    StoreUser,
};

/// Rows per INSERT: at most 5 columns x 1000 rows, well under SQLite's variable limit.
const BATCH: usize = 1000;

pub(super) async fn insert_in(
    conn: &mut SqliteConnection,
    snapshot_id: i64,
    access: &StoreAccess,
) -> Result<()> {
    for chunk in access.permission_sets.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO store_permission_sets (snapshot_id, permission_set_arn, name, data) ",
        );
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(snapshot_id)
                .push_bind(p.permission_set_arn.clone())
                .push_bind(p.name.clone())
                .push_bind(serde_json::to_string(p).expect("permission sets serialize"));
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in access.assignments.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO store_account_assignments (snapshot_id, account_id, \
             permission_set_arn, principal_type, principal_id) ",
        );
        qb.push_values(chunk, |mut b, a| {
            b.push_bind(snapshot_id)
                .push_bind(a.account_id.clone())
                .push_bind(a.permission_set_arn.clone())
                .push_bind(a.principal_type)
                .push_bind(a.principal_id.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    // Every account an assignment names, with its name when Organizations gave one.
    let mut accounts: BTreeMap<&str, Option<&str>> = access
        .assignments
        .iter()
        .map(|a| (a.account_id.as_str(), None))
        .collect();
    for a in &access.accounts {
        accounts.insert(a.id.as_str(), a.name.as_deref());
    }
    let accounts: Vec<(&str, Option<&str>)> = accounts.into_iter().collect();
    for chunk in accounts.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO store_accounts (snapshot_id, account_id, name) ");
        qb.push_values(chunk, |mut b, (id, name)| {
            b.push_bind(snapshot_id)
                .push_bind(id.to_string())
                .push_bind(name.map(str::to_string));
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The access data of snapshot `id` (the caller knows from the snapshot's row that it has some).
pub async fn load(ws: &Workspace, id: i64) -> Result<StoreAccess> {
    let sets: Vec<(String,)> = sqlx::query_as(
        "SELECT data FROM store_permission_sets WHERE snapshot_id = ? ORDER BY rowid",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?;
    let assignments: Vec<AssignmentRow> = sqlx::query_as(
        "SELECT account_id, permission_set_arn, principal_type, principal_id \
         FROM store_account_assignments WHERE snapshot_id = ? \
         ORDER BY account_id, permission_set_arn, principal_type, principal_id",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?;
    let accounts: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT account_id, name FROM store_accounts WHERE snapshot_id = ? AND name IS NOT NULL \
         ORDER BY account_id",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?;
    Ok(StoreAccess {
        permission_sets: sets
            .iter()
            .map(|(d,)| decode::<PermissionSet>("permission set", d))
            .collect::<Result<_>>()?,
        assignments: assignments.into_iter().map(AccountAssignment::from).collect(),
        accounts: accounts
            .into_iter()
            .map(|(id, name)| AwsAccount { id, name })
            .collect(),
    })
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, data: &str) -> Result<T> {
    serde_json::from_str(data).map_err(|e| {
        Error::corrupt(format!(
            "store snapshot: a stored {what} could not be read ({e})"
        ))
    })
}

#[derive(FromRow)]
struct AssignmentRow {
    account_id: String,
    permission_set_arn: String,
    principal_type: PrincipalType,
    principal_id: String,
}

impl From<AssignmentRow> for AccountAssignment {
    fn from(r: AssignmentRow) -> Self {
        AccountAssignment {
            account_id: r.account_id,
            permission_set_arn: r.permission_set_arn,
            principal_type: r.principal_type,
            principal_id: r.principal_id,
        }
    }
}

/// An assignment with the names that make it readable: the account's (when Organizations was
/// read), the permission set's and, for a group, the group's in the same snapshot.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NamedAssignment {
    pub account_id: String,
    pub account_name: Option<String>,
    pub permission_set_arn: String,
    pub permission_set_name: Option<String>,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub group_name: Option<String>,
}

macro_rules! named_assignments {
    ($where:literal) => {
        concat!(
            "SELECT a.account_id, acc.name AS account_name, a.permission_set_arn, \
             ps.name AS permission_set_name, a.principal_type, a.principal_id, \
             g.display_name AS group_name \
             FROM store_account_assignments a \
             LEFT JOIN store_accounts acc ON acc.snapshot_id = a.snapshot_id AND acc.account_id = a.account_id \
             LEFT JOIN store_permission_sets ps ON ps.snapshot_id = a.snapshot_id \
               AND ps.permission_set_arn = a.permission_set_arn \
             LEFT JOIN store_groups g ON a.principal_type = 'GROUP' AND g.snapshot_id = a.snapshot_id \
               AND g.group_id = a.principal_id \
             WHERE a.snapshot_id = ?1 AND ",
            $where,
            " ORDER BY a.account_id, a.permission_set_arn, a.principal_type DESC, a.principal_id"
        )
    };
}

/// The assignments that give user `user_id` access in snapshot `id`: its own, and those of the
/// groups it is a member of.
pub async fn for_user(ws: &Workspace, id: i64, user_id: &str) -> Result<Vec<NamedAssignment>> {
    Ok(sqlx::query_as(named_assignments!(
        "((a.principal_type = 'USER' AND a.principal_id = ?2) OR (a.principal_type = 'GROUP' \
         AND a.principal_id IN (SELECT group_id FROM store_memberships WHERE snapshot_id = ?1 \
         AND user_id = ?2)))"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_all(ws.pool())
    .await?)
}

/// The assignments of group `group_id` in snapshot `id`.
pub async fn for_group(ws: &Workspace, id: i64, group_id: &str) -> Result<Vec<NamedAssignment>> {
    Ok(sqlx::query_as(named_assignments!(
        "a.principal_type = 'GROUP' AND a.principal_id = ?2"
    ))
    .bind(id)
    .bind(group_id)
    .fetch_all(ws.pool())
    .await?)
}

/// The groups user `user_id` is a member of in snapshot `id`: (group id, display name).
pub async fn groups_of(
    ws: &Workspace,
    id: i64,
    user_id: &str,
) -> Result<Vec<(String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT m.group_id, g.display_name FROM store_memberships m \
         LEFT JOIN store_groups g ON g.snapshot_id = m.snapshot_id AND g.group_id = m.group_id \
         WHERE m.snapshot_id = ?1 AND m.user_id = ?2 ORDER BY g.display_name, m.group_id",
    )
    .bind(id)
    .bind(user_id)
    .fetch_all(ws.pool())
    .await?)
}

/// The assignments of snapshot `id` whose principal is none of the snapshot's users or groups:
/// deleted (and perhaps created again under a new id) after it was assigned.
pub async fn orphaned(ws: &Workspace, id: i64) -> Result<Vec<NamedAssignment>> {
    Ok(sqlx::query_as(named_assignments!(
        "((a.principal_type = 'USER' AND NOT EXISTS (SELECT 1 FROM store_users u \
         WHERE u.snapshot_id = ?1 AND u.user_id = a.principal_id)) \
         OR (a.principal_type = 'GROUP' AND NOT EXISTS (SELECT 1 FROM store_groups sg \
         WHERE sg.snapshot_id = ?1 AND sg.group_id = a.principal_id)))"
    ))
    .bind(id)
    .fetch_all(ws.pool())
    .await?)
}

/// The user `user_id` as the newest snapshot before `before` that holds it saw it: who an
/// orphaned assignment's principal was.
pub async fn former_user(ws: &Workspace, before: i64, user_id: &str) -> Result<Option<StoreUser>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT data FROM store_users WHERE snapshot_id < ?1 AND user_id = ?2 \
         ORDER BY snapshot_id DESC LIMIT 1",
    )
    .bind(before)
    .bind(user_id)
    .fetch_optional(ws.pool())
    .await?;
    row.map(|(d,)| decode("user", &d)).transpose()
}

/// The group `group_id` as the newest snapshot before `before` that holds it saw it.
pub async fn former_group(
    ws: &Workspace,
    before: i64,
    group_id: &str,
) -> Result<Option<StoreGroup>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT data FROM store_groups WHERE snapshot_id < ?1 AND group_id = ?2 \
         ORDER BY snapshot_id DESC LIMIT 1",
    )
    .bind(before)
    .bind(group_id)
    .fetch_optional(ws.pool())
    .await?;
    row.map(|(d,)| decode("group", &d)).transpose()
}

/// Users of snapshot `id` sharing any of a former user's identifiers: its externalId, its
/// userName (case-insensitive) or its display name. The candidates a successor is chosen from.
pub async fn users_like(ws: &Workspace, id: i64, former: &StoreUser) -> Result<Vec<StoreUser>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT data FROM store_users WHERE snapshot_id = ?1 AND (external_id = ?2 \
         OR lower(user_name) = lower(?3) OR json_extract(data, '$.DisplayName') = ?4) LIMIT 20",
    )
    .bind(id)
    .bind(former.first_external_id())
    .bind(former.user_name.as_deref())
    .bind(former.display_name.as_deref())
    .fetch_all(ws.pool())
    .await?;
    rows.iter().map(|(d,)| decode("user", d)).collect()
}

/// Groups of snapshot `id` sharing a former group's externalId or display name.
pub async fn groups_like(ws: &Workspace, id: i64, former: &StoreGroup) -> Result<Vec<StoreGroup>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT data FROM store_groups WHERE snapshot_id = ?1 AND (external_id = ?2 \
         OR display_name = ?3) LIMIT 20",
    )
    .bind(id)
    .bind(former.first_external_id())
    .bind(former.display_name.as_deref())
    .fetch_all(ws.pool())
    .await?;
    rows.iter().map(|(d,)| decode("group", d)).collect()
}

/// A group of snapshot `id` that holds account assignments, with its members and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AssignedGroupRow {
    pub group_id: String,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub members: i64,
    pub accounts: i64,
    pub permission_sets: i64,
    pub assignments: i64,
}

/// Every group of snapshot `id` that holds account assignments, by display name.
pub async fn assigned_groups(ws: &Workspace, id: i64) -> Result<Vec<AssignedGroupRow>> {
    Ok(sqlx::query_as(
        "SELECT g.group_id, g.display_name, g.external_id, \
         (SELECT count(*) FROM store_memberships m WHERE m.snapshot_id = ?1 \
          AND m.group_id = g.group_id) AS members, \
         count(DISTINCT a.account_id) AS accounts, \
         count(DISTINCT a.permission_set_arn) AS permission_sets, count(*) AS assignments \
         FROM store_account_assignments a JOIN store_groups g ON g.snapshot_id = a.snapshot_id \
           AND g.group_id = a.principal_id \
         WHERE a.snapshot_id = ?1 AND a.principal_type = 'GROUP' \
         GROUP BY g.group_id ORDER BY g.display_name, g.group_id",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?)
}

/// The snapshot the diagnosis is weighed against: the newest, when it holds account
/// assignments and the users or groups they name (an older snapshot's access may be stale, so
/// none otherwise). The report's access section reads the same one.
pub async fn weighing_snapshot(conn: &mut SqliteConnection) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM store_snapshots WHERE id = (SELECT max(id) FROM store_snapshots) \
         AND permission_sets IS NOT NULL AND (users > 0 OR groups > 0)",
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// Each diagnosed entity found in snapshot ?1 (by AWS id, externalId, then userName or display
/// name), with the account x permission set pairs it holds: a user's own and its groups'. A name
/// alone does not find an entity whose externalId the log states (a store object of that name
/// with another externalId, or none, is someone else), nor one that failed as a duplicate (the
/// object of that name in the store is the one it collided with).
const IMPACT_SQL: &str = "WITH found(entity_key, principal_id) AS ( \
       SELECT e.entity_key, coalesce( \
         (SELECT u.user_id FROM store_users u WHERE u.snapshot_id = ?1 AND u.user_id = e.target_id), \
         (SELECT u.user_id FROM store_users u WHERE u.snapshot_id = ?1 AND u.external_id = e.external_id \
          ORDER BY u.user_id LIMIT 1), \
         (SELECT u.user_id FROM store_users u WHERE u.snapshot_id = ?1 AND u.user_name = e.name \
          AND e.external_id IS NULL AND e.category IS NOT 'DUPLICATE_CONFLICT' \
          ORDER BY u.user_id LIMIT 1)) \
       FROM entities e WHERE e.kind = 'user' \
       UNION ALL \
       SELECT e.entity_key, coalesce( \
         (SELECT g.group_id FROM store_groups g WHERE g.snapshot_id = ?1 AND g.group_id = e.target_id), \
         (SELECT g.group_id FROM store_groups g WHERE g.snapshot_id = ?1 AND g.external_id = e.external_id \
          ORDER BY g.group_id LIMIT 1), \
         (SELECT g.group_id FROM store_groups g WHERE g.snapshot_id = ?1 AND g.display_name = e.name \
          AND e.external_id IS NULL AND e.category IS NOT 'DUPLICATE_CONFLICT' \
          ORDER BY g.group_id LIMIT 1)) \
       FROM entities e WHERE e.kind = 'group'), \
     held(holder, account_id, permission_set_arn) AS ( \
       SELECT principal_id, account_id, permission_set_arn FROM store_account_assignments \
       WHERE snapshot_id = ?1 \
       UNION \
       SELECT m.user_id, a.account_id, a.permission_set_arn FROM store_memberships m \
       JOIN store_account_assignments a ON a.snapshot_id = m.snapshot_id \
         AND a.principal_type = 'GROUP' AND a.principal_id = m.group_id \
       WHERE m.snapshot_id = ?1) \
     INSERT INTO entity_access (entity_key, snapshot_id, principal_id, accounts, permission_sets, \
       assignments) \
     SELECT f.entity_key, ?1, f.principal_id, count(DISTINCT h.account_id), \
       count(DISTINCT h.permission_set_arn), count(h.account_id) \
     FROM found f LEFT JOIN held h ON h.holder = f.principal_id \
     WHERE f.principal_id IS NOT NULL GROUP BY f.entity_key";

/// Weighs the diagnosis against the access of [`weighing_snapshot`] again, inside the caller's
/// transaction: after the entities changed (an import, new rules) or a snapshot was added.
pub async fn refresh_impact(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("DELETE FROM entity_access")
        .execute(&mut *conn)
        .await?;
    let snapshot = weighing_snapshot(conn).await?;
    if let Some(id) = snapshot {
        sqlx::query(IMPACT_SQL).bind(id).execute(&mut *conn).await?;
    }
    super::settings::set_in(conn, super::settings::ACCESS_WEIGHED_AGAINST, &snapshot).await
}

/// On opening: weighs the diagnosis again when it was weighed against another snapshot than
/// [`weighing_snapshot`] (a workspace made before access was weighed, or never weighed).
/// True when it did.
pub async fn refresh_impact_if_stale(pool: &sqlx::SqlitePool) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    let weighed: Option<Option<i64>> =
        super::settings::get_in(&mut conn, super::settings::ACCESS_WEIGHED_AGAINST).await?;
    let current = weighing_snapshot(&mut conn).await?;
    if weighed == Some(current) || (weighed.is_none() && current.is_none()) {
        return Ok(false);
    }
    drop(conn);
    let mut tx = super::begin_write(pool).await?;
    refresh_impact(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(FromRow)]
struct ImpactRow {
    entity_key: String,
    snapshot_id: i64,
    principal_id: String,
    accounts: i64,
    permission_sets: i64,
    assignments: i64,
}

impl ImpactRow {
    fn impact(&self) -> Result<AccessImpact> {
        impact_from_counts(
            &self.entity_key,
            [self.accounts, self.permission_sets, self.assignments],
        )
    }
}

/// An entity's counts as `entity_access` stores them (accounts, permission sets, pairs), read
/// strictly: a count no snapshot can give is a damaged workspace.
pub fn impact_from_counts(entity_key: &str, counts: [i64; 3]) -> Result<AccessImpact> {
    let [accounts, permission_sets, assignments] = counts.map(u32::try_from);
    match (accounts, permission_sets, assignments) {
        (Ok(accounts), Ok(permission_sets), Ok(assignments)) => Ok(AccessImpact {
            accounts,
            permission_sets,
            assignments,
        }),
        _ => Err(Error::corrupt(format!(
            "entity_access: the counts {counts:?} of {entity_key} cannot be right"
        ))),
    }
}

const IMPACT_COLUMNS: &str =
    "SELECT entity_key, snapshot_id, principal_id, accounts, permission_sets, assignments FROM entity_access";

/// What every entity found in the weighing snapshot holds, by entity key.
pub async fn impacts(ws: &Workspace) -> Result<HashMap<String, AccessImpact>> {
    let rows: Vec<ImpactRow> = sqlx::query_as(sqlx::AssertSqlSafe(IMPACT_COLUMNS))
        .fetch_all(ws.pool())
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.entity_key.clone(), r.impact()?)))
        .collect()
}

/// Failing entities that hold access (at least one account x permission set).
pub async fn failing_with_access(ws: &Workspace) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM entities JOIN entity_access USING (entity_key) \
         WHERE status = 'failing' AND assignments > 0",
    )
    .fetch_one(ws.pool())
    .await?)
}

/// Where entity `key` was found (snapshot, store principal id) and what it holds; `None` when
/// the weighing snapshot does not hold it (or there is none).
pub async fn impact_of(ws: &Workspace, key: &str) -> Result<Option<(i64, String, AccessImpact)>> {
    let row: Option<ImpactRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{IMPACT_COLUMNS} WHERE entity_key = ?")))
            .bind(key)
            .fetch_optional(ws.pool())
            .await?;
    row.map(|r| Ok((r.snapshot_id, r.principal_id.clone(), r.impact()?)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::snapshots::{self, SnapshotMeta, SnapshotOrigin};
    use crate::identity_store::StoreSnapshot;

    fn meta() -> SnapshotMeta {
        SnapshotMeta {
            origin: SnapshotOrigin::File,
            region: None,
            endpoint: None,
            label: "test".into(),
            taken_at: "2026-12-04T12:00:00Z".into(),
            api_calls: None,
            retries: None,
            seconds: None,
            warnings: Vec::new(),
        }
    }

    #[tokio::test]
    async fn access_is_stored_with_its_snapshot_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(&dir.path().join("ws.sqlite")).await.unwrap();
        let assignment = |principal_type, principal_id: &str| AccountAssignment {
            account_id: "111122223333".into(),
            permission_set_arn: "arn:ps-a".into(),
            principal_type,
            principal_id: principal_id.into(),
        };
        let access = StoreAccess {
            permission_sets: vec![PermissionSet {
                permission_set_arn: "arn:ps-a".into(),
                name: Some("ReadOnly".into()),
                ..Default::default()
            }],
            assignments: vec![
                assignment(PrincipalType::Group, "g-1"),
                assignment(PrincipalType::User, "u-1"),
            ],
            accounts: vec![AwsAccount {
                id: "111122223333".into(),
                name: Some("Production".into()),
            }],
        };
        let with = StoreSnapshot {
            access: Some(access.clone()),
            ..Default::default()
        };
        let id = snapshots::insert(&ws, &meta(), &with).await.unwrap();
        let info = snapshots::info(&ws, id).await.unwrap();
        assert_eq!((info.permission_sets, info.account_assignments), (Some(1), Some(2)));
        assert_eq!(snapshots::load(&ws, id).await.unwrap().access, Some(access));

        let without = snapshots::insert(&ws, &meta(), &StoreSnapshot::default())
            .await
            .unwrap();
        let info = snapshots::info(&ws, without).await.unwrap();
        assert_eq!(info.permission_sets, None, "no access data is not zero rows");
        assert!(
            !serde_json::to_string(&info).unwrap().contains("permission_sets"),
            "a snapshot without access lists as it did before"
        );
        assert_eq!(snapshots::load(&ws, without).await.unwrap().access, None);
    }
}
