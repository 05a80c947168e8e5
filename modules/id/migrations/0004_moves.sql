-- A serial the admin allowed to move to another machine (a motherboard
-- swap): the next registration of it with a new machine UUID supersedes
-- the old record instead of being refused. Consumed by that registration.
CREATE TABLE id_moves (
	serial TEXT NOT NULL PRIMARY KEY,
	allowed_at TEXT NOT NULL
);

-- Registrations refused because they claimed a serial registered to
-- another machine (UUID): what `aula client show SERIAL` lists. The
-- newest few per serial are kept.
CREATE TABLE id_refusals (
	serial TEXT NOT NULL,
	uid TEXT NOT NULL,      -- of the refused key
	uuid TEXT NOT NULL,     -- the machine UUID it claimed
	holder TEXT NOT NULL,   -- uid of the registration that holds the serial
	addr TEXT NOT NULL,
	at TEXT NOT NULL
);
CREATE INDEX id_refusals_serial ON id_refusals (serial, at);

-- Counts removals by the admin, so that a process that keeps the holders
-- of serials in memory (serialindex.go) notices another process's.
INSERT INTO id_meta (name, value) VALUES ('changed', 0);
