package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"aula/bench/aulaserver"
	"aula/internal/core"
	_ "aula/modules/activation"
	_ "aula/modules/auth"
)

// moduleServer is the real activation module answering on 127.0.0.1: its
// own store in a temp directory, leases imported through its admin
// method, started as `aula serve` starts it (bench/aulaserver). Every answer goes through the
// module's hot path: cache lookup, memoised reply, request record.
type moduleServer struct {
	Addr    string
	Serials []string
	Lease   func(serial string) []byte
	stop    func()
}

// benchLease is a syntactically valid 647-byte sig02 act01 line for sn.
// Its signature is not real: with no trusted key configured the module
// stores it unverified, which is all the hot path needs.
func benchLease(sn string) string {
	return "act01: " + sn + " K 20991231T000000Z sig02: sha256 " + strings.Repeat("ab", 32) +
		" 20991231T000000Z " + strings.Repeat("5a", 256) + "\n"
}

// startModule boots the activation module as `aula serve` does
// (bench/aulaserver: the auth module's chain loaded) with n laptops that
// have a lease, imported through the module's admin method as the CLI
// calls it.
func startModule(n int) (*moduleServer, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "activationbench-")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := aulaserver.Start(ctx, aulaserver.Options{Modules: []string{"activation"},
		Args: []string{"--activation-listen=127.0.0.1:0"}, DataDir: dir + "/data", Log: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &moduleServer{stop: func() { srv.Stop(); os.RemoveAll(dir) }}
	var lines []any
	for i := range n {
		sn := fmt.Sprintf("SHF%08X", i)
		s.Serials = append(s.Serials, sn)
		lines = append(lines, benchLease(sn))
	}
	for len(lines) > 0 {
		chunk := lines[:min(len(lines), 5000)]
		lines = lines[len(chunk):]
		c := &core.Call{Method: "activation.import_leases", Transport: "cli",
			Named:  map[string]any{"source": "bench", "lines": chunk},
			Caller: core.LocalCaller()}
		if _, err := srv.App.Handle(ctx, c); err != nil {
			s.stop()
			return nil, fmt.Errorf("importing bench leases: %w", err)
		}
	}
	s.Addr = srv.Addrs["activation"]
	s.Lease = func(sn string) []byte { return []byte(benchLease(sn)) }
	return s, nil
}

// Stop stops the module and removes its data.
func (s *moduleServer) Stop() { s.stop() }
