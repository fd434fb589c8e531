//! Benchmark of preflight and compare on a large IdP export:
//! `cargo run --release -p scimlens-core --example preflight_bench -- [USERS [KEEP_EXPORT_AT]]`
//! (default 100,000 users).
//!
//! Writes a deterministic SCIM ListResponse of USERS users and USERS/50 groups (about 1% of the
//! users break one of AWS's rules), a matching store snapshot in a workspace, then times: reading
//! the export, preflight alone, preflight against the store (the whole `scimlens preflight
//! --against-store` path, workspace reads included), and compare.

use std::io::Write;
use std::time::Instant;

use chrono::Utc;
use scimlens_core::api::identity_store::{self, CompareReq, PreflightReq};
use scimlens_core::db::Workspace;
use scimlens_core::db::snapshots::{self, SnapshotMeta, SnapshotOrigin};
use scimlens_core::identity_store::{
    ExternalId, MemberId, StoreGroup, StoreMembership, StoreName, StoreSnapshot, StoreUser,
    StoreValue,
};

/// Which rule user `i` breaks, if any (about 1 in 100).
fn broken(i: usize) -> Option<&'static str> {
    match i % 100 {
        7 => Some("empty-given"),
        31 => Some("two-emails"),
        53 => Some("whitespace"),
        77 if i % 1000 == 77 => Some("reserved"),
        _ => None,
    }
}

fn write_export(path: &std::path::Path, users: usize) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let groups = (users / 50).max(1);
    write!(
        w,
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{},"itemsPerPage":{},"startIndex":1,"Resources":["#,
        users + groups,
        users + groups
    )?;
    for i in 0..users {
        let name = match broken(i) {
            Some("whitespace") => format!("user {i:06}@example.com"),
            Some("reserved") if i == 77 => "Administrator".to_string(),
            _ => format!("user{i:06}@example.com"),
        };
        let given = if broken(i) == Some("empty-given") {
            String::new()
        } else {
            format!("Given{i}")
        };
        let emails = if broken(i) == Some("two-emails") {
            format!(
                r#"[{{"value":"user{i:06}@example.com","type":"work","primary":true}},{{"value":"u{i}@home.example","type":"home"}}]"#
            )
        } else {
            format!(r#"[{{"value":"user{i:06}@example.com","type":"work","primary":true}}]"#)
        };
        if i > 0 {
            w.write_all(b",")?;
        }
        write!(
            w,
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"idp-{i}","externalId":"ext-{i}","userName":"{name}","name":{{"givenName":"{given}","familyName":"Family{i}"}},"displayName":"User {i}","title":"Engineer","emails":{emails},"phoneNumbers":[{{"value":"+1 555 {i:07}","type":"work"}}],"active":true,"meta":{{"resourceType":"User"}}}}"#
        )?;
    }
    for g in 0..groups {
        write!(
            w,
            r#",{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"idp-g{g}","externalId":"gext-{g}","displayName":"Team {g:05}","members":["#
        )?;
        let members: Vec<String> = (0..50)
            .map(|k| format!(r#"{{"value":"idp-{}"}}"#, (g * 50 + k) % users))
            .collect();
        write!(w, "{}]}}", members.join(","))?;
    }
    w.write_all(b"]}")?;
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// The store as a sync would have left it: every user but the broken ones, one in 200 drifted.
fn store(users: usize) -> StoreSnapshot {
    let mut s = StoreSnapshot {
        identity_store_id: Some("d-1234567890".into()),
        memberships_known: true,
        ..Default::default()
    };
    for i in (0..users).filter(|i| broken(*i).is_none()) {
        s.users.push(StoreUser {
            user_id: format!("aws-u{i}"),
            user_name: Some(format!("user{i:06}@example.com")),
            external_ids: vec![ExternalId {
                issuer: "https://scim.example".into(),
                id: format!("ext-{i}"),
            }],
            name: Some(StoreName {
                given_name: Some(format!("Given{i}")),
                family_name: Some(format!("Family{i}")),
                ..Default::default()
            }),
            display_name: Some(if i % 200 == 3 {
                format!("Old Name {i}")
            } else {
                format!("User {i}")
            }),
            title: Some("Engineer".into()),
            emails: vec![StoreValue {
                value: Some(format!("user{i:06}@example.com")),
                kind: Some("work".into()),
                primary: Some(true),
            }],
            phone_numbers: vec![StoreValue {
                value: Some(format!("+1 555 {i:07}")),
                kind: Some("work".into()),
                primary: None,
            }],
            ..Default::default()
        });
    }
    for g in 0..(users / 50).max(1) {
        s.groups.push(StoreGroup {
            group_id: format!("aws-g{g}"),
            display_name: Some(format!("Team {g:05}")),
            external_ids: vec![ExternalId {
                issuer: "https://scim.example".into(),
                id: format!("gext-{g}"),
            }],
            ..Default::default()
        });
        for k in 0..50 {
            let i = (g * 50 + k) % users;
            if broken(i).is_none() {
                s.memberships.push(StoreMembership {
                    identity_store_id: None,
                    membership_id: None,
                    group_id: format!("aws-g{g}"),
                    member_id: MemberId {
                        user_id: Some(format!("aws-u{i}")),
                    },
                });
            }
        }
    }
    s
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    // A second argument keeps the generated export there (to time `scimlens preflight` on it).
    let export = std::env::args()
        .nth(2)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("scim-users.json"));
    let t = Instant::now();
    let bytes = write_export(&export, users).expect("write the export");
    println!(
        "generated {users} users, {} groups: {:.1} MB in {:.2} s",
        users / 50,
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let directory = scimlens_core::directory::read_files(std::slice::from_ref(&export))
        .expect("read the export");
    println!(
        "read and detect the export:           {:>6.2} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mapping = scimlens_core::directory::mapping::AttributeMapping::default_for(
        scimlens_core::directory::DirectoryIdp::Scim,
    );
    let result = scimlens_core::preflight::preflight(
        &directory,
        &mapping,
        &scimlens_core::diagnose::Rules::default(),
        None,
    );
    println!(
        "preflight rules (no store):           {:>6.2} s  ({} findings)",
        t.elapsed().as_secs_f64(),
        result.findings.len()
    );

    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .expect("workspace");
    let snap = store(users);
    let t = Instant::now();
    let meta = SnapshotMeta {
        origin: SnapshotOrigin::File,
        region: None,
        endpoint: None,
        label: "bench".into(),
        taken_at: "2026-11-22T00:00:00.000Z".into(),
        api_calls: None,
        retries: None,
        seconds: None,
        warnings: Vec::new(),
    };
    snapshots::insert(&ws, &meta, &snap)
        .await
        .expect("store the snapshot");
    println!(
        "store a {}-user snapshot (one tx):   {:>6.2} s",
        snap.users.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let req = PreflightReq {
        paths: vec![export.clone()],
        against_store: true,
        snapshot_id: None,
        extra_reserved: Vec::new(),
    };
    let report = identity_store::preflight_export(Some(&ws), &req, Utc::now())
        .await
        .expect("preflight");
    let p = report.preflight.as_ref().expect("preflight section");
    println!(
        "preflight --against-store (end to end): {:>4.2} s  ({} users, {} groups; {} failing, {} warnings)",
        t.elapsed().as_secs_f64(),
        p.users_checked,
        p.groups_checked,
        report.totals.problem_entities,
        p.warnings
    );

    let t = Instant::now();
    identity_store::import_directory(&ws, std::slice::from_ref(&export), Utc::now())
        .await
        .expect("directory import");
    println!(
        "directory-import (one tx):            {:>6.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let report = identity_store::compare_store(&ws, &CompareReq::default(), Utc::now())
        .await
        .expect("compare");
    let c = report.compare.expect("compare section");
    println!(
        "compare (end to end):                 {:>6.2} s  (users: {} in sync, {} drift, {} not provisioned, {} unmanaged)",
        t.elapsed().as_secs_f64(),
        c.users.in_sync,
        c.users.drift,
        c.users.not_provisioned,
        c.users.unmanaged_in_store
    );
}
