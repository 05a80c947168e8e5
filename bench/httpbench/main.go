// Command httpbench measures echo.echo over XML-RPC and over REST at 50
// keep-alive connections, beside a bare net/http handler (the limit) in the
// same run, and prints the table with ratios.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"aula/bench/loadgen"
	"aula/internal/core"
	"aula/internal/frontend/httpfront"
	"aula/internal/wire/xmlrpc"
	_ "aula/modules/echo"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 50, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*duration, *conns, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(duration time.Duration, conns, rounds int) error {
	loadgen.RaiseFileLimit()
	app, err := core.NewApp(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), "echo")
	if err != nil {
		return err
	}
	h, err := httpfront.Handler(app, false)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	defer srv.Close()
	ref, err := loadgen.BareHTTP()
	if err != nil {
		return err
	}
	defer ref.Stop()

	var call bytes.Buffer
	xmlrpc.EncodeCall(&call, "echo.echo", []any{"hello", 42, map[string]any{"a": []any{1, 2.5, true}}})
	xreq := loadgen.HTTPRequest("POST", "/RPC2", call.Bytes(), "Content-Type: text/xml")
	rreq := loadgen.HTTPRequest("POST", "/api/echo.echo", []byte(`["hello",42,{"a":[1,2.5,true]}]`), "Content-Type: application/json")
	per := duration / time.Duration(rounds)
	addr := ln.Addr().String()
	res, err := loadgen.Interleave(rounds,
		loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Request: xreq, Duration: per},
		loadgen.HTTPLoad{Addr: addr, Conns: conns, Request: xreq, Duration: per},
		loadgen.HTTPLoad{Addr: addr, Conns: conns, Request: rreq, Duration: per},
	)
	if err != nil {
		return err
	}
	t := loadgen.Table{Title: fmt.Sprintf("echo.echo, %d keep-alive connections", conns)}
	t.Add(loadgen.Row{Name: "bare net/http (limit)", Result: res[0]})
	t.Add(loadgen.Row{Name: "XML-RPC echo.echo", Result: res[1], Ref: "bare net/http (limit)", Goal: 0.5})
	t.Add(loadgen.Row{Name: "REST echo.echo", Result: res[2], Ref: "bare net/http (limit)"})
	t.Print(os.Stdout)
	return nil
}
