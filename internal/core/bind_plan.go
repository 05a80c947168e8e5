package core

import (
	"reflect"
	"unsafe"
)

// stringPlan binds positional arguments into an In struct whose fields are
// all strings (the Sugar shell's register, most admin calls) without
// reflection: each string goes straight to its field's offset. It takes
// only the calls the reflective binder would accept without conversion —
// an argument count within range, every argument a string — and declines
// everything else, which then goes through bindPositional as before (so
// every refusal keeps its message).
type stringPlan struct {
	offsets  []uintptr // nil: In has a field that is not a string
	required int
}

func newStringPlan(t reflect.Type, fields []field) stringPlan {
	p := stringPlan{offsets: make([]uintptr, 0, len(fields))}
	for i, f := range fields {
		if f.typ.Kind() != reflect.String || len(f.index) != 1 {
			return stringPlan{}
		}
		p.offsets = append(p.offsets, t.Field(f.index[0]).Offset)
		if !f.optional {
			p.required = i + 1
		}
	}
	return p
}

// bind fills the In at dst from args and reports whether it could; on
// false, dst may hold some of the strings and must be discarded.
func (p *stringPlan) bind(dst unsafe.Pointer, args []any) bool {
	if p.offsets == nil || len(args) < p.required || len(args) > len(p.offsets) {
		return false
	}
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return false
		}
		// The field's type has kind string (perhaps a named string type),
		// so a string header is exactly what lives at this offset.
		*(*string)(unsafe.Add(dst, p.offsets[i])) = s
	}
	return true
}
