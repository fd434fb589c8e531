//! An app on tauri's mock runtime with the real handlers, config and capabilities, and a
//! helper to call a command the way the webview does.

use std::path::{Path, PathBuf};

use scimlens_app::{Access, AppState};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

pub struct TestApp {
    // Kept alive for the window.
    _app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
}

impl TestApp {
    /// An app whose files (demo workspace, recent list) live in `data_dir`.
    pub fn new(data_dir: &Path) -> TestApp {
        let app = scimlens_app::builder(mock_builder(), AppState::with_data_dir(data_dir))
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("main window");
        TestApp { _app: app, window }
    }

    /// Invokes `cmd` with JSON `args` as the UI would; Err carries the serialized error.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request)
            .map(|b| b.deserialize::<Value>().expect("JSON response"))
    }

    /// What a dialog or a drop does: the user chose `paths` for `access`.
    pub fn grant<P: AsRef<Path>>(&self, access: Access, paths: impl IntoIterator<Item = P>) {
        self.window
            .state::<AppState>()
            .grant(access, paths.into_iter().map(|p| PathBuf::from(p.as_ref())));
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }
}

pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(rel)
        .display()
        .to_string()
}
