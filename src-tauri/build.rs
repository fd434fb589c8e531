//! Generates the app's permission set (one `allow-<command>` per command, granted in
//! `capabilities/default.json`) and makes sure the embedded UI directory exists.

const COMMANDS: &[&str] = &[
    "app_info",
    "app_ready",
    "open_workspace",
    "open_demo",
    "forget_recent",
    "import_files",
    "cancel_import",
    "overview",
    "problems_page",
    "root_causes",
    "sources",
    "entity",
    "categories",
    "pseudonym_key",
    "export_report",
    "fetch_choices",
    "fetch_store",
    "cancel_fetch",
    "pull_okta",
    "pull_entra",
    "pull_cloudtrail",
    "pull_google_directory",
    "import_store_files",
    "import_directory",
    "snapshots",
    "directories",
    "compare_store",
    "diff_snapshots",
    "preflight_export",
    "store_objects",
    "pick_files",
    "pick_workspace",
    "pick_new_workspace",
    "pick_export_path",
];

fn main() {
    // The app embeds ../ui/dist at compile time. A `cargo build --workspace` on a fresh
    // checkout (no npm run yet) gets a page saying how to build the UI instead of a failed
    // build; `make run` and `make e2e` build the real UI first.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("ui/dist can be created");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>scimlens</title>\
             <p>The web UI is not built. Run <code>make run</code> (or <code>npm --prefix ui ci \
             &amp;&amp; npm --prefix ui run build</code>) and rebuild the app.</p>\n",
        )
        .expect("the placeholder page can be written");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build succeeds");
}
