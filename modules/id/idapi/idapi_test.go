package idapi

import (
	"strings"
	"testing"
)

func TestValidUID(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 3)[:40]
	if !ValidUID(good) {
		t.Fatalf("ValidUID(%q) = false", good)
	}
	for _, bad := range []string{"", good[:39], good + "0", strings.ToUpper(good), good[:39] + "g", good[:20] + " " + good[21:], good[:39] + "\x00"} {
		if ValidUID(bad) {
			t.Errorf("ValidUID(%q) = true", bad)
		}
	}
}
