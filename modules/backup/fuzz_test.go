package backup

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"aula/internal/frontend/httpfront"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{"": 0, "0": 0, "1048576": 1 << 20, "500M": 500 << 20, "2GiB": 2 << 30, "1.5GB": 1.5e9,
		"10 k": 10 << 10, "3t": 3 << 40, "7B": 7, "1kb": 1000}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"M", "-1", "1.2.3", "5X", "1e9", strings.Repeat("9", 33), "99999999999T", "1 0"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
	for _, n := range []int64{0, 1023, 1024, 1536, 5 << 30} {
		if _, err := ParseSize(FormatSize(n)); err != nil {
			t.Errorf("FormatSize(%d) = %q does not parse back: %v", n, FormatSize(n), err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"", "500M", "1.5GB", "2 GiB", "0.0001k", ".", "9999999999999T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}

// FuzzAvailablePath throws arbitrary paths at the bare-status control
// routes, as the HTTP front end serves them: the answer is always one of the statuses their clients know
// (or the mux's redirect to the clean path), never a server error, and the body one line at most.
func FuzzAvailablePath(f *testing.F) {
	h, err := boot(f.TempDir()+"/data", "--backup-max-concurrent=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.db.Close() })
	for _, s := range []string{"SHF706002A7", "", "a/b", "%2e%2e", "x\x00y", strings.Repeat("A", 70), "8bf9ac40-26f8-4bcc-a699-be51fd366419"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	handler, err := httpfront.RoutesHandler(h.app, false, "backup", h.mod.Routes())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, who string, useXS bool) {
		prefix := sskPrefix
		if useXS {
			prefix = xsPrefix
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = prefix + who
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 403, 503:
		case 301, 307, 308: // the mux cleans a path ("//", "/../") by redirecting, as the server does
			return
		default:
			t.Fatalf("%q: status %d %q", who, rec.Code, rec.Body.String())
		}
		if body := strings.TrimSuffix(rec.Body.String(), "\n"); strings.ContainsAny(body, "\r\n") {
			t.Fatalf("%q: multi-line body %q", who, body)
		}
	})
}
