-- Centres contain labs; a lab's computers may be split in groups (a row
-- of desks, a cart). Names are the keys admins type.
CREATE TABLE lab_labs (
	name TEXT NOT NULL PRIMARY KEY,
	centre TEXT NOT NULL,
	added_at TEXT NOT NULL
);

-- One row per computer. identity is its agent's certificate name (empty
-- until enrolled); enrol_hash the sha256 of a pending one-time enrolment
-- token. state is what the server last saw of the agent: off, idle, busy
-- (maintenance is the flag). hello is the agent's last announcement (JSON).
CREATE TABLE lab_computers (
	name TEXT NOT NULL PRIMARY KEY,
	lab TEXT NOT NULL REFERENCES lab_labs (name),
	grp TEXT NOT NULL,
	mac TEXT NOT NULL,
	ip TEXT NOT NULL,
	identity TEXT NOT NULL,
	maintenance INTEGER NOT NULL,
	enrol_hash TEXT NOT NULL,
	enrol_expires TEXT NOT NULL,
	state TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	hello TEXT NOT NULL,
	added_at TEXT NOT NULL
);
CREATE INDEX lab_computers_lab ON lab_computers (lab, grp);
CREATE UNIQUE INDEX lab_computers_mac ON lab_computers (mac) WHERE mac <> '';
CREATE UNIQUE INDEX lab_computers_identity ON lab_computers (identity) WHERE identity <> '';
CREATE INDEX lab_computers_enrol ON lab_computers (enrol_hash) WHERE enrol_hash <> '';

-- One row per computer per launch (OpenGnsys acciones). state: queued,
-- sent, finished, failed, expired. result: 0 none, 1 ok, 2 failed (as
-- acciones.resultado). The id travels to the agent in accion and back.
CREATE TABLE lab_actions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	launch TEXT NOT NULL,
	computer TEXT NOT NULL,
	lab TEXT NOT NULL,
	command TEXT NOT NULL,
	code INTEGER NOT NULL,
	params TEXT NOT NULL,
	launcher TEXT NOT NULL,
	state TEXT NOT NULL,
	result INTEGER NOT NULL,
	output TEXT NOT NULL,
	created_at TEXT NOT NULL,
	sent_at TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX lab_actions_pending ON lab_actions (computer, state, id);
CREATE INDEX lab_actions_state ON lab_actions (state, computer);
CREATE INDEX lab_actions_launch ON lab_actions (launch);

-- Inventories as the agent reported them, one row per computer, kind
-- (hardware, software) and time taken; body is its nemonico=value lines.
CREATE TABLE lab_inventory (
	computer TEXT NOT NULL,
	kind TEXT NOT NULL,
	taken_at TEXT NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (computer, kind, taken_at)
);

-- generation advances with every launch, so a server notices actions
-- queued by another process (`aula run` on the data directory).
CREATE TABLE lab_meta (
	name TEXT NOT NULL PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO lab_meta (name, value) VALUES ('generation', 0);
