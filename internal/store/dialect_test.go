package store

import "testing"

func TestRebind(t *testing.T) {
	cases := []struct{ in, sqlite, postgres string }{
		{"SELECT 1", "SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ? AND c = ?", "", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE x = ?", "", "SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE x = $1"},
		{"SELECT ? -- why?\n, ? /* what? */ , ?", "", "SELECT $1 -- why?\n, $2 /* what? */ , $3"},
		{"SELECT 'unterminated ?", "", "SELECT 'unterminated ?"},
		{"SELECT ? /* unterminated ?", "", "SELECT $1 /* unterminated ?"},
	}
	for _, c := range cases {
		want := c.sqlite
		if want == "" {
			want = c.in
		}
		if got := SQLite.Rebind(c.in); got != want {
			t.Errorf("SQLite.Rebind(%q) = %q", c.in, got)
		}
		if got := Postgres.Rebind(c.in); got != c.postgres {
			t.Errorf("Postgres.Rebind(%q) = %q, want %q", c.in, got, c.postgres)
		}
	}
}

func TestUpsert(t *testing.T) {
	got := Postgres.Upsert("kv", []string{"ns", "name"}, []string{"value", "at"})
	want := "INSERT INTO kv (ns, name, value, at) VALUES ($1, $2, $3, $4) ON CONFLICT (ns, name) DO UPDATE SET value = excluded.value, at = excluded.at"
	if got != want {
		t.Errorf("Upsert = %q\nwant     %q", got, want)
	}
	got = SQLite.Upsert("seen", []string{"id"}, nil)
	want = "INSERT INTO seen (id) VALUES (?) ON CONFLICT (id) DO NOTHING"
	if got != want {
		t.Errorf("Upsert without value columns = %q\nwant %q", got, want)
	}
	if SQLite.BlobType() != "BLOB" || Postgres.BlobType() != "BYTEA" {
		t.Errorf("BlobType: %s, %s", SQLite.BlobType(), Postgres.BlobType())
	}
}
