//! Diagnosis: classify records ([`classify`]), key them to entities, roll entities up (the last
//! decisive record decides), group problems into root causes with fixes, and find job-level
//! trouble (incomplete pages, silent gaps, throttling bursts).

pub mod classify;
pub mod fixes;
pub mod keys;

pub use classify::{Classification, Rules, classify};
pub mod findings;
pub mod rollup;
