-- The key-value datastore modules use through DB.KV (Clarens's datastore).
CREATE TABLE kv (
	ns TEXT NOT NULL,
	name TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (ns, name)
) WITHOUT ROWID;
