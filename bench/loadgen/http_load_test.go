package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func startBareHTTP(t *testing.T) *RefServer {
	t.Helper()
	ref, err := BareHTTP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ref.Stop)
	return ref
}

// startHTTP serves h on 127.0.0.1 for the length of the test.
func startHTTP(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestHTTPLoadAgainstBareHTTPForOneSecond(t *testing.T) {
	ref := startBareHTTP(t)
	res, err := HTTPLoad{
		Addr:    ref.Addr,
		Conns:   4,
		Request: HTTPRequest("POST", "/x", []byte("<call/>"), "Content-Type: text/xml"),
		CheckBody: func(b []byte) error {
			if string(b) != BareReply {
				return fmt.Errorf("body %q", b)
			}
			return nil
		},
		Duration: time.Second,
	}.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Calls == 0 || res.Errors != 0 {
		t.Fatalf("want calls and no errors: %v", res)
	}
	if res.Elapsed != time.Second || res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.Max {
		t.Fatalf("inconsistent result: %v", res)
	}
}

func TestHTTPLoadCountModeSendsDistinctRequests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	addr := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
		w.Write(b) // echo, so the body check can see which call it was
	})
	res, err := HTTPLoad{
		Addr:  addr,
		Conns: 3,
		RequestFunc: func(i int) []byte {
			return HTTPRequest("POST", "/", fmt.Appendf(nil, "call-%06d", i))
		},
		CheckBody: func(b []byte) error {
			if !bytes.HasPrefix(b, []byte("call-")) {
				return fmt.Errorf("echo %q", b)
			}
			return nil
		},
		Requests: 500,
		Warmup:   -1,
	}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 500 || res.Errors != 0 {
		t.Fatalf("want exactly 500 good calls: %v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	for body, n := range seen {
		if n != 1 {
			t.Fatalf("request %q sent %d times", body, n)
		}
	}
	if len(seen) != 500 {
		t.Fatalf("server saw %d requests, want 500", len(seen))
	}
}

func TestHTTPLoadCountsWrongStatusAndKeepsGoing(t *testing.T) {
	ref := startBareHTTP(t)
	res, err := HTTPLoad{Addr: ref.Addr, Conns: 2, Request: HTTPRequest("GET", "/", nil),
		Status: 201, Requests: 50, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || res.Errors != 50 || len(res.ErrorSamples) != 1 ||
		res.ErrorSamples[0] != "status 200, want 201" {
		t.Fatalf("want 50 status errors: %v", res)
	}
}

func TestHTTPLoadRedialsWhenServerCloses(t *testing.T) {
	addr := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	res, err := HTTPLoad{Addr: addr, Conns: 2, Request: HTTPRequest("GET", "/", nil),
		Requests: 100, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 100 || res.Errors != 0 {
		t.Fatalf("want 100 good calls over fresh connections: %v", res)
	}
}

func TestHTTPLoadRefusesChunkedReplies(t *testing.T) {
	addr := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part")
		w.(http.Flusher).Flush() // forces chunked encoding
	})
	res, err := HTTPLoad{Addr: addr, Conns: 1, Request: HTTPRequest("GET", "/", nil),
		Requests: 5, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 5 || !strings.Contains(res.ErrorSamples[0], "Transfer-Encoding") {
		t.Fatalf("want chunked replies refused: %v", res)
	}
}

// A real HTTP/1.0 peer: Python's http.server answers with HTTP/1.0 and
// closes each connection.
func TestHTTPLoadAgainstPythonHTTP10Server(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello from python\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("python http.server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := HTTPLoad{Addr: addr, Conns: 2, Request: HTTPRequest("GET", "/hello.txt", nil),
		CheckBody: func(b []byte) error {
			if string(b) != "hello from python\n" {
				return fmt.Errorf("body %q", b)
			}
			return nil
		},
		Requests: 20, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 20 || res.Errors != 0 {
		t.Fatalf("want 20 good calls: %v", res)
	}
}

func TestHTTPLoadCountsDeadServerAsErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := HTTPLoad{Addr: addr, Conns: 2, Request: HTTPRequest("GET", "/", nil),
		Duration: 100 * time.Millisecond, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || res.Errors == 0 || !strings.Contains(res.ErrorSamples[0], "refused") {
		t.Fatalf("want dial errors: %v", res)
	}
}

func TestDriversRefuseNonLoopbackTargets(t *testing.T) {
	req := []byte("x")
	for _, addr := range []string{"10.0.0.1:80", "192.168.1.1:80", "example.org:80", "8.8.8.8:53", "nonsense"} {
		if _, err := (HTTPLoad{Addr: addr, Request: req}).Run(); err == nil {
			t.Errorf("HTTPLoad accepted %q", addr)
		}
		if _, err := (TCPLoad{Addr: addr, Request: req}).Run(); err == nil {
			t.Errorf("TCPLoad accepted %q", addr)
		}
		if _, err := (Storm{Addr: addr, Request: req}).Run(); err == nil {
			t.Errorf("Storm accepted %q", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:1", "127.9.9.9:1", "[::1]:1", "localhost:1"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("refused loopback %q: %v", addr, err)
		}
	}
	if _, err := (HTTPLoad{Addr: "127.0.0.1:1"}).Run(); err == nil {
		t.Error("HTTPLoad ran without a request")
	}
}

func TestHTTPRequestBytes(t *testing.T) {
	got := string(HTTPRequest("POST", "/RPC2", []byte("<x/>"), "Content-Type: text/xml", "Authorization: Basic YTpi"))
	want := "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nAuthorization: Basic YTpi\r\nContent-Length: 4\r\n\r\n<x/>"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := string(HTTPRequest("GET", "/", nil)); got != "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" {
		t.Fatalf("GET: %q", got)
	}
	// And net/http's own parser agrees it is a request.
	ref := startBareHTTP(t)
	c, err := net.Dial("tcp", ref.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(HTTPRequest("POST", "/", []byte("abc"), "Connection: close"))
	reply, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) || !bytes.HasSuffix(reply, []byte("\r\n\r\n"+BareReply)) {
		t.Fatalf("reply %q", reply)
	}
}
