-- One workspace = one investigation: imported sources, their normalized records with raw
-- evidence, and the materialized diagnosis.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL,
    format       TEXT NOT NULL,
    -- blake3 of the file's bytes: importing the same file twice adds nothing.
    content_hash TEXT NOT NULL UNIQUE,
    size_bytes   INTEGER NOT NULL,
    records      INTEGER NOT NULL,
    first_time   INTEGER,  -- unix milliseconds
    last_time    INTEGER,
    imported_at  TEXT NOT NULL
);

CREATE TABLE source_warnings (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL
);

CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    source_id        INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,  -- record number within its source, from 1
    time             INTEGER,           -- unix milliseconds
    record_id        TEXT,
    job_id           TEXT,
    cycle_id         TEXT,
    change_id        TEXT,
    action           TEXT,
    operation        TEXT,
    kind             TEXT,
    idp_id           TEXT,
    target_id        TEXT,
    name             TEXT,
    display_name     TEXT,
    external_id      TEXT,
    outcome          TEXT,
    http_status      INTEGER,
    error_code       TEXT,
    aws_detail       TEXT,
    reason           TEXT,
    skip_reason      TEXT,
    connection_level INTEGER NOT NULL,
    masked           INTEGER NOT NULL,
    -- Classification at import time (diagnose::classify); NULL category = not a problem.
    category         TEXT,
    attribute        TEXT,
    message          TEXT,
    -- 1 when the record can decide an entity's status (benign skips cannot).
    decisive         INTEGER NOT NULL,
    entity_key       TEXT NOT NULL,
    -- Where the record's evidence (raw text, attributes sent, steps) lives.
    block_id         INTEGER NOT NULL REFERENCES evidence_blocks(id) ON DELETE CASCADE,
    block_index      INTEGER NOT NULL
);

-- The bulky part of the records, kept apart so scans of `events` stay narrow, and compressed
-- a block of consecutive records at a time (JSON records compress far better together).
CREATE TABLE evidence_blocks (
    id        INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    data      BLOB NOT NULL  -- lz4 (size-prefixed) of store::evidence's block encoding
);

CREATE INDEX events_entity ON events(entity_key, time);
CREATE INDEX events_target ON events(target_id) WHERE target_id IS NOT NULL;
CREATE INDEX events_masked ON events(time) WHERE masked = 1;
CREATE INDEX events_time ON events(time);

-- The diagnosis, rebuilt after every import (diagnose::refresh).
CREATE TABLE entities (
    entity_key  TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    category    TEXT,
    attribute   TEXT,
    message     TEXT,
    fix         TEXT,
    idp_id      TEXT,
    target_id   TEXT,
    external_id TEXT,
    events      INTEGER NOT NULL,
    failures    INTEGER NOT NULL,
    first_seen  INTEGER,
    last_seen   INTEGER,
    source_ids  TEXT NOT NULL  -- comma-separated ids of the sources that mention it
);

CREATE INDEX entities_status ON entities(status, category);
CREATE INDEX entities_last_seen ON entities(last_seen);
