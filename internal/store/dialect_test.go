package store

import "testing"

func TestUpsert(t *testing.T) {
	got := SQLite.Upsert("kv", []string{"ns", "name"}, []string{"value", "at"})
	want := "INSERT INTO kv (ns, name, value, at) VALUES (?, ?, ?, ?) ON CONFLICT (ns, name) DO UPDATE SET value = excluded.value, at = excluded.at"
	if got != want {
		t.Errorf("Upsert = %q\nwant     %q", got, want)
	}
	got = SQLite.Upsert("seen", []string{"id"}, nil)
	want = "INSERT INTO seen (id) VALUES (?) ON CONFLICT (id) DO NOTHING"
	if got != want {
		t.Errorf("Upsert without value columns = %q\nwant %q", got, want)
	}
	if SQLite.Rebind("SELECT ? FROM t") != "SELECT ? FROM t" || SQLite.BlobType() != "BLOB" {
		t.Error("SQLite's placeholders or blob type changed")
	}
}
