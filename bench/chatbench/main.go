// Command chatbench measures the chat front end (internal/frontend/chatfront) on
// 127.0.0.1: echo.echo calls/s over IVLE's protocol (connect, one signed
// netstring request, one reply, close) beside a bare Go netstring echo
// server (reads one netstring, writes it back, closes) in the same run,
// interleaved, with the ratio printed. Then the console service
// (modules/console): start time, from the console.start request to the
// first splash reply, both over chat (p50, p95): the default
// configuration (spares) paced and in bursts of -burst at once, and cold
// without spares and without namespaces, -starts consoles one after
// another each; and the memory of -idle idle consoles. Bounded; stops by
// itself.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"aula/bench/loadgen"
	"aula/internal/wire/chat"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 50, "concurrent one-shot connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	starts := flag.Int("starts", 40, "consoles started one after another for the cold-start figures")
	idle := flag.Int("idle", 8, "idle consoles measured for memory")
	burst := flag.Int("burst", 6, "consoles started at once in each burst (more than the default spare pool)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the calls/s part (server and driver) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chatbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	if err := run(*duration, *conns, *rounds, *starts, *idle, *burst); err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, conns, rounds, starts, idle, burst int) error {
	if _, err := loadgen.RaiseFileLimit(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "chatbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bare, err := startServer(filepath.Join(dir, "echo"), 0, false)
	if err != nil {
		return err
	}
	defer bare.stop()
	srv, err := startServer(dir, max(starts, idle, burst)+4, true)
	if err != nil {
		return err
	}
	defer srv.stop()
	ref, err := bareEcho()
	if err != nil {
		return err
	}
	defer ref.Close()

	content := `{"method": "echo.echo", "params": ["hello", 1]}`
	req := chat.AppendNetstring(nil, chat.EncodeEnvelope(content, chat.MD5Digest(content, magic)))
	wantReply := chat.AppendNetstring(nil, []byte(`["hello", 1]`))
	per := duration / time.Duration(max(rounds, 1))
	res, err := loadgen.Interleave(rounds,
		loadgen.TCPLoad{Addr: ref.Addr().String(), Workers: conns, Request: req, Duration: per,
			Check: func(b []byte) error { return same(b, req) }},
		loadgen.TCPLoad{Addr: bare.addr, Workers: conns, Request: req, Duration: per,
			Check: func(b []byte) error { return same(b, wantReply) }},
		loadgen.TCPLoad{Addr: srv.addr, Workers: conns, Request: req, Duration: per,
			Check: func(b []byte) error { return same(b, wantReply) }},
	)
	if err != nil {
		return err
	}
	t := loadgen.Table{Title: fmt.Sprintf("chat, %d concurrent one-shot connections", conns)}
	t.Add(loadgen.Row{Name: "bare netstring echo (limit)", Result: res[0]})
	t.Add(loadgen.Row{Name: "chat echo.echo (md5 digest)", Result: res[1], Ref: "bare netstring echo (limit)", Goal: 0.6})
	t.Add(loadgen.Row{Name: "same, with auth (serve's chain)", Result: res[2], Ref: "bare netstring echo (limit)", Goal: 0.6})
	t.Print(os.Stdout)
	stopProfile()

	// Console start. The default configuration (srv: no console options
	// but the caps): as root with bubblewrap, --console-spares (2) consoles
	// are started with the server and refilled after each start. Measured
	// one after another with a pause that lets the pool refill, and in
	// bursts of -burst starts at once, more than the pool holds (the
	// starts past it are cold). Beside it, interleaved: bubblewrap with no
	// spares (--console-spares 0) and no namespaces (--console-sandbox
	// none), each one after another.
	cold, err := startServer(filepath.Join(dir, "cold"), starts+4, true, "--console-spares=0")
	if err != nil {
		return err
	}
	defer cold.stop()
	plain, err := startServer(filepath.Join(dir, "plain"), starts+4, true, "--console-sandbox=none")
	if err != nil {
		return err
	}
	defer plain.stop()
	var warmD, burstD, coldD, plainD []time.Duration
	for range 4 {
		w, err := srv.coldStarts(max(starts/8, 1), 500*time.Millisecond)
		if err != nil {
			return err
		}
		time.Sleep(2 * time.Second) // the pool refills
		b, err := srv.burstStarts(burst)
		if err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
		c, err := cold.coldStarts(starts/4, 0)
		if err != nil {
			return err
		}
		p, err := plain.coldStarts(starts/4, 0)
		if err != nil {
			return err
		}
		warmD, burstD, coldD, plainD = append(warmD, w...), append(burstD, b...), append(coldD, c...), append(plainD, p...)
	}
	fmt.Printf("\nconsole start: console.start request to the first splash reply, over chat (load average %s):\n", loadAvg())
	for _, r := range []struct {
		name string
		d    []time.Duration
	}{
		{"default (" + srv.sandbox + ", 2 spares), paced", warmD},
		{fmt.Sprintf("default, bursts of %d at once", burst), burstD},
		{"sandbox " + cold.sandbox + ", no spares", coldD},
		{"sandbox none (no spares)", plainD},
	} {
		sort.Slice(r.d, func(i, j int) bool { return r.d[i] < r.d[j] })
		q := func(p float64) time.Duration { return r.d[min(len(r.d)-1, int(p*float64(len(r.d))))] }
		verdict := "met"
		if q(0.95) > 50*time.Millisecond {
			verdict = "**missed**"
		}
		fmt.Printf("%-36s n=%-3d p50 %-7s p95 %-7s max %-7s (goal p95 <= 50ms: %s)\n", r.name, len(r.d),
			loadgen.FormatLatency(q(0.5)), loadgen.FormatLatency(q(0.95)), loadgen.FormatLatency(r.d[len(r.d)-1]), verdict)
	}

	mem, err := srv.idleMemory(idle)
	if err != nil {
		return err
	}
	verdict := "met"
	if mem.rssPerConsole > 15<<20 {
		verdict = "**missed**"
	}
	fmt.Printf("\nidle consoles: %d, processes per console %.1f\n", idle, mem.procsPerConsole)
	fmt.Printf("per console: RSS %.1f MiB (Python alone %.1f MiB), PSS %.1f MiB  (goal RSS <= 15 MB: %s)\n",
		mib(mem.rssPerConsole), mib(mem.pythonRSS), mib(mem.pssPerConsole), verdict)
	return nil
}

var stopProfile = func() {}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func mib(n float64) float64 { return n / (1 << 20) }

func same(got, want []byte) error {
	if string(got) != string(want) {
		return fmt.Errorf("reply %.40q, want %.40q", got, want)
	}
	return nil
}

// bareEcho is the reference: per connection, read one netstring (with
// the same reader and cap) and write it back, then close.
func bareEcho() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				p, err := chat.ReadNetstring(bufio.NewReaderSize(c, 4096), 0)
				if err != nil {
					return
				}
				chat.WriteNetstring(c, p)
			}()
		}
	}()
	return ln, nil
}
