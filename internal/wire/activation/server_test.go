package activation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fixedAnswerer(seen chan<- Request) AnswererFunc {
	return func(_ context.Context, req Request, peer net.Addr) []byte {
		if seen != nil {
			seen <- req
		}
		if ip := peer.(*net.TCPAddr).IP; !ip.IsLoopback() {
			return []byte("peer " + ip.String())
		}
		switch {
		case req.RTCReset != nil:
			return []byte("rtc01: " + req.RTCReset.Serial + " " + req.RTCReset.Timestamp + " " + req.RTCReset.Count + "\n")
		case req.Serial == "SHF706002A7":
			return testLease
		case req.Serial == "SHF000000S1":
			return []byte("STOLEN")
		}
		return nil
	}
}

func TestExchangeByteForByte(t *testing.T) {
	seen := make(chan Request, 4)
	addr := startServer(t, &Server{Answerer: fixedAnswerer(seen)})

	if got := exchange(t, addr, []byte("SHF706002A7")); !bytes.Equal(got, testLease) {
		t.Errorf("lease reply: %d bytes %q, want the %d lease bytes then EOF", len(got), got, len(testLease))
	}
	if req := <-seen; req.Serial != "SHF706002A7" || string(req.Raw) != "SHF706002A7" || req.RTCReset != nil {
		t.Errorf("Answerer got %+v", req)
	}
	if got := exchange(t, addr, []byte("SHF000000S1")); string(got) != "STOLEN" {
		t.Errorf("stolen reply %q, want exactly the 6 bytes STOLEN", got)
	}
	<-seen
	if got := exchange(t, addr, []byte("SHF7060035B")); len(got) != 0 {
		t.Errorf("unknown laptop got %q, want nothing", got)
	}
	<-seen
	got := exchange(t, addr, []byte("rtcreset SHF706002A7 20110512T003512Z 0000000135"))
	if string(got) != "rtc01: SHF706002A7 20110512T003512Z 0000000135\n" {
		t.Errorf("rtcreset reply %q", got)
	}
	if req := <-seen; req.RTCReset == nil || req.RTCReset.Count != "0000000135" {
		t.Errorf("Answerer got %+v", req)
	}
}

func TestSilentClientsAreCutOff(t *testing.T) {
	var log invalidLog
	addr := startServer(t, &Server{
		Answerer:     fixedAnswerer(nil),
		ReadDeadline: 100 * time.Millisecond,
		Invalid:      log.hook([]byte(DefaultInvalidReply)),
	})
	for _, req := range []string{"", "SHF706002A7"} { // never sends / sends but never half-closes
		got, err := exchangeErr(addr, []byte(req), false)
		if err != nil || string(got) != "UNKNOWN" {
			t.Errorf("client sending %q without FIN: reply %q, %v; want UNKNOWN then EOF", req, got, err)
		}
		err, raw := log.last(t)
		if !errors.Is(err, ErrReadTimeout) || string(raw) != req {
			t.Errorf("hook got %v with %q, want ErrReadTimeout with %q", err, raw, req)
		}
	}
}

func TestOversizedRequest(t *testing.T) {
	var log invalidLog
	s := &Server{Answerer: fixedAnswerer(nil), Invalid: log.hook([]byte("TOO BIG"))}
	addr := startServer(t, s)
	if got := exchange(t, addr, bytes.Repeat([]byte("A"), DefaultMaxRequest+44)); string(got) != "TOO BIG" {
		t.Errorf("oversized request got %q", got)
	}
	if err, raw := log.last(t); !errors.Is(err, ErrRequestTooLarge) || len(raw) != DefaultMaxRequest+1 {
		t.Errorf("hook got %v with %d bytes, want ErrRequestTooLarge with %d", err, len(raw), DefaultMaxRequest+1)
	}
	// A client that floods without end is cut off too; its connection ends.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, 8<<20))
		wrote <- err
	}()
	buf := make([]byte, 64)
	for err == nil {
		_, err = c.Read(buf)
	}
	if werr := <-wrote; werr == nil {
		t.Error("an 8 MiB flood was fully accepted")
	}
	c.Close()
	if err, _ := log.last(t); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("flood: hook got %v", err)
	}
	if got := exchange(t, addr, []byte("SHF000000S1")); string(got) != "STOLEN" {
		t.Error("server stopped answering after a flood")
	}
}

func TestInvalidRequests(t *testing.T) {
	addr := startServer(t, &Server{Answerer: fixedAnswerer(nil)})
	for _, req := range []string{"", "shf706002a7", "GET / HTTP/1.0\r\n\r\n", "rtcreset SHF706002A7 x 1"} {
		if got := exchange(t, addr, []byte(req)); string(got) != "UNKNOWN" {
			t.Errorf("%q got %q, want the default UNKNOWN", req, got)
		}
	}
	var log invalidLog
	quiet := startServer(t, &Server{Answerer: fixedAnswerer(nil), Invalid: log.hook(nil)})
	if got := exchange(t, quiet, []byte("bad")); len(got) != 0 {
		t.Errorf("Invalid returning nil should send nothing, got %q", got)
	}
	if err, _ := log.last(t); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("hook got %v", err)
	}
}

func TestManyConcurrentClients(t *testing.T) {
	const clients = 300
	s := &Server{
		Answerer: AnswererFunc(func(_ context.Context, req Request, _ net.Addr) []byte {
			return []byte("lease for " + req.Serial)
		}),
		ReadDeadline: time.Minute, // a loaded 2-core box under -race is slow; this is no speed test
		Invalid: func(_ context.Context, raw []byte, _ net.Addr, err error) []byte {
			t.Logf("invalid request %q: %v", raw, err)
			return nil
		},
	}
	addr := startServer(t, s)
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for i := range clients {
		wg.Go(func() {
			sn := fmt.Sprintf("SHF%08d", i)
			got, err := exchangeErr(addr, []byte(sn), true)
			if err != nil || string(got) != "lease for "+sn {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d of %d clients got a wrong or no answer", n, clients)
	}
	if st := s.Stats(); st.Answered != clients || st.Accepted != clients || st.Busy != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBusyBeyondMaxConns(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := &Server{
		MaxConns:  2,
		BusyReply: []byte("BUSY"),
		Answerer: AnswererFunc(func(_ context.Context, req Request, _ net.Addr) []byte {
			entered <- struct{}{}
			<-release
			return []byte("ok " + req.Serial)
		}),
	}
	addr := startServer(t, s)
	replies := make(chan string, 2)
	for _, sn := range []string{"A1", "A2"} {
		go func() {
			got, _ := exchangeErr(addr, []byte(sn), true)
			replies <- string(got)
		}()
	}
	<-entered
	<-entered // both workers are now held by the Answerer
	// Turned away at once, without reading: a client that has not sent yet
	// reads BUSY then EOF. One that already sent may instead see a reset
	// (its unread request); either way its connection ends now.
	if got, err := exchangeErr(addr, nil, false); err != nil || string(got) != "BUSY" {
		t.Errorf("third connection got %q, %v; want BUSY then EOF", got, err)
	}
	if got, err := exchangeErr(addr, []byte("A4"), true); err == nil && string(got) != "BUSY" && len(got) != 0 {
		t.Errorf("fourth connection got %q", got)
	}
	close(release)
	for range 2 {
		if r := <-replies; r != "ok A1" && r != "ok A2" {
			t.Errorf("held client got %q", r)
		}
	}
	if st := s.Stats(); st.Busy != 2 || st.Answered != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestAnswererPanicDoesNotKillServer(t *testing.T) {
	addr := startServer(t, &Server{Answerer: AnswererFunc(func(_ context.Context, req Request, _ net.Addr) []byte {
		if req.Serial == "BOOM" {
			panic("answerer bug")
		}
		return []byte("fine")
	})})
	if got, err := exchangeErr(addr, []byte("BOOM"), true); err != nil || len(got) != 0 {
		t.Errorf("panicking answer: %q, %v; want the connection closed empty", got, err)
	}
	if got := exchange(t, addr, []byte("OK")); string(got) != "fine" {
		t.Errorf("after a panic: %q", got)
	}
}
