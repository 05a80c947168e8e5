package lab

import (
	"net"
	"net/netip"
	"regexp"
	"strings"

	"aula/internal/core"
)

// nameRE is what lab, group and computer names may be: they are typed on
// command lines and end up in certificate names (lab-agent-NAME).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$`)

func checkName(what, s string) error {
	if !nameRE.MatchString(s) {
		return core.Errorf(core.KindInvalid, "%s %q: use letters, digits, '.', '_' and '-' (at most 48, starting with a letter or digit)", what, s)
	}
	return nil
}

// normMAC accepts 12 hex digits with or without ':' or '-' separators and
// returns the aa:bb:cc:dd:ee:ff form ("" stays "").
func normMAC(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if hw, err := net.ParseMAC(s); err == nil && len(hw) == 6 {
		return hw.String(), nil
	}
	if len(s) == 12 {
		if hw, err := net.ParseMAC(strings.Join([]string{s[0:2], s[2:4], s[4:6], s[6:8], s[8:10], s[10:12]}, ":")); err == nil {
			return hw.String(), nil
		}
	}
	return "", core.Errorf(core.KindInvalid, "MAC %q: want six hex bytes (aa:bb:cc:dd:ee:ff)", s)
}

func normIP(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", core.Errorf(core.KindInvalid, "IP %q: not an IP address", s)
	}
	return a.String(), nil
}
