package core

import (
	"context"
	"reflect"
	"unsafe"
)

// Access is a method's default access rule: what the ACL falls back to when
// no policy line matches.
type Access int

const (
	// Public methods are open to anyone (register, status, activation).
	Public Access = iota
	// Authenticated methods need any verified identity.
	Authenticated
	// Admin methods need the admin group: anything that changes shared state
	// or reads other clients' data.
	Admin
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case Authenticated:
		return "authenticated"
	default:
		return "admin"
	}
}

// Param describes one positional parameter: its name (the JSON field name
// used by REST) and its XML-RPC type name.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Optional bool   `json:"optional,omitempty"`
}

// Handler is the adapted, untyped form of a typed method. Exactly one of args
// (positional) and named is used.
type Handler func(ctx context.Context, args []any, named map[string]any) (any, error)

// Method is one entry in a module's method table. Build it with Func (typed)
// or Raw (variadic, untyped), then adjust fields.
type Method struct {
	// Name is the full dotted name ("echo.echo"); a module's methods are
	// prefixed with its ID when registered without a dot.
	Name string
	Help string
	// Access is the default ACL rule.
	Access Access
	// Mutates marks state-changing methods: they are audited.
	Mutates bool
	// Aliases are extra names, e.g. the bare "register" the Sugar shell calls.
	Aliases []string
	// Secret names parameters never written to logs or the audit trail.
	Secret []string

	Params   []Param
	Result   string // XML-RPC type name of the result
	Variadic bool   // takes any number of arguments of any type
	Handler  Handler

	// In and Out are the typed handler's types (nil for Raw methods); the CLI
	// uses them to decode remote replies into the same Go value.
	In, Out reflect.Type

	// stats are the method's call counters in the App that holds it (set
	// when the App adds the method), so the metrics link needs no lookup.
	stats *methodStats
}

// Signature is the XML-RPC introspection signature: [[result, param...]].
func (m *Method) Signature() [][]string {
	sig := []string{m.Result}
	for _, p := range m.Params {
		sig = append(sig, p.Type)
	}
	if m.Variadic {
		sig = append(sig, "...")
	}
	return [][]string{sig}
}

// Func adapts a typed handler. In's exported fields, in order, are the
// positional parameters (XML-RPC); their json tags name them for REST; a
// field tagged `json:",omitempty"` is optional. In may be struct{} for no
// parameters. Out is encoded by each front end.
func Func[In, Out any](name, help string, fn func(context.Context, In) (Out, error)) Method {
	inT := reflect.TypeFor[In]()
	fields := inFields(inT)
	m := Method{
		Name:   name,
		Help:   help,
		Result: typeName(reflect.TypeFor[Out]()),
		In:     inT,
		Out:    reflect.TypeFor[Out](),
	}
	for _, f := range fields {
		m.Params = append(m.Params, Param{Name: f.name, Type: typeName(f.typ), Optional: f.optional})
	}
	plan := newStringPlan(inT, fields)
	m.Handler = func(ctx context.Context, args []any, named map[string]any) (any, error) {
		var in In
		if named == nil && plan.bind(unsafe.Pointer(&in), args) {
			return fn(ctx, in)
		}
		// Everything else, and every refusal, goes by reflection into a
		// value of its own, so that in above never escapes to the heap.
		p := new(In)
		v := reflect.ValueOf(p).Elem()
		var err error
		if named != nil {
			err = bindNamed(v, fields, named)
		} else {
			err = bindPositional(v, fields, args)
		}
		if err != nil {
			return nil, err
		}
		return fn(ctx, *p)
	}
	return m
}

// Raw makes a variadic method that receives its arguments as decoded (the
// echo module uses it to stay polymorphic over every type). Named arguments
// arrive as one map argument.
func Raw(name, help string, fn func(ctx context.Context, args []any) (any, error)) Method {
	return Method{
		Name:     name,
		Help:     help,
		Result:   "array",
		Variadic: true,
		Handler: func(ctx context.Context, args []any, named map[string]any) (any, error) {
			if named != nil {
				args = []any{named}
			}
			return fn(ctx, args)
		},
	}
}
