package chat

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadNetstring: any bytes give a netstring within the limit, or an
// error; never a panic, never more than the limit read into a value.
func FuzzReadNetstring(f *testing.F) {
	for _, s := range []string{captured, "0:,", "12:Hello world!,", "12:Hello", "x:", "5:hello;", "99999999:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 256
		r := bufio.NewReader(bytes.NewReader(in))
		p, err := ReadNetstring(r, max)
		if err != nil {
			return
		}
		if len(p) > max {
			t.Fatalf("read %d bytes, over the limit %d", len(p), max)
		}
		// Leading zeros are allowed (Python's int() takes them), so
		// compare what follows the colon.
		colon := bytes.IndexByte(in, ':')
		if colon < 0 || !bytes.HasPrefix(in[colon+1:], append(append([]byte{}, p...), ',')) {
			t.Fatalf("value %q is not what the input holds after its length", p)
		}
	})
}

// FuzzDecodeEnvelope: the envelope decoder accepts or refuses any bytes
// without panicking; what it accepts re-encodes to an envelope that
// decodes to the same content and digest.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"content": "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}", "digest": "0f1602adc67c5aa26c2934087b4581b7"}`))
	f.Add([]byte(`{"digest":"x","content":"{}"}`))
	f.Add([]byte(`{"content": 1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := DecodeEnvelope(in)
		if err != nil {
			return
		}
		again, err := DecodeEnvelope(EncodeEnvelope(env.Content, env.Digest))
		if err != nil || again != env {
			t.Fatalf("re-encoded %+v decodes to %+v, %v", env, again, err)
		}
		DecodeContent(env.Content)
	})
}
