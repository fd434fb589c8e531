-- Entity search that stays instant on a workspace of millions of records.
--
-- Names (a user's userName, usually the sign-in email, a group's displayName) are searched by
-- substring: a trigram full-text index answers that from the index instead of a pass over every
-- entity. It holds no copy of the text (content=''), only the entities' rowids, and is kept in
-- step with `entities` by the code that writes that table, in the same transaction.
CREATE VIRTUAL TABLE entity_search USING fts5(
    name, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 0');
INSERT INTO entity_search (rowid, name) SELECT rowid, name FROM entities;

-- Ids and keys are matched exactly: plain indexes answer that (a trigram index over GUIDs would
-- be ten times the size of the one over names and as slow to build).
CREATE INDEX entities_idp_id ON entities(idp_id) WHERE idp_id IS NOT NULL;
CREATE INDEX entities_target_id ON entities(target_id) WHERE target_id IS NOT NULL;
CREATE INDEX entities_external_id ON entities(external_id) WHERE external_id IS NOT NULL;
