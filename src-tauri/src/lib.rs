//! The scimlens desktop shell: wires the dialog plugin, the app state (the open workspace and
//! the import's cancel token) and the command handlers. Every operation lives in
//! `scimlens-core`; `commands` are a few lines over it.

mod commands;
mod error;
mod grants;
mod recent;
mod state;

pub use commands::AppInfo;
pub use error::CommandError;
pub use grants::Access;
pub use state::{AppState, WorkspaceInfo};

/// Adds the app's plugins, state and commands to `builder` (tests pass tauri's mock one).
pub fn builder<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .on_webview_event(commands::on_webview_event)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::app_ready,
            commands::open_workspace,
            commands::open_demo,
            commands::forget_recent,
            commands::import_files,
            commands::cancel_import,
            commands::overview,
            commands::problems_page,
            commands::root_causes,
            commands::sources,
            commands::entity,
            commands::categories,
            commands::pseudonym_key,
            commands::export_report,
            commands::fetch_choices,
            commands::fetch_store,
            commands::cancel_fetch,
            commands::pull_okta,
            commands::pull_entra,
            commands::pull_cloudtrail,
            commands::pull_google_directory,
            commands::import_store_files,
            commands::import_directory,
            commands::snapshots,
            commands::directories,
            commands::compare_store,
            commands::diff_snapshots,
            commands::preflight_export,
            commands::store_objects,
            commands::pick_files,
            commands::pick_workspace,
            commands::pick_new_workspace,
            commands::pick_export_path,
        ])
}

/// Whether this run is an end-to-end test run: `SCIMLENS_E2E=1` in a debug build, the build
/// `make e2e` runs (cargo's test profile). A release build ignores the variable, so nothing in
/// the environment switches an installed app to the test identifier or the test-only fields.
fn e2e_run(var: Option<&std::ffi::OsStr>) -> bool {
    cfg!(debug_assertions) && var.is_some_and(|v| v == "1")
}

/// Starts the app. `SCIMLENS_E2E=1` (debug builds only, see `e2e_run`) gives the run its own
/// identifier (and so its own data directory and webview storage) and shows the test-only
/// import-by-path fields.
pub fn run() {
    let started = std::time::Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SCIMLENS_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let e2e = e2e_run(std::env::var_os("SCIMLENS_E2E").as_deref());
    let mut context = tauri::generate_context!();
    if e2e {
        context.config_mut().identifier = state::E2E_IDENTIFIER.to_string();
    }
    builder(tauri::Builder::default(), AppState::new(started, e2e))
        .setup(state::init)
        .run(context)
        .expect("the app window starts");
}

#[cfg(test)]
mod tests {
    use super::e2e_run;

    #[test]
    fn the_e2e_switch_works_in_debug_builds_only() {
        assert_eq!(e2e_run(Some("1".as_ref())), cfg!(debug_assertions));
        assert!(!e2e_run(Some("0".as_ref())));
        assert!(!e2e_run(Some("true".as_ref())));
        assert!(!e2e_run(None));
    }
}
