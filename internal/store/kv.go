package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on KV entries. Keys are text in both engines, so they must be
// valid UTF-8 without NUL bytes (PostgreSQL refuses NUL in text).
const (
	MaxKeyLen    = 1024     // bytes, for keys and namespaces
	MaxValueSize = 16 << 20 // bytes
)

// KV is one namespace of the key-value datastore. Keys sort bytewise.
type KV struct {
	db  *DB
	ns  string
	err error // set when the namespace itself is invalid
}

// KVPair is one entry returned by List.
type KVPair struct {
	Key   string
	Value []byte
}

// KV returns the datastore namespace ns. An invalid namespace makes every
// operation fail with an error saying why.
func (db *DB) KV(namespace string) *KV {
	return &KV{db: db, ns: namespace, err: checkKey("namespace", namespace)}
}

func checkKey(what, s string) error {
	switch {
	case s == "":
		return invalidf("store: kv %s is empty", what)
	case len(s) > MaxKeyLen:
		return invalidf("store: kv %s is %d bytes long, the limit is %d", what, len(s), MaxKeyLen)
	case !utf8.ValidString(s):
		return invalidf("store: kv %s %q is not valid UTF-8", what, s)
	case strings.IndexByte(s, 0) >= 0:
		return invalidf("store: kv %s %q contains a NUL byte", what, s)
	}
	return nil
}

// Get returns the value stored under key, and whether there was one.
func (kv *KV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := errors.Join(kv.err, checkKey("key", key)); err != nil {
		return nil, false, err
	}
	var val []byte
	err := kv.db.reader.QueryRowContext(ctx, kv.db.dialect.Rebind(
		"SELECT value FROM kv WHERE ns = ? AND name = ?"), kv.ns, key).Scan(&val)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, classify(kv.db.path, fmt.Errorf("kv get %s/%s: %w", kv.ns, key, err))
	}
	if val == nil {
		val = []byte{}
	}
	return val, true, nil
}

// Put stores val under key, replacing any previous value, and returns once
// the write is durable.
func (kv *KV) Put(ctx context.Context, key string, val []byte) error {
	if err := errors.Join(kv.err, checkKey("key", key)); err != nil {
		return err
	}
	if len(val) > MaxValueSize {
		return invalidf("store: kv value for %s/%s is %d bytes, the limit is %d", kv.ns, key, len(val), MaxValueSize)
	}
	if val == nil {
		val = []byte{} // nil would bind as NULL
	}
	q := kv.db.dialect.Upsert("kv", []string{"ns", "name"}, []string{"value"})
	return kv.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := kv.db.txExec(ctx, tx, q, kv.ns, key, val)
		return err
	})
}

// Delete removes key; deleting a missing key is not an error.
func (kv *KV) Delete(ctx context.Context, key string) error {
	if err := errors.Join(kv.err, checkKey("key", key)); err != nil {
		return err
	}
	q := kv.db.dialect.Rebind("DELETE FROM kv WHERE ns = ? AND name = ?")
	return kv.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := kv.db.txExec(ctx, tx, q, kv.ns, key)
		return err
	})
}

// List returns the entries whose key starts with prefix ("" for all),
// sorted by key.
func (kv *KV) List(ctx context.Context, prefix string) ([]KVPair, error) {
	if kv.err != nil {
		return nil, kv.err
	}
	// A range scan from prefix, stopped in Go at the first key past it:
	// portable, and it uses the primary key index in both engines.
	rows, err := kv.db.reader.QueryContext(ctx, kv.db.dialect.Rebind(
		"SELECT name, value FROM kv WHERE ns = ? AND name >= ? ORDER BY name"), kv.ns, prefix)
	if err != nil {
		return nil, classify(kv.db.path, fmt.Errorf("kv list %s/%s: %w", kv.ns, prefix, err))
	}
	defer rows.Close()
	var out []KVPair
	for rows.Next() {
		var p KVPair
		if err := rows.Scan(&p.Key, &p.Value); err != nil {
			return nil, fmt.Errorf("store: kv list %s: %w", kv.ns, err)
		}
		if !strings.HasPrefix(p.Key, prefix) {
			break
		}
		if p.Value == nil {
			p.Value = []byte{}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
