//! Entity search through the trigram index (`db::search`): the same rows in the same order as a
//! pass over every entity, for the app's Problems search and the CLI's `entity` lookup; the
//! index kept in step by imports, changes of the rules and rebuilds; and built for a workspace
//! made before it existed.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use sqlx::{Connection as _, QueryBuilder, Sqlite};

use crate::api::{self, ImportFilesReq};
use crate::db::entities::{self, EntityRow};
use crate::db::search::{self, SearchPlan};
use crate::db::view_queries::{self as q, ProblemFilter, ProblemRow, SortColumn};
use crate::db::{Workspace, diagnosis};
use crate::import::pipeline::CancelToken;
use crate::model::Format;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

const FIXTURES: [&str; 5] = [
    "entra-graph/page1.json",
    "entra-portal-json/download.json",
    "cloudtrail/records.json",
    "okta/systemlog.json",
    "entra-diagnostic/export.jsonl",
];

async fn import(ws: &Workspace, paths: Vec<PathBuf>) {
    let req = ImportFilesReq {
        paths,
        extra_reserved: Vec::new(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    api::import_files(ws, req, &CancelToken::default(), now, &|_| {})
        .await
        .unwrap();
}

/// The fixtures plus a generated Entra log of 4,000 records (1,000 entities), in a file
/// workspace (several pooled connections, as the app has).
async fn workspace(dir: &Path) -> Workspace {
    let generated = dir.join("generated.json");
    let mut out = std::fs::File::create(&generated).unwrap();
    crate::generate::generate(Format::EntraPortalJson, 4000, 7, &mut out).unwrap();
    let ws = Workspace::open(&dir.join("ws.sqlite")).await.unwrap();
    let mut paths: Vec<PathBuf> = FIXTURES.iter().map(|f| fixture(f)).collect();
    paths.push(generated);
    import(&ws, paths).await;
    ws
}

/// The Problems search as it was before the index: a pass over the rows (ties left in the
/// covering index's order).
async fn problems_before(
    ws: &Workspace,
    search: &str,
    statuses: &[&str],
    desc: bool,
) -> (i64, Vec<ProblemRow>) {
    let push = |qb: &mut QueryBuilder<Sqlite>| {
        qb.push(" WHERE status IN (");
        let mut list = qb.separated(", ");
        for s in statuses {
            list.push_bind(s.to_string());
        }
        let pattern = format!(
            "%{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(") AND (name LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR entity_key = ")
            .push_bind(search.to_string())
            .push(" OR idp_id = ")
            .push_bind(search.to_string())
            .push(" OR target_id = ")
            .push_bind(search.to_string())
            .push(" OR external_id = ")
            .push_bind(search.to_string())
            .push(")");
    };
    let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM entities");
    push(&mut count);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(ws.pool())
        .await
        .unwrap();
    let mut rows = QueryBuilder::<Sqlite>::new(
        "SELECT entity_key, kind, name, status, category, attribute, message, events, failures, \
         first_seen, last_seen, source_ids, NULL AS accounts, NULL AS permission_sets, \
         NULL AS assignments FROM entities",
    );
    push(&mut rows);
    rows.push(if desc {
        " ORDER BY status = 'resolved' DESC, category DESC, attribute DESC, last_seen, name DESC"
    } else {
        " ORDER BY status = 'resolved', category, attribute, last_seen DESC, name"
    });
    rows.push(" LIMIT 1000");
    (
        total,
        rows.build_query_as().fetch_all(ws.pool()).await.unwrap(),
    )
}

/// The CLI's lookup as it was before the index.
async fn find_before(ws: &Workspace, query: &str, limit: i64) -> Vec<EntityRow> {
    let exact: Vec<EntityRow> = sqlx::query_as(
        "SELECT * FROM entities WHERE lower(name) = lower(?1) OR entity_key = ?1 OR idp_id = ?1
             OR target_id = ?1 OR external_id = ?1
         ORDER BY status = 'ok', name LIMIT ?2",
    )
    .bind(query)
    .bind(limit)
    .fetch_all(ws.pool())
    .await
    .unwrap();
    if !exact.is_empty() {
        return exact;
    }
    sqlx::query_as(
        "SELECT * FROM entities WHERE name LIKE '%' || ?1 || '%' ESCAPE '\\'
         ORDER BY status = 'ok', name LIMIT ?2",
    )
    .bind(
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_"),
    )
    .bind(limit)
    .fetch_all(ws.pool())
    .await
    .unwrap()
}

/// An entity's key, name, IdP id, AWS id and externalId.
type IdRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Texts a user could type: every entity's name (as typed and in capitals), pieces of it of
/// one to eight characters, each key and id, and texts with LIKE's and FTS5's special
/// characters.
async fn queries(ws: &Workspace) -> Vec<String> {
    let rows: Vec<IdRow> = sqlx::query_as(
        "SELECT entity_key, name, idp_id, target_id, external_id FROM entities
             ORDER BY entity_key",
    )
    .fetch_all(ws.pool())
    .await
    .unwrap();
    let mut out: Vec<String> = [
        "%",
        "_",
        "\\",
        "\"",
        "\"\"",
        "a\"b",
        "guest.user_",
        "user_",
        "100%",
        "*",
        "con*",
        "NEAR",
        "a OR b",
        "-x",
        "é",
        "zz-nobody",
        "@contoso.com",
        "contoso",
        "user0",
        "Team 0",
        "ö",
        "Ö",
        "#EXT#",
        "  alice  ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (i, (key, name, idp, target, external)) in rows.iter().enumerate() {
        // Every fixture entity; one in a hundred of the generated ones.
        if name.starts_with("user") && name.ends_with("@contoso.com") && i % 100 != 0 {
            continue;
        }
        out.push(name.clone());
        out.push(name.to_uppercase());
        let chars: Vec<char> = name.chars().collect();
        for len in [2, 3, 5] {
            if chars.len() >= len {
                let mid = (chars.len() - len) / 2;
                out.push(chars[mid..mid + len].iter().collect());
            }
        }
        out.push(key.clone());
        out.extend([idp, target, external].into_iter().flatten().cloned());
    }
    out.sort();
    out.dedup();
    out
}

fn filter(search: &str, statuses: &[&'static str], plan: SearchPlan) -> ProblemFilter {
    ProblemFilter {
        search: Some(search.to_string()),
        search_plan: plan,
        statuses: statuses.to_vec(),
        ..ProblemFilter::default()
    }
}

#[tokio::test]
async fn searching_by_the_index_returns_the_rows_and_order_of_a_pass_over_every_entity() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path()).await;
    let texts = queries(&ws).await;
    assert!(texts.len() > 200, "{} texts", texts.len());
    let mut by_index = 0;
    let mut found = 0;
    for text in &texts {
        let trimmed = text.trim();
        for (statuses, desc) in [
            (&["failing", "resolved"][..], false),
            (&["failing", "resolved", "ok"][..], true),
        ] {
            let before = problems_before(&ws, trimmed, statuses, desc).await;
            let by_index = {
                let mut conn = ws.pool().acquire().await.unwrap();
                search::plan(&mut conn, trimmed, i64::MAX).await.unwrap()
            };
            for plan in [SearchPlan::Scan, by_index] {
                let indexed = plan != SearchPlan::Scan;
                let f = filter(text, statuses, plan);
                let total = q::count_problems(&ws, &f).await.unwrap();
                let rows = q::problem_rows(&ws, &f, SortColumn::Default, desc, 0, 1000)
                    .await
                    .unwrap();
                assert_eq!(
                    (total, &rows),
                    (before.0, &before.1),
                    "search {text:?}, {statuses:?}, desc {desc}, by index {indexed}"
                );
            }
        }
        let mut f = filter(text, &["failing", "resolved", "ok"], SearchPlan::Scan);
        q::plan_search(&ws, &mut f).await.unwrap();
        if matches!(f.search_plan, SearchPlan::Candidates(_)) {
            by_index += 1;
        }

        let before = find_before(&ws, text, 20).await;
        found += usize::from(!before.is_empty());
        let mut conn = ws.pool().acquire().await.unwrap();
        let by_index = search::plan(&mut conn, text, i64::MAX).await.unwrap();
        for plan in [SearchPlan::Scan, by_index] {
            let now = entities::find_with(&mut conn, text, 20, &plan)
                .await
                .unwrap();
            let indexed = plan != SearchPlan::Scan;
            assert_eq!(now, before, "find {text:?}, by index {indexed}");
        }
        drop(conn);
        assert_eq!(entities::find(&ws, text, 20).await.unwrap(), before);
    }
    assert!(
        by_index * 2 > texts.len(),
        "{by_index} of {} by the index",
        texts.len()
    );
    assert!(
        found * 2 > texts.len(),
        "{found} of {} found something",
        texts.len()
    );
}

#[tokio::test]
async fn texts_shorter_than_three_characters_or_in_most_names_are_searched_without_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path()).await;
    let mut conn = ws.pool().acquire().await.unwrap();
    let cap = search::MAX_CANDIDATES;
    for (text, by_index) in [
        ("al", false),
        ("é", false),
        ("ali", true),
        ("zz-nobody", true),
    ] {
        let plan = search::plan(&mut conn, text, cap).await.unwrap();
        assert_eq!(plan != SearchPlan::Scan, by_index, "{text}");
    }
    // 1,000 generated users share the domain: over a cap of 500 the pass is cheaper.
    assert_eq!(
        search::plan(&mut conn, "@contoso.com", 500).await.unwrap(),
        SearchPlan::Scan
    );
    let SearchPlan::Candidates(rowids) = search::plan(&mut conn, "user00012", 500).await.unwrap()
    else {
        panic!("user00012 names ten users at most")
    };
    let rowids: Vec<i64> = serde_json::from_str(&rowids).unwrap();
    assert!((1..=10).contains(&rowids.len()), "{rowids:?}");
}

/// Rowids the index gives for `text`, and those of names containing it (ASCII text).
async fn index_agrees(ws: &Workspace, text: &str) -> (Vec<i64>, Vec<i64>) {
    let indexed: Vec<i64> = sqlx::query_scalar(
        "SELECT rowid FROM entity_search WHERE entity_search MATCH ? ORDER BY rowid",
    )
    .bind(search::phrase(text))
    .fetch_all(ws.pool())
    .await
    .unwrap();
    let named: Vec<i64> = sqlx::query_scalar(
        "SELECT rowid FROM entities WHERE instr(lower(name), lower(?)) > 0 ORDER BY rowid",
    )
    .bind(text)
    .fetch_all(ws.pool())
    .await
    .unwrap();
    (indexed, named)
}

async fn assert_index_holds_every_name(ws: &Workspace, when: &str) {
    let entities: i64 = sqlx::query_scalar("SELECT count(*) FROM entities")
        .fetch_one(ws.pool())
        .await
        .unwrap();
    assert!(entities > 0, "{when}");
    for text in ["@contoso.com", "user00", "team", "ali", ".co", "unknown"] {
        let (indexed, named) = index_agrees(ws, text).await;
        assert_eq!(indexed, named, "{when}: {text:?}");
    }
}

#[tokio::test]
async fn the_index_follows_every_import_change_of_the_rules_and_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    import(&ws, vec![fixture("entra-graph/page1.json")]).await;
    assert_index_holds_every_name(&ws, "first import").await;
    import(&ws, FIXTURES[1..].iter().map(|f| fixture(f)).collect()).await;
    assert_index_holds_every_name(&ws, "second import").await;

    let rules = diagnosis::rules_for(&ws, &["alice@contoso.com".to_string()])
        .await
        .unwrap();
    diagnosis::refresh(&ws, &rules).await.unwrap();
    assert_index_holds_every_name(&ws, "rules changed").await;
    diagnosis::rebuild(&ws, &rules).await.unwrap();
    assert_index_holds_every_name(&ws, "rebuilt").await;
    assert_eq!(
        entities::find(&ws, "LICE@CONTOSO", 20).await.unwrap()[0].name,
        "alice@contoso.com"
    );
}

#[tokio::test]
async fn a_workspace_made_before_the_search_index_gets_it_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let ws = Workspace::open(&path).await.unwrap();
    import(&ws, FIXTURES.iter().map(|f| fixture(f)).collect()).await;
    ws.close().await;

    // Back to the schema before the index: no index, no record of its migration.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TABLE entity_search;
         DROP INDEX entities_idp_id; DROP INDEX entities_target_id; DROP INDEX entities_external_id;
         DELETE FROM _sqlx_migrations WHERE version = 20261204120000;
         PRAGMA user_version = {};",
        crate::db::schema_version() - 1
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let ws = Workspace::open(&path).await.unwrap();
    assert_index_holds_every_name(&ws, "reopened").await;
    let mut conn = ws.pool().acquire().await.unwrap();
    assert!(matches!(
        search::plan(&mut conn, "xss.probe", search::MAX_CANDIDATES)
            .await
            .unwrap(),
        SearchPlan::Candidates(_)
    ));
    drop(conn);
    assert_eq!(
        entities::find(&ws, "xss.probe", 20).await.unwrap()[0].name,
        "xss.probe@contoso.com"
    );
}
