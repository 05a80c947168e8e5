package aulaserver

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	_ "aula/modules/auth"
	_ "aula/modules/echo"
)

// The server runs the chain aula serve runs: the auth module refuses an
// admin method to an anonymous caller, and its anonymous rate limit lets
// the driver's address through far beyond the default burst of 200.
func TestStartRunsTheAuthChainWithoutLimitingTheDriver(t *testing.T) {
	s, err := Start(context.Background(), Options{Modules: []string{"echo"}, DataDir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if chain := strings.Join(s.App.Chain(), ","); !strings.Contains(chain, "authorize") || !strings.Contains(chain, "audit") {
		t.Fatalf("chain %s lacks the auth links", chain)
	}
	get := func(addr, path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(s.Addrs["main"], "/metrics"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /metrics: %d %q, want 401 from the auth module", code, body)
	}
	for i := range 500 {
		resp, err := http.Post("http://"+s.Addrs["xs"]+"/api/echo.echo", "application/json", strings.NewReader(`["hi"]`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "hi") {
			t.Fatalf("call %d: %s %q", i, resp.Status, b)
		}
	}
}
