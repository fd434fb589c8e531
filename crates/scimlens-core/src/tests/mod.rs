//! The core's end-to-end tests: the workspace end to end, every importer on its fixtures (and
//! the real-world corpus), and the live identity store against moto_server. Inside the crate,
//! so they reach the modules behind `api/` as unit tests do.

mod access;
mod access_impact;
mod aws;
mod cloudtrail_pull;
mod concurrency;
mod demo;
mod entra_pull;
mod google_directory;
mod google_pull;
mod idp_peer;
mod importers;
mod moto;
mod okta_pull;
mod real_corpus;
mod rules;
mod search;
mod secrets;
mod serializations;
mod trust;
mod variants;
mod workspace;
