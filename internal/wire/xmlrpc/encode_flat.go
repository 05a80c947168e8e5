package xmlrpc

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// A reply that is a flat struct of strings (fields of type string, *string
// or map[string]string, declared in the struct itself) is mostly the same
// bytes every time: the member names, the map keys, and usually most of
// the values (the Sugar shell's register reply differs from one laptop to
// the next only where its uid appears). AppendResponse therefore keeps,
// per such type, the last reply's encoding split at its string values
// (a snapshot). A reply of the same shape (same members present, same map
// keys) is written from the snapshot's constant parts, its values copied
// from the snapshot's escaped bytes where they are equal and escaped afresh
// where they differ. Anything else, and any value that cannot be encoded,
// takes the general path, which alone words errors; a snapshot is kept only
// if it reproduces the general encoding byte for byte.

// maxFlatLeaves bounds the values of a snapshot (and the stack buffer of
// a fast-path encoding).
const maxFlatLeaves = 32

// flatField is one member of a flat struct.
type flatField struct {
	f     *field
	isMap bool
}

// flatType is what is known of a flat struct type: its members and its
// current snapshot.
type flatType struct {
	fields []flatField
	snap   atomic.Pointer[flatSnap]
}

// flatSnap is one reply's encoding split at its string values.
type flatSnap struct {
	present []int8     // per field: 0 left out, 1 value(s), 2 <nil/>
	keys    [][]string // per map field: its keys, sorted
	leaves  []string   // the values, in encoding order
	escaped [][]byte   // each value as escaped text
	segs    [][]byte   // constant bytes around the values: len(leaves)+1
}

var flatTypes sync.Map // reflect.Type -> *flatType, nil if not flat

var mapStringString = reflect.TypeFor[map[string]string]()

func flatTypeOf(t reflect.Type) *flatType {
	if ft, ok := flatTypes.Load(t); ok {
		return ft.(*flatType)
	}
	var ft *flatType
	if si := cachedStructInfo(t); si.err == nil && len(si.fields) > 0 {
		ft = &flatType{}
		for i := range si.fields {
			f := &si.fields[i]
			switch {
			case f.shape == stringField || f.shape == stringPtrField:
				ft.fields = append(ft.fields, flatField{f: f})
			case len(f.index) == 1 && t.Field(f.index[0]).Type == mapStringString:
				ft.fields = append(ft.fields, flatField{f: f, isMap: true})
			default:
				ft = nil
			}
			if ft == nil {
				break
			}
		}
	}
	got, _ := flatTypes.LoadOrStore(t, ft)
	return got.(*flatType)
}

// appendFlatResponse writes v from its type's snapshot when it can; ok
// false leaves dst to the general path.
func appendFlatResponse(dst []byte, v any) (b []byte, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct {
		return dst, false
	}
	ft := flatTypeOf(rv.Type())
	if ft == nil {
		return dst, false
	}
	s := ft.snap.Load()
	var stack [maxFlatLeaves]string
	leaves, match := s.match(ft, rv, stack[:0])
	if !match {
		ft.snapshot(rv)
		return dst, false
	}
	b = dst
	for i, leaf := range leaves {
		b = append(b, s.segs[i]...)
		if leaf == s.leaves[i] {
			b = append(b, s.escaped[i]...)
			continue
		}
		var err error
		if b, err = appendText(b, leaf); err != nil {
			return dst, false
		}
	}
	return append(b, s.segs[len(leaves)]...), true
}

// match collects rv's values in encoding order if rv has the snapshot's
// shape.
func (s *flatSnap) match(ft *flatType, rv reflect.Value, leaves []string) ([]string, bool) {
	if s == nil {
		return nil, false
	}
	mapNo := 0
	for i, ff := range ft.fields {
		f := ff.f
		fv := rv.Field(f.index[0])
		if ff.isMap {
			keys := s.keys[mapNo]
			mapNo++
			m := fv.Interface().(map[string]string)
			if leftOut(f, m) {
				if s.present[i] != 0 {
					return nil, false
				}
				continue
			}
			if s.present[i] != 1 || len(m) != len(keys) || len(leaves)+len(keys) > maxFlatLeaves {
				return nil, false
			}
			for _, k := range keys {
				val, ok := m[k]
				if !ok {
					return nil, false
				}
				leaves = append(leaves, val)
			}
			continue
		}
		present, leaf := stringMember(f, fv)
		if present != s.present[i] {
			return nil, false
		}
		if present == 1 {
			if len(leaves) == maxFlatLeaves {
				return nil, false
			}
			leaves = append(leaves, leaf)
		}
	}
	return leaves, len(leaves) == len(s.leaves)
}

// leftOut says whether a map member is omitted, as appendStruct decides.
func leftOut(f *field, m map[string]string) bool {
	return f.omitEmpty && len(m) == 0 || f.omitZero && m == nil
}

// stringMember says how a string or *string member is written, as
// appendStringField does: 0 left out, 1 a value (leaf), 2 <nil/>.
func stringMember(f *field, fv reflect.Value) (int8, string) {
	if f.shape == stringPtrField {
		if fv.IsNil() {
			if f.omitEmpty || f.omitZero {
				return 0, ""
			}
			return 2, ""
		}
		return 1, fv.Elem().String()
	}
	s := fv.String()
	if s == "" && (f.omitEmpty || f.omitZero) {
		return 0, ""
	}
	return 1, s
}

// snapshot makes rv's shape the type's snapshot: rv is encoded once with
// every value replaced by a distinct placeholder, and the result split at
// the placeholders. It is kept only if it gives rv's general encoding.
func (ft *flatType) snapshot(rv reflect.Value) {
	t := rv.Type()
	ph := reflect.New(t).Elem()
	s := &flatSnap{present: make([]int8, len(ft.fields))}
	var marks []string
	mark := func(leaf string) string {
		m := "\uE000" + strconv.Itoa(len(marks)) + "\uE001"
		marks = append(marks, m)
		s.leaves = append(s.leaves, leaf)
		return m
	}
	for i, ff := range ft.fields {
		f := ff.f
		fv, pv := rv.Field(f.index[0]), ph.Field(f.index[0])
		if ff.isMap {
			m := fv.Interface().(map[string]string)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			s.keys = append(s.keys, keys)
			if leftOut(f, m) {
				pv.Set(fv)
				continue
			}
			s.present[i] = 1
			pm := make(map[string]string, len(m))
			for _, k := range keys {
				pm[k] = mark(m[k])
			}
			pv.Set(reflect.ValueOf(pm).Convert(pv.Type()))
			continue
		}
		present, leaf := stringMember(f, fv)
		s.present[i] = present
		switch {
		case present != 1:
			pv.Set(fv)
		case f.shape == stringPtrField:
			p := reflect.New(pv.Type().Elem())
			p.Elem().SetString(mark(leaf))
			pv.Set(p)
		default:
			pv.SetString(mark(leaf))
		}
	}
	if len(s.leaves) > maxFlatLeaves {
		return
	}
	enc, err := appendGeneralResponse(nil, ph.Interface())
	if err != nil || bytes.Count(enc, []byte("\uE000")) != len(marks) {
		return
	}
	rest := enc
	for _, m := range marks {
		at := bytes.Index(rest, []byte(m))
		if at < 0 {
			return
		}
		s.segs = append(s.segs, rest[:at:at])
		rest = rest[at+len(m):]
	}
	s.segs = append(s.segs, rest)
	for _, leaf := range s.leaves {
		e, err := appendText(nil, leaf)
		if err != nil {
			return
		}
		s.escaped = append(s.escaped, e)
	}
	// Kept only if it writes rv exactly as the general path does.
	want, err := appendGeneralResponse(nil, rv.Interface())
	if err != nil {
		return
	}
	var got []byte
	for i := range s.leaves {
		got = append(append(got, s.segs[i]...), s.escaped[i]...)
	}
	if got = append(got, s.segs[len(s.leaves)]...); !bytes.Equal(got, want) {
		return
	}
	ft.snap.Store(s)
}
