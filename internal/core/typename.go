package core

import (
	"encoding/json"
	"reflect"
	"time"
)

// typeName is the XML-RPC introspection name of a Go type.
func typeName(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	if t == timeType {
		return "dateTime.iso8601"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int64, reflect.Uint32, reflect.Uint64:
		return "i8"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "double"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "struct"
	}
	return "any"
}

// valueTypeName names the wire type of a decoded value, for error messages.
func valueTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int32:
		return "int"
	case int64:
		return "i8"
	case float64:
		return "double"
	case json.Number:
		return "number"
	case time.Time:
		return "dateTime.iso8601"
	case []byte:
		return "base64"
	case []any:
		return "array"
	case map[string]any:
		return "struct"
	}
	return reflect.TypeOf(v).String()
}
