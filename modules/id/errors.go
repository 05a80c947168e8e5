package id

import "aula/internal/core"

// writeError maps a failed write with the one store-error mapping
// (core.StoreError): a full disk or a read-only data directory is
// Unavailable, naming the data directory, so that a registration is
// answered "try later" rather than "internal error". Reads need no such
// mapping: they do not write.
func writeError(err error, _ string) error { return core.StoreError(err, "") }
