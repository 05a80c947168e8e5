// Command labbench measures the lab agents' listener (internal/frontend/labfront
// with modules/lab, in a child process on 127.0.0.1) holding -agents
// simulated agents over TLS 1.3 with client certificates: the time to
// connect them all, the time from `run probe` on every lab to every result
// recorded, the server's memory per idle agent (resident set growth over
// the idle server, 2 s and 10 s after the last agent connected and 10 s
// after the probe rounds, with the Go heap, stacks and free heap behind
// it), and the time for all agents to reconnect after the
// server is killed and started again (agents back off as `aula agent`
// does). Reference in the same run: a bare Go TLS server (same certificate
// and client-certificate check) that echoes one message per connection and
// otherwise holds it idle. Bounded; stops by itself.
//
// LABBENCH_HEAPPROFILE=PATH writes the server's heap profile (every
// allocation sampled) to PATH.1 once the agents are connected and PATH.2
// after the rounds; LABBENCH_MEMDETAIL=1 has the server print the runtime's
// memory figures beside /proc's; LABBENCH_CPUPROFILE and
// LABBENCH_START_PROFILE profile a round and a restart's first 10 s.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"aula/bench/loadgen"
	"aula/internal/wire/labxml"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child-lab" {
		if err := serveLab(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "labbench child:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "-child-ref" {
		if err := serveRef(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "labbench ref:", err)
			os.Exit(1)
		}
		return
	}
	agents := flag.Int("agents", 10000, "simulated agents (TLS connections)")
	rounds := flag.Int("rounds", 3, "probe rounds")
	restarts := flag.Int("restarts", 1, "server restarts (kill -9, start, all agents reconnect)")
	resultSize := flag.Int("result-size", 0, "bytes of filler in every result, as an inventory's (0: a probe's few bytes)")
	wholeWrites := flag.Bool("whole-writes", false, "agents write each message at once, as `aula agent` did before it wrote 1 KiB pieces")
	flag.Duration("duration", 0, "ignored (scripts/bench.sh passes it to every benchmark)")
	flag.Parse()
	if err := run(*agents, *rounds, *restarts, func(f *fleet) { f.resultSize, f.wholeWrites = *resultSize, *wholeWrites }); err != nil {
		fmt.Fprintln(os.Stderr, "labbench:", err)
		os.Exit(1)
	}
}

// settle is how long the server is left idle before its memory is read:
// long enough for the lab listener to give back a burst's memory (it waits
// for 2 to 4 s without agent events; internal/frontend/labfront/settle.go).
const settle = 10 * time.Second

// child is a server child process.
type child struct {
	cmd  *exec.Cmd
	out  *bufio.Scanner
	addr string
	send func(line string)
}

func startChild(args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, out: bufio.NewScanner(stdout)}
	w := stdin
	line, err := c.line()
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	c.addr = strings.TrimPrefix(line, "ready ")
	c.send = func(s string) { fmt.Fprintln(w, s) }
	return c, nil
}

func (c *child) line() (string, error) {
	if !c.out.Scan() {
		return "", fmt.Errorf("child ended: %v", c.out.Err())
	}
	return c.out.Text(), nil
}

// memStats is what the lab child says of its memory after a GC.
type memStats struct{ heap, stack, sys, goroutines, freeKept int64 }

func (c *child) mem() (memStats, error) {
	c.send("mem")
	line, err := c.line()
	var m memStats
	fmt.Sscanf(line, "mem %d %d %d %d %d", &m.heap, &m.stack, &m.sys, &m.goroutines, &m.freeKept)
	return m, err
}

func (m memStats) perAgent(n int) string {
	kib := func(v int64) float64 { return float64(v) / float64(n) / 1024 }
	return fmt.Sprintf("%.1f / %.1f / %.1f KiB (%d goroutines)", kib(m.heap), kib(m.stack), kib(m.freeKept), m.goroutines)
}

func (c *child) kill() { c.cmd.Process.Kill(); c.cmd.Wait() }

func (c *child) rss() int64 { return rss(c.cmd.Process.Pid) }

func run(n, rounds, restarts int, agentsAre func(*fleet)) error {
	limit, err := loadgen.RaiseFileLimit()
	if err != nil {
		return err
	}
	if need := uint64(n + 512); limit < need {
		return fmt.Errorf("open-file limit %d is below %d; run with fewer -agents", limit, need)
	}
	dir, err := os.MkdirTemp("", "labbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	certs, err := setup(dir, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "labbench: %d computers and certificates in %s\n", n, time.Since(t0).Round(time.Millisecond))
	pool, err := caPool(dir)
	if err != nil {
		return err
	}
	clientTLS := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool, ServerName: "127.0.0.1"}

	// aula.
	srv, err := startChild("-child-lab", dir, "127.0.0.1:0")
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	idleBase := srv.rss()
	fl := newFleet(srv.addr, certs, clientTLS)
	agentsAre(fl)
	start := time.Now()
	fl.start()
	if !fl.waitWelcomed(n, 5*time.Minute) {
		srv.kill()
		return fmt.Errorf("only %d of %d agents connected", fl.welcomed.Load(), n)
	}
	connectAll := time.Since(start)
	time.Sleep(2 * time.Second)
	idleSoon := srv.rss()
	time.Sleep(settle - 2*time.Second)
	idle := srv.rss()
	mem, err := srv.mem()
	if err != nil {
		return err
	}
	var probe []time.Duration
	for range rounds {
		srv.send("run")
		line, err := srv.line()
		if err != nil {
			return err
		}
		var got int
		var secs float64
		fmt.Sscanf(line, "recorded %d %f", &got, &secs)
		if got != n {
			return fmt.Errorf("probe round: %d of %d results recorded (%s)", got, n, line)
		}
		probe = append(probe, time.Duration(secs*float64(time.Second)))
	}
	// The same figures once the rounds' garbage is there too: what an admin
	// sees in top while the lab is used, not just after the agents connect.
	time.Sleep(settle)
	idleAfter := srv.rss()
	memAfter, err := srv.mem()
	if err != nil {
		return err
	}
	// Kill the server and start it again on the same port and data.
	var reconnects []time.Duration
	var reconnectFailed, reconnectResumed int64
	for range restarts {
		srv.kill()
		failedBefore, resumedBefore := fl.hsFailed.Load(), fl.resumed.Load()
		srv, err = startChild("-child-lab", dir, srv.addr)
		if err != nil {
			return err
		}
		start = time.Now()
		ok := fl.waitWelcomed(n, 3*time.Minute)
		reconnects = append(reconnects, time.Since(start))
		reconnectFailed += fl.hsFailed.Load() - failedBefore
		reconnectResumed += fl.resumed.Load() - resumedBefore
		if !ok {
			fl.close()
			srv.kill()
			return fmt.Errorf("only %d of %d agents reconnected within 3 min", fl.welcomed.Load(), n)
		}
	}
	fl.close()
	srv.kill()
	reconnect := slices.Max(reconnects)

	// Reference: bare TLS echo.
	ref, err := startChild("-child-ref", dir)
	if err != nil {
		return err
	}
	defer ref.kill()
	time.Sleep(500 * time.Millisecond)
	refBase := ref.rss()
	refConnect, refEcho, conns, err := refLoad(ref.addr, certs, clientTLS)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	refIdleSoon := ref.rss()
	time.Sleep(settle - 2*time.Second)
	refIdle := ref.rss()
	for _, c := range conns {
		c.Close()
	}

	perAgent := float64(idle-idleBase) / float64(n) / 1024
	perAgentSoon := float64(idleSoon-idleBase) / float64(n) / 1024
	perAgentAfter := float64(idleAfter-idleBase) / float64(n) / 1024
	perRef := float64(refIdle-refBase) / float64(n) / 1024
	perRefSoon := float64(refIdleSoon-refBase) / float64(n) / 1024
	med := median(probe)
	fmt.Printf("### labbench: %d agents, %s, GOMAXPROCS %d\n\n", n, time.Now().Format("2006-01-02"), runtime.GOMAXPROCS(0))
	fmt.Println("| measure | aula lab listener | bare TLS echo (reference) | goal |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| connect all (TLS 1.3 + client cert + hello) | %.2f s | %.2f s (handshake only) | |\n", connectAll.Seconds(), refConnect.Seconds())
	fmt.Printf("| run probe on all → all results recorded (median of %d: %s) | %.2f s | %.2f s (one echo on each) | 3 s: %s |\n",
		rounds, durs(probe), med.Seconds(), refEcho.Seconds(), met(med <= 3*time.Second))
	fmt.Printf("| server memory per idle agent (RSS growth / agents), 2 s after the last connected | %.1f KiB | %.1f KiB | |\n", perAgentSoon, perRefSoon)
	fmt.Printf("| server memory per idle agent (RSS growth / agents), %s after | %.1f KiB | %.1f KiB | ≤ 20 KiB: %s |\n", settle, perAgent, perRef, met(perAgent <= 20))
	fmt.Printf("| of which, after a GC: Go heap in use / goroutine stacks / free heap kept from the OS, per agent | %s | | |\n", mem.perAgent(n))
	fmt.Printf("| server memory per idle agent, %s after the %d probe rounds | %.1f KiB | | ≤ 20 KiB: %s |\n", settle, rounds, perAgentAfter, met(perAgentAfter <= 20))
	fmt.Printf("| of which, after a GC | %s | | |\n", memAfter.perAgent(n))
	fmt.Printf("| reconnect all after kill -9 and restart (slowest of %d: %s) | %.2f s (%d failed handshakes, %d resumed TLS sessions) | - | 30 s, none failed: %s |\n",
		restarts, durs(reconnects), reconnect.Seconds(), reconnectFailed, reconnectResumed, met(reconnect <= 30*time.Second && reconnectFailed == 0))
	return nil
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func durs(ds []time.Duration) string {
	var p []string
	for _, d := range ds {
		p = append(p, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return strings.Join(p, ", ") + " s"
}

// refLoad connects n TLS clients to the reference (all at once), then has
// each send one message and read the echo; the connections stay open.
func refLoad(addr string, certs []tls.Certificate, base *tls.Config) (connect, echo time.Duration, conns []*tls.Conn, err error) {
	conns = make([]*tls.Conn, len(certs))
	errs := make([]error, len(certs))
	sem := make(chan struct{}, 512) // as many dials in flight as the fleet has at its start, roughly
	var wg sync.WaitGroup
	start := time.Now()
	for i := range certs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			cfg := base.Clone()
			cfg.Certificates = []tls.Certificate{certs[i]}
			c, err := tls.Dial("tcp", addr, cfg)
			conns[i], errs[i] = c, err
		}(i)
	}
	wg.Wait()
	connect = time.Since(start)
	for _, e := range errs {
		if e != nil {
			return 0, 0, conns, e
		}
	}
	msg := labxml.Encode(&labxml.Message{Kind: labxml.Command, Code: 17, Name: "Sondeo", Action: 1})
	start = time.Now()
	for i := range conns {
		wg.Add(1)
		go func(c *tls.Conn) {
			defer wg.Done()
			c.Write(msg)
			labxml.NewReader(c, 0).Next()
		}(conns[i])
	}
	wg.Wait()
	echo = time.Since(start)
	return connect, echo, conns, nil
}
