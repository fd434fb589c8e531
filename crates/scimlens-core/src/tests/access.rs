//! Who may use what, against moto_server: permission sets, the accounts they are provisioned to
//! and the account assignments, seeded through the Rust SDK with enough of each to need several
//! pages (`moto::seed_access`), fetched, stored and asked about.

use chrono::{TimeZone, Utc};

use super::moto::{
    ACCOUNT, OTHER_ACCOUNTS, PERMISSION_SETS, recreate_leaver, seed_access, start_moto,
};
use crate::access::{AccessPath, SuccessorMatch};
use crate::api::identity_store::{self, UserAccessReq};
use crate::aws::{FetchOptions, StaticCredentials};
use crate::cancel::CancelToken;
use crate::db::Workspace;
use crate::db::snapshots;
use crate::identity_store::{AccountAssignment, PrincipalType};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn options(endpoint: &str, store: &str) -> FetchOptions {
    FetchOptions {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        identity_store_id: Some(store.to_string()),
        credentials: Some(StaticCredentials {
            access_key_id: "AKIDSCIMLENSTEST".into(),
            secret_access_key: "not-a-secret".into(),
            session_token: None,
        }),
        // Pacing has its own tests; here the answers and the call count.
        rate: 100.0,
        ..FetchOptions::default()
    }
}

/// Waits until moto has logged `n` requests since `before` (its log trails its answers).
async fn moto_requests_settle(moto: &super::moto::Moto, before: usize) -> usize {
    let mut seen = moto.requests() - before;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = moto.requests() - before;
        if now == seen {
            break;
        }
        seen = now;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fetch_stores_every_permission_set_and_assignment_at_the_pagination_floor() {
    let moto = start_moto();
    let seed = seed_access(&moto.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let before = moto.requests();
    let res = identity_store::fetch_store(
        &ws,
        &options(&moto.endpoint, &seed.store),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let s = &res.stats;
    let a = s.access.as_ref().expect("access is read by default");
    assert!(a.read, "{:?}", s.warnings);
    assert_eq!(
        (a.permission_sets, a.account_assignments, a.accounts),
        (PERMISSION_SETS as u64, 154, 1)
    );
    // ListInstances (the instance ARN, as the store id was given) + 2 pages of users + 1 of
    // groups + 1 per group's members; 2 pages of permission sets, 120 descriptions, 120 account
    // lists, and assignments: 1 page for PS-000, 1 for PS-001, 2 for PS-002; 2 pages of the
    // organization's 26 accounts.
    assert_eq!(s.minimum_calls, 1 + 2 + 1 + 2 + 2 + 120 + 120 + 4 + 2);
    assert_eq!(
        s.calls, s.minimum_calls,
        "no call beyond what pagination needs: {s:?}"
    );
    assert_eq!(
        (
            s.calls_list_instances,
            a.calls_list_permission_sets,
            a.calls_describe_permission_set,
            a.calls_list_accounts_for_provisioned_permission_set,
            a.calls_list_account_assignments,
            a.calls_list_accounts
        ),
        (1, 2, 120, 120, 4, 2)
    );
    assert_eq!(a.accounts_named, 1);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        moto_requests_settle(&moto, before).await as u64,
        s.calls,
        "every request moto answered is counted"
    );

    let info = &res.snapshot;
    assert_eq!(
        (info.permission_sets, info.account_assignments),
        (Some(120), Some(154))
    );
    let stored = snapshots::load(&ws, info.id).await.unwrap();
    let access = stored.access.expect("stored with the snapshot");
    assert_eq!(
        access.accounts.len(),
        1 + OTHER_ACCOUNTS,
        "every account of the organization, by name"
    );
    assert!(
        access
            .accounts
            .iter()
            .any(|x| x.id == ACCOUNT && x.name.as_deref() == Some("master"))
    );
    assert_eq!(access.permission_sets.len(), PERMISSION_SETS);
    let named = |arn: &str| {
        access
            .permission_sets
            .iter()
            .find(|p| p.permission_set_arn == arn)
            .and_then(|p| p.name.clone())
    };
    assert_eq!(named(&seed.assigned[0]).as_deref(), Some("PS-000"));
    assert_eq!(named(&seed.assigned[2]).as_deref(), Some("PS-002"));
    assert_eq!(access.assignments.len(), 154);
    assert!(access.assignments.contains(&AccountAssignment {
        account_id: ACCOUNT.into(),
        permission_set_arn: seed.assigned[0].clone(),
        principal_type: PrincipalType::Group,
        principal_id: seed.admins.clone(),
    }));
    assert_eq!(
        access
            .assignments
            .iter()
            .filter(|x| x.permission_set_arn == seed.assigned[2])
            .count(),
        150,
        "both pages of PS-002's assignments"
    );
    assert_eq!(stored.users.len(), 151);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_without_access_makes_no_access_call_and_stores_none() {
    let moto = start_moto();
    let seed = seed_access(&moto.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let opts = FetchOptions {
        access: false,
        ..options(&moto.endpoint, &seed.store)
    };
    let res = identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    assert_eq!(res.stats.access, None);
    assert_eq!(res.stats.calls, 2 + 1 + 2, "users, groups, members only");
    assert_eq!(res.snapshot.permission_sets, None);
    assert_eq!(
        snapshots::load(&ws, res.snapshot.id).await.unwrap().access,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_access_lists_each_account_and_permission_set_direct_and_through_each_group() {
    let moto = start_moto();
    let seed = seed_access(&moto.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    identity_store::fetch_store(
        &ws,
        &options(&moto.endpoint, &seed.store),
        &CancelToken::default(),
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let ask = |user: &str| UserAccessReq {
        user: user.into(),
        snapshot_id: None,
    };
    let res = identity_store::user_access(&ws, &ask("USER000@example.com"))
        .await
        .unwrap();
    assert_eq!(res.users.len(), 1, "userName matches case-insensitively");
    let ann = &res.users[0];
    assert_eq!(ann.user_id, seed.user_ids[0]);
    let groups: Vec<_> = ann
        .groups
        .iter()
        .map(|g| g.display_name.as_deref())
        .collect();
    assert_eq!(groups, vec![Some("Admins"), Some("Developers")]);
    let group = |id: &str, name: &str| AccessPath::Group {
        group_id: id.into(),
        group_name: Some(name.into()),
    };
    assert!(
        ann.access
            .iter()
            .all(|a| a.account_name.as_deref() == Some("master")),
        "the account's name from Organizations"
    );
    let seen: Vec<(&str, Option<&str>, &[AccessPath])> = ann
        .access
        .iter()
        .map(|a| {
            (
                a.account_id.as_str(),
                a.permission_set_name.as_deref(),
                a.via.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                ACCOUNT,
                Some("PS-000"),
                &[group(&seed.admins, "Admins")][..]
            ),
            (
                ACCOUNT,
                Some("PS-001"),
                &[AccessPath::Direct, group(&seed.developers, "Developers")][..]
            ),
            (ACCOUNT, Some("PS-002"), &[AccessPath::Direct][..]),
        ]
    );
    // By id, and a user with access through one group only.
    let bob = identity_store::user_access(&ws, &ask(&seed.user_ids[1]))
        .await
        .unwrap();
    let names: Vec<_> = bob.users[0]
        .access
        .iter()
        .map(|a| (a.permission_set_name.as_deref(), a.via.len()))
        .collect();
    assert_eq!(names, vec![(Some("PS-001"), 1), (Some("PS-002"), 1)]);
    let nobody = identity_store::user_access(&ws, &ask("nobody@example.com"))
        .await
        .unwrap();
    assert!(nobody.users.is_empty());

    // A snapshot taken without access says so instead of showing no access.
    let opts = FetchOptions {
        access: false,
        ..options(&moto.endpoint, &seed.store)
    };
    identity_store::fetch_store(&ws, &opts, &CancelToken::default(), now(), &|_| {})
        .await
        .unwrap();
    let err = identity_store::user_access(&ws, &ask("user000@example.com"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without them"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deleted_and_created_again_leaves_an_orphaned_assignment_with_its_successor() {
    let moto = start_moto();
    let seed = seed_access(&moto.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws.sqlite"))
        .await
        .unwrap();
    let fetch = || async {
        identity_store::fetch_store(
            &ws,
            &options(&moto.endpoint, &seed.store),
            &CancelToken::default(),
            now(),
            &|_| {},
        )
        .await
        .unwrap()
    };
    fetch().await;
    let before = identity_store::orphaned_assignments(&ws, None)
        .await
        .unwrap();
    assert!(before.orphaned.is_empty(), "{:?}", before.orphaned);

    let new_id = recreate_leaver(&moto.endpoint, &seed).await;
    let second = fetch().await;
    let res = identity_store::orphaned_assignments(&ws, None)
        .await
        .unwrap();
    assert_eq!(res.snapshot.id, second.snapshot.id);
    assert_eq!(res.orphaned.len(), 1, "{:?}", res.orphaned);
    let o = &res.orphaned[0];
    assert_eq!(
        (
            o.principal_type,
            o.principal_id.as_str(),
            o.permission_set_name.as_deref()
        ),
        (
            PrincipalType::User,
            seed.user_ids[150].as_str(),
            Some("PS-001")
        )
    );
    assert_eq!(o.former_name.as_deref(), Some("user150@example.com"));
    let successor = o.successor.as_ref().expect("the re-created user");
    assert_eq!(
        (successor.id.as_str(), successor.matched_on),
        (new_id.as_str(), SuccessorMatch::UserName),
        "moto's users carry no externalId, so the userName decides"
    );
    assert!(
        o.fix.contains(&new_id) && o.fix.contains(&seed.user_ids[150]),
        "{}",
        o.fix
    );
    // The new user has none of the old one's access.
    let new = identity_store::user_access(
        &ws,
        &UserAccessReq {
            user: new_id,
            snapshot_id: None,
        },
    )
    .await
    .unwrap();
    assert!(new.users[0].access.is_empty());
}
