package xmlrpc

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// stringMapType is the map type replies carry most (the register reply's
// config): appendMap's general path sorts reflect.Values from MapKeys and
// copies every element out with MapIndex, an allocation each, where
// appendStringMap sorts the key/value pairs in a slice that stays on
// the stack for small maps. Bytes and errors are the general path's
// (TestStringMapMatchesGeneral and FuzzStringMapMatchesGeneral check that).
var stringMapType = reflect.TypeFor[map[string]string]()

// smallMap is how many members appendStringMap sorts without a heap
// allocation.
const smallMap = 16

// stringPair is a member taken out of the map with its value, so writing
// the sorted members needs no second lookup.
type stringPair struct{ k, v string }

func appendStringMap(b []byte, m map[string]string, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return b, errTooDeep
	}
	var stack [smallMap]stringPair
	pairs := stack[:0]
	for k, v := range m {
		pairs = append(pairs, stringPair{k, v})
	}
	slices.SortFunc(pairs, func(a, b stringPair) int { return strings.Compare(a.k, b.k) })
	b = append(b, "<value><struct>"...)
	for _, p := range pairs {
		var err error
		if b, err = appendMember(b, p.k); err != nil {
			return b, err
		}
		if b, err = appendString(b, p.v); err != nil {
			return b, fmt.Errorf("member %q: %w", p.k, err)
		}
		b = append(b, "</member>"...)
	}
	return append(b, "</struct></value>"...), nil
}
