package xmlrpc

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// field is one struct member as encoded: its name (already written out as
// "<member><name>…</name>"), where it lives, and when to leave it out.
type field struct {
	name      string
	open      []byte
	index     []int
	depth     int // embedding depth, for resolving promoted-name conflicts
	tagged    bool
	omitEmpty bool
	omitZero  bool
	shape     fieldShape
}

// fieldShape singles out the fields replies are mostly made of, strings
// and pointers to strings declared in the struct itself, which
// appendStruct writes without going through appendReflect. (Promoted
// fields take the general path; TestStructFastFieldsMatchGeneral compares
// the two.)
type fieldShape uint8

const (
	generalField fieldShape = iota
	stringField
	stringPtrField
)

func shapeOf(t reflect.Type, index []int) fieldShape {
	if len(index) != 1 {
		return generalField
	}
	ft := t.Field(index[0]).Type
	switch {
	case ft.Kind() == reflect.String:
		return stringField
	case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.String:
		return stringPtrField
	}
	return generalField
}

type structInfo struct {
	fields []field
	err    error // a member name XML cannot carry
}

var structInfos sync.Map // reflect.Type -> *structInfo

func cachedStructInfo(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si, _ := structInfos.LoadOrStore(t, buildStructInfo(t))
	return si.(*structInfo)
}

// appendStruct writes a Go struct as an XML-RPC struct, members in declared
// order with embedded structs' fields flattened in place.
func appendStruct(b []byte, v reflect.Value, depth int) ([]byte, error) {
	si := cachedStructInfo(v.Type())
	if si.err != nil {
		return b, si.err
	}
	if depth >= MaxDepth {
		return b, errTooDeep
	}
	b = append(b, "<value><struct>"...)
	for i := range si.fields {
		f := &si.fields[i]
		if f.shape != generalField {
			var err error
			if b, err = appendStringField(b, v.Field(f.index[0]), f); err != nil {
				return b, fmt.Errorf("member %q: %w", f.name, err)
			}
			continue
		}
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) || f.omitZero && fv.IsZero() {
			continue
		}
		b = append(b, f.open...)
		var err error
		if b, err = appendReflect(b, fv, depth+1); err != nil {
			return b, fmt.Errorf("member %q: %w", f.name, err)
		}
		b = append(b, "</member>"...)
	}
	return append(b, "</struct></value>"...), nil
}

// appendStringField writes a string or *string member as appendReflect
// would, leaving it out as omitempty and omitzero say (for both shapes
// "empty" and "zero" are the same: "" or nil).
func appendStringField(b []byte, fv reflect.Value, f *field) ([]byte, error) {
	if f.shape == stringPtrField {
		if fv.IsNil() {
			if f.omitEmpty || f.omitZero {
				return b, nil
			}
			b = append(b, f.open...)
			return append(b, "<value><nil/></value></member>"...), nil
		}
		fv = fv.Elem()
	}
	s := fv.String()
	if s == "" && f.shape == stringField && (f.omitEmpty || f.omitZero) {
		return b, nil
	}
	b = append(b, f.open...)
	b, err := appendString(b, s)
	if err != nil {
		return b, err
	}
	return append(b, "</member>"...), nil
}

// fieldByIndex is v.FieldByIndex that reports false instead of panicking
// when an embedded struct pointer on the way is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func buildStructInfo(t reflect.Type) *structInfo {
	var all []field
	collectFields(t, nil, 0, map[reflect.Type]bool{t: true}, &all)

	// As in encoding/json: of the fields sharing a name, the shallowest
	// wins, a tagged one beats untagged ones at the same depth, and a tie
	// hides them all.
	byName := make(map[string][]int)
	for i, f := range all {
		byName[f.name] = append(byName[f.name], i)
	}
	si := &structInfo{}
	for i, f := range all {
		if winner(all, byName[f.name]) != i {
			continue
		}
		open := append([]byte(nil), "<member><name>"...)
		open, err := appendText(open, f.name)
		if err != nil && si.err == nil {
			si.err = fmt.Errorf("%s: member name %q: %w", t, f.name, err)
		}
		f.open = append(open, "</name>"...)
		f.shape = shapeOf(t, f.index)
		si.fields = append(si.fields, f)
	}
	return si
}

func winner(all []field, same []int) int {
	best, count := -1, 0
	for _, i := range same {
		switch {
		case best < 0 || all[i].depth < all[best].depth ||
			all[i].depth == all[best].depth && all[i].tagged && !all[best].tagged:
			best, count = i, 1
		case all[i].depth == all[best].depth && all[i].tagged == all[best].tagged:
			count++
		}
	}
	if count != 1 {
		return -1
	}
	return best
}

// collectFields lists t's encodable fields in declared order, descending
// into untagged embedded structs. seen stops embedding cycles.
func collectFields(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool, out *[]field) {
	for i := range t.NumField() {
		sf := t.Field(i)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer && ft.Name() == "" {
			ft = ft.Elem()
		}
		if !sf.IsExported() && !(sf.Anonymous && ft.Kind() == reflect.Struct) {
			continue
		}
		name, opts, tagged, skip := fieldTag(sf)
		if skip {
			continue
		}
		idx := append(index[:len(index):len(index)], i)
		if sf.Anonymous && !tagged && ft.Kind() == reflect.Struct && ft != timeType {
			if !seen[ft] {
				seen[ft] = true
				collectFields(ft, idx, depth+1, seen, out)
				delete(seen, ft)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		*out = append(*out, field{
			name: name, index: idx, depth: depth, tagged: tagged,
			omitEmpty: hasOption(opts, "omitempty"), omitZero: hasOption(opts, "omitzero"),
		})
	}
}

// fieldTag reads the xmlrpc tag, else the json tag. tagged means a name
// was given there; skip means the tag is "-".
func fieldTag(sf reflect.StructField) (name, opts string, tagged, skip bool) {
	tag, ok := sf.Tag.Lookup("xmlrpc")
	if !ok {
		tag = sf.Tag.Get("json")
	}
	if tag == "-" {
		return "", "", false, true
	}
	name, opts, _ = strings.Cut(tag, ",") // "-," names a field "-", as in json
	return name, opts, name != "", false
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}
