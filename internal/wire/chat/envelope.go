package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Envelope is a decoded request: Content is the decoded string value of
// "content", exactly as received (the digest is over it, so it is never
// re-serialised); Digest the hex text of "digest".
type Envelope struct {
	Content string
	Digest  string
}

// KeyError is a missing envelope member; the error object reports it as
// IVLE's server does, {"type": "KeyError", "value": "'digest'"}.
type KeyError string

func (k KeyError) Error() string { return "'" + string(k) + "'" }

// DecodeEnvelope parses {"digest": "...", "content": "..."} in any key
// order and with any JSON whitespace (Python 2 writes ", " and ": ").
// Members other than these two are ignored, as IVLE does; keys match
// exactly (encoding/json's struct fields would match any case), and of a
// repeated key the last wins.
//
// One validating pass of encoding/json finds the members; the two strings
// are then unquoted by jsonString, not by a second encoding/json pass over
// the content (that second pass was the largest cost of a chat call after
// the network, docs/BENCHMARKS.md).
func DecodeEnvelope(p []byte) (Envelope, error) {
	var raw map[string]member
	if err := json.Unmarshal(p, &raw); err != nil {
		return Envelope{}, fmt.Errorf("request is not a JSON object: %w", err)
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
			return Envelope{}, fmt.Errorf("request member %q must be a JSON string, got %s", f.name, clip(v))
		}
		s, err := jsonString(v)
		if err != nil {
			return Envelope{}, fmt.Errorf("request member %q: %w", f.name, err)
		}
		*f.dst = s
	}
	return env, nil
}

// member is one envelope member's JSON text: a slice of the request,
// which encoding/json hands to UnmarshalJSON without a copy, used only
// before DecodeEnvelope returns.
type member []byte

func (m *member) UnmarshalJSON(b []byte) error {
	*m = b
	return nil
}

// EncodeEnvelope is the client side: content signed with digest, in the
// byte form Python 2's json.dumps gives IVLE's client (content first).
func EncodeEnvelope(content, digest string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"content": `)
	b.Write(pyString(content))
	b.WriteString(`, "digest": `)
	b.Write(pyString(digest))
	b.WriteByte('}')
	return b.Bytes()
}

// DecodeContent parses the verified content as JSON. Numbers stay
// json.Number, as REST does, so large integers are not rounded.
func DecodeContent(content string) (any, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(content)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("content is not JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("content has data after its JSON value")
	}
	return v, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
