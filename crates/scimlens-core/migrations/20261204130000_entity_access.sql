-- What each diagnosed user and group can use in AWS: the account x permission set pairs it
-- holds (a user: directly and through its groups) in the newest store snapshot, when that
-- snapshot holds account assignments. One row per entity found in the snapshot (by its AWS id,
-- externalId, then userName or display name); an entity the snapshot does not hold has none.
-- Kept up to date by imports (in their transaction) and by every new snapshot.
CREATE TABLE entity_access (
    entity_key      TEXT PRIMARY KEY NOT NULL,
    snapshot_id     INTEGER NOT NULL REFERENCES store_snapshots(id) ON DELETE CASCADE,
    principal_id    TEXT NOT NULL,
    accounts        INTEGER NOT NULL,
    permission_sets INTEGER NOT NULL,
    assignments     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX entity_access_snapshot ON entity_access(snapshot_id);

-- An entity is found in a snapshot by its externalId too.
CREATE INDEX store_users_external ON store_users(snapshot_id, external_id);
CREATE INDEX store_groups_external ON store_groups(snapshot_id, external_id);
