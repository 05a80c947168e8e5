package id

import (
	"strings"
	"testing"
)

func TestValidateSerial(t *testing.T) {
	for _, ok := range []string{"SHF706002A7", "RCU95305614", PlaceholderSerial, "A", "PC0042", strings.Repeat("Z", 32)} {
		if err := ValidateSerial(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for s, want := range map[string]string{
		"":                      "serial: empty",
		"shf706002a7":           "not a serial number",
		"SHF 706002A7":          "not a serial number",
		"SHF706002A7\n":         "not a serial number",
		strings.Repeat("Z", 33): "33 bytes long",
	} {
		if err := ValidateSerial(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
}

func TestValidateNickname(t *testing.T) {
	for _, ok := range []string{"", "nena", "Ñandú 🐦", strings.Repeat("ñ", 200)} {
		if err := ValidateNickname(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for s, want := range map[string]string{
		"a\x00b":                 "U+0000",
		"a\nb":                   "U+000A",
		"a\u0085b":               "U+0085",
		"\xff":                   "not valid UTF-8",
		strings.Repeat("ñ", 201): "201 characters",
	} {
		if err := ValidateNickname(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
}

func TestValidateUUID(t *testing.T) {
	for s, isUID := range map[string]bool{
		machineUUID:                  false,
		strings.ToLower(machineUUID): false,
		PlaceholderUUID:              false,
		strings.Repeat("a1", 20):     true,
		strings.Repeat("A1", 20):     true,
	} {
		got, err := ValidateUUID("uuid", s)
		if err != nil || got != isUID {
			t.Errorf("%q: uid=%v err=%v", s, got, err)
		}
	}
	for _, bad := range []string{"", "8BF9AC40-26F8-4BCC-A699-BE51FD36641", "{" + machineUUID + "}", "8BF9AC4026F84BCCA699BE51FD366419",
		strings.Repeat("g", 40), strings.Repeat("a", 39)} {
		if _, err := ValidateUUID("uuid", bad); err == nil || !strings.HasPrefix(err.Error(), "uuid: ") {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}

// The example of spec §1.4: the uid hashes the blob, never the prefix.
func TestUIDOfSpecExample(t *testing.T) {
	if got := UIDOf("AAAAB3NzaC1kc3MAAACBAexample"); got != "7455b79eb53864b13c93e8440de72190b4522b8e" {
		t.Errorf("UIDOf = %s", got)
	}
}

func TestParsePubKey(t *testing.T) {
	blob := newKey(t)
	for _, in := range []string{blob, "ssh-ed25519 " + blob, "ssh-ed25519 " + blob + " me@host", " " + blob + " \n", blob + " comment"} {
		k, err := ParsePubKey(in)
		if err != nil || k.Blob != blob || k.Type != "ssh-ed25519" || k.AuthorizedKey() != "ssh-ed25519 "+blob {
			t.Errorf("%q: %+v %v", in, k, err)
		}
	}
	for in, want := range map[string]string{
		"":                                    "pubkey: empty",
		"ssh-rsa " + blob:                     "the line says \"ssh-rsa\" but the key is ssh-ed25519",
		"!!!":                                 "not base64",
		"AAAA":                                "not an SSH public key",
		blob[:len(blob)-4]:                    "not",
		strings.Repeat("A", MaxPubKeyBytes+1): "bytes long",
		"AAAAC3NzaC1lZDI1NTE5AAAAIA==":        "not an SSH public key",
	} {
		if _, err := ParsePubKey(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: %v, want %q", in, err, want)
		}
	}
}
