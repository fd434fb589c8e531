//! Diagnosis, as pure rules: classify records ([`classify`]), key them to entities ([`keys`]),
//! decide an entity's status from its last records ([`rollup`]: the last decisive record
//! decides), the fix for each cause ([`fixes`]), and job-level trouble ([`findings`]: incomplete
//! pages, silent gaps, throttling bursts). No SQL: `db::diagnosis` stores the decisions.

pub mod classify;
pub mod fixes;
pub mod keys;

pub use classify::{Classification, Rules, classify};
pub mod findings;
pub mod rollup;
