//! The `directories`, `directory_users`, `directory_groups`, `directory_members` and
//! `directory_assignments` tables: imports of the IdP's directory, one transaction each, plus the
//! saved attribute mappings (settings `directory_mapping.<idp>`) and the compare match order.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, QueryBuilder, Sqlite};
use ts_rs::TS;

use super::{Workspace, settings};
use crate::directory::mapping::AttributeMapping;
use crate::directory::{
    Assignment, Directory, DirectoryEntry, DirectoryFormat, DirectoryIdp, DirectoryMember,
    MemberKind,
};
use crate::error::{Error, Result};

/// One directory import as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DirectoryInfo {
    pub id: i64,
    pub idp: DirectoryIdp,
    pub label: String,
    pub formats: Vec<DirectoryFormat>,
    pub imported_at: String,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub assignments_known: bool,
    pub warnings: Vec<String>,
}

#[derive(FromRow)]
struct InfoRow {
    id: i64,
    idp: String,
    label: String,
    formats: String,
    imported_at: String,
    users: i64,
    groups: i64,
    memberships: i64,
    assignments_known: bool,
    warnings: String,
}

impl TryFrom<InfoRow> for DirectoryInfo {
    type Error = Error;

    fn try_from(r: InfoRow) -> Result<Self> {
        let damaged = |what: &str, e: serde_json::Error| {
            Error::corrupt(format!("directories: {what} of directory #{} ({e})", r.id))
        };
        Ok(DirectoryInfo {
            id: r.id,
            idp: DirectoryIdp::parse(&r.idp).unwrap_or(DirectoryIdp::Scim),
            label: r.label,
            formats: serde_json::from_str(&r.formats).map_err(|e| damaged("formats", e))?,
            imported_at: r.imported_at,
            users: r.users as u64,
            groups: r.groups as u64,
            memberships: r.memberships as u64,
            assignments_known: r.assignments_known,
            warnings: serde_json::from_str(&r.warnings).map_err(|e| damaged("warnings", e))?,
        })
    }
}

const BATCH: usize = 1000;

/// Stores `dir` in one transaction and returns its id.
pub async fn insert(
    ws: &Workspace,
    label: &str,
    imported_at: &str,
    dir: &Directory,
) -> Result<i64> {
    let idp = dir
        .idp
        .ok_or_else(|| Error::InvalidArgument("no directory export was read".to_string()))?;
    let mut tx = super::begin_write(ws.pool()).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO directories (idp, label, formats, imported_at, users, groups, memberships, \
         assignments_known, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(idp.as_str())
    .bind(label)
    .bind(serde_json::to_string(&dir.formats).expect("formats serialize"))
    .bind(imported_at)
    .bind(dir.users.len() as i64)
    .bind(dir.groups.len() as i64)
    .bind(dir.members.len() as i64)
    .bind(dir.assignments.is_some())
    .bind(serde_json::to_string(&dir.warnings).expect("strings serialize"))
    .fetch_one(&mut *tx)
    .await?;
    for (table, entries) in [
        ("directory_users", &dir.users),
        ("directory_groups", &dir.groups),
    ] {
        for (chunk_no, chunk) in entries.chunks(BATCH).enumerate() {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO ");
            qb.push(table)
                .push(" (directory_id, seq, idp_id, attributes) ");
            qb.push_values(chunk.iter().enumerate(), |mut b, (i, e)| {
                b.push_bind(id)
                    .push_bind((chunk_no * BATCH + i) as i64)
                    .push_bind(e.idp_id.clone())
                    .push_bind(serde_json::to_string(&e.attributes).expect("attributes serialize"));
            });
            qb.build().execute(&mut *tx).await?;
        }
    }
    for chunk in dir.members.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO directory_members (directory_id, group_idp_id, member_id, member_kind) ",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(id)
                .push_bind(m.group_id.clone())
                .push_bind(m.member_id.clone())
                .push_bind(m.kind.as_str());
        });
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in dir.assignments.as_deref().unwrap_or_default().chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO directory_assignments (directory_id, principal_id, principal_kind) ",
        );
        qb.push_values(chunk, |mut b, a| {
            b.push_bind(id)
                .push_bind(a.principal_id.clone())
                .push_bind(a.kind.as_str());
        });
        qb.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(id)
}

macro_rules! info_columns {
    () => {
        "id, idp, label, formats, imported_at, users, groups, memberships, assignments_known, warnings"
    };
}

pub async fn list(ws: &Workspace) -> Result<Vec<DirectoryInfo>> {
    let rows: Vec<InfoRow> = sqlx::query_as(concat!(
        "SELECT ",
        info_columns!(),
        " FROM directories ORDER BY id"
    ))
    .fetch_all(ws.pool())
    .await?;
    rows.into_iter().map(DirectoryInfo::try_from).collect()
}

pub async fn info(ws: &Workspace, id: i64) -> Result<DirectoryInfo> {
    let row: Option<InfoRow> = sqlx::query_as(concat!(
        "SELECT ",
        info_columns!(),
        " FROM directories WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(ws.pool())
    .await?;
    row.map(DirectoryInfo::try_from)
        .ok_or_else(|| Error::NotFound {
            what: "directory import",
            name: format!("#{id}"),
        })?
}

pub async fn latest(ws: &Workspace) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT max(id) FROM directories")
        .fetch_one(ws.pool())
        .await?)
}

/// The directory import `id`, as read.
pub async fn load(ws: &Workspace, id: i64) -> Result<Directory> {
    let info = info(ws, id).await?;
    let decode = |rows: Vec<(Option<String>, String)>| {
        rows.into_iter()
            .map(|(idp_id, attrs)| {
                let attributes = serde_json::from_str(&attrs).map_err(|e| {
                    Error::corrupt(format!("directory: a stored entry could not be read ({e})"))
                })?;
                Ok(DirectoryEntry { idp_id, attributes })
            })
            .collect::<Result<Vec<_>>>()
    };
    let users = decode(
        sqlx::query_as(
            "SELECT idp_id, attributes FROM directory_users WHERE directory_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(ws.pool())
        .await?,
    )?;
    let groups = decode(
        sqlx::query_as(
            "SELECT idp_id, attributes FROM directory_groups WHERE directory_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(ws.pool())
        .await?,
    )?;
    let members: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT group_idp_id, member_id, member_kind FROM directory_members WHERE directory_id = ? ORDER BY rowid",
    )
    .bind(id)
    .fetch_all(ws.pool())
    .await?;
    let assignments = if info.assignments_known {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT principal_id, principal_kind FROM directory_assignments WHERE directory_id = ? ORDER BY rowid",
        )
        .bind(id)
        .fetch_all(ws.pool())
        .await?;
        Some(
            rows.into_iter()
                .map(|(principal_id, k)| Assignment {
                    principal_id,
                    kind: MemberKind::parse(&k),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Directory {
        idp: Some(info.idp),
        formats: info.formats,
        users,
        groups,
        members: members
            .into_iter()
            .map(|(group_id, member_id, kind)| DirectoryMember {
                group_id,
                member_id,
                kind: MemberKind::parse(&kind),
            })
            .collect(),
        assignments,
        warnings: info.warnings,
    })
}

fn mapping_key(idp: DirectoryIdp) -> String {
    format!("directory_mapping.{}", idp.as_str())
}

/// The mapping in force for `idp`: the workspace's edited one, else the default.
pub async fn mapping(ws: &Workspace, idp: DirectoryIdp) -> Result<AttributeMapping> {
    let saved: Option<AttributeMapping> = settings::get(ws, &mapping_key(idp)).await?;
    Ok(saved
        .filter(|m| m.idp == idp)
        .unwrap_or_else(|| AttributeMapping::default_for(idp)))
}

pub async fn save_mapping(ws: &Workspace, mapping: &AttributeMapping) -> Result<()> {
    settings::set(ws, &mapping_key(mapping.idp), mapping).await
}

pub async fn reset_mapping(ws: &Workspace, idp: DirectoryIdp) -> Result<AttributeMapping> {
    let default = AttributeMapping::default_for(idp);
    save_mapping(ws, &default).await?;
    Ok(default)
}

/// Settings key of the user match order used by compare.
pub const MATCH_ORDER: &str = "compare_match_order";
