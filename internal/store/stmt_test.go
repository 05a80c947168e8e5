package store

import (
	"context"
	"database/sql"
	"testing"
)

// A statement TxStmt has not cached yet is parsed once per transaction,
// however often the transaction runs it, and once for good after it.
func TestTxStmtPreparesOncePerTransaction(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	const q = "INSERT INTO items (id) VALUES (?)"
	var first, again *sql.Stmt
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if first, err = db.TxStmt(ctx, tx, q); err != nil {
			return err
		}
		if _, err := first.Exec(1); err != nil {
			return err
		}
		if again, err = db.TxStmt(ctx, tx, q); err != nil {
			return err
		}
		_, err = again.Exec(2)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Error("an uncached statement was prepared twice in one transaction")
	}
	if err := db.Write(ctx, insert(3)); err != nil { // the writer prepares wanted statements between batches
		t.Fatal(err)
	}
	db.stmts.mu.Lock()
	cached := db.stmts.m[q] != nil
	db.stmts.mu.Unlock()
	if !cached {
		t.Error("the statement was not cached after its first transaction")
	}
	if got := rowIDs(t, db); got != "[1 2 3]" {
		t.Errorf("rows = %s", got)
	}
}
