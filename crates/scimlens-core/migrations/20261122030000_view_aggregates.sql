-- What the app's views read on every visit, kept small so they answer in milliseconds on a
-- workspace of millions of records.

-- The Problems view pages, counts and searches entities by status; a covering index keeps those
-- queries off the wide entity rows (fix texts). It starts with status, as the old index did.
DROP INDEX entities_status;
CREATE INDEX entities_problems ON entities(
    status, category, attribute, last_seen, name, kind, entity_key, message, events, failures,
    first_seen, source_ids, idp_id, target_id, external_id);

-- Failed records only (a few percent of all records): the timeline's "failed in this cycle"
-- filter, throttling bursts and connection-level alerts.
CREATE INDEX events_failed_time ON events(time, entity_key, category, connection_level)
    WHERE category IS NOT NULL AND connection_level = 0;
CREATE INDEX events_failed_category ON events(category, connection_level, time, message)
    WHERE category IS NOT NULL;

-- Records per provisioning cycle (or per hour for records without a cycle id; 'none' for
-- records without a time), rebuilt with the entities after every import: the totals, the
-- failures timeline and the cycle starts without a pass over every record.
CREATE TABLE event_buckets (
    bucket   TEXT PRIMARY KEY NOT NULL,
    cycle_id TEXT,
    start    INTEGER,
    end      INTEGER,
    records  INTEGER NOT NULL,
    success  INTEGER NOT NULL,
    failure  INTEGER NOT NULL,
    skipped  INTEGER NOT NULL,
    failures INTEGER NOT NULL  -- classified records (any category)
);

INSERT INTO event_buckets (bucket, cycle_id, start, end, records, success, failure, skipped, failures)
SELECT CASE WHEN time IS NULL THEN 'none' ELSE coalesce(cycle_id, 'hour:' || (time / 3600000)) END,
       max(cycle_id), min(time), max(time), count(*),
       sum(outcome = 'success'), sum(outcome = 'failure'), sum(outcome = 'skipped'), count(category)
FROM events GROUP BY 1;
