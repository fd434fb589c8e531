//! The `store_snapshots`, `store_users`, `store_groups` and `store_memberships` tables: snapshots
//! of the AWS identity store. A snapshot is written in one transaction, after everything was
//! read, so a fetch or import that fails half-way leaves no trace; its access data (permission
//! sets, account assignments) goes into `super::access`'s tables in the same transaction.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};
use ts_rs::TS;

use super::Workspace;
use crate::error::{Error, Result};
use crate::identity_store::{StoreGroup, StoreMembership, StoreSnapshot, StoreUser};

/// Where a snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotOrigin {
    /// Read live through the Identity Store API.
    Fetch,
    /// Imported from `aws identitystore list-*` JSON.
    File,
}

impl SnapshotOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotOrigin::Fetch => "fetch",
            SnapshotOrigin::File => "file",
        }
    }
}

/// One snapshot as listed (without its objects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnapshotInfo {
    pub id: i64,
    pub origin: SnapshotOrigin,
    pub identity_store_id: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub label: String,
    pub taken_at: String,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub memberships_known: bool,
    pub api_calls: Option<u64>,
    pub retries: Option<u64>,
    pub seconds: Option<f64>,
    pub warnings: Vec<String>,
    /// Permission sets read; absent when the snapshot holds no access data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub permission_sets: Option<u64>,
    /// Account assignments read; absent when the snapshot holds no access data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account_assignments: Option<u64>,
}

/// What to record beside the objects.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotMeta {
    pub origin: SnapshotOrigin,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub label: String,
    pub taken_at: String,
    pub api_calls: Option<u64>,
    pub retries: Option<u64>,
    pub seconds: Option<f64>,
    pub warnings: Vec<String>,
}

#[derive(FromRow)]
struct InfoRow {
    id: i64,
    origin: String,
    identity_store_id: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    label: String,
    taken_at: String,
    users: i64,
    groups: i64,
    memberships: i64,
    memberships_known: bool,
    api_calls: Option<i64>,
    retries: Option<i64>,
    seconds: Option<f64>,
    warnings: String,
    permission_sets: Option<i64>,
    account_assignments: Option<i64>,
}

impl From<InfoRow> for SnapshotInfo {
    fn from(r: InfoRow) -> Self {
        SnapshotInfo {
            id: r.id,
            origin: if r.origin == "fetch" {
                SnapshotOrigin::Fetch
            } else {
                SnapshotOrigin::File
            },
            identity_store_id: r.identity_store_id,
            region: r.region,
            endpoint: r.endpoint,
            label: r.label,
            taken_at: r.taken_at,
            users: r.users as u64,
            groups: r.groups as u64,
            memberships: r.memberships as u64,
            memberships_known: r.memberships_known,
            api_calls: r.api_calls.map(|n| n as u64),
            retries: r.retries.map(|n| n as u64),
            seconds: r.seconds,
            warnings: serde_json::from_str(&r.warnings).unwrap_or_default(),
            permission_sets: r.permission_sets.map(|n| n as u64),
            account_assignments: r.account_assignments.map(|n| n as u64),
        }
    }
}

/// Rows per INSERT: at most 5 columns x 1000 rows, well under SQLite's variable limit.
const BATCH: usize = 1000;

/// Stores `snapshot` in one transaction and returns its id.
pub async fn insert(ws: &Workspace, meta: &SnapshotMeta, snapshot: &StoreSnapshot) -> Result<i64> {
    let mut tx = super::begin_write(ws.pool()).await?;
    let id = insert_in(&mut tx, meta, snapshot).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_in(
    conn: &mut SqliteConnection,
    meta: &SnapshotMeta,
    s: &StoreSnapshot,
) -> Result<i64> {
    let warnings = serde_json::to_string(&meta.warnings).expect("strings serialize");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO store_snapshots (origin, identity_store_id, region, endpoint, label, taken_at, users, \
         groups, memberships, memberships_known, api_calls, retries, seconds, warnings, permission_sets, \
         account_assignments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(meta.origin.as_str())
    .bind(&s.identity_store_id)
    .bind(&meta.region)
    .bind(&meta.endpoint)
    .bind(&meta.label)
    .bind(&meta.taken_at)
    .bind(s.users.len() as i64)
    .bind(s.groups.len() as i64)
    .bind(s.memberships.len() as i64)
    .bind(s.memberships_known)
    .bind(meta.api_calls.map(|n| n as i64))
    .bind(meta.retries.map(|n| n as i64))
    .bind(meta.seconds)
    .bind(warnings)
    .bind(s.access.as_ref().map(|a| a.permission_sets.len() as i64))
    .bind(s.access.as_ref().map(|a| a.assignments.len() as i64))
    .fetch_one(&mut *conn)
    .await?;
    if let Some(access) = &s.access {
        super::access::insert_in(conn, id, access).await?;
    }

    let json = |v: &dyn erased::Json| v.json();
    for chunk in s.users.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO store_users (snapshot_id, user_id, user_name, external_id, data) ",
        );
        qb.push_values(chunk, |mut b, u| {
            b.push_bind(id)
                .push_bind(u.user_id.clone())
                .push_bind(u.user_name.clone())
                .push_bind(u.first_external_id().map(str::to_string))
                .push_bind(json(u));
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in s.groups.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO store_groups (snapshot_id, group_id, display_name, external_id, data) ",
        );
        qb.push_values(chunk, |mut b, g| {
            b.push_bind(id)
                .push_bind(g.group_id.clone())
                .push_bind(g.display_name.clone())
                .push_bind(g.first_external_id().map(str::to_string))
                .push_bind(json(g));
        });
        qb.build().execute(&mut *conn).await?;
    }
    let memberships: Vec<&StoreMembership> = s
        .memberships
        .iter()
        .filter(|m| m.member_id.user_id.is_some())
        .collect();
    for chunk in memberships.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO store_memberships (snapshot_id, group_id, user_id, membership_id) ",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(id)
                .push_bind(m.group_id.clone())
                .push_bind(m.member_id.user_id.clone())
                .push_bind(m.membership_id.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    // The newest snapshot is the one the diagnosis is weighed against.
    super::access::refresh_impact(conn).await?;
    Ok(id)
}

mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("snapshot objects serialize")
        }
    }
}

macro_rules! info_columns {
    () => {
        "id, origin, identity_store_id, region, endpoint, label, taken_at, users, groups, memberships, \
         memberships_known, api_calls, retries, seconds, warnings, permission_sets, account_assignments"
    };
}

/// Every snapshot, oldest first.
pub async fn list(ws: &Workspace) -> Result<Vec<SnapshotInfo>> {
    let rows: Vec<InfoRow> = sqlx::query_as(concat!(
        "SELECT ",
        info_columns!(),
        " FROM store_snapshots ORDER BY id"
    ))
    .fetch_all(ws.pool())
    .await?;
    Ok(rows.into_iter().map(SnapshotInfo::from).collect())
}

pub async fn info(ws: &Workspace, id: i64) -> Result<SnapshotInfo> {
    let row: Option<InfoRow> = sqlx::query_as(concat!(
        "SELECT ",
        info_columns!(),
        " FROM store_snapshots WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(ws.pool())
    .await?;
    row.map(SnapshotInfo::from).ok_or_else(|| Error::NotFound {
        what: "store snapshot",
        name: format!("#{id}"),
    })
}

/// The newest snapshot's id, if any.
pub async fn latest(ws: &Workspace) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT max(id) FROM store_snapshots")
        .fetch_one(ws.pool())
        .await?)
}

/// The objects of snapshot `id`.
pub async fn load(ws: &Workspace, id: i64) -> Result<StoreSnapshot> {
    let info = info(ws, id).await?;
    fn decode<T: serde::de::DeserializeOwned>(what: &str, data: &str) -> Result<T> {
        serde_json::from_str(data).map_err(|e| {
            Error::corrupt(format!(
                "store snapshot: stored {what} could not be read ({e})"
            ))
        })
    }
    let users: Vec<(String,)> =
        sqlx::query_as("SELECT data FROM store_users WHERE snapshot_id = ? ORDER BY rowid")
            .bind(id)
            .fetch_all(ws.pool())
            .await?;
    let groups: Vec<(String,)> =
        sqlx::query_as("SELECT data FROM store_groups WHERE snapshot_id = ? ORDER BY rowid")
            .bind(id)
            .fetch_all(ws.pool())
            .await?;
    let memberships: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT group_id, user_id, membership_id FROM store_memberships WHERE snapshot_id = ? ORDER BY group_id, user_id",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?;
    Ok(StoreSnapshot {
        identity_store_id: info.identity_store_id.clone(),
        users: users
            .iter()
            .map(|(d,)| decode("user", d))
            .collect::<Result<Vec<StoreUser>>>()?,
        groups: groups
            .iter()
            .map(|(d,)| decode("group", d))
            .collect::<Result<Vec<StoreGroup>>>()?,
        memberships: memberships
            .into_iter()
            .map(|(group_id, user_id, membership_id)| StoreMembership {
                identity_store_id: info.identity_store_id.clone(),
                membership_id,
                group_id,
                member_id: crate::identity_store::MemberId {
                    user_id: Some(user_id),
                },
            })
            .collect(),
        memberships_known: info.memberships_known,
        access: match info.permission_sets {
            Some(_) => Some(super::access::load(ws, id).await?),
            None => None,
        },
    })
}

/// Store objects (in snapshot `id`) matching an entity of the log diagnosis: by AWS id, userName
/// or group displayName (case-insensitive), or externalId. For the link from a problem entity to
/// its state in the store.
pub async fn find_objects(
    ws: &Workspace,
    id: i64,
    query: &str,
) -> Result<(Vec<StoreUser>, Vec<StoreGroup>)> {
    let users: Vec<(String,)> = sqlx::query_as(
        "SELECT data FROM store_users WHERE snapshot_id = ?1 AND (user_id = ?2 OR lower(user_name) = lower(?2) \
         OR external_id = ?2) LIMIT 20",
    )
    .bind(id)
    .bind(query)
    .fetch_all(ws.pool())
    .await?;
    let groups: Vec<(String,)> = sqlx::query_as(
        "SELECT data FROM store_groups WHERE snapshot_id = ?1 AND (group_id = ?2 OR lower(display_name) = lower(?2) \
         OR external_id = ?2) LIMIT 20",
    )
    .bind(id)
    .bind(query)
    .fetch_all(ws.pool())
    .await?;
    let bad = |e: serde_json::Error| {
        Error::corrupt(format!(
            "store snapshot: a stored object could not be read ({e})"
        ))
    };
    Ok((
        users
            .iter()
            .map(|(d,)| serde_json::from_str(d).map_err(bad))
            .collect::<Result<_>>()?,
        groups
            .iter()
            .map(|(d,)| serde_json::from_str(d).map_err(bad))
            .collect::<Result<_>>()?,
    ))
}
