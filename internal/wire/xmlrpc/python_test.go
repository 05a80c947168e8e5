package xmlrpc

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pythonLoads has Python's own xmlrpc.client parse each file and prints one
// repr() per line: the value of a response, the fault, or (method, params)
// of a call.
const pythonLoads = `
import sys, xmlrpc.client
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        params, method = xmlrpc.client.loads(data, use_builtin_types=True)
    except xmlrpc.client.Fault as f:
        print("Fault(%d, %r)" % (f.faultCode, f.faultString))
        continue
    except Exception as e:
        print("ERROR %s: %s" % (type(e).__name__, e))
        continue
    print(repr(params[0]) if method is None else repr((method, params)))
`

// runPython writes each document to a file, has python3 load them all in
// one run, and returns the printed lines.
func runPython(t *testing.T, docs [][]byte) []string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	args := []string{"-c", pythonLoads}
	for i, doc := range docs {
		path := filepath.Join(dir, fmt.Sprintf("%03d.xml", i))
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(docs) {
		t.Fatalf("python3 printed %d lines for %d documents:\n%s", len(lines), len(docs), out)
	}
	return lines
}

type pyReply struct {
	ID      int64          `json:"id"`
	Name    string         `json:"name"`
	Missing *string        `json:"missing,omitempty"`
	Extra   map[string]any `xmlrpc:"extra"`
	Base
}

func TestPythonReadsOurResponses(t *testing.T) {
	tests := []struct {
		v    any
		want string // Python's repr of what it parsed
	}{
		{"hello", `'hello'`},
		{"a&b<c>\r\n\t]]>'\"", `'a&b<c>\r\n\t]]>\'"'`},
		{"ñ ✓ 😀", `'ñ ✓ 😀'`},
		{"", `''`},
		{42, `42`},
		{-2147483648, `-2147483648`},
		{1 << 40, `1099511627776`},
		{int64(7), `7`},
		{true, `True`},
		{false, `False`},
		{1.5, `1.5`},
		{2.0, `2.0`},
		{1e21, `1e+21`},
		{1e-7, `1e-07`},
		{0.1, `0.1`},
		{5e-324, `5e-324`},
		{math.MaxFloat64, `1.7976931348623157e+308`},
		{math.Copysign(0, -1), `-0.0`},
		{math.Inf(1), `inf`},
		{math.NaN(), `nan`},
		{nil, `None`},
		{[]byte("hi\x00\xff"), `b'hi\x00\xff'`},
		{[]byte{}, `b''`},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `datetime.datetime(2024, 1, 2, 3, 4, 5)`},
		{time.Time{}, `datetime.datetime(1, 1, 1, 0, 0)`},
		{[]any{1, "a", nil, []any{}}, `[1, 'a', None, []]`},
		{map[string]any{"b": []any{true, nil}, "a": 1}, `{'a': 1, 'b': [True, None]}`},
		{map[string]any{}, `{}`},
		{pyReply{ID: 3, Name: "n", Base: Base{ID: 4, Name: "b"}}, `{'id': 3, 'name': 'n', 'extra': {}, 'Name': 'b'}`},
		{[]any{[]any{1}, map[string]any{"faultCode": 1, "faultString": "boom"}}, `[[1], {'faultCode': 1, 'faultString': 'boom'}]`},
	}
	var docs [][]byte
	for _, tt := range tests {
		b, err := AppendResponse(nil, tt.v)
		if err != nil {
			t.Fatalf("AppendResponse(%#v): %v", tt.v, err)
		}
		docs = append(docs, b)
	}
	fault := AppendFault(nil, MethodNotFound, "Unknown method <x> & \x00")
	call, err := AppendCall(nil, "echo.echo", []any{"hi", 1, map[string]any{"k": []any{1.5}}})
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, fault, call)
	got := runPython(t, docs)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("Go %#v: Python read %s, want %s", tt.v, got[i], tt.want)
		}
	}
	if want := `Fault(-32601, 'Unknown method <x> & ` + "\uFFFD" + `')`; got[len(tests)] != want {
		t.Errorf("fault: Python read %s, want %s", got[len(tests)], want)
	}
	if want := `('echo.echo', ('hi', 1, {'k': [1.5]}))`; got[len(tests)+1] != want {
		t.Errorf("call: Python read %s, want %s", got[len(tests)+1], want)
	}
}
