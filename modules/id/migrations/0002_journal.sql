-- Registrations as they arrive, in order, before they are folded into
-- id_clients and id_history (journal.go). Appending here is the whole
-- durable cost of a registration, so a morning boot storm is absorbed
-- without touching the random-keyed indexes of id_clients; the fold then
-- applies many registrations per transaction.
CREATE TABLE id_journal (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order; never reused
	rec TEXT NOT NULL             -- the registration: uid, uuid, serial, nickname, pubkey,
	                              -- time, peer address, one per line (journal_record.go)
);
