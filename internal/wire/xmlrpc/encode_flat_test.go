package xmlrpc

import (
	"bytes"
	"fmt"
	"testing"
)

type flatReply struct {
	Success string            `json:"success"`
	Error   string            `json:"error,omitempty"`
	Path    *string           `json:"path,omitempty"`
	Always  *string           `json:"always"`
	Config  map[string]string `json:"config,omitempty"`
	Extra   map[string]string `json:"extra"`
}

// flatCase builds a reply whose shape and values vary with i and s.
func flatCase(i int, s string) flatReply {
	r := flatReply{Success: "OK"}
	if i%3 == 0 {
		r.Error = s
	}
	if i%2 == 0 {
		p := "/library/" + s
		r.Path = &p
	}
	if i%5 != 0 {
		a := "same"
		r.Always = &a
	}
	if i%7 != 0 {
		r.Config = map[string]string{"uid": s, "jabber": "school.example.org", "motd": `<b>Tom & "Jerry"</b>`}
		if i%4 == 0 {
			r.Config["more"] = s + s
		}
	}
	if i%11 == 0 {
		r.Extra = map[string]string{}
	}
	return r
}

// The snapshot path writes exactly what the general path writes, or
// leaves the value to it: over changing shapes, values needing escapes and
// values XML cannot carry.
func TestFlatMatchesGeneral(t *testing.T) {
	values := []string{"3f2a9c0d1e2b4a5f6d7e8f90a1b2c3d4e5f60718", "", "a&b<c>", "ü ]]>", "bad\x01char", "x\rz", "\uE000 0\uE001", "\xff"}
	for round := range 3 {
		for i := range 60 {
			for _, s := range values {
				checkFlat(t, flatCase(i+round, s))
			}
		}
	}
	fast, _ := appendFlatResponse(nil, flatCase(1, values[0]))
	if fast == nil {
		t.Error("a reply of the snapshot's shape did not take the snapshot path")
	}
}

func checkFlat(t *testing.T, v flatReply) {
	t.Helper()
	want, werr := appendGeneralResponse(nil, v)
	got, gerr := AppendResponse(nil, v)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) || !bytes.Equal(got, want) {
		t.Fatalf("%+v:\n got %q, %v\nwant %q, %v", v, got, gerr, want, werr)
	}
}

// FuzzFlatMatchesGeneral: whatever the strings, the snapshot path never
// writes other bytes than the general path.
func FuzzFlatMatchesGeneral(f *testing.F) {
	f.Add(1, "3f2a", "school", "x")
	f.Add(6, "a&b", "", "\x00")
	f.Fuzz(func(t *testing.T, i int, a, b, c string) {
		v := flatCase(i&0xff, a)
		v.Success = b
		if v.Config != nil {
			v.Config[c] = a
		}
		checkFlat(t, v)
		checkFlat(t, flatCase((i+1)&0xff, c))
	})
}
