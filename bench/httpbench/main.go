// Command httpbench measures echo.echo over XML-RPC and over REST at 50
// keep-alive connections, served as `aula serve` serves it
// (bench/aulaserver: the auth module's chain), beside a bare net/http
// handler (the limit) in the same run, and prints the table with ratios;
// each load once with the own driver and once with wrk.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"aula/bench/aulaserver"
	"aula/bench/loadgen"
	"aula/bench/wrk"
	"aula/internal/wire/xmlrpc"
	_ "aula/modules/auth"
	_ "aula/modules/echo"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 50, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	useWrk := flag.Bool("wrk", true, "also drive every load with wrk (needs wrk on PATH: make bench-deps)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*duration, *conns, *rounds, *useWrk); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(duration time.Duration, conns, rounds int, useWrk bool) error {
	loadgen.RaiseFileLimit()
	if useWrk && !wrk.Available() {
		return fmt.Errorf("wrk is not on PATH: run make bench-deps, or pass -wrk=false")
	}
	dir, err := os.MkdirTemp("", "httpbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := aulaserver.Start(context.Background(), aulaserver.Options{Modules: []string{"echo"}, DataDir: dir + "/data"})
	if err != nil {
		return err
	}
	defer srv.Stop()
	ref, err := loadgen.BareHTTP()
	if err != nil {
		return err
	}
	defer ref.Stop()

	var call bytes.Buffer
	xmlrpc.EncodeCall(&call, "echo.echo", []any{"hello", 42, map[string]any{"a": []any{1, 2.5, true}}})
	restBody := []byte(`["hello",42,{"a":[1,2.5,true]}]`)
	xreq := loadgen.HTTPRequest("POST", "/RPC2", call.Bytes(), "Content-Type: text/xml")
	rreq := loadgen.HTTPRequest("POST", "/api/echo.echo", restBody, "Content-Type: application/json")
	per := duration / time.Duration(rounds)
	addr := srv.Addrs["main"]
	const bare, wBare = "bare net/http (limit)", "wrk: bare net/http"
	rows := []loadgen.Row{
		{Name: bare},
		{Name: "XML-RPC echo.echo", Ref: bare, Goal: 0.5},
		{Name: "REST echo.echo", Ref: bare},
	}
	loads := []loadgen.Runner{
		loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Request: xreq, Duration: per},
		loadgen.HTTPLoad{Addr: addr, Conns: conns, Request: xreq, Duration: per},
		loadgen.HTTPLoad{Addr: addr, Conns: conns, Request: rreq, Duration: per},
	}
	if useWrk {
		xs, err := wrk.StaticScript(dir, "xmlrpc", "POST", call.Bytes(), "Content-Type: text/xml")
		if err != nil {
			return err
		}
		rs, err := wrk.StaticScript(dir, "rest", "POST", restBody, "Content-Type: application/json")
		if err != nil {
			return err
		}
		rows = append(rows, loadgen.Row{Name: wBare},
			loadgen.Row{Name: "wrk: XML-RPC echo.echo", Ref: wBare, Goal: 0.5},
			loadgen.Row{Name: "wrk: REST echo.echo", Ref: wBare})
		loads = append(loads,
			wrk.Load{URL: ref.URL + "/RPC2", Conns: conns, Duration: per, Script: xs},
			wrk.Load{URL: "http://" + addr + "/RPC2", Conns: conns, Duration: per, Script: xs},
			wrk.Load{URL: "http://" + addr + "/api/echo.echo", Conns: conns, Duration: per, Script: rs})
	}
	res, err := loadgen.Interleave(rounds, loads...)
	if err != nil {
		return err
	}
	t := loadgen.Table{Title: fmt.Sprintf("echo.echo as aula serve runs it (auth chain), %d keep-alive connections", conns)}
	for i, r := range rows {
		r.Result = res[i]
		t.Add(r)
	}
	return t.Print(os.Stdout)
}
