//! moto_server as the AWS peer, shared by the core's and the CLI's integration tests (the CLI's
//! includes this file by path): started on a free port from `$MOTO_SERVER` or the repository's
//! `.venv/bin/moto_server`, and seeded through the Rust SDK with enough users, groups and members
//! to need several pages of each list.
//!
//! Without moto_server the tests that use it fail, saying how to install it: they are never
//! skipped.

// Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_identitystore::types::{Email, MemberId, Name};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Moto {
    child: Child,
    pub endpoint: String,
    requests: Arc<AtomicUsize>,
}

impl Moto {
    /// AWS API requests answered so far (moto logs each one once its status line is sent).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server")
}

/// Starts moto_server on a free port and resets it; panics with instructions when it is missing.
pub fn start_moto() -> Moto {
    let bin = moto_binary();
    assert!(
        bin.exists(),
        "moto_server not found at {}: these tests need a real AWS peer. Install it with \
         `python3 -m venv .venv && .venv/bin/pip install 'moto[server]==5.2.5'` at the repository \
         root, or set MOTO_SERVER to its path",
        bin.display()
    );
    let port = free_port();
    let mut child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let requests = Arc::new(AtomicUsize::new(0));
    let log = BufReader::new(child.stderr.take().expect("piped"));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for line in log.split(b'\n').map_while(Result::ok) {
            if line.windows(8).any(|w| w == b"\"POST / ") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
        requests,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if http_post(port, "/moto-api/reset").is_ok_and(|status| status == 200) {
            return moto;
        }
        assert!(
            Instant::now() < deadline,
            "moto_server did not answer on port {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_post(port: u16, path: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_identitystore::config::Credentials::new(
            "AKIDSEED", "seed", None, None, "test",
        ))
        .load()
        .await
}

pub const USERS: usize = 260;
pub const TEAMS: usize = 118;

pub fn user_name(i: usize) -> String {
    format!("user{i:03}@example.com")
}

/// Memberships of the seeded store: Engineering, Everyone and Team 000.
pub const MEMBERSHIPS: usize = 150 + USERS + 3;

/// The store: 260 users, 121 groups (Engineering with 150 members, Everyone with all 260,
/// Team 000 with 3, 117 more teams, and a Control Tower group), 413 memberships.
pub async fn seed(endpoint: &str) -> String {
    let cfg = sdk_config(endpoint).await;
    let sso = aws_sdk_ssoadmin::Client::new(&cfg);
    let store = sso.list_instances().send().await.unwrap().instances()[0]
        .identity_store_id()
        .unwrap()
        .to_string();
    let ids = aws_sdk_identitystore::Client::new(&cfg);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..USERS {
        let (ids, store) = (ids.clone(), store.clone());
        tasks.spawn(async move {
            let r = ids
                .create_user()
                .identity_store_id(&store)
                .user_name(user_name(i))
                .display_name(format!("User {i}"))
                .name(
                    Name::builder()
                        .given_name(format!("Given{i}"))
                        .family_name(format!("Family{i}"))
                        .build(),
                )
                .emails(
                    Email::builder()
                        .value(user_name(i))
                        .r#type("work")
                        .primary(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            (i, r.user_id().to_string())
        });
    }
    let mut user_ids = vec![String::new(); USERS];
    while let Some(r) = tasks.join_next().await {
        let (i, id) = r.unwrap();
        user_ids[i] = id;
    }
    let group = |name: String| {
        let (ids, store) = (ids.clone(), store.clone());
        async move {
            ids.create_group()
                .identity_store_id(&store)
                .display_name(name)
                .send()
                .await
                .unwrap()
                .group_id()
                .to_string()
        }
    };
    let engineering = group("Engineering".into()).await;
    let everyone = group("Everyone".into()).await;
    let team0 = group("Team 000".into()).await;
    for t in 1..TEAMS {
        group(format!("Team {t:03}")).await;
    }
    group("AWSControlTowerAdmins".into()).await;
    let mut members: Vec<(String, String)> = Vec::new();
    members.extend(
        user_ids[..150]
            .iter()
            .map(|u| (engineering.clone(), u.clone())),
    );
    members.extend(user_ids.iter().map(|u| (everyone.clone(), u.clone())));
    members.extend(user_ids[..3].iter().map(|u| (team0.clone(), u.clone())));
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in members.chunks(40) {
        let (ids, store, chunk) = (ids.clone(), store.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for (g, u) in chunk {
                ids.create_group_membership()
                    .identity_store_id(&store)
                    .group_id(g)
                    .member_id(MemberId::UserId(u))
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    store
}

/// The account moto provisions every permission set to (its own).
pub const ACCOUNT: &str = "123456789012";
/// Permission sets of the access seed: two pages of ListPermissionSets.
pub const PERMISSION_SETS: usize = 120;
/// Accounts of the access seed's organization beside moto's own (named "master").
pub const OTHER_ACCOUNTS: usize = 25;
/// Users of the access seed: `user000`..`user149` and the leaver `user150`.
pub const ACCESS_USERS: usize = 151;

/// What [`seed_access`] created.
pub struct AccessSeed {
    pub store: String,
    pub instance_arn: String,
    pub user_ids: Vec<String>,
    pub admins: String,
    pub developers: String,
    /// PS-000 (Admins), PS-001 (user000, Developers and the leaver) and PS-002 (every user but
    /// the leaver: two pages of ListAccountAssignments), in that order.
    pub assigned: [String; 3],
}

/// A store with access: users `user000`..`user150`, groups Admins (user000) and Developers
/// (user000, user001); 120 permission sets `PS-000`..`PS-119`, of which the first three are
/// provisioned to moto's account and assigned: PS-000 to Admins, PS-001 to user000, to
/// Developers and to user150 (the leaver), PS-002 to the 150 others. 154 assignments. An
/// organization of 26 accounts names them.
pub async fn seed_access(endpoint: &str) -> AccessSeed {
    use aws_sdk_ssoadmin::types::{PrincipalType, ProvisionTargetType, TargetType};
    let cfg = sdk_config(endpoint).await;
    let sso = aws_sdk_ssoadmin::Client::new(&cfg);
    let instance = sso.list_instances().send().await.unwrap().instances()[0].clone();
    let store = instance.identity_store_id().unwrap().to_string();
    let instance_arn = instance.instance_arn().unwrap().to_string();
    let ids = aws_sdk_identitystore::Client::new(&cfg);
    let mut user_ids = Vec::new();
    for i in 0..ACCESS_USERS {
        user_ids.push(create_user(&ids, &store, i).await);
    }
    let group = |name: &'static str| {
        let (ids, store) = (ids.clone(), store.clone());
        async move {
            ids.create_group()
                .identity_store_id(&store)
                .display_name(name)
                .send()
                .await
                .unwrap()
                .group_id()
                .to_string()
        }
    };
    let admins = group("Admins").await;
    let developers = group("Developers").await;
    for (g, u) in [
        (&admins, &user_ids[0]),
        (&developers, &user_ids[0]),
        (&developers, &user_ids[1]),
    ] {
        ids.create_group_membership()
            .identity_store_id(&store)
            .group_id(g)
            .member_id(MemberId::UserId(u.clone()))
            .send()
            .await
            .unwrap();
    }
    let mut arns = Vec::new();
    for p in 0..PERMISSION_SETS {
        let arn = sso
            .create_permission_set()
            .instance_arn(&instance_arn)
            .name(format!("PS-{p:03}"))
            // Without one, moto answers its default as a number, which the SDK refuses.
            .session_duration("PT1H")
            .send()
            .await
            .unwrap()
            .permission_set()
            .unwrap()
            .permission_set_arn()
            .unwrap()
            .to_string();
        arns.push(arn);
    }
    let assign = |arn: String, kind: PrincipalType, principal: String| {
        let (sso, instance_arn) = (sso.clone(), instance_arn.clone());
        async move {
            sso.create_account_assignment()
                .instance_arn(&instance_arn)
                .target_id(ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(arn)
                .principal_type(kind)
                .principal_id(principal)
                .send()
                .await
                .unwrap();
        }
    };
    for arn in &arns[..3] {
        sso.provision_permission_set()
            .instance_arn(&instance_arn)
            .permission_set_arn(arn)
            .target_type(ProvisionTargetType::AllProvisionedAccounts)
            .send()
            .await
            .unwrap();
    }
    assign(arns[0].clone(), PrincipalType::Group, admins.clone()).await;
    assign(arns[1].clone(), PrincipalType::User, user_ids[0].clone()).await;
    assign(arns[1].clone(), PrincipalType::Group, developers.clone()).await;
    assign(arns[1].clone(), PrincipalType::User, user_ids[150].clone()).await;
    for u in &user_ids[..150] {
        assign(arns[2].clone(), PrincipalType::User, u.clone()).await;
    }
    // An organization of moto's account ("master") and 25 more: two pages of ListAccounts.
    let organizations = aws_sdk_organizations::Client::new(&cfg);
    organizations
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    for a in 0..OTHER_ACCOUNTS {
        organizations
            .create_account()
            .account_name(format!("Workload {a:02}"))
            .email(format!("aws+{a:02}@example.com"))
            .send()
            .await
            .unwrap();
    }
    AccessSeed {
        store,
        instance_arn,
        user_ids,
        admins,
        developers,
        assigned: [arns[0].clone(), arns[1].clone(), arns[2].clone()],
    }
}

/// Creates `user{i:03}@example.com`; returns its id.
pub async fn create_user(ids: &aws_sdk_identitystore::Client, store: &str, i: usize) -> String {
    ids.create_user()
        .identity_store_id(store)
        .user_name(user_name(i))
        .display_name(format!("User {i}"))
        .name(
            Name::builder()
                .given_name(format!("Given{i}"))
                .family_name(format!("Family{i}"))
                .build(),
        )
        .emails(
            Email::builder()
                .value(user_name(i))
                .r#type("work")
                .primary(true)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .user_id()
        .to_string()
}

/// The leaver deleted and created again (as an IdP does when an identifier changes): a new id
/// under the same userName, while PS-001's assignment still names the old one. Returns the new id.
pub async fn recreate_leaver(endpoint: &str, seed: &AccessSeed) -> String {
    let cfg = sdk_config(endpoint).await;
    let ids = aws_sdk_identitystore::Client::new(&cfg);
    ids.delete_user()
        .identity_store_id(&seed.store)
        .user_id(&seed.user_ids[150])
        .send()
        .await
        .unwrap();
    create_user(&ids, &seed.store, 150).await
}
