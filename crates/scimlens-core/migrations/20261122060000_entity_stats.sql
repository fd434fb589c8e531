-- Per-entity aggregates of the records (connection-level records excluded), kept up to date by
-- every import (store::entity_stats): the roll-up decides an entity's status from its one row
-- here instead of a pass over its records. Filled from `events` on the first open of a
-- workspace made before this table existed.
CREATE TABLE entity_stats (
    entity_key   TEXT PRIMARY KEY NOT NULL,
    kind         TEXT,
    name         TEXT,
    display_name TEXT,
    idp_id       TEXT,
    target_id    TEXT,
    external_id  TEXT,
    events       INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    first_seen   INTEGER,
    last_seen    INTEGER,
    source_ids   TEXT NOT NULL,  -- comma-separated, ascending
    -- The last record that can decide the status (d_) and the last failing record (f_):
    -- latest time (none counts as 0 and wins at 0), then the earliest record (source, seq).
    -- d_source / f_source is NULL when the entity has no such record.
    d_time       INTEGER,
    d_source     INTEGER,
    d_seq        INTEGER,
    d_outcome    TEXT,
    d_category   TEXT,
    d_attribute  TEXT,
    d_message    TEXT,
    f_time       INTEGER,
    f_source     INTEGER,
    f_seq        INTEGER,
    f_outcome    TEXT,
    f_category   TEXT,
    f_attribute  TEXT,
    f_message    TEXT
);

-- Records correlation may still move to another entity (named only by an AWS id, or not at
-- all): correlation after each import reads these, not every record.
CREATE INDEX events_uncorrelated ON events(target_id, time)
    WHERE instr(entity_key, '|aws|') > 0 OR substr(entity_key, 1, 8) = 'unknown|';
