// Command activationbench measures the TCP 191 activation listener
// (internal/wire/activation) on 127.0.0.1: requests/s at 200 concurrent
// one-shot connections (connect, send the serial, half-close, read the
// 647-byte lease to EOF) beside a bare TCP server that reads and writes a
// fixed reply (the limit), interleaved in the same run with the ratio
// printed; then a storm of 10,000 connections opened within one second,
// which must all be answered, with its p99 latency. The same loads then go
// to the real activation module (modules/activation: cache lookup, memoised
// reply, batched request record) holding leases for -laptops serials, with a
// second storm over a wider window (-window2). Bounded; stops by itself.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"aula/bench/loadgen"
	"aula/internal/wire/activation"
)

// lease is a realistic answer: a 647-byte sig02 act01 line.
var lease = []byte("act01: SHF706002A7 K 20271231T000000Z sig02: sha256 " + strings.Repeat("ab", 32) +
	" 20271231T000000Z " + strings.Repeat("5a", 256) + "\n")

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 200, "concurrent connections for the throughput loads")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	storm := flag.Int("storm", 10000, "connections in the storm")
	window := flag.Duration("window", time.Second, "time over which the storm's connections are opened")
	window2 := flag.Duration("window2", 5*time.Second, "wider window for the module's second storm")
	laptops := flag.Int("laptops", 10000, "laptops with a lease in the module")
	flag.Parse()
	if err := run(*duration, *conns, *rounds, *storm, *window, *window2, *laptops); err != nil {
		fmt.Fprintln(os.Stderr, "activationbench:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, conns, rounds, stormConns int, window, window2 time.Duration, laptops int) error {
	limit, err := loadgen.RaiseFileLimit()
	if err != nil {
		return err
	}
	// The storm holds a client socket per connection and a server socket per
	// connection being handled (at most MaxConns).
	if need := uint64(stormConns + activation.DefaultMaxConns + 256); limit < need {
		fmt.Fprintf(os.Stderr, "activationbench: open-file limit %d is below %d; the storm may see EMFILE\n", limit, need)
	}
	srv := &activation.Server{
		Answerer: activation.AnswererFunc(func(context.Context, activation.Request, net.Addr) []byte { return lease }),
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	ref, err := loadgen.BareTCP()
	if err != nil {
		return err
	}
	defer ref.Stop()
	mod, err := startModule(laptops)
	if err != nil {
		return err
	}
	defer mod.Stop()
	modReq := func(i int) []byte { return []byte(mod.Serials[i%len(mod.Serials)]) }
	isModLease := func(b []byte) error {
		if len(b) != len(lease) || !bytes.HasPrefix(b, []byte("act01: SHF")) {
			return fmt.Errorf("reply of %d bytes %.16q, want a %d-byte lease", len(b), b, len(lease))
		}
		return nil
	}

	req := []byte("SHF706002A7")
	isLease := func(b []byte) error { return want(b, lease) }
	per := duration / time.Duration(max(rounds, 1))
	res, err := loadgen.Interleave(rounds,
		loadgen.TCPLoad{Addr: ref.Addr, Workers: conns, Request: req, CloseWrite: true, Duration: per,
			Check: func(b []byte) error { return want(b, []byte(loadgen.BareReply)) }},
		loadgen.TCPLoad{Addr: ln.Addr().String(), Workers: conns, Request: req, CloseWrite: true, Duration: per, Check: isLease},
		loadgen.TCPLoad{Addr: mod.Addr, Workers: conns, RequestFunc: modReq, CloseWrite: true, Duration: per, Check: isModLease},
	)
	if err != nil {
		return err
	}
	stormRes, err := loadgen.Storm{Addr: ln.Addr().String(), Conns: stormConns, Window: window,
		Request: req, CloseWrite: true, Check: isLease}.Run()
	if err != nil {
		return err
	}
	modStorm, err := loadgen.Storm{Addr: mod.Addr, Conns: stormConns, Window: window,
		RequestFunc: modReq, CloseWrite: true, Check: isModLease}.Run()
	if err != nil {
		return err
	}
	modStorm2, err := loadgen.Storm{Addr: mod.Addr, Conns: stormConns, Window: window2,
		RequestFunc: modReq, CloseWrite: true, Check: isModLease}.Run()
	if err != nil {
		return err
	}

	t := loadgen.Table{Title: fmt.Sprintf("activation TCP 191, %d concurrent one-shot connections, %d-byte lease", conns, len(lease))}
	t.Add(loadgen.Row{Name: "bare TCP read+reply (limit)", Result: res[0]})
	t.Add(loadgen.Row{Name: "activation.Server", Result: res[1], Ref: "bare TCP read+reply (limit)", Goal: 0.5})
	t.Add(loadgen.Row{Name: fmt.Sprintf("activation module (%d laptops)", laptops), Result: res[2], Ref: "bare TCP read+reply (limit)", Goal: 0.6})
	t.Add(loadgen.Row{Name: fmt.Sprintf("storm: %d conns in %v", stormConns, window), Result: stormRes})
	t.Add(loadgen.Row{Name: fmt.Sprintf("module storm: %d conns in %v", stormConns, window), Result: modStorm})
	t.Add(loadgen.Row{Name: fmt.Sprintf("module storm: %d conns in %v", stormConns, window2), Result: modStorm2})
	t.Print(os.Stdout)
	st := srv.Stats()
	fmt.Printf("\nstorm: %d of %d answered with the lease, %d failed; p50 %s p99 %s max %s\n",
		stormRes.Calls, stormConns, stormRes.Errors,
		loadgen.FormatLatency(stormRes.P50), loadgen.FormatLatency(stormRes.P99), loadgen.FormatLatency(stormRes.Max))
	for _, r := range []struct {
		name string
		res  loadgen.Result
		win  time.Duration
	}{{"module storm", modStorm, window}, {"module storm", modStorm2, window2}} {
		fmt.Printf("%s in %v: %d of %d answered with the lease, %d failed; p50 %s p99 %s max %s\n", r.name, r.win,
			r.res.Calls, stormConns, r.res.Errors, loadgen.FormatLatency(r.res.P50), loadgen.FormatLatency(r.res.P99), loadgen.FormatLatency(r.res.Max))
	}
	fmt.Printf("server: accepted %d, answered %d, invalid %d, turned away over MaxConns %d, accept errors %d (open-file limit %d)\n",
		st.Accepted, st.Answered, st.Invalid, st.Busy, st.AcceptErrors, limit)
	return nil
}

func want(got, exp []byte) error {
	if !bytes.Equal(got, exp) {
		return fmt.Errorf("reply of %d bytes, want the %d expected bytes", len(got), len(exp))
	}
	return nil
}
