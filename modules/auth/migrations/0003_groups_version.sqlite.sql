-- A counter that every change to group membership bumps, whoever makes it:
-- this server, the CLI writing the same file while the server runs, or an
-- admin with sqlite3. The server remembers identities' groups while the
-- counter stays put (modules/auth/groupcache.go) and reads it once a
-- second instead of every caller's groups on every call.
CREATE TABLE auth_groups_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO auth_groups_version (id, version) VALUES (1, 0);
CREATE TRIGGER auth_groups_version_insert AFTER INSERT ON auth_groups
BEGIN UPDATE auth_groups_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER auth_groups_version_update AFTER UPDATE ON auth_groups
BEGIN UPDATE auth_groups_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER auth_groups_version_delete AFTER DELETE ON auth_groups
BEGIN UPDATE auth_groups_version SET version = version + 1 WHERE id = 1; END;
