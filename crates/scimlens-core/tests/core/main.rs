//! The core's integration tests, one binary: the workspace end to end, every importer on its
//! fixtures, and the live identity store against moto_server.

mod aws;
mod concurrency;
mod demo;
mod importers;
mod moto;
mod real_corpus;
mod rules;
mod secrets;
mod serializations;
mod trust;
mod variants;
mod workspace;
