-- The key-value datastore modules use through DB.KV (Clarens's datastore).
-- COLLATE "C" so keys sort by bytes, as they do in SQLite.
CREATE TABLE kv (
	ns TEXT COLLATE "C" NOT NULL,
	name TEXT COLLATE "C" NOT NULL,
	value BYTEA NOT NULL,
	PRIMARY KEY (ns, name)
);
