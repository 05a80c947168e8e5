// Package loadgen drives load at aula's servers for the benchmarks under
// bench/ and runs the bare reference servers they are compared with.
//
// Machines here are shared and noisy (2 cores), so an absolute calls/s means
// little: every benchmark runs its reference (BareHTTP or BareTCP, a server
// doing no work) in the same run, interleaved with the subject (Interleave),
// and reports the ratio (Table). A durable write is also compared with
// DurableHTTP, a handler that appends each body to a file with one
// fdatasync per batch: the most a server that keeps what it acknowledges
// can do here. Results of another driver (wrk, bench/wrk) enter tables
// through Summary.
//
// The drivers are cheap on purpose so that they leave the CPU to the server
// under test: raw TCP connections, prebuilt request bytes, a minimal
// HTTP/1.1 response parser with reused buffers, and a log-bucket latency
// histogram, with no allocation per request in the steady state.
//
// All traffic goes to loopback addresses only (other addresses are refused),
// and every run is bounded in time and count and stops by itself.
//
//	ref, _ := loadgen.BareHTTP()
//	defer ref.Stop()
//	req := loadgen.HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml")
//	base := loadgen.HTTPLoad{Addr: ref.Addr, Conns: 8, Request: req, Duration: 500 * time.Millisecond}
//	subject := base
//	subject.Addr = aulaAddr
//	res, err := loadgen.Interleave(4, base, subject)
//	var t loadgen.Table
//	t.Add(loadgen.Row{Name: "bare net/http", Result: res[0]})
//	t.Add(loadgen.Row{Name: "xmlrpc echo", Result: res[1], Ref: "bare net/http", Goal: 0.5})
//	t.Print(os.Stdout)
package loadgen
