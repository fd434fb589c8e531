//! Entity search by name, key or id, answered from indexes rather than a pass over every entity.
//!
//! A search matches an entity whose name contains the text (ASCII letters in any case, like
//! SQLite's `LIKE`) or whose key, IdP id, AWS id or externalId is exactly the text. Names are
//! indexed by trigrams in `entity_search` (FTS5, case-insensitive, kept in step with `entities`
//! by `entities::decide_dirty` and [`clear`] in the writer's transaction); ids and keys by
//! plain indexes. The index only narrows the rows: every query still applies the original
//! predicate to them, so a search returns exactly what a pass over every entity would.
//!
//! The index cannot help with a text shorter than three characters (it has no trigram), nor
//! with one that most names contain (`contoso.com`): reading that many rows one by one is
//! slower than the pass. Those searches are [`SearchPlan::Scan`]: the same query as before,
//! over the entities in index order.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::Result;

/// Above this many names containing the text, a search reads the entities in index order
/// instead of fetching each match by rowid (a pass over the problems' covering index costs about
/// as much as fetching this many rows one at a time).
pub const MAX_CANDIDATES: i64 = 10_000;

/// How a search finds its rows (decided per search by [`plan`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SearchPlan {
    /// The predicate over every row the rest of the query selects: no search, a text
    /// shorter than three characters, or one matching [`MAX_CANDIDATES`] names or more.
    #[default]
    Scan,
    /// Only the rows the indexes name: those whose name contains the text (their rowids, read
    /// from the index once, as a JSON array) and those whose key or id is the text.
    Candidates(std::sync::Arc<str>),
}

/// The text as one FTS5 phrase: with trigrams, the rows whose name contains it, any case.
pub fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// True when the index can narrow a search for `text`: it has at least one trigram.
pub fn indexable(text: &str) -> bool {
    text.chars().nth(2).is_some()
}

/// Decides how to search for `text`: by the index when it is three characters or longer and
/// fewer than `cap` names contain it. The index is read here, once for the count and the page.
pub async fn plan(conn: &mut SqliteConnection, text: &str, cap: i64) -> Result<SearchPlan> {
    if !indexable(text) {
        return Ok(SearchPlan::Scan);
    }
    let rowids: Vec<i64> =
        sqlx::query_scalar("SELECT rowid FROM entity_search WHERE entity_search MATCH ? LIMIT ?")
            .bind(phrase(text))
            .bind(cap)
            .fetch_all(&mut *conn)
            .await?;
    if rowids.len() as i64 >= cap {
        return Ok(SearchPlan::Scan);
    }
    let mut json = String::with_capacity(rowids.len() * 8 + 2);
    json.push('[');
    for (i, id) in rowids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    Ok(SearchPlan::Candidates(json.into()))
}

/// ` AND rowid IN (...)`: the rows whose name contains `text` (`rowids`, from [`plan`]), or
/// whose key or id is `text`. Goes after `FROM entities NOT INDEXED`, so SQLite fetches exactly
/// those rows.
pub fn push_candidates(qb: &mut QueryBuilder<Sqlite>, text: &str, rowids: &str) {
    qb.push(" AND rowid IN (SELECT value FROM json_each(")
        .push_bind(rowids.to_string())
        .push(")");
    for column in ["entity_key", "idp_id", "target_id", "external_id"] {
        // Fixed column names only; the text is bound.
        qb.push(" UNION ALL SELECT rowid FROM entities WHERE ")
            .push(column)
            .push(" = ")
            .push_bind(text.to_string());
    }
    qb.push(")");
}

/// Empties the index, with the `entities` table (a rebuild).
#[cfg(any(test, feature = "internals"))]
pub async fn clear(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("INSERT INTO main.entity_search (entity_search) VALUES ('delete-all')")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
