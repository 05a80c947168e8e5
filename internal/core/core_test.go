package core

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type regArgs struct {
	Serial   string `json:"serial"`
	Nickname string `json:"nickname"`
	Count    int    `json:"count,omitempty"`
}

type regReply struct {
	Success string `json:"success"`
	Got     string `json:"got"`
}

type testModule struct{ calls int }

func (m *testModule) Methods() []Method {
	reg := Func("register", "registers", func(ctx context.Context, in regArgs) (regReply, error) {
		m.calls++
		return regReply{"OK", in.Serial + "/" + in.Nickname}, nil
	})
	reg.Aliases = []string{"register"}
	boom := Func("boom", "panics", func(ctx context.Context, _ struct{}) (int, error) {
		panic("kaboom")
	})
	typed := Func("typed", "every type", func(ctx context.Context, in struct {
		I  int64          `json:"i"`
		F  float64        `json:"f"`
		B  bool           `json:"b"`
		T  time.Time      `json:"t"`
		By []byte         `json:"by"`
		L  []string       `json:"l"`
		M  map[string]int `json:"m"`
		S  regArgs        `json:"s"`
		A  any            `json:"a"`
		P  *string        `json:"p,omitempty"`
	}) (any, error) {
		return in, nil
	})
	return []Method{reg, boom, typed}
}

func init() {
	Register(ModuleInfo{ID: "coretest", New: func() Module { return &testModule{} }})
}

func newTestApp(t *testing.T) *App {
	t.Helper()
	a, err := NewApp(nil, "coretest")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPositionalAndNamed(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		call    *Call
		want    string
		errKind Kind
		errHas  string
	}{
		{"positional", &Call{Method: "coretest.register", Args: []any{"SHF1", "nena"}}, "SHF1/nena", 0, ""},
		{"alias", &Call{Method: "register", Args: []any{"SHF1", "nena", 3}}, "SHF1/nena", 0, ""},
		{"named", &Call{Method: "coretest.register", Named: map[string]any{"serial": "A", "nickname": "b"}}, "A/b", 0, ""},
		{"too few", &Call{Method: "register", Args: []any{"x"}}, "", KindInvalid, "expected 2 to 3 params (serial, nickname, count?), got 1"},
		{"too many", &Call{Method: "register", Args: []any{"x", "y", 1, 2}}, "", KindInvalid, "got 4"},
		{"wrong type", &Call{Method: "register", Args: []any{"x", 5}}, "", KindInvalid, "param 2 (nickname): expected string, got int"},
		{"missing named", &Call{Method: "register", Named: map[string]any{"serial": "x"}}, "", KindInvalid, `missing field "nickname"`},
		{"unknown named", &Call{Method: "register", Named: map[string]any{"serial": "x", "nickname": "y", "zz": 1}}, "", KindInvalid, `unknown field "zz"`},
		{"unknown method", &Call{Method: "nope.nope"}, "", KindNoMethod, "unknown method nope.nope"},
		{"panic", &Call{Method: "coretest.boom", Args: []any{}}, "", KindInternal, "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := a.Handle(ctx, tc.call)
			if tc.errHas != "" {
				e := AsError(err)
				if e == nil || e.Kind != tc.errKind || !strings.Contains(e.Error(), tc.errHas) {
					t.Fatalf("err = %v (kind %v), want kind %v containing %q", err, KindOf(err), tc.errKind, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(regReply).Got; got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestPanicKeepsStackForLogOnly(t *testing.T) {
	a := newTestApp(t)
	_, err := a.Handle(context.Background(), &Call{Method: "coretest.boom", Args: []any{}})
	e := AsError(err)
	if len(e.Stack) == 0 || !strings.Contains(e.Error(), "kaboom") {
		t.Fatalf("panic cause/stack lost: %v", e)
	}
	if strings.Contains(e.PublicMessage(false), "kaboom") {
		t.Fatal("panic detail leaks without debug")
	}
	if !strings.Contains(e.PublicMessage(true), "kaboom") {
		t.Fatal("debug message lacks the cause")
	}
}

func TestTypedBinding(t *testing.T) {
	a := newTestApp(t)
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := a.Handle(context.Background(), &Call{Method: "coretest.typed", Args: []any{
		int64(1) << 40, 2.5, true, when, []byte{1, 2}, []any{"a", "b"},
		map[string]any{"x": 1}, map[string]any{"serial": "S", "nickname": "N"}, []any{1, "z"}, "p",
	}})
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(out)
	if v.Field(0).Int() != 1<<40 || v.Field(3).Interface().(time.Time) != when || v.Field(7).Field(0).String() != "S" {
		t.Fatalf("bad binding: %+v", out)
	}
	if *(v.Field(9).Interface().(*string)) != "p" {
		t.Fatal("pointer field not bound")
	}
}

func TestSignature(t *testing.T) {
	a := newTestApp(t)
	m, _ := a.Method("coretest.typed")
	want := []string{"any", "i8", "double", "boolean", "dateTime.iso8601", "base64", "array", "struct", "struct", "any", "string"}
	if got := m.Signature()[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("signature %v, want %v", got, want)
	}
	r, _ := a.Method("register")
	if got := r.Signature()[0]; !reflect.DeepEqual(got, []string{"struct", "string", "string", "int"}) {
		t.Fatalf("register signature %v", got)
	}
}

func TestChainOrderAndReplace(t *testing.T) {
	a := newTestApp(t)
	if got := strings.Join(a.Chain(), ","); got != "authenticate,authorize,limit,audit,metrics" {
		t.Fatalf("chain %s", got)
	}
	var seen []string
	for _, n := range []string{"authenticate", "authorize"} {
		n := n
		a.Replace(n, func(ctx context.Context, c *Call, next Next) (any, error) {
			seen = append(seen, n)
			if n == "authorize" && c.Caller.Identity == "mallory" {
				return nil, Errorf(KindPermission, "denied")
			}
			return next(ctx, c)
		})
	}
	if _, err := a.Handle(context.Background(), &Call{Method: "register", Args: []any{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Handle(context.Background(), &Call{Method: "register", Args: []any{"a", "b"}, Caller: Caller{Identity: "mallory"}})
	if KindOf(err) != KindPermission {
		t.Fatalf("want permission error, got %v", err)
	}
	if strings.Join(seen, ",") != "authenticate,authorize,authenticate,authorize" {
		t.Fatalf("links ran %v", seen)
	}
}

func TestRegisterPanics(t *testing.T) {
	for _, info := range []ModuleInfo{
		{ID: "coretest", New: func() Module { return &testModule{} }}, // duplicate
		{ID: "Bad-ID", New: func() Module { return &testModule{} }},
		{ID: "system", New: func() Module { return &testModule{} }},
		{ID: "nonew"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", info.ID)
				}
			}()
			Register(info)
		}()
	}
}

func TestIntrospection(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	out, err := a.Handle(ctx, &Call{Method: "system.listMethods", Args: []any{}})
	if err != nil {
		t.Fatal(err)
	}
	names := out.([]string)
	if !contains(names, "coretest.register") || !contains(names, "system.methodHelp") {
		t.Fatalf("listMethods = %v", names)
	}
	out, _ = a.Handle(ctx, &Call{Method: "system.methodSignature", Args: []any{"nope"}})
	if out != "signatures not supported" {
		t.Fatalf("unknown signature = %v", out)
	}
	out, _ = a.Handle(ctx, &Call{Method: "system.method_help", Args: []any{"coretest.register"}})
	if out != "registers" {
		t.Fatalf("help = %v", out)
	}
}

func TestEvents(t *testing.T) {
	var e Events
	var got []string
	e.Subscribe("t", func(ctx context.Context, ev Event) { got = append(got, ev.Data.(string)) })
	e.Publish(context.Background(), "t", "a")
	e.Publish(context.Background(), "other", "b")
	if !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatal(got)
	}
}

func TestAsErrorHidesForeign(t *testing.T) {
	e := AsError(errors.New("db password is hunter2"))
	if e.Kind != KindInternal || e.PublicMessage(false) != "internal error" {
		t.Fatalf("%v", e)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
