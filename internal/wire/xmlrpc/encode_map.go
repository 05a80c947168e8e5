package xmlrpc

import (
	"fmt"
	"reflect"
	"slices"
)

// stringMapType is the map type replies carry most (the register reply's
// config): appendMap's general path sorts reflect.Values from MapKeys and
// copies every element out with MapIndex, an allocation each, where
// appendStringMap sorts plain strings in a slice that stays on the stack
// for small maps. Bytes and errors are the general path's
// (TestStringMapMatchesGeneral and FuzzStringMapMatchesGeneral check that).
var stringMapType = reflect.TypeFor[map[string]string]()

// smallMap is how many keys appendStringMap sorts without a heap allocation.
const smallMap = 16

func appendStringMap(b []byte, m map[string]string, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return b, errTooDeep
	}
	var stack [smallMap]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, "<value><struct>"...)
	for _, k := range keys {
		var err error
		if b, err = appendMember(b, k); err != nil {
			return b, err
		}
		if b, err = appendString(b, m[k]); err != nil {
			return b, fmt.Errorf("member %q: %w", k, err)
		}
		b = append(b, "</member>"...)
	}
	return append(b, "</struct></value>"...), nil
}
