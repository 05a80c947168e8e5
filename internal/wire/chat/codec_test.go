package chat

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// The spec's §2.1 test vectors.
func TestDigestVectors(t *testing.T) {
	for _, v := range []struct{ content, magic, digest string }{
		{`{}`, `3EE`, `2b59b68e1ac0852b87fb7e64946f2658`},
		{`{"a": "b"}`, `AEIOU`, `eb860a5fe8fdbef19ffb79e3a5c47113`},
	} {
		if got := MD5Digest(v.content, v.magic); got != v.digest {
			t.Errorf("MD5Digest(%q, %q) = %s, want %s", v.content, v.magic, got, v.digest)
		}
	}
}

// captured is the spec's §2.2 request: chat(host, port, {"cmd": "chat",
// "text": "1+1\n"}, "MAGIC") under Python 2, all 107 bytes.
const captured = `102:{"content": "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}", "digest": "0f1602adc67c5aa26c2934087b4581b7"},`

func TestCapturedRequest(t *testing.T) {
	if len(captured) != 107 {
		t.Fatalf("captured request is %d bytes, the spec says 107", len(captured))
	}
	body, err := ReadNetstring(bufio.NewReader(strings.NewReader(captured)), 0)
	if err != nil {
		t.Fatal(err)
	}
	env, err := DecodeEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}"; env.Content != want {
		t.Fatalf("content %q, want %q", env.Content, want)
	}
	keys := []Key{{"other", "nope"}, {"ivle", "MAGIC"}}
	if i := Match(keys, env.Digest, func(m string) string { return MD5Digest(env.Content, m) }); i != 1 {
		t.Fatalf("Match = %d, want 1 (the MAGIC key)", i)
	}
	msg, err := DecodeContent(env.Content)
	if err != nil {
		t.Fatal(err)
	}
	m := msg.(map[string]any)
	if m["cmd"] != "chat" || m["text"] != "1+1\n" {
		t.Fatalf("message %#v", m)
	}
	// The client side encodes the same envelope byte for byte.
	out := AppendNetstring(nil, EncodeEnvelope(env.Content, MD5Digest(env.Content, "MAGIC")))
	if string(out) != captured {
		t.Fatalf("re-encoded:\n%s\nwant\n%s", out, captured)
	}
}

func TestNetstringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "Hello world!", strings.Repeat("x", 1000)} {
		var b bytes.Buffer
		if err := WriteNetstring(&b, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if s == "" && b.String() != "0:," || s == "Hello world!" && b.String() != "12:Hello world!," {
			t.Fatalf("encoded %q as %q", s, b.String())
		}
		got, err := ReadNetstring(bufio.NewReader(&b), 0)
		if err != nil || string(got) != s {
			t.Fatalf("round trip of %q: %q, %v", s, got, err)
		}
	}
}

func TestNetstringErrors(t *testing.T) {
	for _, c := range []struct {
		in, want string
		max      int
	}{
		{"12:Hello world!", "cut short", 0},           // EOF before the comma
		{"12:Hello", "cut short", 0},                  // EOF mid-body
		{"12", "length cut short", 0},                 // EOF mid-length
		{"5:hello;", "did not end with ','", 0},       // wrong terminator
		{"5:hello world,", "did not end with ','", 0}, // longer than announced
		{"x:", "could not decode the length", 0},
		{":", "could not decode the length", 0},
		{"-1:", "could not decode the length", 0},
		{"11:hello world,", "over the limit of 10 bytes", 10},
		{"100000000:", "more than 2 digits", 10},
		{"2000000:", "over the limit", 0},
		{"99999999999999999999:", "more than 7 digits", 0},
	} {
		_, err := ReadNetstring(bufio.NewReader(strings.NewReader(c.in)), c.max)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrFraming) {
			t.Errorf("%q: err %v, want one containing %q", c.in, err, c.want)
		}
	}
	if _, err := ReadNetstring(bufio.NewReader(strings.NewReader("")), 0); err != io.EOF {
		t.Errorf("empty input: %v, want io.EOF", err)
	}
	_, err := ReadNetstring(bufio.NewReader(strings.NewReader("3:ab")), 0)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("EOF mid-body: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestEnvelopeShapes(t *testing.T) {
	// Any key order, any whitespace; extra members ignored.
	env, err := DecodeEnvelope([]byte(` { "digest" :"ab","x":1 , "content":"{}"} `))
	if err != nil || env.Content != "{}" || env.Digest != "ab" {
		t.Fatalf("%+v %v", env, err)
	}
	for in, want := range map[string]string{
		`{"content": "{}"}`:                "'digest'",
		`{"digest": "ab"}`:                 "'content'",
		`{"digest": "ab", "content": {}}`:  "must be a JSON string",
		`{"digest": 1, "content": "{}"}`:   "must be a JSON string",
		`[]`:                               "not a JSON object",
		`{"digest": "ab", "content": "{}"`: "not a JSON object",
	} {
		_, err := DecodeEnvelope([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	var ke KeyError
	if _, err := DecodeEnvelope([]byte(`{}`)); !errors.As(err, &ke) || ke != "digest" {
		t.Errorf("missing digest: %v", err)
	}
}

func TestMarshalPy(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{map[string]any{"okay": nil}, `{"okay": null}`},
		{map[string]any{"output": "2\n"}, `{"output": "2\n"}`},
		{[]any{1, "a,b:c", true}, `[1, "a,b:c", true]`},
		{"é😀<>&\"\\", `"\u00e9\ud83d\ude00<>&\"\\"`},
		{ErrorObject{"KeyError", "'digest'", ""}, `{"type": "KeyError", "value": "'digest'", "traceback": ""}`},
	} {
		got, err := MarshalPy(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("MarshalPy(%#v) = %s, %v; want %s", c.v, got, err, c.want)
		}
	}
}

func TestHMAC(t *testing.T) {
	n1, n2 := NewNonce(), NewNonce()
	if len(n1) != 32 || n1 == n2 {
		t.Fatalf("nonces %q %q", n1, n2)
	}
	d := HMACDigest(n1, "{}", "secret")
	keys := []Key{{"a", "secret"}}
	if Match(keys, d, func(m string) string { return HMACDigest(n1, "{}", m) }) != 0 {
		t.Fatal("HMAC digest not matched under its nonce")
	}
	if Match(keys, d, func(m string) string { return HMACDigest(n2, "{}", m) }) != -1 {
		t.Fatal("HMAC digest matched under another nonce (a replay)")
	}
	g, err := DecodeGreeting(EncodeGreeting(n1))
	if err != nil || g.Nonce != n1 {
		t.Fatalf("greeting %+v %v", g, err)
	}
}

// The secure mode's test vector in internal/frontend/chatfront/README.md.
func TestHMACVector(t *testing.T) {
	const want = "fa395a9f544d725e83cef858048ada42d022b2f97d7e8d0e0af9e541c2225d15"
	if got := HMACDigest("000102030405060708090a0b0c0d0e0f", "{}", "AEIOU"); got != want {
		t.Fatalf("HMACDigest = %s, want %s", got, want)
	}
}
