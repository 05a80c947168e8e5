package id

import (
	"bytes"
	"fmt"
	"testing"

	"aula/internal/wire/xmlrpc"
)

// A templated register reply is byte for byte the reply encoded field by
// field, whatever the admin put in the config dict.
func TestReplyTemplateMatchesEncoder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		templated bool
	}{
		{"plain", nil, true},
		{"extras needing escapes", []string{"--id-config", `motd=<b>Tom & "Jerry"</b>`, "--id-config", "zz=ü ]]>"}, true},
		{"placeholder in an extra", []string{"--id-config", "odd=" + uidPlaceholder}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, dataDir(t), tc.args...)
			for i := range 5 {
				key := newKey(t)
				reply, err := h.mod.register(t.Context(), ClientArgs{UUID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i),
					Serial: fmt.Sprintf("SHF%08X", i), Nickname: "n", PubKey: key}, true)
				if err != nil {
					t.Fatal(err)
				}
				if (reply.tmpl != nil) != tc.templated {
					t.Fatalf("templated = %v, want %v", reply.tmpl != nil, tc.templated)
				}
				assertSameEncoding(t, reply)
			}
		})
	}
	t.Run("not templated", func(t *testing.T) {
		h := newHarness(t, dataDir(t))
		ok, err := h.mod.register(t.Context(), ClientArgs{UUID: machineUUID, Serial: "SHF706002A7", PubKey: newKey(t)}, true)
		if err != nil {
			t.Fatal(err)
		}
		// Replies the template was not made for are encoded field by
		// field even if one is attached.
		bad := ok
		bad.Stamp = "2-0000000000000000"
		assertSameEncoding(t, bad)
		rest := ok
		rest.UID, rest.UUID = UIDOf("x"), UIDOf("x")
		assertSameEncoding(t, rest)
		failure := failed("serial: empty")
		failure.tmpl = ok.tmpl
		assertSameEncoding(t, failure)
	})
}

func assertSameEncoding(t *testing.T, r RegisterReply) {
	t.Helper()
	got, err := xmlrpc.AppendResponse(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	want, err := xmlrpc.AppendResponse(nil, plainReply(r))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("templated reply\n%s\nfield by field\n%s", got, want)
	}
}
