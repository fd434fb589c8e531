//! The diagnosis materialized in the workspace (`entities`), so reports and paged views read it
//! directly: which entities to decide again, under which rules. The deciding itself is
//! `diagnose::rollup::decide`.

use sqlx::SqliteConnection;

use super::entities::{self, EntityAggregate, EntityRow};
use super::{Workspace, settings, stats};
use crate::diagnose::Rules;
use crate::diagnose::classify::GENERIC_CATEGORIES;
use crate::diagnose::rollup::{EntityFacts, decide};
use crate::error::Result;
use crate::model::Category;

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
    let mut tx = super::begin_write(ws.pool()).await?;
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
    let started = std::time::Instant::now();
    let applied: Option<Vec<String>> = settings::get_in(conn, settings::DIAGNOSIS_RULES).await?;
    if applied.as_deref() != Some(rules.reserved_names()) {
        let generic = GENERIC_CATEGORIES.map(Category::as_str);
        stats::mark_dirty_by_cause(conn, &generic).await?;
        settings::set_in(conn, settings::DIAGNOSIS_RULES, &rules.reserved_names()).await?;
        tracing::debug!(ms = ms(started), "entities with a generic cause marked");
    }
    entities::decide_dirty(conn, |agg| row(agg, rules)).await?;
    tracing::debug!(ms = ms(started), "entities decided");
    super::access::refresh_impact(conn).await?;
    tracing::debug!(ms = ms(started), "access weighed");
    Ok(())
}

fn ms(since: std::time::Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Rebuilds the whole diagnosis from the records: the aggregates, then every entity. For a
/// workspace whose aggregates are in doubt, and to measure the diagnosis from scratch
/// (`diagnose_bench`); no command offers it yet.
#[cfg(any(test, feature = "internals"))]
pub async fn rebuild(ws: &Workspace, rules: &Rules) -> Result<u64> {
    let mut tx = super::begin_write(ws.pool()).await?;
    sqlx::query("DELETE FROM entity_stats; DELETE FROM entities")
        .execute(&mut *tx)
        .await?;
    super::search::clear(&mut tx).await?;
    stats::begin_dirty(&mut tx).await?;
    let started = std::time::Instant::now();
    stats::fold_all_records(&mut tx).await?;
    tracing::debug!(ms = ms(started), "every record folded");
    stats::mark_all_dirty(&mut tx).await?;
    settings::clear_in(&mut tx, settings::DIAGNOSIS_RULES).await?;
    update(&mut tx, rules).await?;
    let count = entities::count(&mut tx).await?;
    tx.commit().await?;
    Ok(count)
}

/// The row of one entity: its aggregates and the rules' decision.
fn row(agg: EntityAggregate, rules: &Rules) -> EntityRow {
    let (last_decisive, last_failure) = (agg.last_decisive(), agg.last_failure());
    let s = &agg.stats;
    let decision = decide(
        EntityFacts {
            entity_key: &agg.entity_key,
            kind: s.kind.as_deref(),
            names: [
                s.name.as_deref(),
                s.display_name.as_deref(),
                s.target_id.as_deref(),
                s.idp_id.as_deref(),
            ],
            last_decisive: last_decisive.as_ref(),
            last_failure: last_failure.as_ref(),
        },
        rules,
    );
    EntityRow {
        kind: decision.kind,
        name: decision.name,
        status: decision.status,
        category: decision.category,
        attribute: decision.attribute,
        message: decision.message,
        fix: decision.fix,
        source_ids: agg.stats.source_ids_text(),
        entity_key: agg.entity_key,
        idp_id: agg.stats.idp_id,
        target_id: agg.stats.target_id,
        external_id: agg.stats.external_id,
        events: agg.stats.events,
        failures: agg.stats.failures,
        first_seen: agg.stats.first_seen,
        last_seen: agg.stats.last_seen,
    }
}
