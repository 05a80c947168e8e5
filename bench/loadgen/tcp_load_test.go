package loadgen

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func startBareTCP(t *testing.T) *RefServer {
	t.Helper()
	ref, err := BareTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ref.Stop)
	return ref
}

func wantBareReply(reply []byte) error {
	if string(reply) != BareReply {
		return fmt.Errorf("reply %q", reply)
	}
	return nil
}

func TestTCPLoadAgainstBareTCP(t *testing.T) {
	ref := startBareTCP(t)
	for _, tc := range []struct {
		name       string
		request    string
		closeWrite bool
	}{
		{"read to EOF", "request without newline", true},
		{"read a line", "one line\n", false},
	} {
		res, err := TCPLoad{Addr: ref.Addr, Workers: 4, Request: []byte(tc.request),
			CloseWrite: tc.closeWrite, Check: wantBareReply, Duration: 300 * time.Millisecond}.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", tc.name, res)
		if res.Calls == 0 || res.Errors != 0 {
			t.Errorf("%s: want calls and no errors: %v", tc.name, res)
		}
	}
}

func TestTCPLoadCountModeAndDistinctRequests(t *testing.T) {
	// An echo server, so each reply shows which request it answered.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				c.Write([]byte(strings.ToUpper(line)))
			}()
		}
	}()
	res, err := TCPLoad{Addr: ln.Addr().String(), Workers: 3,
		RequestFunc: func(i int) []byte { return fmt.Appendf(nil, "req %d\n", i) },
		CloseWrite:  true,
		Check: func(reply []byte) error {
			if !strings.HasPrefix(string(reply), "REQ ") {
				return fmt.Errorf("reply %q", reply)
			}
			return nil
		},
		Requests: 200, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 200 || res.Errors != 0 {
		t.Fatalf("want exactly 200 good calls: %v", res)
	}
}

func TestTCPLoadCountsBadReplies(t *testing.T) {
	ref := startBareTCP(t)
	res, err := TCPLoad{Addr: ref.Addr, Workers: 2, Request: []byte("x\n"),
		Check:    func([]byte) error { return fmt.Errorf("never good") },
		Requests: 10, Warmup: -1}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || res.Errors != 10 || res.ErrorSamples[0] != "reply check: never good" {
		t.Fatalf("want 10 check errors: %v", res)
	}
}

func TestStormAgainstBareTCP(t *testing.T) {
	if _, err := RaiseFileLimit(); err != nil {
		t.Fatal(err)
	}
	ref := startBareTCP(t)
	res, err := Storm{Addr: ref.Addr, Conns: 1000, Window: 500 * time.Millisecond,
		Request: []byte("hello\n"), Check: wantBareReply}.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Calls != 1000 || res.Errors != 0 {
		t.Fatalf("want all 1000 answered: %v", res)
	}
	if res.Elapsed < 500*time.Millisecond*999/1000 {
		t.Fatalf("storm finished in %v, before its pacing window ended", res.Elapsed)
	}
}

func TestStormCountsUnanswered(t *testing.T) {
	// A server that accepts and closes without a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	res, err := Storm{Addr: ln.Addr().String(), Conns: 50, Window: 50 * time.Millisecond,
		Request: []byte("hello\n")}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || res.Errors != 50 {
		t.Fatalf("want 50 unanswered: %v", res)
	}
}

func TestRaiseFileLimit(t *testing.T) {
	n, err := RaiseFileLimit()
	if err != nil || n == 0 {
		t.Fatalf("limit %d, %v", n, err)
	}
}
