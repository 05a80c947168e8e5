-- Admission slots: at most --backup-max-concurrent rows. The server grants
-- them (GET /backup/...available...), the backup gate (another process)
-- marks one running and renews it while rsync runs. Times are Unix
-- milliseconds; a row past expires_at is free.
CREATE TABLE backup_slots (
	uid TEXT NOT NULL PRIMARY KEY,
	state TEXT NOT NULL,            -- 'granted' (waiting for rsync) or 'running'
	mode TEXT NOT NULL,             -- '' while granted; 'backup' or 'restore' while running
	pid BIGINT NOT NULL,            -- the running gate's process id, 0 while granted
	granted_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

-- Recent grants, for the "at most N grants in the window" rule; rows older
-- than the window are deleted as new ones come.
CREATE TABLE backup_grants (
	uid TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX backup_grants_at ON backup_grants (at);

-- Per client: the last transfers and the measured size of its directory
-- (current and snapshots, hard links counted once), for the quota check
-- at admission and `aula backup status`.
CREATE TABLE backup_clients (
	uid TEXT NOT NULL PRIMARY KEY,
	last_backup_at BIGINT NOT NULL DEFAULT 0,
	last_restore_at BIGINT NOT NULL DEFAULT 0,
	last_result TEXT NOT NULL DEFAULT '',
	last_snapshot TEXT NOT NULL DEFAULT '',
	snapshots BIGINT NOT NULL DEFAULT 0,
	bytes BIGINT NOT NULL DEFAULT 0,
	disk_bytes BIGINT NOT NULL DEFAULT 0,
	inodes BIGINT NOT NULL DEFAULT 0,
	measured_at BIGINT NOT NULL DEFAULT 0
);

-- The gate's audit trail: every refusal with its reason, every transfer
-- with its outcome, every grant.
CREATE TABLE backup_events (
	at BIGINT NOT NULL,
	uid TEXT NOT NULL,
	kind TEXT NOT NULL,             -- admitted, refused, backup, restore, snapshot, error
	detail TEXT NOT NULL
);
CREATE INDEX backup_events_at ON backup_events (at);
CREATE INDEX backup_events_uid ON backup_events (uid, at);
