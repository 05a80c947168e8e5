-- auth_audit_at was never used: the one query of the trail (`audit`,
-- modules/auth/auditquery.go: WHERE id > ? AND at >= ? ORDER BY id
-- LIMIT ?) walks the rowid from its id and filters on at, whatever the
-- values (TestAuditQueryWalksTheRowid), and every audited call paid for
-- keeping the index (about 3 µs of a registration's CPU). Rows are
-- unchanged.
DROP INDEX IF EXISTS auth_audit_at;
