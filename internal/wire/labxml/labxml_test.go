package labxml

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// The spec's seed examples, byte for byte.
const seed = `<COMANDO codigo="9" nombre="IniciarSesion" accion="4711">
  <PARAM nombre="dsk" valor="1"/><PARAM nombre="par" valor="2"/>
</COMANDO>
<RESPUESTA codigo="9" respuesta="002-Fichero o dispositivo no encontrado" accion="4711" resultado="0" ipaddr="10.0.0.5"/>
<RESPUESTA codigo="10" respuesta="" accion="4712" resultado="1" ipaddr="10.0.0.5"><PARAM nombre="cfg" valor="…"/></RESPUESTA>
`

func TestReadSeed(t *testing.T) {
	r := NewReader(strings.NewReader(seed), 0)
	want := []*Message{
		{Kind: Command, Code: 9, Name: "IniciarSesion", Action: 4711, Params: []Param{{"dsk", "1"}, {"par", "2"}}},
		{Kind: Response, Code: 9, Text: "002-Fichero o dispositivo no encontrado", Action: 4711, Result: Failure, IP: "10.0.0.5"},
		{Kind: Response, Code: 10, Action: 4712, Result: Success, IP: "10.0.0.5", Params: []Param{{"cfg", "…"}}},
	}
	for i, w := range want {
		m, err := r.Next()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !reflect.DeepEqual(m, w) {
			t.Fatalf("message %d:\n got %+v\nwant %+v", i, m, w)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last message: %v, want EOF", err)
	}
}

func TestWriteGolden(t *testing.T) {
	m := &Message{Kind: Response, Code: 9, Text: "002-Fichero o dispositivo no encontrado", Action: 4711, Result: Failure, IP: "10.0.0.5"}
	want := `<RESPUESTA codigo="9" respuesta="002-Fichero o dispositivo no encontrado" accion="4711" resultado="0" ipaddr="10.0.0.5"/>` + "\n"
	if got := string(Encode(m)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	c := &Message{Kind: Command, Code: 9, Name: "IniciarSesion", Action: 4711, Params: []Param{{"dsk", "1"}, {"par", "2"}}}
	want = `<COMANDO codigo="9" nombre="IniciarSesion" accion="4711"><PARAM nombre="dsk" valor="1"/><PARAM nombre="par" valor="2"/></COMANDO>` + "\n"
	if got := string(Encode(c)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRoundTripAwkwardValues(t *testing.T) {
	v := "a\"b'c<d>&e\nline2\r\tx \x01 \xff end > </RESPUESTA>"
	m := &Message{Kind: Response, Code: 8, Action: 1, Result: Success, Text: v, Params: []Param{{"out", v}}}
	b := Encode(m)
	if bytes.Count(b, []byte{'\n'}) != 1 {
		t.Fatalf("raw newline inside a message: %q", b)
	}
	got, err := NewReader(bytes.NewReader(b), 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	clean := strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x01", "\uFFFD")
	if got.Text != clean || got.Get("out") != clean {
		t.Fatalf("got %q, want %q", got.Text, clean)
	}
}

func TestBadMessagesAreSkipped(t *testing.T) {
	good := `<RESPUESTA codigo="1" accion="7" resultado="1"/>` + "\n"
	bad := []string{
		"garbage line\n",
		`<RESPUESTA codigo="x" accion="8" resultado="1"/>` + "\n",
		`<RESPUESTA codigo="1" accion="9" resultado="2"/>` + "\n",
		`<RESPUESTA codigo="1" resultado="1"/>` + "\n",
		`<COMANDO codigo="1" accion="1"/>` + "\n",
		`<FOO/>` + "\n",
		`<RESPUESTA codigo="1" accion="3" resultado="1"><X/></RESPUESTA>` + "\n",
		`<RESPUESTA codigo="1" accion="3" resultado="1">text</RESPUESTA>` + "\n",
		`<RESPUESTA codigo="1" accion="3" resultado="1"><PARAM valor="v"/></RESPUESTA>` + "\n",
		`<!-- c --><RESPUESTA codigo="1" accion="3" resultado="1"/>` + "\n",
		`<RESPUESTA codigo="1" accion="3" <resultado="1"/>` + "\n",
		`</RESPUESTA>` + "\n",
		`<RESPUESTA codigo="1" accion="3" resultado="1"></COMANDO>` + "\n",
		`<RESPUESTA codigo="1" accion="3" resultado="1" codigo="2"/>` + "\n",
	}
	for _, b := range bad {
		r := NewReader(strings.NewReader(b+good), 0)
		_, err := r.Next()
		var me *MessageError
		if !errors.As(err, &me) {
			t.Errorf("%q: got %v, want a MessageError", b, err)
			continue
		}
		m, err := r.Next()
		if err != nil || m.Action != 7 {
			t.Errorf("%q: the next message was lost: %v %+v", b, err, m)
		}
	}
}

func TestErrorNamesAction(t *testing.T) {
	_, err := NewReader(strings.NewReader(`<RESPUESTA codigo="1" accion="42" resultado="5"/>`+"\n"), 0).Next()
	var me *MessageError
	if !errors.As(err, &me) || me.Action != 42 || !strings.Contains(me.Reason, "resultado") {
		t.Fatalf("got %#v", err)
	}
}

func TestOversizeSkippedWithoutBuffering(t *testing.T) {
	big := `<RESPUESTA codigo="1" accion="3" resultado="1"><PARAM nombre="x" valor="` + strings.Repeat("A", 100000) + `"/></RESPUESTA>` + "\n"
	good := `<RESPUESTA codigo="1" accion="7" resultado="1"/>` + "\n"
	r := NewReader(strings.NewReader(big+good), 1000)
	_, err := r.Next()
	if !IsMessageError(err) || !strings.Contains(err.Error(), "longer than 1000") {
		t.Fatalf("got %v", err)
	}
	if cap(r.buf) > 4096 {
		t.Fatalf("reader buffered %d bytes for a refused message", cap(r.buf))
	}
	if m, err := r.Next(); err != nil || m.Action != 7 {
		t.Fatalf("next: %v %+v", err, m)
	}
}

func TestTruncatedStream(t *testing.T) {
	_, err := NewReader(strings.NewReader(`<RESPUESTA codigo="1" accion="3"`), 0).Next()
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v", err)
	}
}

// Buffered drops the whitespace between messages it holds, without
// reading more, and counts what is left of the next message.
func TestBufferedBetweenMessages(t *testing.T) {
	one := string(Encode(&Message{Kind: Response, Code: 17, Action: 3, Result: Success}))
	r := NewReader(strings.NewReader(one+"\r\n  "+one[:10]), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if n := r.Buffered(); n != 10 {
		t.Fatalf("buffered %d, want the 10 bytes of the next message", n)
	}
	r = NewReader(strings.NewReader(one+"\n \n"), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if n := r.Buffered(); n != 0 {
		t.Fatalf("buffered %d after a message and whitespace", n)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the whitespace: %v", err)
	}
}
