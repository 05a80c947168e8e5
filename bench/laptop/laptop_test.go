package laptop

import (
	"strings"
	"testing"
)

// The call is well-formed and carries laptop n's own fields; a line holds
// the same fields; two laptops share none.
func TestRegisterCarriesTheLaptopsFields(t *testing.T) {
	body, key := Register(7)
	serial, nick, uuid, key2 := Fields(7)
	if key != key2 || nick != "bench 7" || len(serial) != 11 || len(uuid) != 36 || !strings.HasPrefix(key, "AAAAC3NzaC1lZDI1NTE5") {
		t.Fatalf("fields %q %q %q %q", serial, nick, uuid, key)
	}
	want := CallHead + serial + CallSep + nick + CallSep + uuid + CallSep + key + CallTail
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	s8, _, u8, k8 := Fields(8)
	if s8 == serial || u8 == uuid || k8 == key {
		t.Fatal("laptops 7 and 8 share a field")
	}
}
