-- The audit trail: state-changing calls and failed authentications.
-- AUTOINCREMENT so ids are never reused: `aula audit --follow` pages by id.
CREATE TABLE auth_audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	identity TEXT NOT NULL,   -- who ('' for anonymous; the claimed name for a failed login)
	via TEXT NOT NULL,        -- cert, password, token, local, or ''
	addr TEXT NOT NULL,       -- source address, '' when local
	transport TEXT NOT NULL,  -- xmlrpc, rest, cli, ...
	method TEXT NOT NULL,
	args TEXT NOT NULL,       -- JSON, secrets removed
	result TEXT NOT NULL,     -- 'ok' or the error kind
	message TEXT NOT NULL,    -- the client-visible error message, '' when ok
	request_id TEXT NOT NULL
);
CREATE INDEX auth_audit_at ON auth_audit (at);
