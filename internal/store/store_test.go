package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"aula/internal/store"
	"aula/internal/store/storetest"
)

// sqliteOpener gives each test its own data directory and reopens the same
// one when called again with the same test.
func sqliteOpener() storetest.Opener {
	var mu sync.Mutex
	dirs := map[*testing.T]string{}
	return func(t *testing.T) *store.DB {
		t.Helper()
		mu.Lock()
		dir, ok := dirs[t]
		if !ok {
			dir = filepath.Join(t.TempDir(), "data") // Open creates it 0700
			dirs[t] = dir
		}
		mu.Unlock()
		db, err := store.Open(context.Background(), store.Options{Dir: dir})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, sqliteOpener())
}

// One transaction per write must behave the same, only slower.
func TestConformanceSQLiteNoGroupCommit(t *testing.T) {
	open := sqliteOpener()
	storetest.Run(t, func(t *testing.T) *store.DB {
		db := open(t)
		dir := db.Dir()
		db.Close()
		db, err := store.Open(context.Background(), store.Options{Dir: dir, NoGroupCommit: true})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
