package core

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

type serialNo string

type stringsIn struct {
	Serial serialNo `json:"serial"`
	Nick   string   `json:"nickname"`
	skip   string
	UUID   string `json:"uuid"`
	Note   string `json:"note,omitempty"`
}

// TestStringPlanMatchesReflection: the offset binder fills an all-string
// In exactly as the reflective binder does, and declines whatever the
// reflective binder would refuse or convert.
func TestStringPlanMatchesReflection(t *testing.T) {
	typ := reflect.TypeFor[stringsIn]()
	fields := inFields(typ)
	plan := newStringPlan(typ, fields)
	if plan.offsets == nil || plan.required != 3 {
		t.Fatalf("plan %+v", plan)
	}
	for _, args := range [][]any{
		{"a", "b", "c"},
		{"a", "b", "c", "d"},
		{"", "", ""},
		{"a", "b"},
		{"a", "b", "c", "d", "e"},
		{"a", 2, "c"},
		{"a", "b", nil},
		{[]byte("a"), "b", "c"},
		nil,
	} {
		var fast stringsIn
		ok := plan.bind(unsafe.Pointer(&fast), args)
		var slow stringsIn
		err := bindPositional(reflect.ValueOf(&slow).Elem(), fields, args)
		if ok && (err != nil || fast != slow) {
			t.Errorf("%v: plan gave %+v, reflection %+v %v", args, fast, slow, err)
		}
		if !ok && err == nil {
			t.Errorf("%v: plan declined what reflection binds", args)
		}
	}
	if p := newStringPlan(reflect.TypeFor[regArgs](), inFields(reflect.TypeFor[regArgs]())); p.offsets != nil {
		t.Fatal("a plan for a struct with an int field")
	}
	if p := newStringPlan(reflect.TypeFor[struct{}](), nil); p.offsets == nil || !p.bind(nil, nil) || p.bind(nil, []any{"x"}) {
		t.Fatal("struct{} must bind no args and only no args")
	}
}

type stringsModule struct{}

func (stringsModule) Methods() []Method {
	return []Method{Func("take", "strings", func(ctx context.Context, in stringsIn) (stringsIn, error) {
		if CallFrom(ctx) == nil {
			return in, errors.New("no call in the context")
		}
		return in, ctx.Err()
	})}
}

func init() {
	Register(ModuleInfo{ID: "corestrings", New: func() Module { return stringsModule{} }})
}

// TestFuncAllStrings goes through Handle: the plan's result, the reflective
// errors, named binding, the call in the context and its cancellation.
func TestFuncAllStrings(t *testing.T) {
	a, err := NewApp(nil, "corestrings")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, err := a.Handle(ctx, &Call{Method: "corestrings.take", Args: []any{"S", "n", "u"}})
	if err != nil || out != (stringsIn{Serial: "S", Nick: "n", UUID: "u"}) {
		t.Fatalf("got %+v %v", out, err)
	}
	_, err = a.Handle(ctx, &Call{Method: "corestrings.take", Args: []any{"S", 5, "u"}})
	if err == nil || !strings.Contains(err.Error(), "param 2 (nickname): expected string, got int") {
		t.Fatalf("wrong type: %v", err)
	}
	_, err = a.Handle(ctx, &Call{Method: "corestrings.take", Args: []any{"S"}})
	if err == nil || !strings.Contains(err.Error(), "expected 3 to 4 params (serial, nickname, uuid, note?), got 1") {
		t.Fatalf("too few: %v", err)
	}
	out, err = a.Handle(ctx, &Call{Method: "corestrings.take", Named: map[string]any{"serial": "S", "nickname": "n", "uuid": "u", "note": "x"}})
	if err != nil || out != (stringsIn{Serial: "S", Nick: "n", UUID: "u", Note: "x"}) {
		t.Fatalf("named: %+v %v", out, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Handle(cctx, &Call{Method: "corestrings.take", Args: []any{"S", "n", "u"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context not seen: %v", err)
	}
	// The same Call handled twice still carries itself in the context.
	c := &Call{Method: "corestrings.take", Args: []any{"S", "n", "u"}}
	for range 2 {
		if _, err := a.Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetricsListOnlyCalledMethods(t *testing.T) {
	a, err := NewApp(nil, "corestrings")
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	a.WriteMetrics(&buf)
	if strings.Contains(buf.String(), "{method=") {
		t.Fatalf("metrics before any call:\n%s", buf.String())
	}
	ctx := context.Background()
	a.Handle(ctx, &Call{Method: "corestrings.take", Args: []any{"S", "n", "u"}})
	a.Handle(ctx, &Call{Method: "corestrings.take", Args: []any{"S"}})
	a.Handle(ctx, &Call{Method: "nope"})
	buf.Reset()
	a.WriteMetrics(&buf)
	for _, want := range []string{
		`aula_calls_total{method="(unknown)"} 1`,
		`aula_calls_total{method="corestrings.take"} 2`,
		`aula_call_errors_total{method="(unknown)"} 1`,
		`aula_call_errors_total{method="corestrings.take"} 1`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "system.") || strings.Index(buf.String(), "(unknown)") > strings.Index(buf.String(), "corestrings") {
		t.Errorf("uncalled methods listed, or not sorted:\n%s", buf.String())
	}
}

// TestChainSkipsOnlyOpenLinks: open links cost nothing but still name the
// chain; a replaced one runs.
func TestChainSkipsOnlyOpenLinks(t *testing.T) {
	a, err := NewApp(nil, "corestrings")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	a.Replace("limit", func(ctx context.Context, c *Call, next Next) (any, error) {
		ran++
		return next(ctx, c)
	})
	if _, err := a.Handle(context.Background(), &Call{Method: "corestrings.take", Args: []any{"S", "n", "u"}}); err != nil || ran != 1 {
		t.Fatalf("replaced link ran %d times: %v", ran, err)
	}
	if got := strings.Join(a.Chain(), ","); got != "authenticate,authorize,limit,audit,metrics" {
		t.Fatalf("chain %s", got)
	}
	if !isPassThrough(passThrough) || isPassThrough(a.metrics.link) || isPassThrough(nil) {
		t.Fatal("isPassThrough")
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 100000 {
		id := NewID()
		if len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("id %q is not 12 lowercase hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
	// scrambleID is invertible, so ids cannot repeat within 2^48 calls.
	for _, n := range []uint64{0, 1, 2, 1<<48 - 1, 0x123456789abc, 0xdeadbeef} {
		if got := unscrambleID(scrambleID(n)); got != n {
			t.Fatalf("unscramble(scramble(%#x)) = %#x", n, got)
		}
	}
}

// unscrambleID undoes scrambleID step by step.
func unscrambleID(x uint64) uint64 {
	const mask = 1<<idBits - 1
	unshift := func(x uint64, s uint) uint64 { // inverse of x ^= x >> s
		y := x
		for range idBits / s {
			y = x ^ y>>s
		}
		return y & mask
	}
	inv := func(a uint64) uint64 { // inverse of an odd a modulo 2^64 (Newton)
		y := a
		for range 6 {
			y *= 2 - a*y
		}
		return y
	}
	x = unshift(x, 24)
	x = x * inv(0x94D049BB1331) & mask
	x = unshift(x, 25)
	x = x * inv(0xBF58476D1CE5) & mask
	x ^= idKey[1] & mask
	x = unshift(x, 23)
	x = x * inv(0x9E3779B97F4B) & mask
	return (x - idKey[0]) & mask
}
