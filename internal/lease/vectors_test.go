package lease

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// The vectors in testdata/ were made by openssl alone (make-vectors.sh); they
// pin our parser and verifier to what bios-crypto-compatible tools produce.
const vecSN2, vecUUID2 = "SHF7060035B", "1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D"

func loadVectorKeys(t *testing.T) (master, server *PublicKey) {
	t.Helper()
	master, err := LoadPublicKey("testdata/master.public")
	if err != nil {
		t.Fatal(err)
	}
	server, err = LoadPublicKey("testdata/server.public")
	if err != nil {
		t.Fatal(err)
	}
	return master, server
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVectorKeyID(t *testing.T) {
	master, _ := loadVectorKeys(t)
	want := strings.TrimSpace(string(readTestdata(t, "master.keyid")))
	if master.KeyID() != want {
		t.Fatalf("keyid %s, xxd -p | tail -c 64 gave %s", master.KeyID(), want)
	}
	// A key01 line of the same key is an equally good trusted key.
	k, err := ParseTrustedKey([]byte(master.Key01()))
	if err != nil || !k.Equal(master) {
		t.Fatalf("ParseTrustedKey(key01 line) = %v, %v", k, err)
	}
}

func TestVectorBareFile(t *testing.T) {
	master, server := loadVectorKeys(t)
	trusted := NewKeySet(master)
	raw := readTestdata(t, "leases.sig")
	f, err := ReadLeaseFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantKinds := []Kind{KindActivation, KindActivation, KindDelegation, KindServerDelegation, KindActivation, KindRTCReset}
	if len(f.Entries) != len(wantKinds) || f.Format != FormatBare {
		t.Fatalf("got %d entries format %d, want %d bare", len(f.Entries), f.Format, len(wantKinds))
	}
	for i, e := range f.Entries {
		l := e.Line
		if e.LineNo != i+1 || l.Kind != wantKinds[i] {
			t.Errorf("entry %d: line %d kind %s, want line %d kind %s", i, e.LineNo, l.Kind, i+1, wantKinds[i])
		}
		switch l.Kind {
		case KindActivation, KindRTCReset:
			err = l.Verify(testSN, testUUID, trusted)
		default:
			err = l.VerifyDelegation(testSN, server, trusted)
		}
		if err != nil {
			t.Errorf("line %d (%s): %v", e.LineNo, l.Kind, err)
		}
	}
	if !f.Entries[4].Line.Chained() || len(f.Entries[4].Line.Links) != 2 {
		t.Error("line 5 should be a 13-field chained lease")
	}
	if out, _ := f.Bytes(); !bytes.Equal(out, raw) {
		t.Error("bare file does not re-serialise to the same bytes")
	}
	// The same lines are no good for another laptop or another master.
	other := NewKeySet(server)
	for _, e := range f.Entries[:2] {
		if err := e.Line.Verify(testSN, vecUUID2, trusted); !errors.Is(err, ErrBadSignature) {
			t.Errorf("wrong UUID: %v, want ErrBadSignature", err)
		}
		if err := e.Line.Verify(testSN, testUUID, other); !errors.Is(err, ErrUntrustedKey) {
			t.Errorf("wrong master: %v, want ErrUntrustedKey", err)
		}
	}
}

func TestVectorCJSONFile(t *testing.T) {
	master, _ := loadVectorKeys(t)
	trusted := NewKeySet(master)
	raw := readTestdata(t, "leases.cjson")
	f, err := ReadLeaseFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatCJSON || len(f.Entries) != 5 {
		t.Fatalf("format %d, %d entries; want CJSON with 5", f.Format, len(f.Entries))
	}
	for _, e := range f.Entries {
		uuid := testUUID
		if e.Line.Serial == vecSN2 {
			uuid = vecUUID2
		}
		if err := e.Line.Verify(e.Line.Serial, uuid, trusted); err != nil {
			t.Errorf("line %d: %v", e.LineNo, err)
		}
	}
	if got := []int{f.Entries[0].LineNo, f.Entries[3].LineNo, f.Entries[4].LineNo}; got[0] != 1 || got[1] != 4 || got[2] != 5 {
		t.Errorf("line numbers %v, want [1 4 5]", got)
	}
	if out, _ := f.Bytes(); !bytes.Equal(out, raw) {
		t.Error("CJSON file does not re-serialise to the same bytes")
	}
}

func TestVectorWrongSaltRejected(t *testing.T) {
	master, _ := loadVectorKeys(t)
	l := mustParse(t, string(readTestdata(t, "badsalt.sig")))
	if err := l.Verify(testSN, testUUID, NewKeySet(master)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("salt-32 signature: %v, want ErrBadSignature", err)
	}
}
