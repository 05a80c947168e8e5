-- Password users (HTTP Basic, auth.login). hash is an argon2id PHC string.
-- Times are UTC text in a fixed-width form, so they sort.
CREATE TABLE auth_users (
	name TEXT NOT NULL PRIMARY KEY,
	hash TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- Group membership of identities: password users, and certificate
-- identities that share a user's name.
CREATE TABLE auth_groups (
	name TEXT NOT NULL,
	grp TEXT NOT NULL,
	PRIMARY KEY (name, grp)
);

-- Sessions made by auth.login (system.login). Only the SHA-256 of the
-- token is kept: a copy of the database does not let anyone log in.
CREATE TABLE auth_sessions (
	token_hash TEXT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	addr TEXT NOT NULL
);
CREATE INDEX auth_sessions_name ON auth_sessions (name);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);
