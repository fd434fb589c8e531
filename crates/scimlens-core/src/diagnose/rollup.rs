//! Roll-up: from classified records to one status per entity (the last decisive record
//! decides), materialized in the workspace so reports and paged views read it directly.

use super::Rules;
use super::classify::{GENERIC_CATEGORIES, reclassify_reserved};
use super::fixes::fix_for_cause;
use super::keys::unknown_name;
use crate::error::Result;
use crate::model::{Category, EntityKind, EntityStatus, Format, Idp};
use sqlx::SqliteConnection;

use crate::store::entities::{self, EntityAggregate, EntityRow};
use crate::store::{Workspace, settings, stats};

/// The rules in force for `ws`: built-in reserved names plus the workspace's and `extra`.
pub async fn rules_for(ws: &Workspace, extra: &[String]) -> Result<Rules> {
    let mut names: Vec<String> = settings::get(ws, settings::RESERVED_NAMES)
        .await?
        .unwrap_or_default();
    names.extend(extra.iter().cloned());
    Ok(Rules::new(&names))
}

/// Brings the diagnosis up to date with `rules` and returns the number of entities. Imports
/// keep it up to date as they go ([`update`]); this only decides entities again when the rules
/// differ from those the diagnosis was made with (a reserved name added or given on the
/// command line).
pub async fn refresh(ws: &Workspace, rules: &Rules) -> Result<u64> {
    let mut tx = crate::store::begin_write(ws.pool()).await?;
    stats::begin_dirty(&mut tx).await?;
    update(&mut tx, rules).await?;
    let count = entities::count(&mut tx).await?;
    tx.commit().await?;
    Ok(count)
}

/// Decides again, inside the caller's transaction, the entities marked in
/// `temp.dirty_entities` (see `stats::begin_dirty`), and every entity the reserved names can
/// reclassify (a generic cause) when `rules` differ from those the diagnosis was made with.
pub async fn update(conn: &mut SqliteConnection, rules: &Rules) -> Result<()> {
    let applied: Option<Vec<String>> = settings::get_in(conn, settings::DIAGNOSIS_RULES).await?;
    if applied.as_deref() != Some(rules.reserved_names()) {
        let generic = GENERIC_CATEGORIES.map(Category::as_str);
        stats::mark_dirty_by_cause(conn, &generic).await?;
        settings::set_in(conn, settings::DIAGNOSIS_RULES, &rules.reserved_names()).await?;
    }
    entities::decide_dirty(conn, |agg| decide(agg, rules)).await
}

/// Rebuilds the whole diagnosis from the records: the aggregates, then every entity. For a
/// workspace whose aggregates are in doubt, and to measure the diagnosis from scratch.
pub async fn rebuild(ws: &Workspace, rules: &Rules) -> Result<u64> {
    let mut tx = crate::store::begin_write(ws.pool()).await?;
    sqlx::query("DELETE FROM entity_stats; DELETE FROM entities")
        .execute(&mut *tx)
        .await?;
    stats::begin_dirty(&mut tx).await?;
    stats::fold_all_records(&mut tx).await?;
    stats::mark_all_dirty(&mut tx).await?;
    settings::clear_in(&mut tx, settings::DIAGNOSIS_RULES).await?;
    update(&mut tx, rules).await?;
    let count = entities::count(&mut tx).await?;
    tx.commit().await?;
    Ok(count)
}

/// The status, name, cause and fix of one entity from its aggregates.
fn decide(agg: EntityAggregate, rules: &Rules) -> EntityRow {
    let last_decisive = agg.last_decisive();
    let last_failure = agg.last_failure();
    let last = last_decisive.as_ref();
    let last_fail = last_failure.as_ref();
    let last_failed = last.is_some_and(|r| r.category.is_some());
    let status = if last_failed || (last.is_none() && last_fail.is_some()) {
        EntityStatus::Failing
    } else if last_fail.is_some() {
        EntityStatus::Resolved
    } else {
        EntityStatus::Ok
    };
    let kind = if agg.entity_key.starts_with("unknown|") {
        EntityKind::Unknown
    } else {
        EntityKind::parse(agg.stats.kind.as_deref().unwrap_or("unknown"))
    };
    let name = match kind {
        EntityKind::Unknown => unknown_name(&agg.entity_key),
        _ => agg
            .stats
            .name
            .clone()
            .or_else(|| agg.stats.display_name.clone())
            .or_else(|| agg.stats.target_id.clone())
            .or_else(|| agg.stats.idp_id.clone())
            .unwrap_or_else(|| agg.entity_key.clone()),
    };
    let cause = match status {
        EntityStatus::Failing => last.filter(|r| r.category.is_some()).or(last_fail),
        EntityStatus::Resolved => last_fail,
        EntityStatus::Ok => None,
    };
    let mut category = cause
        .and_then(|c| c.category.as_deref())
        .and_then(Category::parse);
    let mut attribute = cause.and_then(|c| c.attribute.clone());
    let mut message = cause.and_then(|c| c.message.clone());
    if let Some(re) = reclassify_reserved(category, kind, &name, rules) {
        category = Some(re.category);
        attribute = re.attribute;
        message = Some(re.message);
    }
    let idp = cause
        .and_then(|c| Format::parse(&c.format))
        .map(Format::idp)
        .unwrap_or(Idp::Entra);
    let fix = category.map(|c| fix_for_cause(c, attribute.as_deref(), message.as_deref(), idp));
    EntityRow {
        entity_key: agg.entity_key,
        kind: kind.as_str().to_string(),
        name,
        status: status.as_str().to_string(),
        category: category.map(|c| c.as_str().to_string()),
        attribute,
        message,
        fix,
        source_ids: agg.stats.source_ids_text(),
        idp_id: agg.stats.idp_id,
        target_id: agg.stats.target_id,
        external_id: agg.stats.external_id,
        events: agg.stats.events,
        failures: agg.stats.failures,
        first_seen: agg.stats.first_seen,
        last_seen: agg.stats.last_seen,
    }
}
