package xmlrpc

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonClient calls a server with Python's own ServerProxy (as Sugar and
// Bcfg2 clients do) and prints repr() of each result or fault.
const pythonClient = `
import sys, math, xmlrpc.client
from datetime import datetime
p = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=True, use_builtin_types=True)
calls = [
    ("echo", ("hi", 42, -2**31, True, 1.5, 2.0, -0.0, float("inf"), None, "ñ ✓ 😀 <&>\r\n")),
    ("echo", (b"\x00\xff" * 100, datetime(2024, 1, 2, 3, 4, 5))),
    ("echo", ({"b": [1, {"c": []}], "a": {}},)),
    ("ns.deep/x:y", ()),
    ("fail", ()),
]
for name, args in calls:
    try:
        print(repr(getattr(p, name)(*args)))
    except xmlrpc.client.Fault as f:
        print("Fault(%d, %r)" % (f.faultCode, f.faultString))
`

// TestPythonClientRoundTrip serves calls from Python's ServerProxy through
// this codec: Python encodes, we decode, echo the params back, Python
// decodes. Every value must come back as Python sent it.
func TestPythonClientRoundTrip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, params, err := DecodeCall(r.Body, 1<<20)
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case err != nil:
			f := err.(*Fault)
			EncodeFault(w, f.Code, f.String)
		case method == "fail":
			EncodeFault(w, ApplicationError, "failed as asked")
		case method == "echo":
			EncodeResponse(w, params)
		default:
			EncodeResponse(w, method)
		}
	}))
	defer srv.Close()
	cmd := exec.Command(python, "-c", pythonClient, srv.URL+"/RPC2")
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	want := []string{
		// Python writes \r raw, so XML line-end normalisation makes \r\n a \n
		// (Python's own server does the same); we send \r back escaped.
		`['hi', 42, -2147483648, True, 1.5, 2.0, -0.0, inf, None, 'ñ ✓ 😀 <&>\n']`,
		`[b'` + strings.Repeat(`\x00\xff`, 100) + `', datetime.datetime(2024, 1, 2, 3, 4, 5)]`,
		`[{'a': {}, 'b': [1, {'c': []}]}]`,
		`'ns.deep/x:y'`,
		`Fault(-32500, 'failed as asked')`,
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("python printed:\n%s", out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: got  %s\nwant %s", i, got[i], want[i])
		}
	}
}
