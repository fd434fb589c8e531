-- Who may use what, with each store snapshot: IAM Identity Center's permission sets and account
-- assignments (sso-admin), and the accounts' names when Organizations could be read. Written in
-- the snapshot's transaction.

-- NULL when the snapshot holds no access data (fetched with --no-access, sso-admin not readable,
-- or no sso-admin output imported); otherwise the numbers of rows below.
ALTER TABLE store_snapshots ADD COLUMN permission_sets INTEGER;
ALTER TABLE store_snapshots ADD COLUMN account_assignments INTEGER;

-- `data` is the permission set as `aws sso-admin describe-permission-set` prints it.
CREATE TABLE store_permission_sets (
    snapshot_id        INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    permission_set_arn TEXT NOT NULL,
    name               TEXT,
    data               TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, permission_set_arn)
);

CREATE TABLE store_account_assignments (
    snapshot_id        INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    account_id         TEXT NOT NULL,
    permission_set_arn TEXT NOT NULL,
    principal_type     TEXT NOT NULL,   -- 'USER' or 'GROUP'
    principal_id       TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, principal_id, account_id, permission_set_arn, principal_type)
) WITHOUT ROWID;

-- Accounts seen in the assignments, with their names when Organizations was read.
CREATE TABLE store_accounts (
    snapshot_id INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL,
    name        TEXT,
    PRIMARY KEY (snapshot_id, account_id)
) WITHOUT ROWID;
