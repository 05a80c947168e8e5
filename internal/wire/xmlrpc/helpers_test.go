package xmlrpc

import (
	"math"
	"strings"
	"testing"
	"time"
)

// equalValues is reflect.DeepEqual for decoded values, except that NaN
// equals NaN and -0 differs from +0 (both matter for a faithful codec).
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalValues(v, w) {
				return false
			}
		}
		return true
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y) && (x == nil) == (y == nil)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && x.Location() == y.Location()
	case nil:
		return b == nil
	}
	return a == b
}

// call wraps value XML in a one-param methodCall.
func call(value string) string {
	return `<?xml version="1.0"?><methodCall><methodName>t</methodName><params><param>` + value + `</param></params></methodCall>`
}

func decodeOne(t *testing.T, doc string) (any, error) {
	t.Helper()
	_, params, err := DecodeCall(strings.NewReader(doc), 0)
	if err != nil {
		return nil, err
	}
	if len(params) != 1 {
		t.Fatalf("got %d params, want 1", len(params))
	}
	return params[0], nil
}

func date(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}
