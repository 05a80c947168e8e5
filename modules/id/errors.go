package id

import (
	"errors"

	"aula/internal/core"
	"aula/internal/store"
)

// writeError makes a store failure that the admin must fix (a full disk,
// a read-only data directory) Unavailable, naming the data directory, so
// that a registration is answered "try later" rather than "internal
// error"; other errors are left to the chain (Internal, with a request
// id). Reads need no such mapping: they do not write.
func writeError(err error, dataDir string) error {
	var ce *core.Error
	if err == nil || errors.As(err, &ce) {
		return err
	}
	switch {
	case store.IsFull(err):
		return core.Wrap(core.KindUnavailable, err, "the server's data directory ("+dataDir+") is full: nothing was stored; try again later")
	case store.IsReadOnly(err):
		return core.Wrap(core.KindUnavailable, err, "the server's data directory ("+dataDir+") cannot be written: nothing was stored; try again later")
	}
	return err
}
