package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

var (
	smallCall = []byte(`<?xml version='1.0'?>
<methodCall>
<methodName>echo.echo</methodName>
<params>
<param>
<value><string>hello</string></value>
</param>
<param>
<value><int>42</int></value>
</param>
</params>
</methodCall>
`)
	nestedValue = map[string]any{
		"serial": "SHF00000000", "nick": "Pepe", "uuid": "b3fda1c2-5bd4-4f8e-9e4f-0123456789ab",
		"ok": true, "quota": int64(1 << 33), "ratio": 0.75, "when": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"groups": []any{"students", "lab-1", map[string]any{"id": 7, "tags": []any{"a", "b", "c"}}},
		"key":    []byte("ssh-dss AAAAB3NzaC1kc3MAAACBAO"),
	}
)

type benchReply struct {
	Serial string    `json:"serial"`
	Nick   string    `json:"nick"`
	UUID   string    `json:"uuid"`
	OK     bool      `json:"ok"`
	Quota  int64     `json:"quota"`
	Ratio  float64   `json:"ratio"`
	When   time.Time `json:"when"`
	Groups []string  `json:"groups"`
	Key    []byte    `json:"key"`
}

func nestedCall(b *testing.B) []byte {
	doc, err := AppendCall(nil, "register", []any{nestedValue, "x", 1})
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func BenchmarkDecodeCall(b *testing.B) {
	golden, err := os.ReadFile("testdata/call_struct.xml")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		doc  []byte
	}{{"small", smallCall}, {"nested", nestedCall(b)}, {"python_struct", golden}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.doc)))
			b.ReportAllocs()
			r := bytes.NewReader(nil)
			for b.Loop() {
				r.Reset(bc.doc)
				if _, _, err := DecodeCall(r, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The floor: encoding/xml alone tokenizing the small call. DecodeCall's
	// own cost is the difference.
	b.Run("small_tokens_only", func(b *testing.B) {
		b.SetBytes(int64(len(smallCall)))
		b.ReportAllocs()
		r := bytes.NewReader(nil)
		for b.Loop() {
			r.Reset(smallCall)
			d := xml.NewDecoder(r)
			for {
				if _, err := d.RawToken(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkEncodeResponse(b *testing.B) {
	reply := benchReply{Serial: "SHF00000000", Nick: "Pepe", UUID: "b3fda1c2-5bd4-4f8e-9e4f-0123456789ab", OK: true,
		Quota: 1 << 33, Ratio: 0.75, When: time.Now(), Groups: []string{"students", "lab-1"}, Key: []byte("ssh-dss AAAA")}
	for _, bc := range []struct {
		name string
		v    any
	}{{"small", []any{"hello", 42}}, {"nested", nestedValue}, {"gostruct", reply}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := EncodeResponse(io.Discard, bc.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPEcho compares a keep-alive echo over real HTTP through this
// codec with a bare net/http handler; the codec should cost less than the
// HTTP round trip itself (target: at least half the bare rate).
func BenchmarkHTTPEcho(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(body)
	})
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, err := DecodeCall(r.Body, DefaultLimit)
		w.Header().Set("Content-Type", "text/xml")
		if err != nil {
			f := err.(*Fault)
			EncodeFault(w, f.Code, f.String)
			return
		}
		EncodeResponse(w, params)
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"xmlrpc", echo}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := srv.Client()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(srv.URL, "text/xml", bytes.NewReader(smallCall))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
