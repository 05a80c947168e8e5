package wire

import (
	"net/http/httptest"
	"testing"
)

func TestNewCall(t *testing.T) {
	r := httptest.NewRequest("POST", "/RPC2", nil)
	r.RemoteAddr = "[::ffff:10.1.2.3]:4567"
	r.Header.Set("authorization", "Basic eDp5")
	c := NewCall(r, "xmlrpc", true)
	if c.Creds.Authorization != "Basic eDp5" || c.Caller.Addr.String() != "10.1.2.3:4567" ||
		c.Transport != "xmlrpc" || !c.Debug || c.Creds.PeerCerts != nil {
		t.Fatalf("call %+v", c)
	}
	r.Header.Del("Authorization")
	r.RemoteAddr = "not an address"
	if c := NewCall(r, "rest", false); c.Creds.Authorization != "" || c.Caller.Addr.IsValid() {
		t.Fatalf("call %+v", c)
	}
}
