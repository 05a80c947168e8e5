// Command compare measures two aula binaries side by side in one run: each
// is started as `aula serve` (all its modules, the auth chain, the
// anonymous bucket sized never to refuse the driver) in a temporary data
// directory on 127.0.0.1, and the same loads go to both, interleaved in
// rounds with the same references: register on the XS port (wrk, a new
// laptop with its own key per call), GET /client/status and XML-RPC
// echo.echo (wrk), and activation on TCP 191's listener (own driver, 200
// one-shot connections). It prints every row's ratio to its reference and
// the new binary's ratio over the old's. scripts/bench-compare.sh builds
// the binaries from two git revisions and runs this.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"aula/bench/aulaserver"
	"aula/bench/laptop"
	"aula/bench/loadgen"
	"aula/bench/wrk"
	"aula/internal/wire/xmlrpc"
	"aula/modules/id"
)

func main() {
	oldBin := flag.String("old", "", "the old aula binary")
	newBin := flag.String("new", "", "the new aula binary")
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds; wrk rounds are whole seconds)")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	conns := flag.Int("conns", 50, "keep-alive connections for the HTTP loads (wrk -c)")
	flag.Parse()
	if *oldBin == "" || *newBin == "" {
		fmt.Fprintln(os.Stderr, "usage: compare -old AULA -new AULA [-duration 3s] [-rounds 3]")
		os.Exit(2)
	}
	if err := run(*oldBin, *newBin, *duration, *rounds, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// server is one running `aula serve`.
type server struct {
	name                 string
	main, xs, activation string
	cmd                  *exec.Cmd
	statusPaths          []string
	serials              []string
}

// freePort returns a 127.0.0.1 address that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const laptopsWithLease = 1000

// start imports leases for the activation loads, then starts bin serve.
func start(name, bin, dir string) (*server, error) {
	s := &server{name: name}
	data := filepath.Join(dir, "data")
	leases := filepath.Join(dir, "leases.sig")
	var lines strings.Builder
	for i := range laptopsWithLease {
		sn := fmt.Sprintf("SHF%08X", i)
		s.serials = append(s.serials, sn)
		lines.WriteString("act01: " + sn + " K 20991231T000000Z sig02: sha256 " + strings.Repeat("ab", 32) +
			" 20991231T000000Z " + strings.Repeat("5a", 256) + "\n")
	}
	if err := os.WriteFile(leases, []byte(lines.String()), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command(bin, "lease", "import", "--data-dir", data, leases).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s lease import: %v: %s", name, err, out)
	}
	for _, p := range []*string{&s.main, &s.xs, &s.activation} {
		a, err := freePort()
		if err != nil {
			return nil, err
		}
		*p = a
	}
	args := append([]string{"serve", "--data-dir", data, "--listen", s.main, "--xs-listen", s.xs,
		"--activation-listen", s.activation, "--id-server-name", "xs.bench.lan", "--log-level", "error"}, aulaserver.UnlimitedDriver...)
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + s.main + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("%s serve did not answer within 30s: %s", name, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Laptops the status loads ask about.
	for n := range 200 {
		body, key := laptop.Register(uint64(n))
		if _, err := post("http://"+s.xs+"/RPC2", body, "<string>OK</string>"); err != nil {
			s.stop()
			return nil, fmt.Errorf("%s register: %w", name, err)
		}
		s.statusPaths = append(s.statusPaths, "/client/status?uid="+id.UIDOf(key))
	}
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func post(url string, body []byte, want string) ([]byte, error) {
	resp, err := http.Post(url, "text/xml", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(want)) {
		return b, fmt.Errorf("reply %s %.200q lacks %q", resp.Status, b, want)
	}
	return b, nil
}

// settled lets the server apply its registration journal after a register
// round, so that the next load does not pay for it, on either binary
// alike: a status read (which folds in binaries before the journal
// replay), then a pause well past the background fold's trigger (200 ms
// without registrations) and its work (~30 µs a registration).
type settled struct {
	load loadgen.Runner
	url  string
}

func (s settled) Run() (loadgen.Result, error) {
	r, err := s.load.Run()
	if err != nil {
		return r, err
	}
	resp, err := http.Get(s.url)
	if err != nil {
		return r, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	time.Sleep(settlePause + time.Duration(r.Calls)*30*time.Microsecond)
	return r, nil
}

// settlePause is the pause after a register round beyond the fold's work.
const settlePause = time.Second

func run(oldBin, newBin string, duration time.Duration, rounds, conns int) error {
	if !wrk.Available() {
		return errors.New("wrk is not on PATH: run make bench-deps")
	}
	if _, err := loadgen.RaiseFileLimit(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, b := range []struct{ name, bin string }{{"old", oldBin}, {"new", newBin}} {
		dir := filepath.Join(tmp, b.name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		s, err := start(b.name, b.bin, dir)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	ref, err := loadgen.BareHTTP()
	if err != nil {
		return err
	}
	defer ref.Stop()
	durable, err := loadgen.DurableHTTP(tmp)
	if err != nil {
		return err
	}
	defer durable.Stop()
	tcpRef, err := loadgen.BareTCP()
	if err != nil {
		return err
	}
	defer tcpRef.Stop()

	per := duration / time.Duration(max(rounds, 1))
	sample, _ := laptop.Register(0)
	postScript, err := wrk.StaticScript(tmp, "post", "POST", sample, "Content-Type: text/xml")
	if err != nil {
		return err
	}
	var call bytes.Buffer
	xmlrpc.EncodeCall(&call, "echo.echo", []any{"hello", 42, map[string]any{"a": []any{1, 2.5, true}}})
	echoScript, err := wrk.StaticScript(tmp, "echo", "POST", call.Bytes(), "Content-Type: text/xml")
	if err != nil {
		return err
	}
	w := func(url, script string) wrk.Load {
		return wrk.Load{URL: url, Conns: conns, Duration: per, Script: script}
	}
	const (
		bareP, durP, bareG, bareT = "wrk: bare net/http POST", "wrk: durable ref", "wrk: bare net/http GET", "bare TCP read+reply"
	)
	rows := []loadgen.Row{{Name: bareP}, {Name: durP}, {Name: bareG}, {Name: bareT}}
	loads := []loadgen.Runner{
		w(ref.URL+"/RPC2", postScript),
		w(durable.URL+"/RPC2", postScript),
		w(ref.URL+"/client/status?uid="+id.UIDOf("x"), ""),
		loadgen.TCPLoad{Addr: tcpRef.Addr, Workers: 200, Request: []byte("SHF00000001"), CloseWrite: true, Duration: per},
	}
	type pair struct{ method, ref string }
	var pairs []pair
	add := func(method, ref string, mk func(s *server, i int) loadgen.Runner) {
		pairs = append(pairs, pair{method, ref})
		for i, s := range servers {
			rows = append(rows, loadgen.Row{Name: s.name + ": " + method, Ref: ref})
			loads = append(loads, mk(s, i))
		}
	}
	add("register, XS port (wrk)", durP, func(s *server, i int) loadgen.Runner {
		l := &wrk.RegisterLoad{Load: w("http://"+s.xs+"/RPC2", ""), Dir: tmp, Next: uint64(1+i) << 30,
			PerRound: int(per.Seconds()*40_000) + 10_000}
		return settled{load: l, url: "http://" + s.main + s.statusPaths[0]}
	})
	for _, s := range servers {
		script, err := wrk.PathsScript(tmp, "status-"+s.name, s.statusPaths)
		if err != nil {
			return err
		}
		s.statusPaths = []string{script} // the script is what the load needs now
	}
	add("GET /client/status (wrk)", bareG, func(s *server, i int) loadgen.Runner {
		return w("http://"+s.main, s.statusPaths[0])
	})
	add("XML-RPC echo.echo (wrk)", bareP, func(s *server, i int) loadgen.Runner {
		return w("http://"+s.main+"/RPC2", echoScript)
	})
	add("activation, 200 one-shot conns", bareT, func(s *server, i int) loadgen.Runner {
		serials := s.serials
		return loadgen.TCPLoad{Addr: s.activation, Workers: 200, CloseWrite: true, Duration: per,
			RequestFunc: func(i int) []byte { return []byte(serials[i%len(serials)]) },
			Check: func(b []byte) error {
				if !bytes.HasPrefix(b, []byte("act01: SHF")) {
					return fmt.Errorf("reply %.40q is not a lease", b)
				}
				return nil
			}}
	})
	res, err := loadgen.Interleave(rounds, loads...)
	if err != nil {
		return err
	}
	t := loadgen.Table{Title: fmt.Sprintf("old (%s) vs new (%s) aula serve, same references, interleaved", oldBin, newBin)}
	for i := range rows {
		rows[i].Result = res[i]
		t.Add(rows[i])
	}
	if err := t.Print(os.Stdout); err != nil {
		return err
	}
	fmt.Println()
	for _, p := range pairs {
		var ratios [2]float64
		for k, s := range servers {
			for _, r := range t.Rows {
				if r.Name == s.name+": "+p.method {
					for _, ref := range t.Rows {
						if ref.Name == p.ref && ref.Result.PerSecond() > 0 {
							ratios[k] = r.Result.PerSecond() / ref.Result.PerSecond()
						}
					}
				}
			}
		}
		verdict := "within 10%"
		if ratios[0] > 0 && (ratios[1]/ratios[0] < 0.9) {
			verdict = "more than 10% below"
		}
		fmt.Printf("%-34s old %5.1f%%  new %5.1f%% of %s: new/old %.2f (%s)\n", p.method, 100*ratios[0], 100*ratios[1], p.ref,
			ratios[1]/max(ratios[0], 1e-9), verdict)
	}
	return nil
}
