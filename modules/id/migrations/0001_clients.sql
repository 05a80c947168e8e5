-- Registered clients, one row per server-assigned id (uid = sha1 of the
-- key blob). Times are UTC text in a fixed-width form, so they sort.
CREATE TABLE id_clients (
	uid TEXT NOT NULL PRIMARY KEY,
	uuid TEXT NOT NULL,          -- the machine UUID as the client sent it
	uuid_key TEXT NOT NULL,      -- lower(uuid), for lookups
	serial TEXT NOT NULL,        -- '' when the client sent none
	nickname TEXT NOT NULL,
	pubkey TEXT NOT NULL,        -- base64 blob without type prefix; '' for none
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	last_addr TEXT NOT NULL,
	registrations BIGINT NOT NULL
);
-- At most one current record per machine: per serial and per uuid, except
-- the Sugar shell's placeholders, which name no machine. Queries that
-- want these indexes repeat the WHERE terms.
CREATE UNIQUE INDEX id_clients_serial ON id_clients (serial)
	WHERE serial <> '' AND serial <> 'SHF00000000';
CREATE UNIQUE INDEX id_clients_uuid ON id_clients (uuid_key)
	WHERE uuid_key <> '00000000-0000-0000-0000-000000000000';

-- Registrations that ended: superseded by a newer one for the same
-- machine, or removed by the admin.
CREATE TABLE id_history (
	uid TEXT NOT NULL,
	uuid TEXT NOT NULL,
	serial TEXT NOT NULL,
	nickname TEXT NOT NULL,
	pubkey TEXT NOT NULL,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	last_addr TEXT NOT NULL,
	registrations BIGINT NOT NULL,
	ended_at TEXT NOT NULL,
	reason TEXT NOT NULL,        -- 'superseded' or 'removed'
	replaced_by TEXT NOT NULL    -- uid of the superseding record; '' when removed
);
CREATE INDEX id_history_uid ON id_history (uid);
CREATE INDEX id_history_serial ON id_history (serial);

-- Small named counters; 'epoch' is the admin's part of the stamp.
CREATE TABLE id_meta (
	name TEXT NOT NULL PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO id_meta (name, value) VALUES ('epoch', 1);
