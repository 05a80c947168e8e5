package core

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// field is one bindable parameter of a typed handler's In struct.
type field struct {
	index    []int
	name     string
	typ      reflect.Type
	optional bool
}

func inFields(t reflect.Type) []field {
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("core.Func: In must be a struct, not %s", t))
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out = append(out, field{index: sf.Index, name: name, typ: sf.Type,
			optional: strings.Contains(opts, "omitempty")})
	}
	return out
}

func bindPositional(v reflect.Value, fields []field, args []any) error {
	required := 0
	for i, f := range fields {
		if !f.optional {
			required = i + 1
		}
	}
	if len(args) < required || len(args) > len(fields) {
		want := fmt.Sprint(len(fields))
		if required != len(fields) {
			want = fmt.Sprintf("%d to %d", required, len(fields))
		}
		return Errorf(KindInvalid, "expected %s params (%s), got %d", want, paramList(fields), len(args))
	}
	for i, a := range args {
		f := fields[i]
		if err := assign(v.FieldByIndex(f.index), a); err != nil {
			return Errorf(KindInvalid, "param %d (%s): %v", i+1, f.name, err)
		}
	}
	return nil
}

func bindNamed(v reflect.Value, fields []field, named map[string]any) error {
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.name] = true
		a, ok := named[f.name]
		if !ok {
			if !f.optional {
				return Errorf(KindInvalid, "missing field %q", f.name)
			}
			continue
		}
		if err := assign(v.FieldByIndex(f.index), a); err != nil {
			return Errorf(KindInvalid, "field %q: %v", f.name, err)
		}
	}
	for k := range named {
		if !known[k] {
			return Errorf(KindInvalid, "unknown field %q (want %s)", k, paramList(fields))
		}
	}
	return nil
}

func paramList(fields []field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
		if f.optional {
			names[i] += "?"
		}
	}
	return strings.Join(names, ", ")
}

var timeType = reflect.TypeFor[time.Time]()

// assign converts a decoded wire value (XML-RPC or JSON) into dst.
func assign(dst reflect.Value, src any) error {
	if dst.Kind() == reflect.Interface {
		if src == nil {
			return nil
		}
		if n, ok := src.(json.Number); ok { // JSON numbers: ints stay ints
			if i, err := n.Int64(); err == nil {
				src = int(i)
			} else if f, err := n.Float64(); err == nil {
				src = f
			}
		}
		dst.Set(reflect.ValueOf(src))
		return nil
	}
	if src == nil {
		if dst.Kind() == reflect.Pointer || dst.Kind() == reflect.Slice || dst.Kind() == reflect.Map {
			dst.SetZero()
			return nil
		}
		return fmt.Errorf("expected %s, got nil", typeName(dst.Type()))
	}
	if dst.Type() == timeType {
		return assignTime(dst, src)
	}
	switch dst.Kind() {
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := assign(p.Elem(), src); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return mismatch(dst, src)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			return mismatch(dst, src)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := toInt(src)
		if err != nil {
			return mismatch(dst, src)
		}
		if dst.OverflowInt(i) {
			return fmt.Errorf("%d out of range for %s", i, dst.Type())
		}
		dst.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := toInt(src)
		if err != nil || i < 0 || dst.OverflowUint(uint64(i)) {
			return mismatch(dst, src)
		}
		dst.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		f, err := toFloat(src)
		if err != nil {
			return mismatch(dst, src)
		}
		dst.SetFloat(f)
	case reflect.Slice:
		return assignSlice(dst, src)
	case reflect.Map:
		return assignMap(dst, src)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			return mismatch(dst, src)
		}
		return bindNamed(dst, inFields(dst.Type()), m)
	default:
		return fmt.Errorf("unsupported parameter type %s", dst.Type())
	}
	return nil
}

func assignSlice(dst reflect.Value, src any) error {
	if dst.Type().Elem().Kind() == reflect.Uint8 {
		switch b := src.(type) {
		case []byte:
			dst.SetBytes(b)
			return nil
		case string: // JSON carries bytes as base64 text
			raw, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return fmt.Errorf("expected base64: %v", err)
			}
			dst.SetBytes(raw)
			return nil
		}
	}
	arr, ok := src.([]any)
	if !ok {
		return mismatch(dst, src)
	}
	s := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
	for i, a := range arr {
		if err := assign(s.Index(i), a); err != nil {
			return fmt.Errorf("item %d: %v", i, err)
		}
	}
	dst.Set(s)
	return nil
}

func assignMap(dst reflect.Value, src any) error {
	m, ok := src.(map[string]any)
	if !ok || dst.Type().Key().Kind() != reflect.String {
		return mismatch(dst, src)
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(m))
	for k, a := range m {
		e := reflect.New(dst.Type().Elem()).Elem()
		if err := assign(e, a); err != nil {
			return fmt.Errorf("member %q: %v", k, err)
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), e)
	}
	dst.Set(out)
	return nil
}

func assignTime(dst reflect.Value, src any) error {
	switch t := src.(type) {
	case time.Time:
		dst.Set(reflect.ValueOf(t))
		return nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "20060102T15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
			if p, err := time.Parse(layout, t); err == nil {
				dst.Set(reflect.ValueOf(p))
				return nil
			}
		}
		return fmt.Errorf("bad time %q (want RFC 3339)", t)
	}
	return mismatch(dst, src)
}

func toInt(src any) (int64, error) {
	switch n := src.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case json.Number:
		return n.Int64()
	case float64: // JSON without UseNumber
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), nil
		}
	case string:
		return strconv.ParseInt(n, 10, 64)
	}
	return 0, fmt.Errorf("not an integer")
}

func toFloat(src any) (float64, error) {
	switch n := src.(type) {
	case float64:
		return n, nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case json.Number:
		return n.Float64()
	}
	return 0, fmt.Errorf("not a number")
}

func mismatch(dst reflect.Value, src any) error {
	return fmt.Errorf("expected %s, got %s", typeName(dst.Type()), valueTypeName(src))
}
