//! Builds the [`Report`] from a diagnosed workspace.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::db::{Workspace, snapshots};
use crate::db::entities::{self, EntityRow};
use crate::db::sources::{self, ms_to_text};
use crate::diagnose::classify::UNSPECIFIED_CANDIDATES;
use crate::diagnose::findings::{silent_gaps, throttling_bursts};
use crate::diagnose::fixes::fix_for_cause;
use crate::error::Result;
use crate::input::value::format_time;
use crate::model::Idp;

/// Reads the materialized diagnosis of `ws` into a report. Call `diagnose::refresh` first.
pub async fn build(ws: &Workspace, now: DateTime<Utc>) -> Result<Report> {
    let sources = sources::list(ws).await?;
    let totals_row = entities::event_totals(ws).await?;
    let problems = entities::problems(ws).await?;
    let connection_groups = entities::connection_groups(ws).await?;

    let failing: Vec<&EntityRow> = problems
        .iter()
        .filter(|e| e.status == EntityStatus::Failing)
        .collect();
    let mut categories: BTreeMap<String, u64> = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), 0))
        .collect();
    for e in &failing {
        if let Some(c) = e.category {
            *categories.entry(c.as_str().to_string()).or_default() += 1;
        }
    }

    let connection = connection_findings(connection_groups);
    let findings = job_findings(ws).await?;

    Ok(Report {
        schema_version: SCHEMA_VERSION,
        generated_at: format_time(&now),
        totals: Totals {
            records: totals_row.records as u64,
            success: totals_row.success as u64,
            failure: totals_row.failure as u64,
            skipped: totals_row.skipped as u64,
            problem_entities: failing.len() as u64,
            connection_failures: connection.iter().map(|c| c.count).sum(),
        },
        categories,
        root_causes: root_causes(&failing),
        entities: {
            let impacts = crate::db::access::impacts(ws).await?;
            problems
                .iter()
                .map(|e| ReportEntity {
                    access: impacts.get(&e.entity_key).copied(),
                    ..report_entity(e)
                })
                .collect()
        },
        connection,
        findings,
        sources,
        compare: None,
        preflight: None,
        access: access_section(ws).await?,
    })
}

/// The orphaned assignments of the newest snapshot, when it holds assignments and the users and
/// groups to check them against.
async fn access_section(ws: &Workspace) -> Result<Option<AccessSection>> {
    let Some(id) = snapshots::latest(ws).await? else {
        return Ok(None);
    };
    let info = snapshots::info(ws, id).await?;
    if info.permission_sets.is_none() || (info.users == 0 && info.groups == 0) {
        return Ok(None);
    }
    let groups = crate::access::group_findings_in(ws, id).await?;
    Ok(Some(AccessSection {
        snapshot_id: id,
        orphaned: crate::access::orphaned_in(ws, id).await?,
        empty_groups: groups.empty,
        unmanaged_groups: groups.unmanaged,
    }))
}

/// Connection-level problems with their fixes (also shown above everything in the app).
pub fn connection_findings(groups: Vec<entities::ConnectionGroup>) -> Vec<ConnectionFinding> {
    groups
        .into_iter()
        .map(|g| {
            let category = g.category;
            let fix = fix_for_cause(category, None, Some(&g.message), Idp::Entra);
            ConnectionFinding {
                category,
                message: g.message,
                first_seen: ms_to_text(g.first_seen),
                last_seen: ms_to_text(g.last_seen),
                count: g.count as u64,
                fix,
            }
        })
        .collect()
}

/// Job-level findings: incomplete pages, silent gaps, throttling bursts.
pub async fn job_findings(ws: &Workspace) -> Result<Vec<JobFinding>> {
    let mut findings: Vec<JobFinding> = sources::incomplete_pages(ws)
        .await?
        .into_iter()
        .map(|(path, message)| JobFinding {
            kind: JobFindingKind::IncompletePage,
            message: format!("{path}: {message}"),
            first_seen: None,
            last_seen: None,
        })
        .collect();
    let mut gaps = silent_gaps(&entities::cycle_starts(ws).await?);
    explain_gaps_by_quarantine(&mut gaps, &entities::connection_groups(ws).await?);
    findings.extend(gaps);
    findings.extend(throttling_bursts(&entities::throttled_times(ws).await?));
    Ok(findings)
}

/// A silent gap that a quarantine explains: the job status shows the job quarantined from within
/// a cycle or two of the gap's start until at least its end.
fn explain_gaps_by_quarantine(gaps: &mut [JobFinding], groups: &[entities::ConnectionGroup]) {
    const SLACK_MS: i64 = 2 * 60 * 60 * 1000;
    let ms = |t: &Option<String>| {
        t.as_deref()
            .and_then(crate::input::value::parse_time)
            .map(|t| t.timestamp_millis())
    };
    for gap in gaps.iter_mut() {
        let (Some(start), Some(end)) = (ms(&gap.first_seen), ms(&gap.last_seen)) else {
            continue;
        };
        let quarantine = groups.iter().find(|g| {
            g.message.contains(crate::model::QUARANTINED_SINCE)
                && g.first_seen
                    .is_some_and(|began| began >= start - SLACK_MS && began <= end)
        });
        if let Some(q) = quarantine {
            let status = q.message.split(". ").next().unwrap_or(&q.message);
            gap.message = format!("{}; the job status explains it: {status}", gap.message);
        }
    }
}

fn report_entity(e: &EntityRow) -> ReportEntity {
    ReportEntity {
        kind: e.kind,
        name: e.name.clone(),
        ids: EntityIds {
            source_id: e.idp_id.clone(),
            target_id: e.target_id.clone(),
            external_id: e.external_id.clone(),
        },
        status: e.status,
        category: e.category,
        attribute: e.attribute.clone(),
        message: e.message.clone(),
        fix: e.fix.clone(),
        events: e.events as u64,
        last_seen: ms_to_text(e.last_seen),
        access: None,
    }
}

/// Failing entities grouped by category + attribute + normalized message, largest first.
fn root_causes(failing: &[&EntityRow]) -> Vec<RootCause> {
    let mut groups: BTreeMap<(Category, Option<String>, String), Vec<&EntityRow>> = BTreeMap::new();
    for e in failing {
        let Some(category) = e.category else {
            continue;
        };
        let key = (
            category,
            e.attribute.clone(),
            e.message.clone().unwrap_or_default(),
        );
        groups.entry(key).or_default().push(e);
    }
    let mut causes: Vec<RootCause> = groups
        .into_iter()
        .map(|((category, attribute, message), members)| RootCause {
            category,
            attribute,
            summary: message,
            count: members.len() as u64,
            entities: members.iter().map(|e| e.name.clone()).collect(),
            fix: members
                .iter()
                .find_map(|e| e.fix.clone())
                .unwrap_or_default(),
            candidates: if category == Category::SchemaViolationUnspecified {
                UNSPECIFIED_CANDIDATES
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    causes.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    causes
}
