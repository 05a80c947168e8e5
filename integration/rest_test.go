package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func httpDo(t *testing.T, method, url, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: not JSON (%v): %s", method, url, err, data)
	}
	return resp.StatusCode, m, resp.Header
}

func TestREST(t *testing.T) {
	s := startServer(t, "")
	cases := []struct {
		name, method, path, body string
		status                   int
		check                    func(m map[string]any) bool
	}{
		{"positional echo", "POST", "api/echo.echo", `["a", 1, 2.5, {"k": [true]}]`, 200, func(m map[string]any) bool {
			r := m["result"].([]any)
			return m["success"] == "OK" && r[0] == "a" && r[1] == 1.0 && r[3].(map[string]any)["k"].([]any)[0] == true
		}},
		{"no args", "POST", "api/echo.echo", ``, 200, func(m map[string]any) bool { return len(m["result"].([]any)) == 0 }},
		{"named", "POST", "api/system.methodHelp", `{"name": "echo.echo"}`, 200, func(m map[string]any) bool {
			return strings.Contains(m["result"].(string), "arguments")
		}},
		{"unknown method", "POST", "api/no.such", `[]`, 404, errHas("unknown method no.such")},
		{"bad json", "POST", "api/echo.echo", `{"a":`, 400, errHas("malformed JSON")},
		{"trailing", "POST", "api/echo.echo", `[] []`, 400, errHas("trailing data")},
		{"scalar body", "POST", "api/echo.echo", `"x"`, 400, errHas("expected a JSON object")},
		{"wrong type", "POST", "api/system.methodHelp", `{"name": 5}`, 400, errHas(`field "name": expected string`)},
		{"unknown field", "POST", "api/system.methodHelp", `{"nom": "x"}`, 400, errHas(`missing field "name"`)},
		{"too big", "POST", "api/echo.echo", `["` + strings.Repeat("a", 2<<20) + `"]`, 400, errHas("limit")},
		{"GET on a method", "GET", "api/echo.echo", ``, 405, errHas("use POST")},
		{"list", "GET", "api", ``, 200, func(m map[string]any) bool {
			for _, x := range m["methods"].([]any) {
				e := x.(map[string]any)
				if e["name"] == "system.methodHelp" {
					return e["signature"].([]any)[0].([]any)[1] == "string" && e["help"] != ""
				}
			}
			return false
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, m, _ := httpDo(t, tc.method, s.url()+tc.path, tc.body)
			if st != tc.status || !tc.check(m) {
				t.Fatalf("status %d (want %d), body %v", st, tc.status, m)
			}
		})
	}
}

func errHas(s string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		e, _ := m["error"].(string)
		return m["success"] == "ERR" && strings.Contains(e, s)
	}
}
