// Command idbench measures the id module served in-process on 127.0.0.1
// as `aula serve` runs it (bench/aulaserver: the auth module's chain, the
// background fold of the registration journal, and the modules that act
// on every applied batch of registrations: backup rewrites
// authorized_keys, activation learns UUIDs) with a temporary data
// directory: durable XML-RPC `register` calls/s on the XS listener (every
// call a distinct laptop: new serial, uuid and key, acknowledged only once
// committed) and GET /client/status calls/s, at 50 keep-alive connections,
// beside a bare net/http server and a durable reference (a bare handler
// that appends each body to a file with one fdatasync per batch) in the
// same run, interleaved, with the ratios printed; each load once with the
// own driver and once with wrk. Bounded; stops by itself.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"aula/bench/aulaserver"
	"aula/bench/laptop"
	"aula/bench/loadgen"
	"aula/bench/wrk"
	_ "aula/modules/activation"
	_ "aula/modules/auth"
	_ "aula/modules/backup"
	"aula/modules/id"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 50, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	only := flag.String("only", "", "run only the register or the status loads (for profiling)")
	useWrk := flag.Bool("wrk", true, "also drive every load with wrk (needs wrk on PATH: make bench-deps)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and driver) to this file")
	flag.Parse()
	if *only != "" && *only != "register" && *only != "status" {
		fmt.Fprintln(os.Stderr, "idbench: -only takes register or status")
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "idbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *conns, *rounds, *only, *useWrk); err != nil {
		fmt.Fprintln(os.Stderr, "idbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// requestPool holds the register requests of laptops first, first+1, ...
// in memory mapped outside the Go heap: a heap buffer this big would make
// the garbage collector run far less often than in a real server, for the
// server under test and its reference alike.
type requestPool struct {
	first uint64
	buf   []byte
	ends  []int32 // pointer-free, and a quarter the size of the requests' []byte headers
}

func newRequestPool(first uint64, count int) (*requestPool, error) {
	mem, err := syscall.Mmap(-1, 0, count*800, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mapping memory for the requests: %w", err)
	}
	p := &requestPool{first: first, buf: mem[:0], ends: make([]int32, 0, count)}
	for i := range count {
		body, _ := laptop.Register(first + uint64(i))
		req := loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
		if len(p.buf)+len(req) > cap(p.buf) {
			break
		}
		p.buf = append(p.buf, req...)
		p.ends = append(p.ends, int32(len(p.buf)))
	}
	return p, nil
}

// get returns laptop n's request, or nil if it is not in the pool.
func (p *requestPool) get(n uint64) []byte {
	if n < p.first || n-p.first >= uint64(len(p.ends)) {
		return nil
	}
	i := int(n - p.first)
	start, end := 0, int(p.ends[i])
	if i > 0 {
		start = int(p.ends[i-1])
	}
	return p.buf[start:end:end]
}

func contains(want string) func([]byte) error {
	w := []byte(want)
	return func(b []byte) error {
		if !bytes.Contains(b, w) {
			return fmt.Errorf("reply lacks %q: %.120q", want, b)
		}
		return nil
	}
}

func run(duration time.Duration, conns, rounds int, only string, useWrk bool) error {
	ctx := context.Background()
	if _, err := loadgen.RaiseFileLimit(); err != nil {
		return err
	}
	if useWrk && !wrk.Available() {
		return fmt.Errorf("wrk is not on PATH: run make bench-deps, or pass -wrk=false")
	}
	dir, err := os.MkdirTemp("", "idbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := aulaserver.Start(ctx, aulaserver.Options{Modules: []string{"id", "backup", "activation"},
		Args: []string{"--id-server-name=xs.bench.lan"}, DataDir: dir + "/data"})
	if err != nil {
		return err
	}
	defer srv.Stop()
	xs, main := srv.Addrs["xs"], srv.Addrs["main"]
	ref, err := loadgen.BareHTTP()
	if err != nil {
		return err
	}
	defer ref.Stop()
	durable, err := loadgen.DurableHTTP(dir)
	if err != nil {
		return err
	}
	defer durable.Stop()

	// Laptops the status load asks about, registered beforehand.
	const known = 1000
	statusReqs := make([][]byte, known)
	statusPaths := make([]string, known)
	for n := range known {
		body, key := laptop.Register(uint64(n))
		uid := id.UIDOf(key)
		if _, err := (loadgen.HTTPLoad{Addr: xs, Conns: 1, Request: loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml"),
			Requests: 1, Warmup: -1, CheckBody: contains("<string>OK</string>")}).Run(); err != nil {
			return err
		}
		statusPaths[n] = "/client/status?uid=" + uid
		statusReqs[n] = loadgen.HTTPRequest("GET", statusPaths[n], nil)
	}
	var next atomic.Uint64
	next.Store(known)
	// The register calls are made before the loads, enough for a server
	// several times faster than today's, so that the driver, which shares
	// the machine with the server it measures, only sends them.
	pre, err := newRequestPool(known+1, int(duration.Seconds()*60_000)+10_000)
	if err != nil {
		return err
	}
	registerReq := func(int) []byte {
		n := next.Add(1)
		if req := pre.get(n); req != nil {
			return req
		}
		body, _ := laptop.Register(n)
		return loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
	}
	sample, _ := laptop.Register(0)
	per := duration / time.Duration(max(rounds, 1))
	bareGet := "/client/status?uid=" + id.UIDOf("x")

	type load struct {
		name, ref string
		goal, p99 float64
		status    bool // a status-side load (else register-side)
		run       loadgen.Runner
	}
	own := func(addr string, check func([]byte) error, req []byte, reqFn func(int) []byte) *cpuMeter {
		return &cpuMeter{load: loadgen.HTTPLoad{Addr: addr, Conns: conns, Duration: per, Request: req, RequestFunc: reqFn, CheckBody: check}}
	}
	ownReg := own(xs, contains("<string>OK</string>"), nil, registerReq)
	ownFold := &withFold{srv: srv, load: ownReg}
	const (
		bareP, durP, bareG       = "bare net/http POST (limit)", "durable ref: append + fdatasync (limit)", "bare net/http GET (limit)"
		wBareP, wDurP, wBareG    = "wrk: bare net/http POST", "wrk: durable ref", "wrk: bare net/http GET"
		regGoal, p99Goal, stGoal = 0.60, 2.0, 0.60
	)
	loads := []load{
		{name: bareP, run: own(ref.Addr, nil, loadgen.HTTPRequest("POST", "/RPC2", sample, "Content-Type: text/xml"), nil)},
		{name: durP, run: own(durable.Addr, nil, loadgen.HTTPRequest("POST", "/RPC2", sample, "Content-Type: text/xml"), nil)},
		{name: "XML-RPC register, XS port (durable, new laptop each)", ref: durP, goal: regGoal, p99: p99Goal, run: ownFold},
		{name: bareG, status: true, run: own(ref.Addr, nil, loadgen.HTTPRequest("GET", bareGet, nil), nil)},
		{name: "GET /client/status", ref: bareG, goal: stGoal, status: true,
			run: own(main, contains(`"registered":true`), nil, func(i int) []byte { return statusReqs[i%known] })},
	}
	var wrkFold *withFold
	if useWrk {
		postScript, err := wrk.StaticScript(dir, "post", "POST", sample, "Content-Type: text/xml")
		if err != nil {
			return err
		}
		statusScript, err := wrk.PathsScript(dir, "status", statusPaths)
		if err != nil {
			return err
		}
		// Laptops for wrk come after the own driver's (serials and uuids
		// apart); each round writes
		// more than wrk can register in it.
		wrkReg := &wrk.RegisterLoad{Load: wrk.Load{URL: "http://" + xs + "/RPC2", Conns: conns, Duration: per},
			Dir: dir, Next: 1 << 30, PerRound: int(per.Seconds()*40_000) + 10_000}
		wrkFold = &withFold{srv: srv, load: wrkReg}
		w := func(url, script string) wrk.Load {
			return wrk.Load{URL: url, Conns: conns, Duration: per, Script: script}
		}
		loads = append(loads,
			load{name: wBareP, run: w(ref.URL+"/RPC2", postScript)},
			load{name: wDurP, run: w(durable.URL+"/RPC2", postScript)},
			load{name: "wrk: XML-RPC register, XS port", ref: wDurP, goal: regGoal, p99: p99Goal, run: wrkFold},
			load{name: wBareG, status: true, run: w(ref.URL+bareGet, "")},
			load{name: "wrk: GET /client/status", ref: wBareG, goal: stGoal, status: true, run: w("http://"+main, statusScript)},
		)
	}
	var picked []load
	var runners []loadgen.Runner
	for _, l := range loads {
		if only == "" || only == "status" && l.status || only == "register" && !l.status {
			picked = append(picked, l)
			runners = append(runners, l.run)
		}
	}
	res, err := loadgen.Interleave(rounds, runners...)
	if err != nil {
		return err
	}
	t := loadgen.Table{Title: fmt.Sprintf("id module as aula serve runs it (auth chain, background fold, backup and activation loaded), %d keep-alive connections, SQLite store (synchronous=FULL, group commit)", conns)}
	for i, l := range picked {
		t.Add(loadgen.Row{Name: l.name, Result: res[i], Ref: l.ref, Goal: l.goal, P99Goal: l.p99})
	}
	if err := t.Print(os.Stdout); err != nil {
		return err
	}
	fmt.Printf("\nregister rows: calls/s counts the CPU the background fold then spent applying the round's registrations; p50/p99 are of the calls.\n")
	for i, l := range picked {
		f, ok := l.run.(*withFold)
		row := t.Rows[i] // rows were added in picked's order
		ref, hasRef := t.Ref(row)
		if !ok || f.elapsed <= 0 || !hasRef || ref.Result.PerSecond() <= 0 {
			continue
		}
		rate, refRate := float64(f.calls)/f.elapsed.Seconds(), ref.Result.PerSecond()
		fmt.Printf("%s, the loads alone (the server folds after a storm of fewer than 100,000): %.0f calls/s, %.0f%% of %s (with the fold charged: %.0f%%)\n",
			l.name, rate, 100*rate/refRate, ref.Name, 100*row.Result.PerSecond()/refRate)
	}
	fmt.Printf("process CPU per call (server + own driver):")
	for _, l := range picked {
		if m, ok := l.run.(*cpuMeter); ok {
			fmt.Printf(" %s %s;", l.name, m.perCall())
		}
	}
	fmt.Printf(" register %s (+ fold)\n", ownReg.perCall())
	for _, f := range []struct {
		name string
		f    *withFold
	}{{"own driver", ownFold}, {"wrk", wrkFold}} {
		if f.f == nil || f.f.rows == 0 {
			continue
		}
		fmt.Printf("%s register loads: %d store writes in %d commits (%.1f per commit and fsync, %.2f commit-delay waits per commit); "+
			"%d audit rows rode with a write (a register call's journal row carries its audit row); "+
			"background fold after them: %d registrations, %s CPU each (with backup's and activation's work on the batches), journal empty %s after the loads ended\n",
			f.name, f.f.writes, f.f.commits, float64(f.f.writes)/float64(max(f.f.commits, 1)), float64(f.f.waits)/float64(max(f.f.commits, 1)),
			f.f.riders, f.f.rows, f.f.fold/time.Duration(f.f.rows), f.f.drain.Round(time.Millisecond))
	}
	clients, err := srv.Count(ctx, "id_clients")
	if err != nil {
		return err
	}
	fmt.Printf("store: %d clients registered (%d before the loads, %d register calls issued by the own driver)\n",
		clients, known, next.Load()-known)
	return nil
}
