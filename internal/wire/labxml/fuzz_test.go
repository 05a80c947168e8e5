package labxml

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic nor
// buffer past its limit, and every message it accepts must survive an
// encode and a second read unchanged.
func FuzzReader(f *testing.F) {
	f.Add([]byte(seed))
	f.Add([]byte(`<RESPUESTA codigo="1" accion="3" resultado="1"><PARAM nombre="a" valor="&#10;&amp;"/></RESPUESTA>`))
	f.Add([]byte("<a'>\n<b/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 512)
		for i := 0; i < 100; i++ {
			m, err := r.Next()
			if len(r.buf) > 512 {
				t.Fatalf("buffered %d bytes, limit 512", len(r.buf))
			}
			var me *MessageError
			if errors.As(err, &me) {
				continue
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected stream error %v", err)
				}
				return
			}
			again, err := NewReader(bytes.NewReader(Encode(m)), 0).Next()
			if err != nil {
				t.Fatalf("re-reading %q: %v", Encode(m), err)
			}
			if !reflect.DeepEqual(normal(m), normal(again)) {
				t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
			}
		}
	})
}

// normal drops what Encode does not carry for a kind and what it cleans.
func normal(m *Message) *Message {
	c := *m
	if c.Kind == Command {
		c.Text, c.Result, c.IP = "", 0, ""
	} else {
		c.Name = ""
	}
	return &c
}
