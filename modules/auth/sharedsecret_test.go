package auth

import (
	"context"
	"net/netip"
	"testing"

	"aula/internal/core"
)

// A name a front end proved with a shared secret (the chat magic) becomes
// the caller with its groups, so the ACL and method defaults apply to it.
func TestSharedSecretIdentity(t *testing.T) {
	e := newEnv(t)
	e.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"admin"}})
	call := func(name, method string) (*core.Call, error) {
		c := &core.Call{Method: method, Args: []any{}, Transport: "chat",
			Caller: core.Caller{Addr: netip.MustParseAddrPort("127.0.0.1:40000")},
			Creds:  core.Credentials{SharedSecret: name, SharedSecretVia: "magic"}}
		_, err := e.app.Handle(context.Background(), c)
		return c, err
	}
	c, err := call("ivle-web", "authtest.admin_only")
	if err != nil {
		t.Fatalf("admin client refused: %v", err)
	}
	if c.Caller.Identity != "ivle-web" || c.Caller.Via != "magic" || !c.Caller.InGroup("admin") {
		t.Fatalf("caller %+v", c.Caller)
	}
	if _, err := call("other", "authtest.admin_only"); kindOf(err) != "permission denied" {
		t.Fatalf("non-admin client: %v, want permission denied", err)
	}
	if _, err := call("other", "authtest.member"); err != nil {
		t.Fatalf("authenticated client refused a member method: %v", err)
	}
	if _, err := call(localAdmin, "authtest.public"); kindOf(err) != "unauthenticated" {
		t.Fatalf("reserved name: %v, want unauthenticated", err)
	}
}
