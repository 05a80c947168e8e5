// Package store opens aula's database and gives modules what they need from
// it: durable writes through group commit, a read pool, per-module
// migrations, a key-value datastore and a once-per-deployment guard.
//
// The embedded engine is SQLite (modernc.org/sqlite, no cgo) in WAL mode with
// synchronous=FULL, so a write acknowledged by [DB.Write] survives a crash or
// kill -9. All writes go through one writer goroutine that batches concurrent
// requests into one transaction and one fsync; each request runs in its own
// SAVEPOINT so a failing request undoes only its own work. A [Rider] lets
// one layer add its row to the transaction of the next write made with a
// context (the audit row of a call joins the call's own change).
//
// SQL written against this package is SQLite's; the few things another
// engine would change live in [Dialect]. Every store backend must pass the
// conformance suite in package storetest.
package store
