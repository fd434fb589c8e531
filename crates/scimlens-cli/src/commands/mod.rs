//! The subcommands, one module per group: [`logs`] (provisioning logs in a workspace),
//! [`demo`] (the demo set and generated logs), [`identity_store`] (what AWS holds),
//! [`directory`] (what the IdP holds, compared with AWS and checked before a sync) and [`idp`]
//! (the IdPs' logs pulled live). Each
//! command's arguments sit beside its handler; no group uses another.

mod demo;
mod directory;
mod identity_store;
mod idp;
mod logs;

use std::process::ExitCode;

use clap::Subcommand;

use crate::workspace::WorkspacePath;

#[derive(Debug, Subcommand)]
pub enum Command {
    Analyze(logs::AnalyzeArgs),
    Import(logs::ImportArgs),
    Report(logs::ReportArgs),
    Sources(logs::SourcesArgs),
    Entity(logs::EntityArgs),
    Demo(demo::DemoArgs),
    Generate(demo::GenerateArgs),
    Reserved(logs::AddReservedArgs),
    Cloudtrail(logs::CloudtrailArgs),
    Okta(idp::OktaArgs),
    Entra(idp::EntraArgs),
    Fetch(identity_store::FetchArgs),
    StoreImport(identity_store::StoreImportArgs),
    StoreExport(identity_store::StoreExportArgs),
    Snapshots(identity_store::SnapshotsArgs),
    StoreFind(identity_store::StoreFindArgs),
    Access(identity_store::AccessArgs),
    DirectoryImport(directory::DirectoryImportArgs),
    Mapping(directory::MappingArgs),
    Compare(directory::CompareArgs),
    Preflight(directory::PreflightArgs),
    Google(directory::GoogleArgs),
}

/// Runs `command` on the workspace at `workspace` (which a command opens only if it needs it).
pub async fn run(command: Command, workspace: &WorkspacePath) -> anyhow::Result<ExitCode> {
    // The command's one reading of the clock: core takes the time as an argument.
    let now = chrono::Utc::now();
    match command {
        Command::Analyze(args) => logs::analyze(args, now).await,
        Command::Import(args) => logs::import(args, workspace, now).await,
        Command::Report(args) => logs::report(args, workspace, now).await,
        Command::Sources(args) => logs::sources(args, workspace).await,
        Command::Entity(args) => logs::entity(args, workspace).await,
        Command::Demo(args) => demo::demo(args, now).await,
        Command::Generate(args) => demo::generate(args),
        Command::Reserved(args) => logs::reserved(args, workspace).await,
        Command::Cloudtrail(args) => logs::cloudtrail(args, workspace, now).await,
        Command::Okta(args) => idp::okta(args, workspace, now).await,
        Command::Entra(args) => idp::entra(args, workspace, now).await,
        Command::Fetch(args) => identity_store::fetch(args, workspace, now).await,
        Command::StoreImport(args) => identity_store::store_import(args, workspace, now).await,
        Command::StoreExport(args) => identity_store::store_export(args, workspace).await,
        Command::Snapshots(args) => identity_store::snapshots(args, workspace).await,
        Command::StoreFind(args) => identity_store::store_find(args, workspace).await,
        Command::Access(args) => identity_store::access(args, workspace).await,
        Command::DirectoryImport(args) => directory::directory_import(args, workspace, now).await,
        Command::Mapping(args) => directory::mapping(args, workspace).await,
        Command::Compare(args) => directory::compare(args, workspace, now).await,
        Command::Preflight(args) => directory::preflight(args, workspace, now).await,
        Command::Google(args) => directory::google(args, workspace, now).await,
    }
}
