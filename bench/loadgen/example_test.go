package loadgen_test

import (
	"fmt"
	"os"
	"time"

	"aula/bench/loadgen"
)

// A benchmark program measures the bare reference and the server under
// test in the same run, interleaved, and prints the ratio. Here the "server
// under test" is a second bare server, so the example stays self-contained.
func Example() {
	ref, err := loadgen.BareHTTP()
	if err != nil {
		panic(err)
	}
	defer ref.Stop()
	subject, err := loadgen.BareHTTP()
	if err != nil {
		panic(err)
	}
	defer subject.Stop()

	req := loadgen.HTTPRequest("POST", "/RPC2", []byte("<methodCall/>"), "Content-Type: text/xml")
	refLoad := loadgen.HTTPLoad{Addr: ref.Addr, Conns: 4, Request: req, Duration: 150 * time.Millisecond}
	subjectLoad := refLoad
	subjectLoad.Addr = subject.Addr
	res, err := loadgen.Interleave(2, refLoad, subjectLoad)
	if err != nil {
		panic(err)
	}

	t := loadgen.Table{Title: "example"}
	t.Add(loadgen.Row{Name: "bare net/http", Result: res[0]})
	t.Add(loadgen.Row{Name: "subject", Result: res[1], Ref: "bare net/http", Goal: 0.5})
	t.Print(os.Stderr) // numbers vary run to run, so not part of the checked output

	fmt.Println(res[0].Calls > 0, res[0].Errors, res[1].Calls > 0, res[1].Errors, res[1].Elapsed)
	// Output: true 0 true 0 300ms
}
