//! Read-only queries behind the app's views: problem entities paged, filtered and sorted
//! straight from the `entities` table, the root-cause roll-up, counts per category and the
//! failures timeline. Filters are built with `QueryBuilder`: values are always bound, and only
//! fixed column names from [`SortColumn`] are ever pushed as SQL text.

use sqlx::{FromRow, QueryBuilder, Sqlite};

use super::Workspace;
use super::search::{self, SearchPlan};
use crate::error::Result;
use crate::model::{Category, EntityKind, EntityStatus};

/// Which entities a page shows. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    /// Substring of the name (case-insensitive), or an exact key or id.
    pub search: Option<String>,
    /// How `search` finds its rows: set by [`plan_search`].
    pub search_plan: SearchPlan,
    pub categories: Vec<&'static str>,
    pub kinds: Vec<&'static str>,
    /// Never empty in practice: the caller picks the statuses (failing + resolved by default).
    pub statuses: Vec<&'static str>,
    pub source_id: Option<i64>,
    /// Entities with a failed record at or after `from` and before `to` (unix ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// One root cause: category, attribute and message exactly.
    pub cause: Option<(String, Option<String>, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Worst first, the report's order: failing before resolved, then category, attribute,
    /// newest first.
    Default,
    Name,
    Kind,
    Status,
    Category,
    Events,
    FirstSeen,
    LastSeen,
    /// What the entity holds in AWS (account x permission set pairs), most first; entities the
    /// store snapshot does not hold come last.
    Access,
}

impl SortColumn {
    fn sql(self, desc: bool) -> &'static str {
        match (self, desc) {
            // Ties end in the covering index's order (kind, key), whichever plan reads them.
            (SortColumn::Default, false) => {
                "status = 'resolved', category, attribute, last_seen DESC, name, kind, entity_key"
            }
            (SortColumn::Default, true) => {
                "status = 'resolved' DESC, category DESC, attribute DESC, last_seen, name DESC, \
                 kind, entity_key"
            }
            (SortColumn::Name, false) => "name, entity_key",
            (SortColumn::Name, true) => "name DESC, entity_key DESC",
            (SortColumn::Kind, false) => "kind, name, entity_key",
            (SortColumn::Kind, true) => "kind DESC, name DESC, entity_key DESC",
            (SortColumn::Status, false) => "status, name, entity_key",
            (SortColumn::Status, true) => "status DESC, name DESC, entity_key DESC",
            (SortColumn::Category, false) => "category, name, entity_key",
            (SortColumn::Category, true) => "category DESC, name DESC, entity_key DESC",
            (SortColumn::Events, false) => "events, name, entity_key",
            (SortColumn::Events, true) => "events DESC, name DESC, entity_key DESC",
            (SortColumn::FirstSeen, false) => "first_seen, name, entity_key",
            (SortColumn::FirstSeen, true) => "first_seen DESC, name DESC, entity_key DESC",
            (SortColumn::LastSeen, false) => "last_seen, name, entity_key",
            (SortColumn::LastSeen, true) => "last_seen DESC, name DESC, entity_key DESC",
            (SortColumn::Access, false) => {
                "assignments IS NULL, assignments DESC, accounts DESC, name, entity_key"
            }
            (SortColumn::Access, true) => {
                "assignments IS NOT NULL, assignments, accounts, name DESC, entity_key DESC"
            }
        }
    }
}

/// One row of the problems table: the `entities` columns a table shows (no fix text).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProblemRow {
    pub entity_key: String,
    pub kind: EntityKind,
    pub name: String,
    pub status: EntityStatus,
    pub category: Option<Category>,
    pub attribute: Option<String>,
    pub message: Option<String>,
    pub events: i64,
    pub failures: i64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub source_ids: String,
    /// What it holds in the weighing store snapshot (`entity_access`); NULL when not found there.
    pub accounts: Option<i64>,
    pub permission_sets: Option<i64>,
    pub assignments: Option<i64>,
}

/// `%`, `_` and the escape character itself are literal in a search.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The search text of `f`, trimmed; `None` when there is none.
fn search_text(f: &ProblemFilter) -> Option<&str> {
    f.search.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Decides, once for the count and the page, how `filter`'s search finds its rows.
pub async fn plan_search(ws: &Workspace, filter: &mut ProblemFilter) -> Result<()> {
    filter.search_plan = match search_text(filter) {
        Some(text) => {
            let mut conn = ws.pool().acquire().await?;
            search::plan(&mut conn, text, search::MAX_CANDIDATES).await?
        }
        None => SearchPlan::Scan,
    };
    Ok(())
}

/// `FROM entities` and the filter. Searched by the index, the rows are fetched by rowid
/// (`NOT INDEXED`: a pass over an index would not be narrowed by the candidates).
fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &ProblemFilter) {
    qb.push(" FROM entities");
    let rowids = match (&f.search_plan, search_text(f)) {
        (SearchPlan::Candidates(rowids), Some(text)) if search::indexable(text) => Some(rowids),
        _ => None,
    };
    if rowids.is_some() {
        qb.push(" NOT INDEXED");
    }
    qb.push(" WHERE status IN (");
    let mut list = qb.separated(", ");
    for s in &f.statuses {
        list.push_bind(*s);
    }
    if f.statuses.is_empty() {
        // An empty IN () is a syntax error in older SQLite; NULL matches nothing.
        list.push("NULL");
    }
    qb.push(")");
    if !f.categories.is_empty() {
        qb.push(" AND category IN (");
        let mut list = qb.separated(", ");
        for c in &f.categories {
            list.push_bind(*c);
        }
        qb.push(")");
    }
    if !f.kinds.is_empty() {
        qb.push(" AND kind IN (");
        let mut list = qb.separated(", ");
        for k in &f.kinds {
            list.push_bind(*k);
        }
        qb.push(")");
    }
    if let Some(search) = search_text(f) {
        if let Some(rowids) = rowids {
            search::push_candidates(qb, search, rowids);
        }
        qb.push(" AND (name LIKE ")
            .push_bind(like_pattern(search))
            .push(" ESCAPE '\\' OR entity_key = ")
            .push_bind(search.to_string())
            .push(" OR idp_id = ")
            .push_bind(search.to_string())
            .push(" OR target_id = ")
            .push_bind(search.to_string())
            .push(" OR external_id = ")
            .push_bind(search.to_string())
            .push(")");
    }
    if let Some(source) = f.source_id {
        // source_ids is a comma-separated list; the commas around make "1" not match "11".
        qb.push(" AND (',' || source_ids || ',') LIKE ")
            .push_bind(format!("%,{source},%"));
    }
    if f.from.is_some() || f.to.is_some() {
        qb.push(
            " AND entity_key IN (SELECT entity_key FROM events \
             WHERE category IS NOT NULL AND connection_level = 0 AND time >= ",
        )
        .push_bind(f.from.unwrap_or(i64::MIN))
        .push(" AND time < ")
        .push_bind(f.to.unwrap_or(i64::MAX))
        .push(")");
    }
    if let Some((category, attribute, message)) = &f.cause {
        qb.push(" AND category = ")
            .push_bind(category.clone())
            .push(" AND attribute IS ")
            .push_bind(attribute.clone())
            .push(" AND coalesce(message, '') = ")
            .push_bind(message.clone());
    }
}

/// How many entities match `filter`.
pub async fn count_problems(ws: &Workspace, filter: &ProblemFilter) -> Result<i64> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*)");
    push_filter(&mut qb, filter);
    Ok(qb.build_query_scalar().fetch_one(ws.pool()).await?)
}

/// One page of entities matching `filter`, in `sort` order.
pub async fn problem_rows(
    ws: &Workspace,
    filter: &ProblemFilter,
    sort: SortColumn,
    desc: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<ProblemRow>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT entity_key, kind, name, status, category, attribute, message, events, failures, \
         first_seen, last_seen, source_ids, \
         (SELECT a.accounts FROM entity_access a WHERE a.entity_key = entities.entity_key) AS accounts, \
         (SELECT a.permission_sets FROM entity_access a WHERE a.entity_key = entities.entity_key) \
           AS permission_sets, \
         (SELECT a.assignments FROM entity_access a WHERE a.entity_key = entities.entity_key) \
           AS assignments",
    );
    push_filter(&mut qb, filter);
    qb.push(" ORDER BY ").push(sort.sql(desc));
    qb.push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    Ok(qb.build_query_as().fetch_all(ws.pool()).await?)
}

/// Failing entities grouped the way the report groups its root causes.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CauseGroup {
    pub category: Category,
    pub attribute: Option<String>,
    pub summary: String,
    pub count: i64,
    /// The fix of the group's most recently seen entity (the report takes the first entity in
    /// its newest-first order).
    pub fix: Option<String>,
}

pub async fn cause_groups(ws: &Workspace) -> Result<Vec<CauseGroup>> {
    Ok(sqlx::query_as(
        "SELECT category, attribute, coalesce(message, '') AS summary, count(*) AS count,
                max(coalesce(last_seen, 0)) AS newest, fix
         FROM entities WHERE status = 'failing' AND category IS NOT NULL
         GROUP BY category, attribute, coalesce(message, '')",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Failing entities per category.
pub async fn failing_by_category(ws: &Workspace) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT category, count(*) FROM entities
         WHERE status = 'failing' AND category IS NOT NULL GROUP BY category",
    )
    .fetch_all(ws.pool())
    .await?)
}

/// Entities per status (failing, resolved, ok).
pub async fn entities_by_status(ws: &Workspace) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT status, count(*) FROM entities GROUP BY status")
            .fetch_all(ws.pool())
            .await?,
    )
}

/// Records per provisioning cycle, or per hour for records that carry no cycle id.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TimeBucket {
    pub cycle_id: Option<String>,
    pub start: i64,
    pub end: i64,
    pub records: i64,
    pub failures: i64,
}

pub async fn time_buckets(ws: &Workspace) -> Result<Vec<TimeBucket>> {
    Ok(sqlx::query_as(
        "SELECT cycle_id, start, end, records, failures
         FROM event_buckets WHERE start IS NOT NULL ORDER BY start",
    )
    .fetch_all(ws.pool())
    .await?)
}

pub async fn source_count(ws: &Workspace) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM sources")
        .fetch_one(ws.pool())
        .await?)
}
