package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the writer's statement cache, in case a caller
// builds query text dynamically.
const maxCachedStmts = 256

// stmtCache holds statements prepared once on the writer connection.
// Parsing a statement costs about as much as running a small one, and
// every Write would pay it again otherwise.
//
// A statement cannot be prepared on the writer pool while a Write holds
// its only connection (that would deadlock), so TxStmt only notes a
// missing query as wanted; the writer goroutine prepares wanted queries
// between batches, when the connection is free.
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
	// The current batch's transaction and its views of the statements:
	// tx.StmtContext allocates and locks, and a batch runs the same few
	// statements many times.
	tx   *sql.Tx
	inTx map[string]*sql.Stmt
}

// TxStmt returns query prepared for tx, which must be the transaction a
// Write function was given. After its first use the statement is compiled
// once per DB and reused by later Writes, so hot write paths should run
// their statements through TxStmt rather than tx.ExecContext.
func (db *DB) TxStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if tx == c.tx {
		if s := c.inTx[query]; s != nil {
			return s, nil
		}
	}
	s := c.m[query]
	if s == nil {
		if len(c.m)+len(c.wanted) < maxCachedStmts {
			if c.wanted == nil {
				c.wanted = map[string]bool{}
			}
			c.wanted[query] = true
		}
		// Prepared for this transaction only, but kept for the rest of
		// it: a write that runs the statement many times (the id fold:
		// thousands of rows) parses it once, not once per row.
		s, err := tx.PrepareContext(ctx, query)
		if err == nil && tx == c.tx {
			c.inTx[query] = s
		}
		return s, err
	}
	s = tx.StmtContext(ctx, s)
	if tx == c.tx {
		c.inTx[query] = s
	}
	return s, nil
}

// begin makes tx the transaction whose statement views are kept; the
// views of the previous one died with its commit or rollback.
func (c *stmtCache) begin(tx *sql.Tx) {
	c.mu.Lock()
	c.tx = tx
	clear(c.inTx)
	if c.inTx == nil {
		c.inTx = map[string]*sql.Stmt{}
	}
	c.mu.Unlock()
}

// txExec runs query in tx through the statement cache.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s, err := db.TxStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// prepareWanted prepares the queries TxStmt asked for. Only the writer
// goroutine calls it, between transactions.
func (c *stmtCache) prepareWanted(writer *sql.DB) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		s, err := writer.Prepare(q)
		if err != nil {
			continue // asked for again if it is used again
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = s
		c.mu.Unlock()
	}
}

func (c *stmtCache) hasWanted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.wanted) > 0
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}
