//! scimlens-core: the engine behind the `scimlens` CLI and the desktop app. Nothing in this crate
//! knows about Tauri or the terminal.
//!
//! [`api`] is the one door: the shells call only what it offers. Behind it, the modules form
//! layers, each using only those listed before it (`layers.rs` checks there is no cycle):
//!
//! 1. `error`, `model`, `cancel`, `atomic`, `allocator`: the vocabulary and small tools;
//! 2. `input`: reading untrusted bytes (gzip and size bounds, JSON records, CSV);
//! 3. `redact`, `identity_store` (the AWS store's users, groups, memberships and the AWS CLI's
//!    JSON of them), `directory` (IdP exports and their attribute mapping);
//! 4. `diagnose`: the rules (classify a record, key an entity, decide its status, the fixes);
//! 5. `db`: the SQLite workspace, all SQL;
//! 6. `import`: format detection, one reader per log format and the pipeline that parses,
//!    classifies and writes one file in one transaction; `aws`: read-only SDK calls;
//!    `idp`: the identity providers' APIs over HTTPS; `generate`: benchmark logs;
//! 7. `compare`, `preflight`: the IdP beside the store, and the rules applied before a sync;
//!    `access`: who may use what, from a snapshot's account assignments;
//! 8. `report`: the report document and its renderers (text, JSON, CSV, Markdown, HTML);
//! 9. `api`: the operations of both shells, and the demo.
//!
//! The `internals` feature makes the modules behind the door public for the project's own
//! benchmarks and fuzzer (`examples/`); the shells never enable it.

/// Declares the modules behind [`api`]: private to the crate, public with `internals`.
macro_rules! behind_the_door {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            pub(crate) mod $name;
        )*
    };
}

behind_the_door!(
    error,
    model,
    cancel,
    atomic,
    input,
    redact,
    identity_store,
    directory,
    diagnose,
    db,
    import,
    aws,
    idp,
    generate,
    compare,
    preflight,
    access,
    report,
);

pub mod allocator;
pub mod api;

#[cfg(test)]
pub(crate) use error::{Error, ErrorCode};

#[cfg(test)]
mod layers;
#[cfg(test)]
mod tests;
