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

// laptop returns the Sugar shell's register call for laptop n: a serial,
// a uuid and an ed25519 key blob of its own (any 32 bytes make a valid
// ed25519 public key, so no key generation is timed).
func laptop(n uint64) (body []byte, uid string) {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], n)
	pub := sha256.Sum256(seed[:])
	blob := make([]byte, 0, 51)
	blob = binary.BigEndian.AppendUint32(blob, 11)
	blob = append(blob, "ssh-ed25519"...)
	blob = binary.BigEndian.AppendUint32(blob, 32)
	blob = append(blob, pub[:]...)
	key := base64.StdEncoding.EncodeToString(blob)
	serial := fmt.Sprintf("BEN%08X", n)
	uuid := fmt.Sprintf("%08X-0000-4000-8000-%012X", n>>32, n&0xffffffffffff)
	body = []byte(`<?xml version='1.0'?>
<methodCall>
<methodName>register</methodName>
<params>
<param>
<value><string>` + serial + `</string></value>
</param>
<param>
<value><string>bench ` + strconv.FormatUint(n, 10) + `</string></value>
</param>
<param>
<value><string>` + uuid + `</string></value>
</param>
<param>
<value><string>` + key + `</string></value>
</param>
</params>
</methodCall>
`)
	return body, id.UIDOf(key)
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
		body, uid := laptop(uint64(n))
		if _, err := (loadgen.HTTPLoad{Addr: srv.addr, Conns: 1, Request: loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml"),
			Requests: 1, Warmup: -1, CheckBody: contains("<string>OK</string>")}).Run(); err != nil {
			return err
		}
		statusReqs[n] = loadgen.HTTPRequest("GET", "/client/status?uid="+uid, nil)
	}
	var next atomic.Uint64
	next.Store(known)
	registerReq := func(int) []byte {
		body, _ := laptop(next.Add(1))
		return loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
	}
	sample, _ := laptop(0)
	per := duration / time.Duration(max(rounds, 1))
	loads := []*cpuMeter{
		{load: loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Duration: per,
			Request: loadgen.HTTPRequest("POST", "/RPC2", sample, "Content-Type: text/xml")}},
		{load: &foldAfter{srv: srv, load: loadgen.HTTPLoad{Addr: srv.addr, Conns: conns, Duration: per, RequestFunc: registerReq,
			CheckBody: contains("<string>OK</string>")}}},
		{load: loadgen.HTTPLoad{Addr: ref.Addr, Conns: conns, Duration: per,
			Request: loadgen.HTTPRequest("GET", "/client/status?uid="+id.UIDOf("x"), nil)}},
		{load: loadgen.HTTPLoad{Addr: srv.addr, Conns: conns, Duration: per,
			RequestFunc: func(i int) []byte { return statusReqs[i%known] },
			CheckBody:   contains(`"registered":true`)}},
	}
	var runners []loadgen.Runner
	for i, l := range loads {
		if only == "" || only == "register" && i < 2 || only == "status" && i >= 2 {
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
	if f := loads[1].load.(*foldAfter); f.rows > 0 {
		fmt.Printf("journal fold (after each register round, outside the timed loads): %d registrations applied in %s, %s CPU each\n",
			f.rows, f.wall.Round(time.Millisecond), f.cpu/time.Duration(f.rows))
	}
	clients, err := srv.count(ctx, "id_clients")
	if err != nil {
		return err
	}
	fmt.Printf("store: %d clients registered (%d before the loads, %d register calls issued)\n",
		clients, known, next.Load()-known)
	return nil
}
