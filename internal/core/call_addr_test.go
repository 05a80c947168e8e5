package core

import (
	"net/netip"
	"testing"
)

func TestCallAddrText(t *testing.T) {
	var c Call
	if got := c.AddrText(); got != "" {
		t.Fatalf("no address: %q", got)
	}
	for _, ap := range []string{"192.0.2.7:4000", "[2001:db8::1]:80", "[::ffff:192.0.2.9]:1", "192.0.2.8:5"} {
		c.Caller.Addr = netip.MustParseAddrPort(ap)
		if got, want := c.AddrText(), c.Caller.Addr.Addr().String(); got != want {
			t.Errorf("%s: AddrText %q, want %q", ap, got, want)
		}
	}
	c.Caller.Addr = netip.AddrPort{}
	if got := c.AddrText(); got != "" {
		t.Fatalf("address cleared: %q", got)
	}
}
