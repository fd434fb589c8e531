//! The check that keeps data flowing one way: no cycle between the crate's top-level modules.
//!
//! An edge `a -> b` is a `crate::b` path in the code of module `a` (comments and `#[cfg(test)]`
//! modules left out: tests may set up data through a higher layer). Run by `cargo test`, so CI
//! fails on the commit that closes a cycle, and the failure names it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The modules `code` names through `crate::` (or `$crate::` in a macro).
fn targets(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(i, m)| &code[i + m.len()..])
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| name.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .collect()
}

fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("file under src");
        let first = relative.components().next().expect("a path component");
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs").to_string();
        if ["lib", "tests", "layers"].contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(targets(&code(&text)).into_iter().filter(|t| *t != module));
    }
    graph
}

/// A cycle of `graph`, as the modules along it, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_of_core_depend_on_each_other_in_one_direction() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.contains_key("db") && graph.contains_key("api"));
    if let Some(found) = cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .map(|(from, to)| {
                format!(
                    "  {from} -> {}",
                    Vec::from_iter(to.iter().cloned()).join(", ")
                )
            })
            .collect();
        panic!(
            "a cycle between modules of scimlens-core: {}\n(the layers are in docs/ARCHITECTURE.md; \
             move the shared piece down instead)\nall edges:\n{}",
            found.join(" -> "),
            edges.join("\n")
        );
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut g = Graph::new();
    g.entry("report".into())
        .or_default()
        .insert("compare".into());
    g.entry("compare".into())
        .or_default()
        .insert("model".into());
    assert_eq!(cycle(&g), None);
    g.entry("compare".into())
        .or_default()
        .insert("report".into());
    assert_eq!(
        cycle(&g),
        Some(vec!["compare".into(), "report".into(), "compare".into()])
    );
}

#[test]
fn comments_and_test_modules_are_not_dependencies() {
    let text = "//! see [`crate::api`]\nuse crate::model::X;\n#[cfg(test)]\nmod tests {\n    use crate::api;\n}\n";
    assert_eq!(targets(&code(text)), BTreeSet::from(["model".to_string()]));
}
