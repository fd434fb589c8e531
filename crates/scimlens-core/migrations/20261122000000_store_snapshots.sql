-- What actually exists on both sides: snapshots of the AWS identity store (fetched live or
-- imported from `aws identitystore list-*` output) and imports of the IdP's directory (SCIM,
-- Entra, Okta exports). Each snapshot / directory import is written in one transaction.

CREATE TABLE store_snapshots (
    id                INTEGER PRIMARY KEY,
    origin            TEXT NOT NULL,     -- 'fetch' (live API) or 'file' (AWS CLI JSON)
    identity_store_id TEXT,
    region            TEXT,
    endpoint          TEXT,
    label             TEXT NOT NULL,     -- the files imported, or the endpoint fetched
    taken_at          TEXT NOT NULL,     -- RFC 3339, UTC
    users             INTEGER NOT NULL,
    groups            INTEGER NOT NULL,
    memberships       INTEGER NOT NULL,
    -- 0 when the snapshot holds no membership data (users/groups files imported alone).
    memberships_known INTEGER NOT NULL,
    api_calls         INTEGER,           -- live fetch only
    retries           INTEGER,
    seconds           REAL,
    warnings          TEXT NOT NULL      -- JSON array of strings
);

-- One row per object; `data` is the object exactly as `aws identitystore list-*` prints it.
CREATE TABLE store_users (
    snapshot_id INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    user_name   TEXT,
    external_id TEXT,
    data        TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, user_id)
);

CREATE TABLE store_groups (
    snapshot_id  INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    group_id     TEXT NOT NULL,
    display_name TEXT,
    external_id  TEXT,
    data         TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, group_id)
);

CREATE TABLE store_memberships (
    snapshot_id   INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    group_id      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    membership_id TEXT,
    PRIMARY KEY (snapshot_id, group_id, user_id)
) WITHOUT ROWID;

CREATE INDEX store_users_name ON store_users(snapshot_id, user_name);
CREATE INDEX store_groups_name ON store_groups(snapshot_id, display_name);

-- One import of the IdP's directory (one or more export files read together).
CREATE TABLE directories (
    id          INTEGER PRIMARY KEY,
    idp         TEXT NOT NULL,      -- 'entra', 'okta' or 'scim': which attribute mapping applies
    label       TEXT NOT NULL,      -- the files, comma-separated
    formats     TEXT NOT NULL,      -- JSON array of the detected formats, one per file
    imported_at TEXT NOT NULL,
    users       INTEGER NOT NULL,
    groups      INTEGER NOT NULL,
    memberships INTEGER NOT NULL,
    -- 0 when no export named the app's assignments (who is in scope is then unknown).
    assignments_known INTEGER NOT NULL,
    warnings    TEXT NOT NULL       -- JSON array of strings
);

-- Source attributes as the IdP names them (JSON object: name -> [values]); the AWS mapping is
-- applied when reading, so an edited mapping applies to past imports too.
CREATE TABLE directory_users (
    directory_id INTEGER NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    idp_id       TEXT,
    attributes   TEXT NOT NULL,
    PRIMARY KEY (directory_id, seq)
);

CREATE TABLE directory_groups (
    directory_id INTEGER NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    idp_id       TEXT,
    attributes   TEXT NOT NULL,
    PRIMARY KEY (directory_id, seq)
);

-- Direct members as the IdP holds them; a member may itself be a group (nested).
CREATE TABLE directory_members (
    directory_id INTEGER NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    group_idp_id TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    member_kind  TEXT NOT NULL      -- 'user', 'group' or 'unknown'
);

CREATE INDEX directory_members_group ON directory_members(directory_id, group_idp_id);

-- Principals assigned to the AWS app in the IdP (Entra appRoleAssignedTo), when exported.
CREATE TABLE directory_assignments (
    directory_id   INTEGER NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    principal_id   TEXT NOT NULL,
    principal_kind TEXT NOT NULL    -- 'user' or 'group'
);
