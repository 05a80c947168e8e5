-- Registrations as they arrive, in order, before they are folded into
-- id_clients and id_history (journal.go). Appending here is the whole
-- durable cost of a registration, so a morning boot storm is absorbed
-- without touching the random-keyed indexes of id_clients; the fold then
-- applies many registrations per transaction.
CREATE TABLE id_journal (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order; never reused
	uid TEXT NOT NULL,
	uuid TEXT NOT NULL,
	serial TEXT NOT NULL,
	nickname TEXT NOT NULL,
	pubkey TEXT NOT NULL,
	at TEXT NOT NULL,            -- registration time, the id_clients time form
	addr TEXT NOT NULL           -- peer address
);
