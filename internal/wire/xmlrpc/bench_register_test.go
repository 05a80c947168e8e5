package xmlrpc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"

	"aula/internal/core"
)

// The shapes of the hottest call there is: the Sugar shell's register
// (four strings in) and its reply (strings, *strings and a small
// map[string]string out), as modules/id has them.

var sugarRegisterCall = []byte(`<?xml version='1.0'?>
<methodCall>
<methodName>register</methodName>
<params>
<param>
<value><string>BEN0000002A</string></value>
</param>
<param>
<value><string>bench 42</string></value>
</param>
<param>
<value><string>00000000-0000-4000-8000-00000000002A</string></value>
</param>
<param>
<value><string>AAAAC3NzaC1lZDI1NTE5AAAAIHaQ3q0ZLmF7JG3Ky4bT8i+3vO1c6n0a9zJ3p9w1V2bX</string></value>
</param>
</params>
</methodCall>
`)

type registerShape struct {
	Success      string            `json:"success"`
	Error        string            `json:"error,omitempty"`
	UUID         string            `json:"uuid,omitempty"`
	UID          string            `json:"uid,omitempty"`
	JabberServer *string           `json:"jabberserver,omitempty"`
	BackupURL    *string           `json:"backupurl,omitempty"`
	BackupPath   *string           `json:"backuppath,omitempty"`
	Stamp        string            `json:"stamp,omitempty"`
	Config       map[string]string `json:"config,omitempty"`
}

func registerReplyValue() registerShape {
	jabber, url, path := "school.example.org", "rsync://school.example.org/backup/3f2a", "/library/users/3f2a/backup"
	return registerShape{Success: "OK", JabberServer: &jabber, BackupURL: &url, BackupPath: &path,
		Stamp: "1717171717-3", Config: map[string]string{
			"api-url": "https://school.example.org/", "jabber-url": "school.example.org",
			"backup-url": url, "schoolserver": "school.example.org", "uid": "3f2a9c0d1e2b4a5f6d7e8f90a1b2c3d4e5f60718",
		}}
}

func BenchmarkRegisterDecode(b *testing.B) {
	b.SetBytes(int64(len(sugarRegisterCall)))
	b.ReportAllocs()
	r := bytes.NewReader(nil)
	for b.Loop() {
		r.Reset(sugarRegisterCall)
		if _, _, err := DecodeCall(r, DefaultMaxBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegisterEncode(b *testing.B) {
	v := any(registerReplyValue())
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeResponse(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}

// benchModule answers register with a fixed reply, so BenchmarkRegisterServe
// measures the front end and the core chain only.
type benchModule struct{}

func (benchModule) Methods() []core.Method {
	reply := registerReplyValue()
	m := core.Func("register", "bench", func(ctx context.Context, in struct {
		Serial   string `json:"serial"`
		Nickname string `json:"nickname"`
		UUID     string `json:"uuid"`
		PubKey   string `json:"pubkey"`
	}) (registerShape, error) {
		if in.Serial == "" {
			return registerShape{Success: "ERR"}, nil
		}
		return reply, nil
	})
	m.Aliases = []string{"register"}
	return []core.Method{m}
}

func init() {
	core.Register(core.ModuleInfo{ID: "xmlrpcbench", New: func() core.Module { return benchModule{} }})
}

// discardWriter is the cheapest http.ResponseWriter there is.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkRegisterServe is one register call through Handler.ServeHTTP:
// request id, decode, the whole core chain, binding, encoding, headers.
func BenchmarkRegisterServe(b *testing.B) {
	app, err := core.NewApp(nil, "xmlrpcbench")
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{App: app}
	body := bytes.NewReader(nil)
	req, err := http.NewRequest("POST", "/RPC2", body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.RemoteAddr = "127.0.0.1:40000"
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(sugarRegisterCall)
		req.Body = io.NopCloser(body)
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	w.n = 0
	body.Reset(sugarRegisterCall)
	req.Body = io.NopCloser(body)
	var sink strings.Builder
	h.ServeHTTP(&copyWriter{discardWriter: discardWriter{h: http.Header{}}, out: &sink}, req)
	if !strings.Contains(sink.String(), "<name>success</name><value><string>OK</string>") {
		b.Fatalf("unexpected reply %s", sink.String())
	}
}

type copyWriter struct {
	discardWriter
	out *strings.Builder
}

func (w *copyWriter) Write(p []byte) (int, error) { return w.out.Write(p) }

// BenchmarkRegisterEncodeEachLaptop encodes register replies as the server
// sends them: the same shape, a new uid (in four places) every time, from
// the flat-struct snapshot (encode_flat.go); .../general is the same
// without the snapshot.
func BenchmarkRegisterEncodeEachLaptop(b *testing.B) {
	replies := make([]registerShape, 64)
	for i := range replies {
		r := registerReplyValue()
		uid := fmt.Sprintf("%040x", i)
		url, path := "rsync://school.example.org/backup/"+uid, "/library/users/"+uid+"/backup"
		r.BackupURL, r.BackupPath = &url, &path
		r.Config = maps.Clone(r.Config)
		r.Config["uid"], r.Config["backup-url"] = uid, url
		replies[i] = r
	}
	for _, bc := range []struct {
		name string
		enc  func([]byte, any) ([]byte, error)
	}{{"snapshot", AppendResponse}, {"general", appendGeneralResponse}} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				var err error
				if buf, err = bc.enc(buf[:0], replies[i%len(replies)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
