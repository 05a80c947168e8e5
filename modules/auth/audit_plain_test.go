package auth

import (
	"strings"
	"testing"

	"aula/internal/core"
)

func methodWith(names ...string) *core.Method {
	m := &core.Method{Name: "t.m"}
	for _, n := range names {
		m.Params = append(m.Params, core.Param{Name: n})
	}
	return m
}

// checkPlainArgs fails when plainArgs takes a call and renders it other
// than encoding/json does.
func checkPlainArgs(t *testing.T, meth *core.Method, args []any) {
	t.Helper()
	c := &core.Call{Args: args}
	got, ok := plainArgs(meth, c)
	if !ok {
		return
	}
	if want := jsonArgs(meth, c); got != want {
		t.Fatalf("params %v args %q: plainArgs %q, encoding/json %q", meth.Params, args, got, want)
	}
}

func TestPlainArgsMatchesJSON(t *testing.T) {
	key := "AAAAC3NzaC1lZDI1NTE5AAAAIH+/a0Zq=" + strings.Repeat("Q", 20)
	register := methodWith("serial", "nickname", "uuid", "pubkey")
	cases := []struct {
		meth  *core.Method
		args  []any
		taken bool // plainArgs renders it (else auditArgs goes the general way)
	}{
		{register, []any{"SHC12345678", "kid", "6f1b2c3d-0000-4000-8000-000000000001", key}, true},
		{register, []any{"", "", "", ""}, true},
		{register, []any{"SHC1"}, true},
		{register, nil, true},
		{methodWith("b", "a", "c", "ab", "B"), []any{"1", "2", "3", "4", "5"}, true},
		{register, []any{"SHC1", "Ana & Bo", "u", key}, false},  // json escapes &
		{register, []any{"SHC1", "<b>", "u", key}, false},       // and < >
		{register, []any{"SHC1", "Zoë", "u", key}, false},       // not ASCII
		{register, []any{"SHC1", "a\"b\\c\n", "u", key}, false}, // quoted
		{register, []any{"SHC1", 7, "u", key}, false},           // not a string
		{register, []any{"1", "2", "3", "4", "5"}, false},       // extra argument
		{methodWith("user", "password"), []any{"ana", "hunter2"}, false},
		{methodWith("a", "b", "a"), []any{"1", "2", "3"}, false}, // a map keeps one a
		{methodWith("x\"y"), []any{"1"}, false},
		{methodWith("p"), []any{strings.Repeat("x", 3*maxAuditArgs)}, true}, // clipped alike
		{&core.Method{Variadic: true}, []any{"x"}, false},
	}
	for _, tc := range cases {
		c := &core.Call{Args: tc.args}
		if _, ok := plainArgs(tc.meth, c); ok != tc.taken {
			t.Errorf("params %v args %q: taken %v, want %v", tc.meth.Params, tc.args, ok, tc.taken)
		}
		checkPlainArgs(t, tc.meth, tc.args)
		if got, want := auditArgs(tc.meth, c), jsonArgs(tc.meth, c); got != want {
			t.Errorf("params %v args %q: auditArgs %q, encoding/json %q", tc.meth.Params, tc.args, got, want)
		}
	}
	if _, ok := plainArgs(register, &core.Call{Named: map[string]any{"serial": "x"}}); ok {
		t.Error("plainArgs took named arguments")
	}
}

// FuzzPlainArgs holds plainArgs to encoding/json's bytes for any names
// and values it takes.
func FuzzPlainArgs(f *testing.F) {
	f.Add("serial", "nickname", "uuid", "SHC1", "kid", "6f1b2c3d-0000-4000-8000-000000000001", uint8(3))
	f.Add("b", "a", "b", "x", "y", "z", uint8(3))
	f.Add("token", "a", "c", "x", "<y>", "z\u2028", uint8(2))
	f.Fuzz(func(t *testing.T, n1, n2, n3, v1, v2, v3 string, count uint8) {
		args := []any{v1, v2, v3}[:count%4]
		checkPlainArgs(t, methodWith(n1, n2, n3), args)
	})
}

func BenchmarkAuditArgs(b *testing.B) {
	meth := methodWith("serial", "nickname", "uuid", "pubkey")
	c := &core.Call{Args: []any{"SHC12345678", "kid", "6f1b2c3d-0000-4000-8000-000000000001",
		"AAAAC3NzaC1lZDI1NTE5AAAAIH+/a0ZqQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"}}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			auditArgs(meth, c)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			jsonArgs(meth, c)
		}
	})
}
