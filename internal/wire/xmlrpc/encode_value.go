package xmlrpc

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// appendValue appends <value>…</value> for v. depth counts the arrays and
// structs around v, to stop cycles and to stay within what the decoder
// accepts. The common decoded types go without reflection.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "<value><nil/></value>"...), nil
	case string:
		return appendString(b, x)
	case int:
		return appendInt(b, int64(x)), nil
	case int64:
		return appendI8(b, x), nil
	case bool:
		return appendBool(b, x), nil
	case float64:
		return append(appendDouble(append(b, "<value><double>"...), x, 64), "</double></value>"...), nil
	case []byte:
		return appendBase64(b, x), nil
	case time.Time:
		return appendTime(b, x)
	case []any:
		if depth >= MaxDepth {
			return b, errTooDeep
		}
		b = append(b, "<value><array><data>"...)
		for i, e := range x {
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return append(b, "</data></array></value>"...), nil
	case map[string]any:
		if depth >= MaxDepth {
			return b, errTooDeep
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, "<value><struct>"...)
		for _, k := range keys {
			var err error
			if b, err = appendMember(b, k); err != nil {
				return b, err
			}
			if b, err = appendValue(b, x[k], depth+1); err != nil {
				return b, fmt.Errorf("member %q: %w", k, err)
			}
			b = append(b, "</member>"...)
		}
		return append(b, "</struct></value>"...), nil
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

var errTooDeep = fmt.Errorf("arrays and structs nest more than %d levels deep (a cycle?)", MaxDepth)

var timeType = reflect.TypeFor[time.Time]()

// appendReflect handles every other Go value.
func appendReflect(b []byte, v reflect.Value, depth int) ([]byte, error) {
	for hops := 0; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; hops++ {
		if v.IsNil() {
			return append(b, "<value><nil/></value>"...), nil
		}
		if hops > MaxDepth {
			return b, fmt.Errorf("pointer chain longer than %d", MaxDepth)
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Invalid:
		return append(b, "<value><nil/></value>"...), nil
	case reflect.Bool:
		return appendBool(b, v.Bool()), nil
	case reflect.Int64:
		return appendI8(b, v.Int()), nil // always i8: keeps the width a client chose
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		return appendInt(b, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := v.Uint()
		if n > math.MaxInt64 {
			return b, fmt.Errorf("unsigned %d does not fit a 64-bit signed <i8>", n)
		}
		return appendInt(b, int64(n)), nil
	case reflect.Float32, reflect.Float64:
		bits := 64
		if v.Kind() == reflect.Float32 {
			bits = 32
		}
		b = appendDouble(append(b, "<value><double>"...), v.Float(), bits)
		return append(b, "</double></value>"...), nil
	case reflect.String:
		return appendString(b, v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return appendBase64(b, v.Bytes()), nil
		}
		return appendArray(b, v, depth)
	case reflect.Array:
		return appendArray(b, v, depth)
	case reflect.Map:
		if v.Type() == stringMapType && v.CanInterface() {
			return appendStringMap(b, v.Interface().(map[string]string), depth)
		}
		return appendMap(b, v, depth)
	case reflect.Struct:
		if v.Type() == timeType {
			return appendTime(b, v.Interface().(time.Time))
		}
		return appendStruct(b, v, depth)
	}
	return b, fmt.Errorf("cannot encode %s (kind %s) in XML-RPC", v.Type(), v.Kind())
}

func appendArray(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return b, errTooDeep
	}
	b = append(b, "<value><array><data>"...)
	for i := range v.Len() {
		var err error
		if b, err = appendReflect(b, v.Index(i), depth+1); err != nil {
			return b, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return append(b, "</data></array></value>"...), nil
}

func appendMap(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.Type().Key().Kind() != reflect.String {
		return b, fmt.Errorf("cannot encode %s: struct member names must be strings", v.Type())
	}
	if depth >= MaxDepth {
		return b, errTooDeep
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		return strings.Compare(a.String(), b.String())
	})
	b = append(b, "<value><struct>"...)
	for _, k := range keys {
		var err error
		if b, err = appendMember(b, k.String()); err != nil {
			return b, err
		}
		if b, err = appendReflect(b, v.MapIndex(k), depth+1); err != nil {
			return b, fmt.Errorf("member %q: %w", k.String(), err)
		}
		b = append(b, "</member>"...)
	}
	return append(b, "</struct></value>"...), nil
}

// appendMember opens a struct member and writes its name.
func appendMember(b []byte, name string) ([]byte, error) {
	b = append(b, "<member><name>"...)
	b, err := appendText(b, name)
	if err != nil {
		return b, fmt.Errorf("member name %s: %w", strconv.Quote(name), err)
	}
	return append(b, "</name>"...), nil
}

func appendString(b []byte, s string) ([]byte, error) {
	b = append(b, "<value><string>"...)
	b, err := appendText(b, s)
	if err != nil {
		return b, err
	}
	return append(b, "</string></value>"...), nil
}

func appendBool(b []byte, x bool) []byte {
	if x {
		return append(b, "<value><boolean>1</boolean></value>"...)
	}
	return append(b, "<value><boolean>0</boolean></value>"...)
}

// appendBase64 writes one unbroken line; readers ignore line breaks anyway.
func appendBase64(b []byte, p []byte) []byte {
	b = base64.StdEncoding.AppendEncode(append(b, "<value><base64>"...), p)
	return append(b, "</base64></value>"...)
}

func appendTime(b []byte, t time.Time) ([]byte, error) {
	b, err := appendDateTime(append(b, "<value><dateTime.iso8601>"...), t)
	if err != nil {
		return b, err
	}
	return append(b, "</dateTime.iso8601></value>"...), nil
}
