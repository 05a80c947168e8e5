package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"aula/internal/store"
)

// TestRegistrationAuditSurvivesSIGKILL registers laptops from 16
// Sugar-like clients, kills the server with SIGKILL mid-storm, and checks
// in the data directory the kill left that every registration answered OK
// has its audit row (the row rides in the registration's own transaction),
// and that no registration is audited as ok without being stored.
func TestRegistrationAuditSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server")
	}
	// One source address plays 16 laptops: lift the per-address limit.
	s := startServer(t, "", "--auth-anon-rate=1000000", "--auth-anon-burst=1000000")
	acked := registerThenKill(t, s, s.xsURL())

	db, err := store.Open(context.Background(), store.Options{Dir: s.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	audited := map[string]int{} // serial: ok rows of id.register
	rows, err := db.Reader().Query(`SELECT args FROM auth_audit WHERE method = 'id.register' AND result = 'ok'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var args string
		if err := rows.Scan(&args); err != nil {
			t.Fatal(err)
		}
		var a struct{ Serial string }
		if err := json.Unmarshal([]byte(args), &a); err != nil || a.Serial == "" {
			t.Fatalf("audit row's arguments %q: %v", args, err)
		}
		audited[a.Serial]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	stored := map[string]bool{} // serials in the journal (field 3) or applied
	for _, q := range []string{`SELECT serial FROM id_clients`, `SELECT rec FROM id_journal`} {
		rows, err := db.Reader().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if f := strings.Split(v, "\n"); len(f) > 2 {
				v = f[2]
			}
			stored[v] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	for _, n := range acked {
		if audited[fmt.Sprintf("SHF%08X", n)] != 1 {
			t.Errorf("laptop %d was told OK before the kill; %d audit rows say so", n, audited[fmt.Sprintf("SHF%08X", n)])
		}
	}
	for sn := range audited {
		if !stored[sn] {
			t.Errorf("registration of %s is audited as ok but not stored", sn)
		}
	}
	t.Logf("%d acknowledged registrations, %d audited as ok, all acknowledged ones audited once after SIGKILL", len(acked), len(audited))
}
