package xmlrpc

import (
	"bytes"
	"fmt"
	"testing"
)

// stringFields has every shape appendStringField writes, under every
// omission rule.
type stringFields struct {
	A string  `json:"a"`
	B string  `json:"b,omitempty"`
	C *string `json:"c"`
	D *string `json:"d,omitempty"`
	E Kind    `json:"e,omitzero"`
	F *string `json:"f,omitzero"`
	G string
}

// promotedStringFields has the same members, promoted from an embedded
// struct, so appendStruct takes its general path for each: the reference.
type promotedStringFields struct{ *stringFields }

func sameStructAsGeneral(t *testing.T, v stringFields) {
	t.Helper()
	fast, err1 := AppendResponse(nil, v)
	general, err2 := AppendResponse(nil, promotedStringFields{&v})
	if fmt.Sprint(err1) != fmt.Sprint(err2) || !bytes.Equal(fast, general) {
		t.Fatalf("%+v:\nfast    %q %v\ngeneral %q %v", v, fast, err1, general, err2)
	}
}

// stringFieldsFrom builds a value from three strings, mask choosing which
// pointers are nil and where each string goes.
func stringFieldsFrom(x, y, z string, mask uint8) stringFields {
	pick := func(i uint8) *string {
		if mask&(1<<i) == 0 {
			return nil
		}
		s := [3]string{x, y, z}[i%3]
		return &s
	}
	return stringFields{A: x, B: y, C: pick(0), D: pick(1), E: Kind(z), F: pick(5), G: [3]string{x, y, z}[mask%3]}
}

func TestStructFastFieldsMatchGeneral(t *testing.T) {
	for _, s := range [][3]string{
		{"", "", ""}, {"OK", "", "x"}, {"a&b", "<c>", "\r"}, {"bad\x01", "", ""}, {"", "\xff", ""}, {"", "", "\uFFFF"},
	} {
		for mask := range uint8(64) {
			sameStructAsGeneral(t, stringFieldsFrom(s[0], s[1], s[2], mask))
		}
	}
}

// FuzzStructFastFieldsMatchGeneral: string and *string members encode as
// the general path encodes them, whatever they hold.
func FuzzStructFastFieldsMatchGeneral(f *testing.F) {
	f.Add("OK", "", "x", uint8(0x2a))
	f.Add("a&b\r", "\x01", "\xff", uint8(0xff))
	f.Fuzz(func(t *testing.T, x, y, z string, mask uint8) {
		sameStructAsGeneral(t, stringFieldsFrom(x, y, z, mask))
	})
}
