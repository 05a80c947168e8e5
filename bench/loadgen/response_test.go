package loadgen

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader hands out its data at most n bytes per Read, to exercise
// responses split across reads at every position.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// parsed is a response as the tests compare it.
type parsed struct {
	status int
	body   string
	close  bool
}

// parseAll reads responses until an error, returning them and that error.
func parseAll(r io.Reader) ([]parsed, error) {
	rr := newRespReader(r)
	var out []parsed
	for {
		resp, err := rr.next()
		if err != nil {
			return out, err
		}
		out = append(out, parsed{resp.status, string(resp.body), resp.close})
		if resp.close {
			return out, nil
		}
	}
}

func TestResponseParser(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	cases := []struct {
		name    string
		in      string
		want    []parsed
		wantErr string // substring; "" means the input ends in a clean close
	}{
		{"keep-alive then server closed", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
			[]parsed{{200, "ok\n", false}}, "closed the connection before replying"},
		{"two in one read", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nbb",
			[]parsed{{200, "a", false}, {404, "bb", true}}, ""},
		{"header names in any case", "HTTP/1.1 201 Created\r\ncOnTeNt-LeNgTh: 2\r\nCONNECTION: Close\r\n\r\nhi",
			[]parsed{{201, "hi", true}}, ""},
		{"connection token list", "HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE \r\nContent-Length: 0\r\n\r\n",
			[]parsed{{200, "", true}}, ""},
		{"HTTP/1.0 body to EOF", "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\nhello\nworld\n",
			[]parsed{{200, "hello\nworld\n", true}}, ""},
		{"HTTP/1.0 with Content-Length closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
			[]parsed{{200, "hi", true}}, ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhiHTTP/1.0 200 OK\r\n\r\n",
			[]parsed{{200, "hi", false}, {200, "", true}}, ""},
		{"no reason phrase, bare LF", "HTTP/1.1 200\nContent-Length: 2\n\nhiHTTP/1.1 500\r\nConnection: close\r\n\r\n",
			[]parsed{{200, "hi", false}, {500, "", true}}, ""},
		{"interim 100 skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz",
			[]parsed{{200, "z", true}}, ""},
		{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz",
			[]parsed{{204, "", false}, {200, "z", true}}, ""},
		{"repeated equal Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
			[]parsed{{200, "hi", true}}, ""},
		{"large body", "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n" + big,
			[]parsed{{200, big, true}}, ""},
		{"chunked refused", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", nil, "Transfer-Encoding"},
		{"conflicting Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi", nil, "conflicting"},
		{"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", nil, "bad Content-Length"},
		{"Content-Length over limit", "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n", nil, "limit"},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi", nil, "body cut short"},
		{"headers cut short", "HTTP/1.1 200 OK\r\nContent-Le", nil, "cut short in its headers"},
		{"not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", nil, "bad status line"},
		{"HTTP/2 status line", "HTTP/2.0 200 OK\r\n\r\n", nil, "bad status line"},
		{"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", nil, "unsupported HTTP version"},
		{"status not digits", "HTTP/1.1 2x0 OK\r\n\r\n", nil, "bad status code"},
		{"status glued to reason", "HTTP/1.1 200OK\r\n\r\n", nil, "bad status line"},
		{"obsolete folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n\r\n", nil, "folding"},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi", nil, "space in header name"},
		{"no colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", nil, "bad header line"},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n", nil, "101"},
		{"headers over limit", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", nil, "limit"},
		{"empty", "", nil, "closed the connection before replying"},
	}
	for _, tc := range cases {
		for _, n := range []int{1, 2, 3, 7, 64, 1 << 30} {
			got, err := parseAll(&chunkReader{[]byte(tc.in), n})
			if !equalParsed(got, tc.want) {
				t.Errorf("%s (reads of %d): got %+.60v, want %+.60v", tc.name, n, got, tc.want)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s (reads of %d): unexpected error %v", tc.name, n, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("%s (reads of %d): error %v, want one containing %q", tc.name, n, err, tc.wantErr)
			}
		}
	}
}

func equalParsed(a, b []parsed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResponseParserReadErrors(t *testing.T) {
	boom := errors.New("boom")
	in := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"
	_, err := parseAll(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the reader's error", err)
	}
	// Readers returning data together with io.EOF, and (0, nil) reads.
	got, err := parseAll(iotest.DataErrReader(iotest.OneByteReader(strings.NewReader(
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"))))
	if err != nil || !equalParsed(got, []parsed{{200, "hi", true}}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

// loopReader serves the same bytes forever, like a server answering every
// request identically.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func TestResponseParserDoesNotAllocate(t *testing.T) {
	one := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nok\n")
	rr := newRespReader(&loopReader{data: bytes.Repeat(one, 7)})
	allocs := testing.AllocsPerRun(1000, func() {
		if resp, err := rr.next(); err != nil || resp.status != 200 {
			t.Fatalf("%v %v", resp, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per response, want 0", allocs)
	}
}

func BenchmarkParseResponse(b *testing.B) {
	one := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nok\n")
	rr := newRespReader(&loopReader{data: bytes.Repeat(one, 7)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rr.next(); err != nil {
			b.Fatal(err)
		}
	}
}
