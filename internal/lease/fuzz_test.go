package lease

import (
	"bytes"
	"os"
	"testing"
)

func FuzzParseLine(f *testing.F) {
	for _, c := range goodLines {
		f.Add([]byte(c.text))
	}
	if b, err := os.ReadFile("testdata/leases.sig"); err == nil {
		for _, line := range bytes.SplitAfter(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Add([]byte("act01: A K 00000000T000000Z sig01: sha256 x y\n"))
	f.Add([]byte("sig02: \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLine(b)
		if err != nil {
			return
		}
		if got := l.String(); got != string(b) {
			t.Fatalf("re-serialised differently:\n%q\n%q", got, b)
		}
	})
}

func FuzzReadLeaseFile(f *testing.F) {
	for _, name := range []string{"leases.sig", "leases.cjson", "badsalt.sig"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	v1 := goodLines[0].text
	f.Add([]byte(`[1,{"SHF706002A7":"` + v1 + v1 + `","SHF706002A8":"\"\\"}]`))
	f.Add([]byte(`[1,{}]`))
	f.Add([]byte(v1 + goodLines[7].text))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ReadLeaseFile(b)
		if err != nil {
			return
		}
		out, err := file.Bytes()
		if err != nil {
			t.Fatalf("a file that read cleanly does not write: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-serialised differently:\n%q\n%q", out, b)
		}
	})
}
