//! The preflight as a [`Report`]: its errors become failing entities and root causes exactly as
//! in the log diagnosis, so every renderer shows them, with every finding in the `preflight`
//! section.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{EntityIds, Report, ReportEntity, RootCause, SCHEMA_VERSION, Totals};
use crate::diagnose::fixes::fix_for_cause;
use crate::directory::{Directory, DirectoryIdp};
use crate::input::value::format_time;
use crate::model::{Category, EntityKind, EntityStatus};
use crate::preflight::{PreflightFinding, PreflightResult, PreflightSection, Severity};
use crate::db::snapshots::SnapshotInfo;

/// The preflight as a report: errors become failing entities and root causes exactly as in the
/// log diagnosis (so every renderer shows them), with every finding in `preflight`.
pub fn to_report(
    result: PreflightResult,
    directory: &Directory,
    inputs: Vec<String>,
    against_store: Option<SnapshotInfo>,
    at_risk: Vec<crate::compare::AtRisk>,
    now: DateTime<Utc>,
) -> Report {
    let idp = directory
        .idp
        .map(DirectoryIdp::idp)
        .unwrap_or(crate::model::Idp::Entra);
    let errors: Vec<&PreflightFinding> = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    // One report entity per failing entity: its first (most specific) error.
    let mut first_error: BTreeMap<(EntityKind, String, Option<String>), &PreflightFinding> =
        BTreeMap::new();
    for f in &errors {
        first_error
            .entry((f.kind, f.name.clone(), f.idp_id.clone()))
            .or_insert(f);
    }
    let mut categories: BTreeMap<String, u64> = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), 0))
        .collect();
    let entities: Vec<ReportEntity> = first_error
        .values()
        .map(|f| {
            *categories
                .entry(f.category.as_str().to_string())
                .or_default() += 1;
            ReportEntity {
                kind: f.kind,
                name: f.name.clone(),
                ids: EntityIds {
                    source_id: f.idp_id.clone(),
                    target_id: None,
                    external_id: None,
                },
                status: EntityStatus::Failing,
                category: Some(f.category),
                attribute: f.attribute.clone(),
                message: Some(f.message.clone()),
                fix: Some(fix_for_cause(
                    f.category,
                    f.attribute.as_deref(),
                    Some(&f.message),
                    idp,
                )),
                events: 0,
                last_seen: None,
                access: None,
            }
        })
        .collect();
    let mut groups: BTreeMap<(Category, Option<String>, String), Vec<String>> = BTreeMap::new();
    for f in &errors {
        groups
            .entry((f.category, f.attribute.clone(), f.message.clone()))
            .or_default()
            .push(f.name.clone());
    }
    let mut root_causes: Vec<RootCause> = groups
        .into_iter()
        .map(|((category, attribute, summary), mut names)| {
            names.dedup();
            RootCause {
                category,
                fix: fix_for_cause(category, attribute.as_deref(), Some(&summary), idp),
                attribute,
                summary,
                count: names.len() as u64,
                entities: names,
                candidates: Vec::new(),
            }
        })
        .collect();
    root_causes.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    let checked = result.users_checked + result.groups_checked;
    let failing = entities.len() as u64;
    let warnings = result.findings.len() as u64 - errors.len() as u64;
    Report {
        schema_version: SCHEMA_VERSION,
        generated_at: format_time(&now),
        sources: Vec::new(),
        totals: Totals {
            records: checked,
            success: checked - failing,
            failure: failing,
            skipped: 0,
            problem_entities: failing,
            connection_failures: 0,
        },
        categories,
        entities,
        root_causes,
        connection: Vec::new(),
        findings: Vec::new(),
        compare: None,
        preflight: Some(PreflightSection {
            predicted: true,
            inputs,
            idp: directory.idp,
            formats: directory.formats.clone(),
            against_store,
            users_checked: result.users_checked,
            groups_checked: result.groups_checked,
            errors: errors.len() as u64,
            warnings,
            mapping_warnings: result.mapping_warnings,
            export_warnings: directory.warnings.clone(),
            findings: result.findings,
            at_risk,
        }),
        access: None,
    }
}
