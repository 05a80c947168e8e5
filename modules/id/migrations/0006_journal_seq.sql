-- id_journal without AUTOINCREMENT: that made every append read and write
-- sqlite_sequence, about a third of the append's work in SQLite
-- (docs/BENCHMARKS.md, 2026-12-03, "id_journal without AUTOINCREMENT").
-- A seq must still never be reused (the fold's watermark 'folded' only
-- grows, and processes read the rows above theirs), so the table always
-- keeps the row of its highest seq: the fold deletes the rows it applied
-- except that one, or, when it applied them all, empties the table and
-- puts back an empty row at that seq (journal.go). A plain INTEGER PRIMARY
-- KEY then numbers every append above it. Rows at or below 'folded' are
-- applied; nothing reads them.
CREATE TABLE id_journal_next (
	seq INTEGER PRIMARY KEY,      -- arrival order; never reused (see above)
	rec TEXT NOT NULL             -- the registration: uid, uuid, serial, nickname, pubkey,
	                              -- time, peer address, one per line (journal_record.go);
	                              -- '' in the row kept for its seq alone
);
INSERT INTO id_journal_next (seq, rec) SELECT seq, rec FROM id_journal ORDER BY seq;
-- An empty journal gets an empty row at its highest seq: the highest
-- AUTOINCREMENT gave, or the watermark if that is higher. Nothing waited
-- in it, so the watermark may rise to that seq.
INSERT INTO id_journal_next (seq, rec)
	SELECT s, '' FROM (SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'id_journal'), 0),
		(SELECT value FROM id_meta WHERE name = 'folded')) AS s)
	WHERE s > 0 AND NOT EXISTS (SELECT 1 FROM id_journal);
UPDATE id_meta SET value = (SELECT max(seq) FROM id_journal_next)
	WHERE name = 'folded' AND NOT EXISTS (SELECT 1 FROM id_journal) AND EXISTS (SELECT 1 FROM id_journal_next);
DROP TABLE id_journal;
ALTER TABLE id_journal_next RENAME TO id_journal;
