package aulaserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aula/bench/laptop"
	"aula/internal/frontend/httpfront"
	_ "aula/modules/id"
)

// BenchmarkRegisterChain is the server side of one Sugar registration as
// `aula serve` runs it, without the network: the HTTP handler, the auth
// module's chain (audit row riding with the journal row), the id module,
// group commit. Callers run in parallel so that the store commits them in
// groups. cpu-ns/op is the process's CPU per registration during the
// loop; fold-ns/op is the CPU the background fold then spends applying
// them (reported apart: another part of the server, and its own
// benchmark). Compare with bench/idbench, which adds the network.
func BenchmarkRegisterChain(b *testing.B) {
	ctx := context.Background()
	s, err := Start(ctx, Options{Modules: []string{"id"}, Args: []string{"--id-server-name=xs.bench.lan"},
		DataDir: filepath.Join(b.TempDir(), "data")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	h, err := httpfront.Handler(s.App, false)
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Uint64
	ok := []byte("<string>OK</string>")
	b.ReportAllocs()
	b.SetParallelism(25) // 50 callers on 2 cores, as idbench's connections
	cpu0 := processCPU()
	u := &url.URL{Path: "/RPC2"}
	b.RunParallel(func(pb *testing.PB) {
		// The request and recorder are made here by hand, not with
		// httptest (whose NewRequest parses a request through a new
		// 4 KiB bufio.Reader each time): what net/http's server does
		// per request is the same for every handler, and bench/idbench
		// measures it.
		var w replyRecorder
		for pb.Next() {
			body, _ := laptop.Register(n.Add(1))
			req := &http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(bytes.NewReader(body)),
				ContentLength: int64(len(body)), Host: "xs.bench.lan", RemoteAddr: "127.0.0.1:40000", RequestURI: "/RPC2"}
			w.reset()
			h.ServeHTTP(&w, req)
			if w.code != http.StatusOK || !bytes.Contains(w.body, ok) {
				b.Errorf("reply %d: %s", w.code, w.body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	cpu1 := processCPU()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		applied, err := s.JournalApplied(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if applied {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the background fold left registrations in the journal for 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(float64(processCPU()-cpu1)/float64(b.N), "fold-ns/op")
}

// replyRecorder is a ResponseWriter kept by one benchmark goroutine.
type replyRecorder struct {
	header http.Header
	code   int
	body   []byte
}

func (w *replyRecorder) reset() {
	if w.header == nil {
		w.header = http.Header{}
	}
	clear(w.header)
	w.code, w.body = 0, w.body[:0]
}

func (w *replyRecorder) Header() http.Header { return w.header }

func (w *replyRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *replyRecorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, b...)
	return len(b), nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
