package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// FuzzParseResponse checks that the response parser never panics, respects
// its limits, gives the same answers however the bytes are split across
// reads, and agrees with net/http on the status and body of a first
// response that both accept.
func FuzzParseResponse(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\nbb",
		"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody to eof",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		"HTTP/1.1 200\nContent-Length: 2\n\nhi",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := describe(bytes.NewReader(data))
		for _, n := range []int{1, 5} {
			if split := describe(&chunkReader{data, n}); split != whole {
				t.Fatalf("reads of %d bytes:\n%s\nwhole:\n%s", n, split, whole)
			}
		}
		agreeWithNetHTTP(t, data)
	})
}

// describe renders everything the parser says about a stream.
func describe(r io.Reader) string {
	rr := newRespReader(r)
	var b bytes.Buffer
	for {
		resp, err := rr.next()
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			return b.String()
		}
		if len(resp.body) > maxBodyBytes {
			panic("body over the limit")
		}
		fmt.Fprintf(&b, "%d close=%v body=%q\n", resp.status, resp.close, resp.body)
		if resp.close {
			return b.String()
		}
	}
}

func agreeWithNetHTTP(t *testing.T, data []byte) {
	resp, err := newRespReader(bytes.NewReader(data)).next()
	if err != nil {
		return
	}
	theirs, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
	if err != nil || theirs.StatusCode < 200 { // net/http hands back interim replies
		return
	}
	body, err := io.ReadAll(theirs.Body)
	if err != nil {
		return
	}
	if theirs.StatusCode != resp.status || !bytes.Equal(body, resp.body) {
		t.Fatalf("net/http read %d %q, we read %d %q", theirs.StatusCode, body, resp.status, resp.body)
	}
}
