package id

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

var lowerUID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// FuzzValidate feeds the register fields (all untrusted client text)
// through the validators: they must never panic, and what they accept must
// be what the store and the replies rely on.
func FuzzValidate(f *testing.F) {
	dsa := "AAAAB3NzaC1kc3MAAACBAIz7NuSS98UfCAJ9d2EKIniYsHsfse4WtHEE/nq3OQRN8x9e3NTo4BGVdI8CD4yeNtX6f6aToPpzK/751u/irlanc+5GXIzuu3gbD66ocmaWHKt4sGHUt/AY/bLFepBsq01zVvVjDAAHBYtqLe4kCu2OZ4fdkpo9HnrA/5iItpaBAAAAFQDA656nBbdCq/nWQuvshcAP+WhRUwAAAIBjv0IrEeskU1m4cqtBK/9ob1LF2KVEWQOWlNLe6sH69CzTLEcIwgXcGgzxU1yjXGJeU4g4iNIZ3CXeFkTEIblCEM6zt9lsmeDcJQpe9yzJMkx9KtvuiIRBDxaihvJK0BiBbaWbTteX5kL5TTM8IOlJxsu8jNp7l7gQfWaFD29+2AAAAIAuOJoy+t4T3Xj/yFT0JrIE7A31e+b4EglU4uSspYLEEhvy+2PKIRpDQY5bQFrAaPVOqNGTywnLJPxm3y8KPnynLeyjg/TaBceveTAOVMH/FRcf5DfaGql2NvK4NuhQAWpafW0vI2gg69cyrQhAVTmnX++PMYd72mXlnXnrnkEmag=="
	ed := "AAAAC3NzaC1lZDI1NTE5AAAAIC8faqodLS1BXtKOFODsu7zZOWLFegj0218lWAb9VAXn"
	f.Add("SHF706002A7", "nena", machineUUID, dsa, true)
	f.Add("RCU95305614", "Ñandú", "a8098c1a-f86e-11da-bd1a-00112444be1e", "ssh-dss "+dsa, true)
	f.Add(PlaceholderSerial, "", PlaceholderUUID, "ssh-ed25519 "+ed+" me@x", false)
	f.Add("", "a\x00b", "7455b79eb53864b13c93e8440de72190b4522b8e", "", false)
	f.Add("shf", "\xff", "{}", "AAAA", true)
	f.Add("SHF706002A7", "n", machineUUID, "ssh-rsa "+ed, true)
	f.Fuzz(func(t *testing.T, serial, nick, uuid, pubkey string, sugar bool) {
		if sugar && serial == "" {
			serial = "X"
		}
		c, err := checkRegistration(ClientArgs{UUID: uuid, Nickname: nick, Serial: serial, PubKey: pubkey}, sugar)
		if err != nil {
			if len(err.Error()) > 2000 {
				t.Errorf("error message of %d bytes", len(err.Error()))
			}
			return
		}
		if !lowerUID.MatchString(c.UID) {
			t.Errorf("uid %q", c.UID)
		}
		if c.Serial != "" && ValidateSerial(c.Serial) != nil || len(c.Serial) > MaxSerialLen {
			t.Errorf("serial %q accepted", c.Serial)
		}
		if !utf8.ValidString(c.Nickname) || utf8.RuneCountInString(c.Nickname) > MaxNickRunes {
			t.Errorf("nickname %q accepted", c.Nickname)
		}
		if len(c.UUID) > MaxUUIDLen {
			t.Errorf("uuid %q accepted", c.UUID)
		}
		if sugar && c.PubKey == "" {
			t.Error("sugar form accepted without a key")
		}
		if c.PubKey != "" {
			k, err := ParsePubKey(c.PubKey)
			if err != nil || k.Blob != c.PubKey || UIDOf(k.Blob) != c.UID {
				t.Errorf("stored key does not parse back: %v", err)
			}
		}
	})
}

// FuzzClientID: the admin commands' id argument.
func FuzzClientID(f *testing.F) {
	for _, s := range []string{"SHF706002A7", machineUUID, "7455b79eb53864b13c93e8440de72190b4522b8e", "", "x y", "ÑÑ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		kind, key, err := parseClientID(id)
		if err != nil {
			return
		}
		switch kind {
		case "uid":
			if !lowerUID.MatchString(key) {
				t.Errorf("uid key %q", key)
			}
		case "uuid", "serial":
			if len(key) > MaxUUIDLen {
				t.Errorf("%s key %q", kind, key)
			}
		default:
			t.Errorf("kind %q", kind)
		}
	})
}
