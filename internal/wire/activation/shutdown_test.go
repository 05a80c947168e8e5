package activation

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestShutdownWaitsForAnswers(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := &Server{Logger: quietLogger(), Answerer: AnswererFunc(func(_ context.Context, req Request, _ net.Addr) []byte {
		close(entered)
		<-release
		return []byte("late but answered")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	reply := make(chan string, 1)
	go func() {
		got, _ := exchangeErr(ln.Addr().String(), []byte("SHF706002A7"), true)
		reply <- string(got)
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepting after Shutdown")
	}
	close(release)
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if got := <-reply; got != "late but answered" {
		t.Errorf("in-flight client got %q", got)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestShutdownForced(t *testing.T) {
	entered := make(chan struct{})
	ctxErr := make(chan error, 1)
	s := &Server{Logger: quietLogger(), Answerer: AnswererFunc(func(ctx context.Context, req Request, _ net.Addr) []byte {
		close(entered)
		<-ctx.Done()
		ctxErr <- ctx.Err()
		return []byte("too late")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	reply := make(chan string, 1)
	go func() {
		got, _ := exchangeErr(ln.Addr().String(), []byte("SHF706002A7"), true)
		reply <- string(got)
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("forced Shutdown: %v, want context.Canceled", err)
	}
	if err := <-ctxErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Answerer ctx: %v", err)
	}
	if got := <-reply; got == "too late" {
		t.Error("connection was not closed by the forced shutdown")
	}
}

// The accept loop (backoff on temporary errors, a permanent error ending
// Serve) is internal/rawtcp's, tested there.

func TestServeNeedsAnAnswerer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := (&Server{}).Serve(ln); err == nil {
		t.Error("Serve without an Answerer should fail")
	}
}
