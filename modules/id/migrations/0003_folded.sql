-- The fold's watermark: every journal seq up to this value is applied to
-- id_clients and id_history. The fold raises it in the transaction that
-- applies a batch, so a reader that reads it with the records in one
-- snapshot knows which unfolded registrations it must still replay
-- (pending.go, replay.go).
INSERT INTO id_meta (name, value) VALUES ('folded', COALESCE((SELECT MIN(seq) FROM id_journal), 1) - 1);
