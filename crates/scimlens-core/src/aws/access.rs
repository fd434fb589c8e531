//! The sso-admin side of a fetch: who may use what. The instance's permission sets
//! (`ListPermissionSets`, `DescribePermissionSet` for their names), the accounts each is
//! provisioned to (`ListAccountsForProvisionedPermissionSet`) and the assignments per account
//! and permission set (`ListAccountAssignments`), through the same limiter, retries and counters
//! as the identity store's calls.
//!
//! Access is read beside the store, not instead of it: when the caller may not read sso-admin
//! (AccessDenied on any of these calls), the fetch still returns the users, groups and
//! memberships, without access data and with a warning that names the missing permissions.
//! Access is all or nothing: a partial list of assignments would show less access than there is.
//!
//! Account names come from Organizations `ListAccounts`, read at the same time; where it is not
//! allowed (not the management account or a delegated administrator) or there is no
//! organization, accounts are known by id, with a warning.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::limiter::Priority;
use super::{Ctx, Op, PAGE_SIZE, Stop, call};
use crate::error::{AwsErrorKind, Error, Result};
use crate::identity_store::{
    AccountAssignment, AwsAccount, PermissionSet, PrincipalType, StoreAccess,
};

/// The read-only sso-admin actions a fetch of access needs.
pub const ACTIONS: &str = "sso:ListInstances, sso:ListPermissionSets, sso:DescribePermissionSet, \
                           sso:ListAccountsForProvisionedPermissionSet, sso:ListAccountAssignments";

/// Organizations' page size limit for ListAccounts (MaxResults 1..=20).
const ACCOUNTS_PAGE_SIZE: i32 = 20;

/// What the access part of a fetch found.
pub(super) struct AccessPart {
    /// `None` when it could not be read (the warning says why).
    pub access: Option<StoreAccess>,
    /// The fewest calls pagination allows for what was read.
    pub minimum_calls: u64,
    pub warnings: Vec<String>,
}

fn pages(n: u64) -> u64 {
    n.div_ceil(PAGE_SIZE as u64).max(1)
}

/// A refusal ends the access part with a warning; any other failure ends the fetch.
fn refused(stop: Stop, minimum_calls: u64) -> Result<AccessPart> {
    match Error::from(stop) {
        Error::Aws {
            code: AwsErrorKind::AccessDenied,
            operation,
            message,
        } => Ok(AccessPart {
            access: None,
            minimum_calls,
            warnings: vec![format!(
                "account assignments were not read: {operation} was refused ({message}); \
                 users, groups and memberships are stored. Reading access needs {ACTIONS}"
            )],
        }),
        other => Err(other),
    }
}

/// Reads the access of IAM Identity Center instance `instance_arn` (found with ListInstances
/// for identity store `store` when not known from discovery).
pub(super) async fn list_access(
    ctx: Arc<Ctx>,
    sso: aws_sdk_ssoadmin::Client,
    organizations: aws_sdk_organizations::Client,
    store: String,
    instance_arn: Option<String>,
    concurrency: usize,
) -> Result<AccessPart> {

    // The calls made before a refusal are the floor of a refused read: each was needed to learn
    // of it.
    let instance_calls = u64::from(instance_arn.is_none());
    let made = |ctx: &Ctx| instance_calls + ctx.counters.access_calls();
    let mut floor = instance_calls;
    let instance_arn = match instance_arn {
        Some(arn) => arn,
        None => {
            let found = match super::instances(&ctx, &sso).await {
                Ok(found) => found,
                Err(stop) => return refused(stop, made(&ctx)),
            };
            match found
                .into_iter()
                .find(|(id, _)| *id == store)
                .and_then(|(_, arn)| arn)
            {
                Some(arn) => arn,
                None => {
                    return Ok(AccessPart {
                        access: None,
                        minimum_calls: floor,
                        warnings: vec![format!(
                            "account assignments were not read: no IAM Identity Center instance \
                             with identity store {store} is visible to these credentials \
                             (ListInstances)"
                        )],
                    });
                }
            }
        }
    };

    let (queue_tx, queue_rx) = mpsc::unbounded_channel::<String>();
    let queue = Arc::new(tokio::sync::Mutex::new(queue_rx));
    let mut workers: JoinSet<std::result::Result<Worker, Stop>> = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        workers.spawn(permission_sets_worker(
            ctx.clone(),
            sso.clone(),
            instance_arn.clone(),
            queue.clone(),
        ));
    }
    let mut listed = 0u64;
    let mut token: Option<String> = None;
    loop {
        let result = call(&ctx, Op::ListPermissionSets, Priority::High, || {
            sso.list_permission_sets()
                .instance_arn(&instance_arn)
                .max_results(PAGE_SIZE)
                .set_next_token(token.clone())
                .send()
        })
        .await;
        let page = match result {
            Ok(page) => page,
            Err(stop) => {
                workers.abort_all();
                return refused(stop, made(&ctx));
            }
        };
        for arn in page.permission_sets() {
            // Workers start on a permission set as soon as its page arrives.
            let _ = queue_tx.send(arn.clone());
            listed += 1;
        }
        ctx.counters.permission_sets.store(listed, Ordering::Relaxed);
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    drop(queue_tx);
    floor += pages(listed);
    // Names are read alongside the assignments once sso-admin answered (a caller refused there
    // makes no Organizations call); dropped, and so aborted, on any early return.
    let mut names = AbortOnDrop(tokio::spawn(account_names(ctx.clone(), organizations)));

    let mut access = StoreAccess::default();
    let mut warnings = Vec::new();
    while let Some(next) = workers.join_next().await {
        let worker = match next {
            Ok(Ok(worker)) => worker,
            Ok(Err(stop)) => {
                workers.abort_all();
                return refused(stop, made(&ctx));
            }
            Err(join) => {
                workers.abort_all();
                return Err(Error::internal("reading account assignments", join));
            }
        };
        floor += worker.minimum_calls;
        access.permission_sets.extend(worker.permission_sets);
        access.assignments.extend(worker.assignments);
        warnings.extend(worker.warnings);
    }
    access
        .permission_sets
        .sort_by(|a, b| a.permission_set_arn.cmp(&b.permission_set_arn));
    access.assignments.sort();
    let names = (&mut names.0)
        .await
        .map_err(|join| Error::internal("reading account names", join))?;
    match names {
        Names::Read { accounts, pages } => {
            floor += pages;
            access.accounts = accounts;
        }
        Names::NotRead { calls, why } => {
            floor += calls;
            warnings.push(format!(
                "account names were not read ({why}): accounts are shown by id. Names need \
                 organizations:ListAccounts, from the management account or a delegated \
                 administrator"
            ));
        }
        Names::Failed(e) => return Err(e),
    }
    Ok(AccessPart {
        access: Some(access),
        minimum_calls: floor,
        warnings,
    })
}

#[derive(Default)]
struct Worker {
    permission_sets: Vec<PermissionSet>,
    assignments: Vec<AccountAssignment>,
    minimum_calls: u64,
    warnings: Vec<String>,
}

/// Takes permission sets off the queue: describes each, lists the accounts it is provisioned
/// to, and the assignments in each of those accounts.
async fn permission_sets_worker(
    ctx: Arc<Ctx>,
    sso: aws_sdk_ssoadmin::Client,
    instance_arn: String,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>>,
) -> std::result::Result<Worker, Stop> {
    let mut w = Worker::default();
    loop {
        let Some(arn) = queue.lock().await.recv().await else {
            return Ok(w);
        };
        match permission_set(&ctx, &sso, &instance_arn, &arn, &mut w).await {
            Ok(()) => {}
            // Deleted while the fetch ran: what was read of it is dropped with a warning.
            Err(Stop::Missing { .. }) => w.warnings.push(format!(
                "permission set {arn} was deleted while the fetch ran; its assignments are not listed"
            )),
            Err(stop) => return Err(stop),
        }
        ctx.counters
            .permission_sets_done
            .fetch_add(1, Ordering::Relaxed);
    }
}

async fn permission_set(
    ctx: &Ctx,
    sso: &aws_sdk_ssoadmin::Client,
    instance_arn: &str,
    arn: &str,
    w: &mut Worker,
) -> std::result::Result<(), Stop> {
    let described = call(ctx, Op::DescribePermissionSet, Priority::Low, || {
        sso.describe_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(arn)
            .send()
    })
    .await?;
    let mut calls = 1u64;
    let mut accounts: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = call(
            ctx,
            Op::ListAccountsForProvisionedPermissionSet,
            Priority::Low,
            || {
                sso.list_accounts_for_provisioned_permission_set()
                    .instance_arn(instance_arn)
                    .permission_set_arn(arn)
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .send()
            },
        )
        .await?;
        accounts.extend(page.account_ids().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    calls += pages(accounts.len() as u64);
    let mut assignments = Vec::new();
    for account in &accounts {
        let mut count = 0u64;
        let mut token: Option<String> = None;
        loop {
            let page = call(ctx, Op::ListAccountAssignments, Priority::Low, || {
                sso.list_account_assignments()
                    .instance_arn(instance_arn)
                    .account_id(account)
                    .permission_set_arn(arn)
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
            for a in page.account_assignments() {
                count += 1;
                let principal_type = match a.principal_type() {
                    Some(aws_sdk_ssoadmin::types::PrincipalType::User) => PrincipalType::User,
                    Some(aws_sdk_ssoadmin::types::PrincipalType::Group) => PrincipalType::Group,
                    other => {
                        // A principal type this build does not know: said, never guessed.
                        w.warnings.push(format!(
                            "an assignment in account {account} to {} has principal type {:?}, \
                             which scimlens does not know; it is left out",
                            a.principal_id().unwrap_or("?"),
                            other.map(|t| t.as_str())
                        ));
                        continue;
                    }
                };
                assignments.push(AccountAssignment {
                    account_id: a.account_id().unwrap_or(account).to_string(),
                    permission_set_arn: a.permission_set_arn().unwrap_or(arn).to_string(),
                    principal_type,
                    principal_id: a.principal_id().unwrap_or_default().to_string(),
                });
            }
            ctx.counters
                .account_assignments
                .fetch_add(page.account_assignments().len() as u64, Ordering::Relaxed);
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        calls += pages(count);
    }
    w.minimum_calls += calls;
    w.permission_sets
        .push(permission_set_of(described.permission_set(), arn));
    w.assignments.extend(assignments);
    Ok(())
}

fn permission_set_of(p: Option<&aws_sdk_ssoadmin::types::PermissionSet>, arn: &str) -> PermissionSet {
    let s = |v: Option<&str>| v.map(str::to_string);
    let mut extra = std::collections::BTreeMap::new();
    if let Some(created) = p
        .and_then(|p| p.created_date())
        .and_then(|d| {
            d.fmt(aws_sdk_ssoadmin::primitives::DateTimeFormat::DateTime)
                .ok()
        })
    {
        extra.insert("CreatedDate".to_string(), serde_json::Value::String(created));
    }
    PermissionSet {
        permission_set_arn: p
            .and_then(|p| p.permission_set_arn())
            .unwrap_or(arn)
            .to_string(),
        name: s(p.and_then(|p| p.name())),
        description: s(p.and_then(|p| p.description())),
        session_duration: s(p.and_then(|p| p.session_duration())),
        relay_state: s(p.and_then(|p| p.relay_state())),
        extra,
    }
}

/// Aborts a spawned task when dropped (an early return, a cancelled fetch).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Names {
    Read { accounts: Vec<AwsAccount>, pages: u64 },
    /// Refused, or no organization: `calls` made to learn it.
    NotRead { calls: u64, why: String },
    Failed(Error),
}

/// Every account of the organization with its name (Organizations `ListAccounts`).
async fn account_names(ctx: Arc<Ctx>, organizations: aws_sdk_organizations::Client) -> Names {
    let mut accounts = Vec::new();
    let mut pages = 0u64;
    let mut token: Option<String> = None;
    loop {
        let result = call(&ctx, Op::ListAccounts, Priority::Low, || {
            organizations
                .list_accounts()
                .max_results(ACCOUNTS_PAGE_SIZE)
                .set_next_token(token.clone())
                .send()
        })
        .await;
        pages += 1;
        let page = match result {
            Ok(page) => page,
            Err(Stop::Missing { .. }) => {
                return Names::NotRead {
                    calls: pages,
                    why: "the account is in no organization".to_string(),
                };
            }
            Err(Stop::Error(Error::Aws {
                code: AwsErrorKind::AccessDenied,
                message,
                ..
            })) => {
                return Names::NotRead {
                    calls: pages,
                    why: message,
                };
            }
            Err(stop) => return Names::Failed(stop.into()),
        };
        accounts.extend(page.accounts().iter().filter_map(|a| {
            a.id().map(|id| AwsAccount {
                id: id.to_string(),
                name: a.name().map(str::to_string),
            })
        }));
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Names::Read { accounts, pages };
        }
    }
}
