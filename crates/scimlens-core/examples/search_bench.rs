//! Times entity search on a workspace the way the app and the CLI meet it after start.
//!
//! `search_bench WORKSPACE --names` prints three problem entities' names, from a process of its
//! own so the timed one starts with cold SQLite caches. `search_bench WORKSPACE NAME...` opens
//! the workspace, loads the Problems view's first page (as the app does before anyone types),
//! then times, in milliseconds: the first search (the first name), the first `entity` lookup
//! (the CLI's `find_entities`), then the median of five of later searches: each name, a piece
//! of a name matching a handful of entities, a text matching nothing, a two-character text and
//! the domain every user shares.

use std::path::Path;
use std::time::Instant;

use scimlens_core::api::views::{ProblemQuery, problems_page};
use scimlens_core::api::{Workspace, find_entities};

fn query(search: &str) -> ProblemQuery {
    ProblemQuery {
        search: Some(search.to_string()),
        limit: 100,
        ..ProblemQuery::default()
    }
}

async fn search_ms(ws: &Workspace, text: &str) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let page = problems_page(ws, &query(text)).await?;
    Ok((t.elapsed().as_secs_f64() * 1000.0, page.total))
}

async fn median_ms(ws: &Workspace, text: &str) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let mut times = Vec::new();
    let mut total = 0;
    for _ in 0..5 {
        let (ms, n) = search_ms(ws, text).await?;
        times.push(ms);
        total = n;
    }
    times.sort_by(f64::total_cmp);
    Ok((times[2], total))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: search_bench WORKSPACE (--names | NAME...)")?;
    let names: Vec<String> = args.collect();
    let t = Instant::now();
    let ws = Workspace::open(Path::new(&path)).await?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    if names.first().map(String::as_str) == Some("--names") {
        let page = problems_page(&ws, &ProblemQuery::default()).await?;
        let picked: Vec<&str> = page
            .rows
            .iter()
            .filter(|r| r.name.len() >= 8 && !r.name.contains(char::is_whitespace))
            .step_by(17)
            .take(3)
            .map(|r| r.name.as_str())
            .collect();
        println!("{}", picked.join(" "));
        return Ok(());
    }
    let first_name = names.first().ok_or("give at least one name")?;
    let t = Instant::now();
    let first_page = problems_page(&ws, &ProblemQuery::default()).await?;
    let page_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "open {open_ms:.1} ms; Problems first page {page_ms:.1} ms ({} entities)",
        first_page.total
    );
    let (ms, n) = search_ms(&ws, first_name).await?;
    println!("first search {first_name:?}: {ms:.1} ms ({n} found)");
    let t = Instant::now();
    let found = find_entities(&ws, first_name, 20).await?;
    println!(
        "first entity lookup {first_name:?}: {:.1} ms ({} found)",
        t.elapsed().as_secs_f64() * 1000.0,
        found.len()
    );
    let piece: String = first_name
        .chars()
        .take(first_name.chars().count().min(9))
        .collect();
    let mut later: Vec<String> = names.clone();
    later.extend([
        piece,
        "zz-nobody".to_string(),
        "zz".to_string(),
        "contoso".to_string(),
    ]);
    for text in &later {
        let (ms, n) = median_ms(&ws, text).await?;
        println!("later search {text:?}: {ms:.1} ms median of 5 ({n} found)");
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        find_entities(&ws, first_name, 20).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "later entity lookup {first_name:?}: {:.1} ms median of 5",
        times[2]
    );
    Ok(())
}
