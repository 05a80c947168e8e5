-- id_clients without the uid PRIMARY KEY: its automatic index held the 40
-- hex digits of every uid, keyed by a hash, so every registration the fold
-- applied dirtied a page of it. The same uniqueness and lookups now go
-- through an index of the uid's 20 bytes (unhex), about half the pages:
-- the fold applies a registration with ~10% less CPU (docs/BENCHMARKS.md,
-- 2026-12-03, "id_clients' uid index"). Every uid is 40 lowercase hex
-- digits (UIDOf; the fold drops a journal row whose uid is not), so
-- unhex(uid) is unique exactly when uid is. Queries by uid say
-- `unhex(uid) = unhex(?1) AND uid = ?1` to use the index.
CREATE TABLE id_clients_next (
	uid TEXT NOT NULL,
	uuid TEXT NOT NULL,
	uuid_key TEXT NOT NULL,
	serial TEXT NOT NULL,
	nickname TEXT NOT NULL,
	pubkey TEXT NOT NULL,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	last_addr TEXT NOT NULL,
	registrations BIGINT NOT NULL
);
INSERT INTO id_clients_next (uid, uuid, uuid_key, serial, nickname, pubkey, first_at, last_at, last_addr, registrations)
	SELECT uid, uuid, uuid_key, serial, nickname, pubkey, first_at, last_at, last_addr, registrations FROM id_clients ORDER BY rowid;
DROP TABLE id_clients;
ALTER TABLE id_clients_next RENAME TO id_clients;
CREATE UNIQUE INDEX id_clients_uid ON id_clients (unhex(uid));
CREATE UNIQUE INDEX id_clients_serial ON id_clients (serial)
	WHERE serial <> '' AND serial <> 'SHF00000000';
CREATE UNIQUE INDEX id_clients_uuid ON id_clients (uuid_key)
	WHERE uuid_key <> '00000000-0000-0000-0000-000000000000';
