//! The app's commands over real IPC (tauri's mock runtime, the app's own config and
//! capabilities): smoke tests for every command and the command-layer benchmark.

mod bench;
mod commands;
mod support;
