package auth

import (
	"testing"

	"aula/internal/auth/credentials"
	"aula/internal/core"
)

func parseBasicForTest(h string) (user, pw string, ok bool) {
	a, err := credentials.ParseAuthorization(h)
	return a.User, a.Password, err == nil && a.Scheme == credentials.Basic
}

// FuzzAuthenticate sends arbitrary Authorization headers through the whole
// chain. Whatever the bytes, the call must end as anonymous, refused, or
// as alice only when the header carried alice's real credentials.
func FuzzAuthenticate(f *testing.F) {
	good := basic("alice", "alice-password")
	for _, s := range []string{"", good, "Basic YWxpY2U6", "Bearer aula_x", "Basic Og==", "basic " + good[6:],
		"Bearer " + tokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Digest a=b", "Basic " + good[6:] + "=", "\x00"} {
		f.Add(s)
	}
	e := newEnv(f, "--auth-login-failures=100000000", "--auth-login-source-failures=100000000")
	e.addUser("alice", "alice-password", "admin")
	f.Fuzz(func(t *testing.T, header string) {
		_, out, err := e.call(netCall{method: "auth.whoami", authz: header})
		if err != nil {
			if k := core.KindOf(err); k != core.KindUnauthenticated && k != core.KindTooMany {
				t.Fatalf("header %q: %v", header, err)
			}
			return
		}
		w := out.(WhoAmI)
		switch w.Identity {
		case "":
			if header != "" {
				t.Fatalf("header %q was sent but the caller is anonymous", header)
			}
		case "alice":
			if u, p, ok := parseBasicForTest(header); !ok || u != "alice" || p != "alice-password" {
				t.Fatalf("header %q authenticated alice", header)
			}
		default:
			t.Fatalf("header %q made identity %q", header, w.Identity)
		}
	})
}
