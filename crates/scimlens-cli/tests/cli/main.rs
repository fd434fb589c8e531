//! The `scimlens` binary as a user runs it (assert_cmd), one test binary: the log commands and
//! the store-side commands.

mod commands;
mod crash;
mod idp;
mod inert;
mod pseudonym;
mod store;
mod support;
