package lease

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWriteAndReadCJSON(t *testing.T) {
	master := masterKey()
	a1, _ := SignLease(master, 1, "SHF7060035B", testUUID, testEXP)
	b1, _ := SignLease(master, 1, testSN, testUUID, testEXP)
	b2, _ := SignLease(master, 2, testSN, testUUID, testEXP)
	out, err := WriteCJSON([]*Line{b1, a1, b2})
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted, SN's lines concatenated in order, raw newlines, no spaces
	// between tokens: exactly what format_as_cjson_leases.py writes.
	want := `[1,{"SHF706002A7":"` + b1.String() + b2.String() + `","SHF7060035B":"` + a1.String() + `"}]`
	if string(out) != want {
		t.Fatalf("CJSON:\n%s\nwant:\n%s", out, want)
	}
	if !bytes.HasPrefix(out, []byte(`[1,{"`)) {
		t.Error("XO's greplease needs the first 5 bytes to be [1,{\"")
	}
	// What greplease.py does: find "SN":" and take bytes up to the next ".
	i := bytes.Index(out, []byte(`"`+testSN+`":"`)) + len(testSN) + 4
	if got := out[i : i+bytes.IndexByte(out[i:], '"')]; string(got) != b1.String()+b2.String() {
		t.Errorf("greplease would extract %q", got)
	}
	f, err := ReadLeaseFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 3 || f.Entries[2].LineNo != 3 || f.Entries[2].Line.Serial != "SHF7060035B" {
		t.Errorf("entries: %+v", f.Entries)
	}
	bare, _ := SignDelegation(master, testSN, testDEL, serverKey().Public())
	if _, err := WriteCJSON([]*Line{bare}); err == nil {
		t.Error("a bare delegation has no SN to file under; want an error")
	}
	if out, _ := WriteCJSON(nil); string(out) != "[1,{}]" {
		t.Errorf("empty CJSON = %q", out)
	}
}

func TestReadLeaseFileBare(t *testing.T) {
	v1 := goodLines[0].text
	del := goodLines[7].text
	f, err := ReadLeaseFile([]byte(v1 + del + v1))
	if err != nil || f.Format != FormatBare || len(f.Entries) != 3 || f.Entries[2].LineNo != 3 {
		t.Fatalf("bare file: %v %+v", err, f)
	}
	// Bad lines are reported each with its number; good ones still come back.
	f, err = ReadLeaseFile([]byte(v1 + "garbage\n" + v1 + "\n" + v1[:40]))
	var le *LineError
	if !errors.As(err, &le) || le.LineNo != 2 {
		t.Fatalf("want a LineError for line 2, got %v", err)
	}
	for _, want := range []string{"line 2:", "line 4:", "line 5:", `does not end in "\n"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(f.Entries) != 2 || f.Entries[1].LineNo != 3 {
		t.Errorf("good entries %+v", f.Entries)
	}
	if f, err := ReadLeaseFile(nil); err != nil || len(f.Entries) != 0 {
		t.Errorf("empty file: %v", err)
	}
}

func TestReadLeaseFileCJSONErrors(t *testing.T) {
	v1 := goodLines[0].text // for SHF706002A7
	cases := map[string]string{
		`[1,{"SHF706002A7":"` + v1 + `"}]` + "\n":                     "after the closing",
		`[1,{"SHF706002A7": "` + v1 + `"}]`:                           "want a string",
		`[1, {"SHF706002A7":"` + v1 + `"}]`:                           "not with [1,{",
		`[1,{"SHF706002A7":"` + v1 + `"`:                              `want "," or "}"`,
		`[1,{"SHF706002A7":"` + v1:                                    "unterminated",
		`[1,{"SHF706002A7":"` + v1 + `\n"}]`:                          `only \" and \\`,
		`[1,{"SHF706002A7":"` + v1 + `","SHF706002A7":"` + v1 + `"}]`: "sorted",
		`[1,{"SHF706002A8":"` + v1 + `","SHF706002A7":"` + v1 + `"}]`: "sorted",
		`[1,{"SHF706002A7":"` + v1 + `"}`:                             `want "]"`,
		`[2,{"SHF706002A7":"` + v1 + `"}]`:                            "not with [1,{",
		`[1,{"SHF706002A7":"` + strings.TrimSuffix(v1, "\n") + `"}]`:  `does not end in "\n"`,
		`[1,{"SHF706002A8":"` + v1 + `"}]`:                            "under key SHF706002A8",
		`[1,{"shf":"` + v1 + `"}]`:                                    "CJSON key",
		`[1,{"SHF706002A7":""}]`:                                      "no lease lines",
	}
	for in, want := range cases {
		_, err := ReadLeaseFile([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.50q...: error %v, want %q", in, err, want)
		}
	}
	// Escaped quotes and backslashes decode (then fail as lease fields).
	_, err := ReadLeaseFile([]byte(`[1,{"SHF706002A7":"act01: \"\\ K 20271231T000000Z sig01:` + "\n" + `"}]`))
	if err == nil || !strings.Contains(err.Error(), `"\"\\"`) {
		t.Errorf("escapes: %v", err)
	}
}

func TestReadLeaseFileSizeLimit(t *testing.T) {
	if _, err := ReadLeaseFileFrom(bytes.NewReader(make([]byte, MaxFileSize+1))); err == nil {
		t.Fatal("oversized lease file accepted")
	}
}
