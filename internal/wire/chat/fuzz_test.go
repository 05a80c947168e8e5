package chat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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

// FuzzJSONString: jsonString decodes every string literal encoding/json
// accepts to the same Go string, and refuses what encoding/json refuses.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`""`, `"abc"`, `"{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}"`, `"\u00e9\ud83d\ude00"`,
		`"\ud83d"`, `"\ud83dx"`, `"\udc00\ud800"`, "\"\xff\xfe\"", `"\/\b\f\n\r\t"`, `"\x"`, `"a`, "\"\x01\"", `"\u12"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want string
		wantErr := json.Unmarshal(in, &want)
		if wantErr != nil || len(bytes.TrimSpace(in)) != len(in) || len(in) == 0 || in[0] != '"' {
			return // not one bare string literal: DecodeEnvelope never hands jsonString such bytes
		}
		got, err := jsonString(in)
		if err != nil || got != want {
			t.Fatalf("jsonString(%q) = %q, %v; encoding/json: %q", in, got, err, want)
		}
	})
}

// FuzzDecodeEnvelopeMatchesTwoPass: the one-pass envelope decoder agrees
// with decoding every member with encoding/json (the former decoder).
func FuzzDecodeEnvelopeMatchesTwoPass(f *testing.F) {
	f.Add([]byte(`{"content": "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}", "digest": "0f1602adc67c5aa26c2934087b4581b7"}`))
	f.Add([]byte(`{"digest":"x","content":"\u00e9\ud800","digest":"y","x":[1,{"a":null}]}`))
	f.Add([]byte(`{"Digest":"x","content":"{}"}`))
	f.Add([]byte(`{"digest":null,"content":"{}"}`))
	f.Add([]byte("{\"digest\":\"\xff\",\"content\":\"\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := DecodeEnvelope(in)
		want, wantErr := twoPassEnvelope(in)
		if (err == nil) != (wantErr == nil) || got != want {
			t.Fatalf("DecodeEnvelope(%q) = %+v, %v; two passes: %+v, %v", in, got, err, want, wantErr)
		}
		var ke, wke KeyError
		if errors.As(err, &ke) != errors.As(wantErr, &wke) || ke != wke {
			t.Fatalf("DecodeEnvelope(%q): %v; two passes: %v", in, err, wantErr)
		}
	})
}

func twoPassEnvelope(p []byte) (Envelope, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(p, &raw); err != nil {
		return Envelope{}, err
	}
	var env Envelope
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"digest", &env.Digest}, {"content", &env.Content}} {
		v, ok := raw[f.name]
		if !ok {
			return Envelope{}, KeyError(f.name)
		}
		if len(v) == 0 || v[0] != '"' {
			return Envelope{}, errBadString
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return Envelope{}, err
		}
	}
	return env, nil
}
