//! View models for the desktop app: the overview, one page of problem entities, the root
//! causes, the sources, the category catalogue and the report export. Each function is one
//! operation over an open [`Workspace`] and reads the materialized diagnosis with paged SQL
//! (`db::view_queries`), so every view stays fast with a million records imported. The
//! overview and export reuse the report's own pieces so the app and the CLI agree.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api;
use crate::db::sources::ms_to_text;
use crate::db::stats::parse_source_ids;
use crate::db::view_queries::{self as q, ProblemFilter, SortColumn};
use crate::db::{Workspace, entities, settings, sources};
use crate::diagnose::classify::UNSPECIFIED_CANDIDATES;
use crate::error::Result;
use crate::model::{AccessImpact, Category, EntityKind, EntityStatus};
use crate::report::render::{ReportFormat, pseudonymize, render};
use crate::report::{ConnectionFinding, JobFinding, SourceSummary, Totals};

/// Bars the failures chart can show legibly; longer histories are merged into this many.
pub const MAX_TIMELINE_BUCKETS: usize = 120;

/// Rows one page may ask for.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub sources: u64,
    pub totals: Totals,
    /// Entities whose last record succeeded after a failure.
    pub resolved_entities: u64,
    /// Failing entities per category, largest first (categories with none are left out).
    pub categories: Vec<CategoryCount>,
    pub timeline: Vec<FailureBucket>,
    /// Connection-level problems (token, throttling): they explain everything below them.
    pub connection: Vec<ConnectionFinding>,
    /// Incomplete pages, silent gaps, throttling bursts.
    pub findings: Vec<JobFinding>,
    /// Who lost access and what the failures put at stake, when the newest store snapshot holds
    /// account assignments.
    pub access: Option<crate::access::AccessOverview>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CategoryCount {
    pub category: Category,
    pub count: u64,
}

/// One bar of the failures-over-time chart: a provisioning cycle, an hour of records without
/// a cycle id, or several of either merged when the history is long.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FailureBucket {
    /// Set when the bar is exactly one provisioning cycle.
    pub cycle_id: Option<String>,
    pub start: String,
    /// Unix milliseconds: the bar covers records with `from_ms <= time < to_ms`.
    pub from_ms: i64,
    pub to_ms: i64,
    pub records: u64,
    pub failures: u64,
}

/// The reports's overview numbers and alerts, without loading any entity list.
pub async fn overview(ws: &Workspace) -> Result<Overview> {
    let event_totals = entities::event_totals(ws).await?;
    let by_status: HashMap<String, i64> = q::entities_by_status(ws).await?.into_iter().collect();
    let mut categories: Vec<CategoryCount> = q::failing_by_category(ws)
        .await?
        .into_iter()
        .filter_map(|(c, n)| {
            Category::parse(&c).map(|category| CategoryCount {
                category,
                count: n as u64,
            })
        })
        .collect();
    categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    let connection =
        crate::report::build::connection_findings(entities::connection_groups(ws).await?);
    let findings = crate::report::build::job_findings(ws).await?;
    let timeline = merge_buckets(q::time_buckets(ws).await?, MAX_TIMELINE_BUCKETS);
    let count = |s: &str| by_status.get(s).copied().unwrap_or(0) as u64;
    Ok(Overview {
        sources: q::source_count(ws).await? as u64,
        totals: Totals {
            records: event_totals.records as u64,
            success: event_totals.success as u64,
            failure: event_totals.failure as u64,
            skipped: event_totals.skipped as u64,
            problem_entities: count(EntityStatus::Failing.as_str()),
            connection_failures: connection.iter().map(|c| c.count).sum(),
        },
        resolved_entities: count(EntityStatus::Resolved.as_str()),
        categories,
        timeline,
        connection,
        findings,
        access: crate::access::overview(ws).await?,
    })
}

/// Merges consecutive buckets so at most `max` remain; a merged bar keeps no cycle id.
fn merge_buckets(buckets: Vec<q::TimeBucket>, max: usize) -> Vec<FailureBucket> {
    let per_bar = buckets.len().div_ceil(max.max(1)).max(1);
    buckets
        .chunks(per_bar)
        .map(|chunk| {
            let first = &chunk[0];
            let from = chunk.iter().map(|b| b.start).min().unwrap_or(first.start);
            let to = chunk.iter().map(|b| b.end).max().unwrap_or(first.end);
            FailureBucket {
                cycle_id: if chunk.len() == 1 {
                    first.cycle_id.clone()
                } else {
                    None
                },
                start: ms_to_text(Some(from)).unwrap_or_default(),
                from_ms: from,
                // Exclusive end, so a click on the bar includes its last record.
                to_ms: to.saturating_add(1),
                records: chunk.iter().map(|b| b.records as u64).sum(),
                failures: chunk.iter().map(|b| b.failures as u64).sum(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSort {
    /// Failing before resolved, then by category, newest first: the report's order.
    #[default]
    Default,
    Name,
    Kind,
    Status,
    Category,
    Events,
    FirstSeen,
    LastSeen,
    /// What the entity holds in AWS, most first: fix first what blocks the most access.
    Access,
}

/// The root cause a page is narrowed to (the fields of a [`RootCauseView`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CauseKey {
    pub category: Category,
    pub attribute: Option<String>,
    pub summary: String,
}

/// One page of the problems table. Empty filter lists mean "any"; empty `statuses` means
/// failing and resolved (the entities worth looking at), or failing only under a `cause`
/// (root causes are about failing entities, as in the report).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct ProblemQuery {
    pub search: Option<String>,
    pub categories: Vec<Category>,
    pub kinds: Vec<EntityKind>,
    pub statuses: Vec<EntityStatus>,
    pub source_id: Option<i64>,
    /// Unix milliseconds: entities with a failed record in `from <= time < to`.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub cause: Option<CauseKey>,
    pub sort: ProblemSort,
    pub desc: bool,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProblemPage {
    /// Entities matching the filters (all pages).
    pub total: u64,
    pub offset: u32,
    pub rows: Vec<ProblemEntityRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProblemEntityRow {
    pub key: String,
    pub kind: EntityKind,
    pub name: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub events: u64,
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub source_ids: Vec<i64>,
    /// What it holds in AWS, in the newest store snapshot with account assignments; `None` when
    /// that snapshot does not hold it (or there is none).
    pub access: Option<AccessImpact>,
}

/// One page of problem entities, filtered and sorted in SQLite (never loading them all).
pub async fn problems_page(ws: &Workspace, query: &ProblemQuery) -> Result<ProblemPage> {
    let statuses = if query.statuses.is_empty() && query.cause.is_some() {
        // Root causes are the report's: failing entities only.
        vec![EntityStatus::Failing.as_str()]
    } else if query.statuses.is_empty() {
        vec![
            EntityStatus::Failing.as_str(),
            EntityStatus::Resolved.as_str(),
        ]
    } else {
        query.statuses.iter().map(|s| s.as_str()).collect()
    };
    let mut filter = ProblemFilter {
        search: query.search.clone(),
        search_plan: Default::default(),
        categories: query.categories.iter().map(|c| c.as_str()).collect(),
        kinds: query.kinds.iter().map(|k| k.as_str()).collect(),
        statuses,
        source_id: query.source_id,
        from: query.from,
        to: query.to,
        cause: query.cause.as_ref().map(|c| {
            (
                c.category.as_str().to_string(),
                c.attribute.clone(),
                c.summary.clone(),
            )
        }),
    };
    let sort = match query.sort {
        ProblemSort::Default => SortColumn::Default,
        ProblemSort::Name => SortColumn::Name,
        ProblemSort::Kind => SortColumn::Kind,
        ProblemSort::Status => SortColumn::Status,
        ProblemSort::Category => SortColumn::Category,
        ProblemSort::Events => SortColumn::Events,
        ProblemSort::FirstSeen => SortColumn::FirstSeen,
        ProblemSort::LastSeen => SortColumn::LastSeen,
        ProblemSort::Access => SortColumn::Access,
    };
    let limit = if query.limit == 0 {
        100
    } else {
        query.limit.min(MAX_PAGE)
    };
    q::plan_search(ws, &mut filter).await?;
    // The count and the page run on two pooled connections at once (WAL readers).
    let (total, rows) = tokio::try_join!(
        q::count_problems(ws, &filter),
        q::problem_rows(
            ws,
            &filter,
            sort,
            query.desc,
            i64::from(query.offset),
            i64::from(limit),
        )
    )?;
    Ok(ProblemPage {
        total: total as u64,
        offset: query.offset,
        rows: rows
            .into_iter()
            .map(|r| {
                Ok(ProblemEntityRow {
                    access: impact_of_row(&r)?,
                    kind: r.kind,
                    status: r.status,
                    category: r.category,
                    source_ids: parse_source_ids(&r.source_ids)?,
                    first_seen: ms_to_text(r.first_seen),
                    last_seen: ms_to_text(r.last_seen),
                    events: r.events as u64,
                    failures: r.failures as u64,
                    key: r.entity_key,
                    name: r.name,
                    attribute: r.attribute,
                    message: r.message,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// The access columns of a problems row.
fn impact_of_row(r: &q::ProblemRow) -> Result<Option<AccessImpact>> {
    match (r.accounts, r.permission_sets, r.assignments) {
        (Some(a), Some(p), Some(n)) => {
            crate::db::access::impact_from_counts(&r.entity_key, [a, p, n]).map(Some)
        }
        _ => Ok(None),
    }
}

/// A root cause as the report states it, without the full list of entity names (the app
/// pages them with [`ProblemQuery::cause`]).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RootCauseView {
    pub category: Category,
    pub attribute: Option<String>,
    pub summary: String,
    pub count: u64,
    pub fix: String,
    /// For SCHEMA_VIOLATION_UNSPECIFIED: the causes that could explain it.
    pub candidates: Vec<String>,
}

/// Root causes of failing entities, largest first, in the report's order.
pub async fn root_causes(ws: &Workspace) -> Result<Vec<RootCauseView>> {
    let mut causes: Vec<RootCauseView> = q::cause_groups(ws)
        .await?
        .into_iter()
        .map(|g| RootCauseView {
            category: g.category,
            attribute: g.attribute,
            summary: g.summary,
            count: g.count as u64,
            fix: g.fix.unwrap_or_default(),
            candidates: if g.category == Category::SchemaViolationUnspecified {
                UNSPECIFIED_CANDIDATES
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    // The report groups in a BTreeMap keyed (category name, attribute, summary) and then sorts
    // stably by count and category: the same order here.
    causes.sort_by(|a, b| {
        (a.category.as_str(), &a.attribute, &a.summary).cmp(&(
            b.category.as_str(),
            &b.attribute,
            &b.summary,
        ))
    });
    causes.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    Ok(causes)
}

/// Every imported source with its format, records, time range and warnings.
pub async fn sources(ws: &Workspace) -> Result<Vec<SourceSummary>> {
    sources::list(ws).await
}

/// What a category means, for the entity view and the chart legend.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CategoryInfo {
    pub category: Category,
    pub title: String,
    pub explanation: String,
    /// True when the category is about the whole connection rather than one entity.
    pub connection_level: bool,
}

pub fn category_info(category: Category) -> CategoryInfo {
    let (title, explanation) = match category {
        Category::MissingRequiredAttribute => (
            "Missing required attribute",
            "AWS requires userName, name.givenName, name.familyName and displayName on every \
             user, each at least one character long. An empty string counts as missing.",
        ),
        Category::MultivalueNotSupported => (
            "More than one value",
            "AWS accepts one email, one phone number and one address per user. The identity \
             provider sent two values, or mapped two of its attributes onto the same AWS one.",
        ),
        Category::ReservedName => (
            "Reserved name",
            "Administrator and AWSAdministrators cannot be used as user or group names, and \
             groups that AWS Control Tower creates in the identity store collide with IdP groups \
             of the same name.",
        ),
        Category::DuplicateConflict => (
            "Duplicate or conflict",
            "userName, the primary email and externalId must be unique, as must a group's \
             displayName. An object with the same value already exists in AWS, often created by \
             hand or by another tool.",
        ),
        Category::InvalidValue => (
            "Invalid value",
            "A value breaks a length or character rule: whitespace in userName, a guest #EXT# \
             name, one of <>;:% or a line break, an empty string, or an externalId issuer that \
             starts with arn: or aws:.",
        ),
        Category::TargetObjectMissing => (
            "Deleted in AWS",
            "The identity provider still points at a user or group that no longer exists in the \
             identity store (deleted in the console, by the API or by another tool).",
        ),
        Category::Throttled => (
            "Throttled",
            "AWS allows 20 SCIM requests per second for the whole tenant; requests above that get \
             429 Rate exceeded. It is transient: the identity provider retries on its next cycle.",
        ),
        Category::AuthFailure => (
            "Authentication failure",
            "AWS rejected the SCIM bearer token: it expired (tokens last one year), was revoked, \
             or automatic provisioning was re-enabled and the tenant changed. Every request of \
             the connection fails until the token is replaced.",
        ),
        Category::PatchInvalid => (
            "Invalid PATCH",
            "The client sent a PATCH AWS does not support: an operation without a path, or one \
             that replaces or removes all members of a group at once.",
        ),
        Category::SchemaViolationUnspecified => (
            "Schema violation, cause not stated",
            "AWS answered 400 'Request is unparsable, syntactically incorrect, or violates \
             schema.' and the log does not say why. The candidate causes are listed; the values \
             that were sent usually show which one applies.",
        ),
        Category::NotProvisioned => (
            "Not provisioned",
            "In the identity provider but never attempted: not assigned to the AWS app, out of \
             scope, or a member of a nested group (Entra does not provision nested groups).",
        ),
        Category::Drift => (
            "Drift",
            "Present in the identity provider and in AWS with different values.",
        ),
        Category::UnmanagedInStore => (
            "Unmanaged in AWS",
            "In the identity store but not in the identity provider, or created outside SCIM \
             (no externalId).",
        ),
        Category::Other => (
            "Other",
            "A failure no rule explains; the raw evidence is shown as it was logged.",
        ),
    };
    CategoryInfo {
        category,
        title: title.to_string(),
        explanation: explanation.to_string(),
        connection_level: category.is_connection_level(),
    }
}

/// The catalogue of every category, in the order of [`Category::ALL`].
pub fn categories() -> Vec<CategoryInfo> {
    Category::ALL.into_iter().map(category_info).collect()
}

/// Settings key of the workspace's pseudonymization key (created on first use, so exports of
/// one workspace share pseudonyms and their rows join).
pub const PSEUDONYM_KEY: &str = "pseudonym_key";

/// The workspace's pseudonymization key, created on first use from the operating system's
/// random generator.
pub async fn pseudonym_key(ws: &Workspace) -> Result<String> {
    if let Some(key) = settings::get::<String>(ws, PSEUDONYM_KEY).await? {
        return Ok(key);
    }
    let key = crate::report::pseudonym::new_key()?;
    settings::set(ws, PSEUDONYM_KEY, &key).await?;
    Ok(key)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportReq {
    pub format: ReportFormat,
    pub path: String,
    /// Replace names, emails and IdP ids with keyed hashes.
    pub pseudonymize: bool,
    /// The key for the hashes; the workspace's own key when absent.
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ExportRes {
    pub path: String,
    pub bytes: u64,
    pub entities: u64,
}

/// Writes the failure report, exactly as `scimlens report` renders it, to `req.path`.
pub async fn export_report(
    ws: &Workspace,
    req: &ExportReq,
    now: DateTime<Utc>,
) -> Result<ExportRes> {
    let report = api::build_report(ws, &[], now).await?;
    let report = if req.pseudonymize {
        let key = match req.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => k.to_string(),
            None => pseudonym_key(ws).await?,
        };
        pseudonymize(&report, key.as_bytes())
    } else {
        report
    };
    let text = render(&report, req.format);
    let path = PathBuf::from(&req.path);
    crate::atomic::write(&path, text.as_bytes())?;
    Ok(ExportRes {
        path: req.path.clone(),
        bytes: text.len() as u64,
        entities: report.entities.len() as u64,
    })
}

/// Opens the demo workspace in `dir` (`demo.sqlite`), importing the built-in demo set (the
/// same logs, directory export and store snapshot as `scimlens demo`) the first time, and
/// whatever part of it a demo workspace made by an older version lacks.
pub async fn open_demo(dir: &Path, now: DateTime<Utc>) -> Result<Workspace> {
    let ws = Workspace::open(&dir.join("demo.sqlite")).await?;
    crate::api::demo::populate(&ws, &dir.join("demo-files"), now).await?;
    Ok(ws)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ImportFilesReq;
    use crate::cancel::CancelToken;
    use crate::report::render::ReportFormat;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(rel)
    }

    fn now() -> DateTime<Utc> {
        "2026-11-21T12:00:00Z".parse().unwrap()
    }

    async fn workspace(files: &[&str]) -> Workspace {
        let ws = Workspace::in_memory().await.unwrap();
        let req = ImportFilesReq {
            paths: files.iter().map(|f| fixture(f)).collect(),
            extra_reserved: Vec::new(),
        };
        api::import_files(&ws, req, &CancelToken::default(), now(), &|_| {})
            .await
            .unwrap();
        ws
    }

    const STORY: [&str; 4] = [
        "entra-graph/page1.json",
        "entra-portal-json/download.json",
        "cloudtrail/records.json",
        "okta/systemlog.json",
    ];

    fn query() -> ProblemQuery {
        ProblemQuery {
            limit: 1000,
            ..ProblemQuery::default()
        }
    }

    #[tokio::test]
    async fn overview_agrees_with_the_report() {
        let ws = workspace(&STORY).await;
        let report = api::build_report(&ws, &[], now()).await.unwrap();
        let view = overview(&ws).await.unwrap();
        assert_eq!(view.totals, report.totals);
        assert_eq!(view.connection, report.connection);
        assert_eq!(view.findings, report.findings);
        assert_eq!(view.sources, report.sources.len() as u64);
        for c in &view.categories {
            assert_eq!(
                report.categories[c.category.as_str()],
                c.count,
                "{}",
                c.category
            );
        }
        let listed: u64 = view.categories.iter().map(|c| c.count).sum();
        assert_eq!(listed, report.totals.problem_entities);
        assert!(
            view.categories.windows(2).all(|w| w[0].count >= w[1].count),
            "largest first"
        );
    }

    #[tokio::test]
    async fn timeline_has_one_bar_per_entra_cycle_and_counts_every_dated_record() {
        let ws = workspace(&["entra-graph/page1.json"]).await;
        let view = overview(&ws).await.unwrap();
        // MANIFEST §2: cycles at 08:57, 09:37, 10:17, 10:57 and 13:19.
        assert_eq!(view.timeline.len(), 5, "{:#?}", view.timeline);
        assert!(view.timeline.iter().all(|b| b.cycle_id.is_some()));
        assert_eq!(view.timeline.iter().map(|b| b.records).sum::<u64>(), 12);
        assert!(view.timeline.windows(2).all(|w| w[0].to_ms <= w[1].from_ms));
        assert_eq!(
            view.timeline[1].failures, 0,
            "the 09:37 cycle holds only a skip"
        );
    }

    #[test]
    fn long_histories_merge_into_at_most_the_bar_limit() {
        let buckets: Vec<q::TimeBucket> = (0..1000)
            .map(|i| q::TimeBucket {
                cycle_id: Some(format!("c{i}")),
                start: i * 10,
                end: i * 10 + 5,
                records: 2,
                failures: 1,
            })
            .collect();
        let bars = merge_buckets(buckets, 120);
        assert!(bars.len() <= 120);
        assert_eq!(bars.iter().map(|b| b.records).sum::<u64>(), 2000);
        assert!(
            bars.iter()
                .filter(|b| b.records > 2)
                .all(|b| b.cycle_id.is_none()),
            "a merged bar is no one cycle"
        );
        assert_eq!(bars[0].from_ms, 0);
        assert_eq!(bars.last().unwrap().to_ms, 9996);
    }

    #[tokio::test]
    async fn root_causes_match_the_reports_in_order_count_and_fix() {
        let ws = workspace(&STORY).await;
        let report = api::build_report(&ws, &[], now()).await.unwrap();
        let causes = root_causes(&ws).await.unwrap();
        let ours: Vec<_> = causes
            .iter()
            .map(|c| {
                (
                    c.category,
                    c.attribute.clone(),
                    c.summary.clone(),
                    c.count,
                    c.fix.clone(),
                    c.candidates.clone(),
                )
            })
            .collect();
        let theirs: Vec<_> = report
            .root_causes
            .iter()
            .map(|c| {
                (
                    c.category,
                    c.attribute.clone(),
                    c.summary.clone(),
                    c.count,
                    c.fix.clone(),
                    c.candidates.clone(),
                )
            })
            .collect();
        assert_eq!(ours, theirs);
    }

    #[tokio::test]
    async fn a_cause_pages_exactly_its_entities() {
        let ws = workspace(&STORY).await;
        let report = api::build_report(&ws, &[], now()).await.unwrap();
        for cause in &report.root_causes {
            let key = CauseKey {
                category: cause.category,
                attribute: cause.attribute.clone(),
                summary: cause.summary.clone(),
            };
            let page = problems_page(
                &ws,
                &ProblemQuery {
                    cause: Some(key),
                    ..query()
                },
            )
            .await
            .unwrap();
            let mut names: Vec<String> = page.rows.iter().map(|r| r.name.clone()).collect();
            let mut expected = cause.entities.clone();
            names.sort();
            expected.sort();
            assert_eq!(names, expected, "{}", cause.summary);
            assert_eq!(page.total, cause.count);
        }
    }

    #[tokio::test]
    async fn default_page_lists_the_reports_entities_in_the_reports_order() {
        let ws = workspace(&STORY).await;
        let report = api::build_report(&ws, &[], now()).await.unwrap();
        let page = problems_page(&ws, &query()).await.unwrap();
        assert_eq!(page.total, report.entities.len() as u64);
        let names: Vec<&str> = page.rows.iter().map(|r| r.name.as_str()).collect();
        let expected: Vec<&str> = report.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, expected);
    }

    #[tokio::test]
    async fn filters_narrow_by_category_kind_status_and_search() {
        let ws = workspace(&STORY).await;
        let throttled = problems_page(
            &ws,
            &ProblemQuery {
                categories: vec![Category::Throttled],
                ..query()
            },
        )
        .await
        .unwrap();
        assert!(
            throttled
                .rows
                .iter()
                .all(|r| r.category == Some(Category::Throttled))
        );
        assert!(throttled.rows.iter().any(|r| r.name == "lena.schmidt@contoso.com" && r.status == EntityStatus::Resolved));

        let failing = problems_page(
            &ws,
            &ProblemQuery {
                categories: vec![Category::Throttled],
                statuses: vec![EntityStatus::Failing],
                ..query()
            },
        )
        .await
        .unwrap();
        assert!(
            failing
                .rows
                .iter()
                .all(|r| r.status == EntityStatus::Failing)
        );
        assert!(failing.total < throttled.total);

        let groups = problems_page(
            &ws,
            &ProblemQuery {
                kinds: vec![EntityKind::Group],
                ..query()
            },
        )
        .await
        .unwrap();
        let names: Vec<&str> = groups.rows.iter().map(|r| r.name.as_str()).collect();
        assert!(
            names.contains(&"Administrator") && names.contains(&"Finance-Analysts"),
            "{names:?}"
        );
        assert!(groups.rows.iter().all(|r| r.kind == EntityKind::Group));

        let search = problems_page(
            &ws,
            &ProblemQuery {
                search: Some("XSS.PROBE".into()),
                ..query()
            },
        )
        .await
        .unwrap();
        assert_eq!(search.total, 1);
        assert_eq!(search.rows[0].name, "xss.probe@contoso.com");
    }

    #[tokio::test]
    async fn search_treats_like_wildcards_as_literal_text() {
        let ws = workspace(&STORY).await;
        let all = problems_page(&ws, &query()).await.unwrap();
        let percent = problems_page(
            &ws,
            &ProblemQuery {
                search: Some("%".into()),
                ..query()
            },
        )
        .await
        .unwrap();
        assert!(
            percent.total < all.total,
            "a bare % must not match everything"
        );
        let underscore = problems_page(
            &ws,
            &ProblemQuery {
                search: Some("guest.user_".into()),
                ..query()
            },
        )
        .await
        .unwrap();
        assert_eq!(underscore.total, 1);
    }

    #[tokio::test]
    async fn source_filter_keeps_entities_that_source_mentions() {
        let ws = workspace(&STORY).await;
        let okta = sources(&ws)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.path.ends_with("systemlog.json"))
            .unwrap();
        let page = problems_page(
            &ws,
            &ProblemQuery {
                source_id: Some(okta.id),
                ..query()
            },
        )
        .await
        .unwrap();
        assert!(page.total > 0);
        assert!(page.rows.iter().all(|r| r.source_ids.contains(&okta.id)));
        assert!(page.rows.iter().any(|r| r.name == "bob.okta@example.com"));
        assert!(!page.rows.iter().any(|r| r.name.ends_with("@contoso.com")));
    }

    #[tokio::test]
    async fn time_range_keeps_entities_that_failed_inside_it() {
        let ws = workspace(&["entra-graph/page1.json"]).await;
        let view = overview(&ws).await.unwrap();
        // The 08:57 cycle: dmitri.volkov failed there (and was resolved later).
        let first = &view.timeline[0];
        let page = problems_page(
            &ws,
            &ProblemQuery {
                from: Some(first.from_ms),
                to: Some(first.to_ms),
                ..query()
            },
        )
        .await
        .unwrap();
        let names: Vec<&str> = page.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["dmitri.volkov@contoso.com"]);
    }

    #[tokio::test]
    async fn paging_and_sorting_are_stable_and_complete() {
        let ws = workspace(&STORY).await;
        let all = problems_page(
            &ws,
            &ProblemQuery {
                sort: ProblemSort::Name,
                ..query()
            },
        )
        .await
        .unwrap();
        let mut paged = Vec::new();
        for offset in (0..all.total as u32).step_by(3) {
            let page = problems_page(
                &ws,
                &ProblemQuery {
                    sort: ProblemSort::Name,
                    offset,
                    limit: 3,
                    ..query()
                },
            )
            .await
            .unwrap();
            assert_eq!(page.total, all.total);
            paged.extend(page.rows);
        }
        assert_eq!(paged, all.rows);
        let names: Vec<&String> = all.rows.iter().map(|r| &r.name).collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by name");
        let desc = problems_page(
            &ws,
            &ProblemQuery {
                sort: ProblemSort::Events,
                desc: true,
                ..query()
            },
        )
        .await
        .unwrap();
        assert!(desc.rows.windows(2).all(|w| w[0].events >= w[1].events));
    }

    #[tokio::test]
    async fn export_writes_what_the_cli_renders_and_pseudonymizes_consistently() {
        let ws = workspace(&STORY).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        let req = ExportReq {
            format: ReportFormat::Md,
            path: path.display().to_string(),
            pseudonymize: false,
            key: None,
        };
        let res = export_report(&ws, &req, now()).await.unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        let expected = render(
            &api::build_report(&ws, &[], now()).await.unwrap(),
            ReportFormat::Md,
        );
        assert_eq!(written, expected);
        assert_eq!(res.bytes, written.len() as u64);

        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        for p in [&a, &b] {
            let req = ExportReq {
                format: ReportFormat::Csv,
                path: p.display().to_string(),
                pseudonymize: true,
                key: None,
            };
            export_report(&ws, &req, now()).await.unwrap();
        }
        let a = std::fs::read_to_string(a).unwrap();
        assert_eq!(
            a,
            std::fs::read_to_string(b).unwrap(),
            "one workspace key, one set of pseudonyms"
        );
        assert!(!a.contains("alice@contoso.com"));
        assert!(!a.contains("<img src=x onerror=alert(1)>"));
    }

    #[tokio::test]
    async fn export_to_a_missing_directory_names_the_path() {
        let ws = workspace(&["entra-graph/page1.json"]).await;
        let req = ExportReq {
            format: ReportFormat::Json,
            path: "/nonexistent/dir/report.json".into(),
            pseudonymize: false,
            key: None,
        };
        let err = export_report(&ws, &req, now()).await.unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Io);
        assert!(err.to_string().contains("/nonexistent/dir/report.json"));
    }

    #[tokio::test]
    async fn demo_workspace_is_built_once_with_the_demo_set() {
        let dir = tempfile::tempdir().unwrap();
        let ws = open_demo(dir.path(), now()).await.unwrap();
        let first = sources(&ws).await.unwrap();
        assert!(first.len() >= 3, "the demo set has several formats");
        ws.close().await;
        let ws = open_demo(dir.path(), now()).await.unwrap();
        assert_eq!(sources(&ws).await.unwrap(), first, "reopening adds nothing");
        assert!(overview(&ws).await.unwrap().totals.problem_entities > 0);
    }

    #[test]
    fn every_category_has_a_title_and_an_explanation() {
        let all = categories();
        assert_eq!(all.len(), Category::ALL.len());
        assert!(
            all.iter()
                .all(|c| !c.title.is_empty() && c.explanation.len() > 20)
        );
        assert!(all.iter().any(|c| c.connection_level));
    }
}
