package lease

import (
	"errors"
	"strings"
	"testing"
)

var (
	hexKeyID = strings.Repeat("ab", 27) + "0203010001"
	hexFull  = "3082010a0282010100" + strings.Repeat("c1", 256) + hexKeyID[len(hexKeyID)-10:]
	hexSig   = strings.Repeat("5a", 256)
)

// Syntactically valid lines of every kind (signatures are not checked by
// ParseLine), with the field count each must have.
var goodLines = []struct {
	text   string
	kind   Kind
	fields int
	links  int
}{
	{"act01: SHF706002A7 K 20271231T000000Z sig01: sha256 " + hexKeyID + " " + hexSig + "\n", KindActivation, 8, 1},
	{"act01: SHF706002A7 K 00000000T000000Z sig02: sha256 " + hexKeyID + " 20271231T000000Z " + hexSig + "\n", KindActivation, 9, 1},
	{"act01: SHF706002A7 K 20271231T000000Z sig02: sha256 " + hexKeyID + " 20300101T000000Z " + hexSig +
		" sha256 " + hexFull + " 20271231T000000Z " + hexSig + "\n", KindActivation, 13, 2},
	{"act01: SHF706002A7 K 20271231T000000Z sig02: sha256 " + hexKeyID + " 20300101T000000Z " + hexSig +
		" sha256 " + hexFull + " 20290101T000000Z " + hexSig +
		" sha256 " + hexFull + " 20271231T000000Z " + hexSig + "\n", KindActivation, 17, 3},
	{"act01: SHF706002A7 K 20271231T000000Z sig01: sha256 " + hexFull + " " + hexSig + "\n", KindActivation, 8, 1},
	{"rtc01: SHF706002A7 20110512T003512Z 0000000135 20110412T003512Z sig01: sha256 " + hexKeyID + " " + hexSig + "\n", KindRTCReset, 9, 1},
	{"rtc01: SHF706002A7 20110512T003512Z 0000000135 20110412T003512Z sig02: sha256 " + hexKeyID + " 00000000T000000Z " + hexSig + "\n", KindRTCReset, 10, 1},
	{"sig02: sha256 " + hexKeyID + " 20300101T000000Z " + hexSig + "\n", KindDelegation, 5, 1},
	{"del01: SHF706002A7 8BF9AC40-26F8-4BCC-A699-BE51FD366419 sig02: sha256 " + hexKeyID + " 20300101T000000Z " + hexSig + "\n", KindServerDelegation, 8, 1},
}

func TestParseGoodLines(t *testing.T) {
	for i, c := range goodLines {
		if n := len(strings.Fields(c.text)); n != c.fields {
			t.Fatalf("case %d has %d fields, table says %d", i, n, c.fields)
		}
		l, err := ParseLine([]byte(c.text))
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		if l.Kind != c.kind || len(l.Links) != c.links {
			t.Errorf("case %d: kind %s links %d, want %s %d", i, l.Kind, len(l.Links), c.kind, c.links)
		}
		if l.String() != c.text {
			t.Errorf("case %d does not re-serialise:\n%q\n%q", i, l.String(), c.text)
		}
	}
}

func TestParseBadLines(t *testing.T) {
	v1 := goodLines[0].text
	v2 := goodLines[1].text
	chain := goodLines[2].text
	rtc := goodLines[5].text
	del := goodLines[8].text
	bad := []struct {
		name, text, want string
	}{
		{"no newline", strings.TrimSuffix(v1, "\n"), `end in "\n"`},
		{"CRLF", strings.TrimSuffix(v1, "\n") + "\r\n", "byte 0x0d"},
		{"double space", strings.Replace(v1, " K ", "  K ", 1), "empty field"},
		{"trailing space", strings.TrimSuffix(v1, "\n") + " \n", "empty field"},
		{"tab", strings.Replace(v1, " K ", "\tK ", 1), "byte 0x09"},
		{"lowercase SN", strings.Replace(v1, "SHF706002A7", "shf706002a7", 1), "field SN"},
		{"long SN", strings.Replace(v1, "SHF706002A7", strings.Repeat("A", 21), 1), "field SN"},
		{"disposition", strings.Replace(v1, " K ", " X ", 1), "field disposition"},
		{"EXP form", strings.Replace(v1, "20271231T000000Z", "2027-12-31T0000Z", 1), "field EXP"},
		{"EXP date", strings.Replace(v1, "20271231T000000Z", "20271331T000000Z", 1), "field EXP"},
		{"EXP fraction", strings.Replace(v1, "20271231T000000Z", "20271231T00000.Z", 1), "field EXP"},
		{"keyid length", strings.Replace(v1, hexKeyID, hexKeyID[2:], 1), "field keyid"},
		{"keyid upper", strings.Replace(v1, hexKeyID, strings.ToUpper(hexKeyID), 1), "field key"},
		{"sig length", strings.Replace(v1, hexSig, hexSig[1:], 1), "field signature"},
		{"sig non-hex", strings.Replace(v1, hexSig, "zz"+hexSig[2:], 1), "field signature"},
		{"hash", strings.Replace(v1, "sha256", "rmd160", 1), "field hash"},
		{"sig01 extra field", strings.Replace(v1, " sig01:", " sig01: extra", 1), "needs 8 fields, got 9"},
		{"sig02 missing SIGEXP", strings.Replace(v2, " 20271231T000000Z "+hexSig, " "+hexSig, 1), "needs 9 fields"},
		{"sig02 SIGEXP", strings.Replace(v2, " 20271231T000000Z "+hexSig, " 2027 "+hexSig, 1), "field SIGEXP"},
		{"chain keyid in link 2", strings.Replace(chain, hexFull, hexKeyID, 1), "field link 2 fullkey"},
		{"chain DELEXP", strings.Replace(chain, "20300101T000000Z", "20300230T000000Z", 1), "field link 1 DELEXP"},
		{"chain short", chain[:len(chain)-len(hexSig)-2] + "\n", "plus 4 per further chain link"},
		{"unknown type", strings.Replace(v1, "act01:", "act02:", 1), "field type"},
		{"dev01", strings.Replace(v1, "act01:", "dev01:", 1), "field type"},
		{"bare sig01", "sig01: sha256 " + hexKeyID + " " + hexSig + "\n", "field type"},
		{"sig03", strings.Replace(v1, "sig01:", "sig03:", 1), "field signature type"},
		{"rtc nonce short", strings.Replace(rtc, "0000000135", "135", 1), "field NONCE"},
		{"rtc CURRENTRTC", strings.Replace(rtc, "20110512T003512Z", "20110512T003512X", 1), "field CURRENTRTC"},
		{"del01 UUID", strings.Replace(del, "8BF9AC40-26F8", "8BF9AC40_26F8", 1), "field UUID"},
		{"del01 sig01", "del01: SHF706002A7 8BF9AC40-26F8-4BCC-A699-BE51FD366419 sig01: sha256 " + hexKeyID + " " + hexSig + "\n", "delegations must be sig02"},
		{"only head", "act01: SHF706002A7 K 20271231T000000Z\n", "too few"},
		{"empty", "\n", "empty field"},
		{"too long", strings.Repeat("a", MaxLineLen+1), "limit"},
	}
	for _, c := range bad {
		_, err := ParseLine([]byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
	var fe *FieldError
	if _, err := ParseLine([]byte(strings.Replace(v1, " K ", " X ", 1))); !errors.As(err, &fe) || fe.Field != "disposition" {
		t.Errorf("want a *FieldError naming disposition, got %v", err)
	}
}

func TestParseChainLimit(t *testing.T) {
	text := "act01: SHF706002A7 K 20271231T000000Z sig02: sha256 " + hexKeyID + " 20300101T000000Z " + hexSig
	for range MaxChainLinks {
		text += " sha256 " + hexFull + " 20300101T000000Z " + hexSig
	}
	if _, err := ParseLine([]byte(text + "\n")); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("%d-link chain: %v, want limit error", MaxChainLinks+1, err)
	}
}

func TestStamp(t *testing.T) {
	s, err := ParseStamp("20271231T235959Z")
	if err != nil {
		t.Fatal(err)
	}
	tm, ok := s.Time()
	if !ok || StampOf(tm) != s || tm.Location().String() != "UTC" {
		t.Fatalf("round trip of %s failed: %v %v", s, tm, ok)
	}
	if !s.Expired(tm) || s.Expired(tm.Add(-1)) {
		t.Error("a stamp expires exactly at its instant")
	}
	if _, ok := NoExpiry.Time(); ok || NoExpiry.Expired(tm.AddDate(1000, 0, 0)) {
		t.Error("NoExpiry must never expire")
	}
	for _, bad := range []string{"20270229T000000Z", "20271231T240000Z", "20271231T235960Z", "00001231T000000Z", "2027123IT000000Z", "20271231t000000Z"} {
		if _, err := ParseStamp(bad); err == nil {
			t.Errorf("ParseStamp(%q) accepted", bad)
		}
	}
}

func TestPadNonce(t *testing.T) {
	for in, want := range map[string]string{"135": "0000000135", "0000000135": "0000000135", "9999999999": "9999999999"} {
		if got, err := PadNonce(in); err != nil || got != want {
			t.Errorf("PadNonce(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "12345678901", "-1", "1a", " 1"} {
		if _, err := PadNonce(bad); err == nil {
			t.Errorf("PadNonce(%q) accepted", bad)
		}
	}
}
