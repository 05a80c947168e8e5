-- Activation leases, as imported (lease.sig files) or signed by this server.
-- One row per distinct line; line_hash (sha256 hex of line) keeps the key
-- short, since a chained line is ~2.3 KB. expires is the line's effective
-- expiry (the earliest of EXP and its signatures' expiries) as a lease stamp,
-- 00000000T000000Z meaning never.
CREATE TABLE activation_leases (
	serial TEXT NOT NULL,
	line_hash TEXT NOT NULL,
	line TEXT NOT NULL,
	expires TEXT NOT NULL,
	verified INTEGER NOT NULL,
	origin TEXT NOT NULL,
	source TEXT NOT NULL,
	added_at TEXT NOT NULL,
	PRIMARY KEY (serial, line_hash)
);

-- Laptops the admin reported stolen: they are answered "STOLEN".
CREATE TABLE activation_stolen (
	serial TEXT NOT NULL PRIMARY KEY,
	note TEXT NOT NULL,
	marked_at TEXT NOT NULL,
	marked_by TEXT NOT NULL
);

-- Delegations from the OLPC master key to this server's key, one per laptop
-- (the one that expires last). line is the line as imported (del01 or bare
-- sig02); uuid comes from the del01 line ("" for a bare one).
CREATE TABLE activation_delegations (
	serial TEXT NOT NULL PRIMARY KEY,
	uuid TEXT NOT NULL,
	line TEXT NOT NULL,
	expires TEXT NOT NULL,
	source TEXT NOT NULL,
	added_at TEXT NOT NULL
);

-- What each serial last asked for and was given; written in batches.
CREATE TABLE activation_requests (
	serial TEXT NOT NULL PRIMARY KEY,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	last_from TEXT NOT NULL,
	last_given TEXT NOT NULL,
	last_lease_at TEXT NOT NULL,
	last_stolen_at TEXT NOT NULL,
	requests BIGINT NOT NULL
);

-- generation counts changes to what the activation answers depend on
-- (leases, stolen marks, delegations, the server key); a running server
-- polls it to notice changes made by another process (the CLI).
CREATE TABLE activation_meta (
	name TEXT NOT NULL PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO activation_meta (name, value) VALUES ('generation', 0);
