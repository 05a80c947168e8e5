// Package wrk runs Debian's wrk, an HTTP load driver independent of aula's
// own (bench/loadgen), as a loadgen.Runner, so a benchmark can put a wrk
// row beside its own driver's row in the same interleaved run. A Go driver
// in the same process as the server it measures shares the cores with it
// and flatters some ratios; wrk is a separate C process with its own
// connection handling. `make bench` installs it (scripts/bench-deps.sh).
package wrk

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"aula/bench/laptop"
	"aula/bench/loadgen"
)

// Available reports whether wrk is on PATH.
func Available() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}

// Load is one wrk run: Threads threads holding Conns keep-alive
// connections to URL for Duration (whole seconds, at least one), sending
// what Script says (a Lua file, see StaticScript and RegisterScript).
type Load struct {
	URL      string
	Threads  int // default 2
	Conns    int // default 50
	Duration time.Duration
	Script   string
}

// Run runs wrk and reads its report. Responses with a status other than
// 2xx or 3xx and socket errors count as errors.
func (l Load) Run() (loadgen.Result, error) {
	secs := max(int(l.Duration.Round(time.Second)/time.Second), 1)
	args := []string{"-t", strconv.Itoa(max(l.Threads, 1)), "-c", strconv.Itoa(max(l.Conns, 1)),
		"-d", strconv.Itoa(secs) + "s", "--latency", "--timeout", "10s"}
	if l.Threads == 0 {
		args[1] = "2"
	}
	if l.Conns == 0 {
		args[3] = "50"
	}
	if l.Script != "" {
		args = append(args, "-s", l.Script)
	}
	args = append(args, l.URL)
	var out, errOut bytes.Buffer
	cmd := exec.Command("wrk", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return loadgen.Result{}, fmt.Errorf("wrk %s: %v: %s", strings.Join(args, " "), err, errOut.Bytes())
	}
	r, err := Parse(out.String())
	if err != nil {
		return r, fmt.Errorf("wrk %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

var (
	reRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+\w+),`)
	rePct      = regexp.MustCompile(`(?m)^\s*(50|90|99)%\s+([0-9.]+\w+)\s*$`)
	reLatency  = regexp.MustCompile(`(?m)^\s*Latency\s+\S+\s+\S+\s+([0-9.]+\w+)`)
	reNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	reSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// Parse reads wrk's report (run with --latency): the requests and the
// time they took, the 50/90/99% latencies and the largest, errors.
func Parse(out string) (loadgen.Result, error) {
	m := reRequests.FindStringSubmatch(out)
	if m == nil {
		return loadgen.Result{}, fmt.Errorf("no request count in wrk's report: %.300q", out)
	}
	total, _ := strconv.ParseInt(m[1], 10, 64)
	elapsed, err := duration(m[2])
	if err != nil {
		return loadgen.Result{}, err
	}
	pct := map[string]time.Duration{}
	for _, p := range rePct.FindAllStringSubmatch(out, -1) {
		if pct[p[1]], err = duration(p[2]); err != nil {
			return loadgen.Result{}, err
		}
	}
	if len(pct) != 3 {
		return loadgen.Result{}, fmt.Errorf("no latency distribution in wrk's report (run with --latency): %.300q", out)
	}
	var maxLat time.Duration
	if m := reLatency.FindStringSubmatch(out); m != nil {
		maxLat, _ = duration(m[1])
	}
	var errs int64
	var samples []string
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		errs += n
		samples = append(samples, m[0])
	}
	if m := reSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			errs += n
		}
		samples = append(samples, strings.TrimSpace(m[0]))
	}
	r := loadgen.Summary(max(total-errs, 0), errs, elapsed, pct["50"], pct["90"], pct["99"], maxLat)
	r.ErrorSamples = samples
	return r, nil
}

// duration reads wrk's units: us, ms, s, m, h.
func duration(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(c rune) bool { return (c < '0' || c > '9') && c != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("wrk duration %q", s)
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("wrk duration %q", s)
	}
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"m": time.Minute, "h": time.Hour}[s[i:]]
	if unit == 0 {
		return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
	}
	return time.Duration(v * float64(unit)), nil
}

// StaticScript writes a Lua script into dir that makes wrk send the same
// request every time: method, body and headers ("Name: value").
func StaticScript(dir, name, method string, body []byte, headers ...string) (string, error) {
	bodyFile := filepath.Join(dir, name+".body")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %q\n", method)
	fmt.Fprintf(&b, "local f = assert(io.open(%q, \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()\n", bodyFile)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", strings.TrimSpace(k), strings.TrimSpace(v))
	}
	script := filepath.Join(dir, name+".lua")
	return script, os.WriteFile(script, []byte(b.String()), 0o600)
}

// registerLua makes each request the register call of a laptop no request
// has registered before: the thread with index i reads its own file of
// whole requests (laptops i, i+n, ... of n threads), each behind its
// length in five digits. Reading a request costs wrk about what sending a
// static one does (16 against 14–16 µs of CPU per call); building each
// from the laptop's fields with string.match and wrk.format cost 26 µs,
// taken from the two cores wrk shares with the server, which the
// reference's static request does not pay. Building them all in init
// instead lets the first thread load the server while the second builds
// its own (0.35 s for 45,000), before wrk starts its clock. Out of
// requests, a thread starts over (repeats of a registration, which the
// server counts; RegisterLoad refuses such a run).
const registerLua = `
local prefix = %q
local next_index = 0
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
end
local file
function init(args)
  file = assert(io.open(prefix .. index, "rb"))
end
function request()
  local n = file:read(5)
  if not n then
    file:seek("set", 0)
    n = file:read(5)
  end
  return file:read(tonumber(n))
end
`

// Laptops are laptops First, First+1, ... written to files for
// RegisterScript; Next is the first laptop not written yet.
type Laptops struct {
	Files []string // one per wrk thread
	First uint64
	Next  uint64
}

// RegisterScript writes the register requests of count laptops, starting
// at first, into dir (one file per thread) and the Lua script that sends
// each of them once over threads threads (Load.Threads).
func RegisterScript(dir string, first uint64, count, threads int) (script string, lp Laptops, err error) {
	threads = max(threads, 1)
	lp = Laptops{First: first, Next: first + uint64(count)}
	prefix := filepath.Join(dir, fmt.Sprintf("laptops-%d-", first))
	for t := range threads {
		file := prefix + strconv.Itoa(t)
		lp.Files = append(lp.Files, file)
		if err := writeRequests(file, first+uint64(t), lp.Next, uint64(threads)); err != nil {
			return "", lp, err
		}
	}
	script = filepath.Join(dir, fmt.Sprintf("register-%d.lua", first))
	return script, lp, os.WriteFile(script, []byte(fmt.Sprintf(registerLua, prefix)), 0o600)
}

// writeRequests writes the register requests of laptops from, from+step,
// ... below end into file, each behind its length in five digits.
func writeRequests(file string, from, end, step uint64) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for n := from; n < end; n += step {
		body, _ := laptop.Register(n)
		req := loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
		if len(req) > 99999 {
			f.Close()
			return fmt.Errorf("laptop %d's request is %d bytes, more than five digits", n, len(req))
		}
		fmt.Fprintf(w, "%05d", len(req))
		w.Write(req)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RegisterLoad is a wrk load of register calls, each from a laptop that
// no call registered before: every round writes the next PerRound laptops
// (from Next on) and a script for them, so rounds never repeat a laptop.
type RegisterLoad struct {
	Load            // Script is set by Run
	Dir      string // where the laptop files and scripts go
	Next     uint64 // first laptop of the next round
	PerRound int    // laptops per round: more than wrk can register in Duration
}

// Run writes this round's laptops and runs wrk with them.
func (l *RegisterLoad) Run() (loadgen.Result, error) {
	script, lp, err := RegisterScript(l.Dir, l.Next, l.PerRound, max(l.Threads, 2))
	if err != nil {
		return loadgen.Result{}, err
	}
	l.Next = lp.Next
	load := l.Load
	load.Script = script
	r, err := load.Run()
	for _, f := range lp.Files {
		os.Remove(f)
	}
	os.Remove(script)
	if err == nil && r.Calls+r.Errors > int64(l.PerRound) {
		// wrk counts the calls of its warm-up-free run; more than the
		// laptops written means some were registered twice.
		err = fmt.Errorf("wrk made %d register calls with %d laptops: raise PerRound", r.Calls+r.Errors, l.PerRound)
	}
	return r, err
}

// PathsScript writes a Lua script into dir that makes wrk GET the paths
// in turn, each thread starting at its own offset.
func PathsScript(dir, name string, paths []string) (string, error) {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	b.WriteString("}\nlocal offset = 0\nfunction setup(thread)\n  thread:set(\"at\", offset)\n  offset = offset + 7\nend\n")
	b.WriteString("function request()\n  at = (at or 0) % #paths + 1\n  return wrk.format(\"GET\", paths[at])\nend\n")
	script := filepath.Join(dir, name+".lua")
	return script, os.WriteFile(script, []byte(b.String()), 0o600)
}
