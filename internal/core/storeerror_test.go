package core_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aula/internal/core"
	"aula/internal/store"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{Dir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStoreErrorFromRealFailures maps errors the store really returns.
func TestStoreErrorFromRealFailures(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	exec := func(q string) error {
		return db.Write(ctx, func(tx *sql.Tx) error { _, err := tx.Exec(q); return err })
	}
	if err := exec("CREATE TABLE t (x TEXT UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	if err := exec("INSERT INTO t VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	// A constraint: Conflict.
	e := core.AsError(core.StoreError(exec("INSERT INTO t VALUES ('a')"), "adding a"))
	if e.Kind != core.KindConflict || !strings.HasPrefix(e.Msg, "adding a: ") {
		t.Errorf("constraint: %v (%v)", e, e.Kind)
	}
	// An argument the store refuses: Invalid, with the store's words.
	e = core.AsError(core.StoreError(db.KV("ns").Put(ctx, "", []byte("v")), ""))
	if e.Kind != core.KindInvalid || !strings.Contains(e.Msg, "key is empty") {
		t.Errorf("empty key: %v (%v)", e, e.Kind)
	}
	// A full database (max_page_count: SQLITE_FULL, as from a full disk):
	// Unavailable, saying so and naming the data directory; the same from
	// AsError, for modules that return store errors unmapped.
	if err := exec("PRAGMA max_page_count = 50"); err != nil {
		t.Fatal(err)
	}
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		full = db.KV("fill").Put(ctx, fmt.Sprint(i), bytes.Repeat([]byte("x"), 4096))
	}
	for _, e := range []*core.Error{core.AsError(core.StoreError(full, "storing the lease")), core.AsError(full)} {
		if e.Kind != core.KindUnavailable || !strings.Contains(e.Msg, "no space left") || !strings.Contains(e.Msg, db.Dir()) {
			t.Errorf("full: %q (%v), want Unavailable naming %s", e.Msg, e.Kind, db.Dir())
		}
	}
	// The rest: Internal, whose message reveals nothing.
	e = core.AsError(core.StoreError(exec("SELECT * FROM no_such_table"), "reading"))
	if e.Kind != core.KindInternal || e.Msg != "reading failed" {
		t.Errorf("other: %q (%v)", e.Msg, e.Kind)
	}
	db.Close()
	e = core.AsError(exec("SELECT 1"))
	if e.Kind != core.KindUnavailable || !strings.Contains(e.Msg, "shutting down") {
		t.Errorf("closed: %q (%v)", e.Msg, e.Kind)
	}
}

// TestStoreErrorFromTheSystem maps operating system errors a module may
// meet writing its own files, and leaves core errors alone.
func TestStoreErrorFromTheSystem(t *testing.T) {
	cases := []struct {
		err  error
		kind core.Kind
		msg  string
	}{
		{&fs.PathError{Op: "write", Path: "/srv/aula/keys", Err: syscall.ENOSPC}, core.KindUnavailable, "no space left on the disk holding /srv/aula/keys"},
		{fmt.Errorf("saving: %w", &fs.PathError{Op: "open", Path: "/srv/aula/x", Err: syscall.EDQUOT}), core.KindUnavailable, "no space left on the disk holding /srv/aula/x"},
		{&fs.PathError{Op: "open", Path: "/srv/aula/y", Err: syscall.EROFS}, core.KindUnavailable, "cannot write to /srv/aula/y (read-only"},
		{syscall.ENOSPC, core.KindUnavailable, "the data directory"},
		{core.Errorf(core.KindNotFound, "no such client"), core.KindNotFound, "no such client"},
		{fmt.Errorf("wrapped: %w", core.Errorf(core.KindPermission, "no")), core.KindPermission, "no"},
		{errors.New("db password is hunter2"), core.KindInternal, "internal error"},
	}
	for _, tc := range cases {
		e := core.AsError(core.StoreError(tc.err, ""))
		if e.Kind != tc.kind || !strings.Contains(e.Msg, tc.msg) || strings.Contains(e.Msg, "hunter2") {
			t.Errorf("%v: %q (%v), want %v with %q", tc.err, e.Msg, e.Kind, tc.kind, tc.msg)
		}
	}
	if core.StoreError(nil, "x") != nil {
		t.Error("nil error mapped to non-nil")
	}
}
