// Command idbench measures the id module served in-process on 127.0.0.1
// with a temporary data directory: durable XML-RPC `register` calls/s
// (every call a distinct laptop: new serial, uuid and key, acknowledged
// only once committed) and GET /client/status calls/s, at 50 keep-alive
// connections, beside a bare net/http server in the same run, interleaved,
// with the ratios printed. Bounded; stops by itself.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"aula/bench/loadgen"
	"aula/modules/id"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per load (split into interleaved rounds)")
	conns := flag.Int("conns", 50, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	only := flag.String("only", "", "run only the register or the status pair (for profiling)")
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
	if err := run(*duration, *conns, *rounds, *only); err != nil {
		fmt.Fprintln(os.Stderr, "idbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// laptop returns the Sugar shell's register call for laptop n and the
// key it registers: a serial, a uuid and an ed25519 key blob of its own
// (any 32 bytes make a valid ed25519 public key, so no key generation is
// timed). It is built with appends because the driver makes one per call
// in the same process as the server it measures.
func laptop(n uint64) (body []byte, key string) {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], n)
	pub := sha256.Sum256(seed[:])
	var blob [51]byte
	b := binary.BigEndian.AppendUint32(blob[:0], 11)
	b = append(b, "ssh-ed25519"...)
	b = binary.BigEndian.AppendUint32(b, 32)
	b = append(b, pub[:]...)
	body = make([]byte, 0, 640)
	body = append(body, "<?xml version='1.0'?>\n<methodCall>\n<methodName>register</methodName>\n<params>\n<param>\n<value><string>BEN"...)
	body = appendHex(body, n&0xffffffff, 8) // serial
	body = append(body, "</string></value>\n</param>\n<param>\n<value><string>bench "...)
	body = strconv.AppendUint(body, n, 10)
	body = append(body, "</string></value>\n</param>\n<param>\n<value><string>"...)
	body = appendHex(body, n>>32, 8) // uuid
	body = append(body, "-0000-4000-8000-"...)
	body = appendHex(body, n&0xffffffffffff, 12)
	body = append(body, "</string></value>\n</param>\n<param>\n<value><string>"...)
	keyAt := len(body)
	body = base64.StdEncoding.AppendEncode(body, b)
	key = string(body[keyAt:])
	body = append(body, "</string></value>\n</param>\n</params>\n</methodCall>\n"...)
	return body, key
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
		body, _ := laptop(first + uint64(i))
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

// appendHex appends v as digits uppercase hex digits, zero-padded.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
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

func run(duration time.Duration, conns, rounds int, only string) error {
	ctx := context.Background()
	if _, err := loadgen.RaiseFileLimit(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "idbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := startAula(ctx, dir+"/data")
	if err != nil {
		return err
	}
	defer srv.stop()
	ref, err := loadgen.BareHTTP()
	if err != nil {
		return err
	}
	defer ref.Stop()

	// Laptops the status load asks about, registered beforehand.
	const known = 1000
	statusReqs := make([][]byte, known)
	for n := range known {
		body, key := laptop(uint64(n))
		uid := id.UIDOf(key)
		if _, err := (loadgen.HTTPLoad{Addr: srv.addr, Conns: 1, Request: loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml"),
			Requests: 1, Warmup: -1, CheckBody: contains("<string>OK</string>")}).Run(); err != nil {
			return err
		}
		statusReqs[n] = loadgen.HTTPRequest("GET", "/client/status?uid="+uid, nil)
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
		body, _ := laptop(n)
		return loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
	}
	sample, _ := laptop(0)
	per := duration / time.Duration(max(rounds, 1))
	loads := []*cpuMeter{
		{load: loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Duration: per,
			Request: loadgen.HTTPRequest("POST", "/RPC2", sample, "Content-Type: text/xml")}},
		{load: loadgen.HTTPLoad{Addr: srv.addr, Conns: conns, Duration: per, RequestFunc: registerReq,
			CheckBody: contains("<string>OK</string>")}},
		{load: loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Duration: per,
			Request: loadgen.HTTPRequest("GET", "/client/status?uid="+id.UIDOf("x"), nil)}},
		{load: loadgen.HTTPLoad{Addr: srv.addr, Conns: conns, Duration: per,
			RequestFunc: func(i int) []byte { return statusReqs[i%known] },
			CheckBody:   contains(`"registered":true`)}},
	}
	// After each register round the server applies the journal that
	// round filled, outside the timed loads and the round's CPU count.
	fold := &foldAfter{srv: srv, load: loads[1]}
	var runners []loadgen.Runner
	for i, l := range loads {
		if only == "" || only == "register" && i < 2 || only == "status" && i >= 2 {
			if i == 1 {
				runners = append(runners, fold)
				continue
			}
			runners = append(runners, l)
		}
	}
	res, err := loadgen.Interleave(rounds, runners...)
	if err != nil {
		return err
	}
	for len(res) < len(loads) {
		if only == "status" {
			res = append([]loadgen.Result{{}}, res...)
		} else {
			res = append(res, loadgen.Result{})
		}
	}
	const bareReg, bareStatus = "bare net/http POST (limit)", "bare net/http GET (limit)"
	t := loadgen.Table{Title: fmt.Sprintf("id module, %d keep-alive connections, SQLite store (synchronous=FULL, group commit)", conns)}
	t.Add(loadgen.Row{Name: bareReg, Result: res[0]})
	t.Add(loadgen.Row{Name: "XML-RPC register (durable, new laptop each)", Result: res[1], Ref: bareReg, Goal: 0.40})
	t.Add(loadgen.Row{Name: bareStatus, Result: res[2]})
	t.Add(loadgen.Row{Name: "GET /client/status", Result: res[3], Ref: bareStatus, Goal: 0.60})
	if err := t.Print(os.Stdout); err != nil {
		return err
	}
	fmt.Printf("\nprocess CPU per call (server + driver): bare POST %s, register %s, bare GET %s, status %s\n",
		loads[0].perCall(), loads[1].perCall(), loads[2].perCall(), loads[3].perCall())
	if fold.commits > 0 {
		fmt.Printf("store during the register loads: %d writes in %d commits (%.1f per commit and fsync)\n",
			fold.writes, fold.commits, float64(fold.writes)/float64(fold.commits))
	}
	if fold.rows > 0 {
		fmt.Printf("journal fold (after each register round, outside the timed loads): %d registrations applied in %s, %s CPU each\n",
			fold.rows, fold.wall.Round(time.Millisecond), fold.cpu/time.Duration(fold.rows))
	}
	clients, err := srv.count(ctx, "id_clients")
	if err != nil {
		return err
	}
	fmt.Printf("store: %d clients registered (%d before the loads, %d register calls issued)\n",
		clients, known, next.Load()-known)
	return nil
}
