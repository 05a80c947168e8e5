package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"aula/bench/loadgen"
	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/frontend/labfront"
	"aula/internal/store"
	"aula/internal/wire/labxml"
	_ "aula/modules/auth" // agents are known by their certificate
	"aula/modules/lab"
)

// serveLab is the child process: the lab module and the agent front end
// on dataDir, listening on addr. It prints "ready ADDR" once listening and
// then obeys lines on stdin: "run" launches a probe on every lab and
// prints "recorded N SECONDS" when every row is finished; "count" prints
// how many agents are connected (state idle).
func serveLab(dataDir, addr string) error {
	loadgen.RaiseFileLimit()
	if os.Getenv("LABBENCH_HEAPPROFILE") != "" {
		// Every allocation sampled, so the profile's bytes per agent are
		// exact rather than scaled from one sample per 512 KiB.
		runtime.MemProfileRate = 1
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	app, err := core.NewApp(log, "lab", "auth")
	if err != nil {
		return err
	}
	set := config.NewSet()
	app.Configure(set)
	fe := &labfront.FrontEnd{}
	fe.Configure(set.Section("lab"))
	if _, err := set.Load(config.Sources{Args: []string{"--lab-listen=" + addr, "--lab-max-conns=0", "--lab-max-conns-per-ip=0", "--lab-poll-interval=1h"}}); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Options{Dir: dataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := app.Provision(ctx, &core.Env{App: app, Store: db, Log: log, Events: app.Events, DataDir: dataDir}); err != nil {
		return err
	}
	if err := fe.Bind(ctx, &core.FrontEnv{App: app, Log: log, DataDir: dataDir}); err != nil {
		return err
	}
	if err := app.Start(ctx); err != nil {
		return err
	}
	if err := fe.Start(ctx); err != nil {
		return err
	}
	if path := os.Getenv("LABBENCH_START_PROFILE"); path != "" {
		// A CPU profile of the server's first 10 s (the connection storm
		// after a start), to see where a reconnection's time goes.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			time.AfterFunc(10*time.Second, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	fmt.Printf("ready %s\n", fe.Addrs()["agents"])
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		fe.Shutdown(sctx)
		app.Stop(sctx)
		os.Exit(0)
	}()
	sc := bufio.NewScanner(os.Stdin)
	memCalls := 0
	for sc.Scan() {
		switch sc.Text() {
		case "run":
			stopProfile := profile()
			start := time.Now()
			c := &core.Call{Method: "lab.run", Named: map[string]any{"command": "probe", "lab": "all"}, Transport: "cli",
				Caller: core.LocalCaller()}
			out, err := app.Handle(ctx, c)
			if err != nil {
				return err
			}
			n, err := waitRecorded(ctx, db.Reader(), out.(lab.Launched).Launch)
			if err != nil {
				return err
			}
			stopProfile()
			fmt.Printf("recorded %d %f\n", n, time.Since(start).Seconds())
		case "mem":
			// What the process holds, by kind (runtime/metrics would say
			// the same): the driver prints it beside the RSS figure.
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if path := os.Getenv("LABBENCH_HEAPPROFILE"); path != "" {
				memCalls++
				if f, err := os.Create(fmt.Sprintf("%s.%d", path, memCalls)); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			if os.Getenv("LABBENCH_MEMDETAIL") != "" {
				status, _ := os.ReadFile("/proc/self/status")
				var keep []string
				for _, l := range strings.Split(string(status), "\n") {
					if strings.HasPrefix(l, "Vm") || strings.HasPrefix(l, "Rss") || strings.HasPrefix(l, "Threads") {
						keep = append(keep, strings.Join(strings.Fields(l), " "))
					}
				}
				fmt.Fprintf(os.Stderr, "labbench child memory: HeapSys %d HeapInuse %d HeapIdle %d HeapReleased %d StackSys %d MSpanSys %d MCacheSys %d BuckHashSys %d GCSys %d OtherSys %d Sys %d; %s\n",
					ms.HeapSys, ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.StackSys, ms.MSpanSys, ms.MCacheSys, ms.BuckHashSys, ms.GCSys, ms.OtherSys, ms.Sys, strings.Join(keep, "; "))
			}
			fmt.Printf("mem %d %d %d %d %d\n", ms.HeapInuse, ms.StackInuse, ms.Sys, runtime.NumGoroutine(), ms.HeapIdle-ms.HeapReleased)
		case "count":
			var n int
			db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM lab_computers WHERE state <> 'off'").Scan(&n)
			fmt.Printf("count %d\n", n)
		}
	}
	os.Exit(0) // stdin closed: the driver is gone
	return nil
}

// profile writes a CPU profile of a probe round to $LABBENCH_CPUPROFILE
// (the last round's), to see where a round's time goes.
func profile() func() {
	path := os.Getenv("LABBENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// waitRecorded polls until no action is open (to within 20 ms).
func waitRecorded(ctx context.Context, r *sql.DB, launch string) (int, error) {
	for {
		var open, done int
		if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM lab_actions INDEXED BY lab_actions_state WHERE state IN ('queued','sent') AND launch = ?", launch).Scan(&open); err != nil {
			return 0, err
		}
		if open == 0 {
			err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM lab_actions WHERE launch = ? AND state = 'finished'", launch).Scan(&done)
			return done, err
		}
		// Every 20 ms, through the index on state, so that a look reads
		// only the rows still open: counting the launch's 10,000 rows
		// every 5 ms took a sixth of the round's CPU (profile).
		time.Sleep(20 * time.Millisecond)
	}
}

// serveRef is the reference child: a bare Go TLS 1.3 server with the same
// certificate and client-certificate check that reads one line per
// connection, echoes it, and keeps the connection open (idle) until the
// client closes it.
func serveRef(dataDir string) error {
	loadgen.RaiseFileLimit()
	cfg, err := refTLS(dataDir)
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		return err
	}
	fmt.Printf("ready %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func(c net.Conn) {
			defer c.Close()
			r := labxml.NewReader(c, 0)
			for {
				m, err := r.Next()
				if err != nil {
					return
				}
				if _, err := c.Write(labxml.Encode(m)); err != nil {
					return
				}
			}
		}(c)
	}
}

func refTLS(dataDir string) (*tls.Config, error) {
	dir := filepath.Join(dataDir, "lab")
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "lab-server.crt"), filepath.Join(dir, "lab-server.key"))
	if err != nil {
		return nil, err
	}
	pool, err := caPool(dataDir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}, nil
}

// rss reads a process's resident set size in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
