package credentials

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseAuthorization(t *testing.T) {
	pem := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	tests := []struct {
		header string
		want   Authorization
	}{
		{"Basic " + b64("alice:secret"), Authorization{Scheme: Basic, User: "alice", Password: "secret"}},
		{"basic " + b64("alice:secret"), Authorization{Scheme: Basic, User: "alice", Password: "secret"}},
		{"BASIC   " + b64("a:b") + " \t", Authorization{Scheme: Basic, User: "a", Password: "b"}},
		// split on the FIRST colon: the password keeps its colons
		{"Basic " + b64("root:pa:ss:word"), Authorization{Scheme: Basic, User: "root", Password: "pa:ss:word"}},
		{"Basic " + b64(":"), Authorization{Scheme: Basic}},
		{"Basic " + b64("client:"), Authorization{Scheme: Basic, User: "client"}},
		{"Basic " + b64("n\u00f6:p\u00e4ss"), Authorization{Scheme: Basic, User: "n\u00f6", Password: "p\u00e4ss"}},
		{"Basic " + b64("bm9uY2U=:"+pem), Authorization{Scheme: Basic, User: "bm9uY2U=", Password: pem}},
		{"Bearer abc.DEF-123_~+/==", Authorization{Scheme: Bearer, Token: "abc.DEF-123_~+/=="}},
		{"bearer x", Authorization{Scheme: Bearer, Token: "x"}},
	}
	for _, tt := range tests {
		got, err := ParseAuthorization(tt.header)
		if err != nil || got != tt.want {
			t.Errorf("ParseAuthorization(%q) = %+v, %v; want %+v", tt.header, got, err, tt.want)
		}
	}
}

func TestParseAuthorizationErrors(t *testing.T) {
	tests := []struct{ header, wantErr string }{
		{"", "no Authorization header"},
		{"   ", "no Authorization header"},
		{"Digest username=x", `unsupported authorization scheme "Digest"`},
		{"Basic", "Basic credentials are empty"},
		{"Basic ", "Basic credentials are empty"},
		{"Basic " + strings.TrimRight(b64("alice:secret1"), "="), "not a multiple of 4 (padding missing?)"},
		{"Basic YWxp!2U6c2Vj", "invalid base64 at byte 4"},
		{"Basic " + b64("alice:x") + " extra", "unexpected space at byte 12"},
		{"Basic YWxpY2VfX2E9", "no ':' between user and password"},
		{"Basic " + b64("al\nice:x"), "control character 0x0a at byte 2"},
		{"Basic " + b64(strings.Repeat("u", MaxUserLen+1)+":p"), "user name longer than"},
		{"Basic " + strings.Repeat("A", MaxHeaderLen), "header longer than"},
		{"Bearer", "Bearer token is empty"},
		{"Bearer ===", "only padding"},
		{"Bearer a=b", `invalid character '=' at byte 1`},
		{"Bearer a b", `invalid character ' ' at byte 1`},
		{"Bearer " + strings.Repeat("t", MaxTokenLen+1), "token longer than"},
	}
	for _, tt := range tests {
		_, err := ParseAuthorization(tt.header)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			name := tt.header
			if len(name) > 60 {
				name = name[:60] + "..."
			}
			t.Errorf("ParseAuthorization(%q) error = %v, want %q", name, err, tt.wantErr)
		}
	}
	if _, err := ParseAuthorization(""); !errors.Is(err, ErrMissing) {
		t.Errorf("empty header: %v is not ErrMissing", err)
	}
}

func TestFromHeader(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
	if _, err := FromHeader(r.Header); !errors.Is(err, ErrMissing) {
		t.Fatalf("no header: %v", err)
	}
	r.SetBasicAuth("bob", "p:w") // net/http as the encoding peer
	a, err := FromHeader(r.Header)
	if err != nil || a.User != "bob" || a.Password != "p:w" {
		t.Fatalf("FromHeader = %+v, %v", a, err)
	}
	r.Header.Add("Authorization", "Bearer x")
	if _, err := FromHeader(r.Header); err == nil || !strings.Contains(err.Error(), "2 Authorization headers") {
		t.Fatalf("two headers: %v", err)
	}
}

// Python's xmlrpc.client builds the header from URL credentials; parse
// exactly what it sends.
func TestPythonXMLRPCHeader(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script := `import xmlrpc.client
t = xmlrpc.client.Transport()
_, headers, _ = t.get_host_info("root:pa%3Ass%20w@127.0.0.1:6789")
print(dict(headers)["Authorization"])`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	a, err := ParseAuthorization(strings.TrimSpace(string(out)))
	if err != nil || a.Scheme != Basic || a.User != "root" || a.Password != "pa:ss w" {
		t.Fatalf("parsed %q as %+v, %v", out, a, err)
	}
}

func TestStringHidesSecrets(t *testing.T) {
	for _, a := range []Authorization{
		{Scheme: Basic, User: "u", Password: "hunter2"},
		{Scheme: Bearer, Token: "hunter2"},
	} {
		if s := a.String(); strings.Contains(s, "hunter2") {
			t.Errorf("String() leaks the secret: %s", s)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("Basic " + b64("alice:secret"))
	f.Add("Basic " + b64("a:b:c"))
	f.Add("basic YWxp!2U6c2Vj")
	f.Add("Bearer abc.DEF-123_~+/==")
	f.Add("Bearer ")
	f.Add("Negotiate YII=")
	f.Add(" \tBasic  " + b64(":"))
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			if a != (Authorization{}) {
				t.Fatalf("error %v with non-zero result %+v", err, a)
			}
			return
		}
		switch a.Scheme {
		case Basic:
			if strings.ContainsAny(a.User, ":\x00\n\r") || len(a.User) > MaxUserLen {
				t.Fatalf("bad user %q accepted", a.User)
			}
			// Re-encoding must give back a header that parses the same.
			b, err := ParseAuthorization("Basic " + b64(a.User+":"+a.Password))
			if err != nil || b != a {
				t.Fatalf("round trip: %+v -> %+v, %v", a, b, err)
			}
		case Bearer:
			if a.Token == "" || len(a.Token) > MaxTokenLen || strings.ContainsAny(a.Token, " \t") {
				t.Fatalf("bad token %q accepted", a.Token)
			}
		default:
			t.Fatalf("no scheme: %+v", a)
		}
	})
}
