// Command bigbodybench measures the peak memory (VmHWM) of an `aula serve`
// process under the large-body attack of issue 13: -conns clients each
// sending 3.9 MB XML-RPC <array> bodies of <i4> back to back for -duration
// (at least one round). The real aula binary runs as a child process, so
// its RSS is its own; the reference, in the same run, is a bare net/http
// server (a child process too: this program re-executed with -ref-server)
// that reads and discards the same bodies. Everything listens on
// 127.0.0.1; the children are stopped at the end.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long the clients keep sending bodies (each sends at least one)")
	conns := flag.Int("conns", 150, "concurrent clients")
	size := flag.Int("size", 3_900_000, "body size in bytes")
	aula := flag.String("aula", "", "aula binary to measure (empty: build ./cmd/aula)")
	refServer := flag.Bool("ref-server", false, "internal: run the bare net/http reference server and print its address")
	flag.Parse()
	if *refServer {
		serveReference()
		return
	}
	if err := run(*duration, *conns, *size, *aula); err != nil {
		fmt.Fprintln(os.Stderr, "bigbodybench:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, conns, size int, aulaBin string) error {
	body := arrayBody(size)
	tmp, err := os.MkdirTemp("", "bigbodybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if aulaBin == "" {
		if aulaBin, err = buildAula(tmp); err != nil {
			return err
		}
	}
	ref, err := startReference()
	if err != nil {
		return err
	}
	refRes, err := attack(ref, body, conns, duration)
	ref.stop()
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	srv, err := startAula(aulaBin, tmp)
	if err != nil {
		return err
	}
	aulaRes, err := attack(srv, body, conns, duration)
	srv.stop()
	if err != nil {
		return fmt.Errorf("aula: %w", err)
	}
	fmt.Printf("%d concurrent clients sending %.1f MB <array> bodies of <i4> for %v (%s)\n\n",
		conns, float64(size)/1e6, duration, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| server | RSS idle | peak RSS (VmHWM) | ratio to ref | bodies sent | replies by status |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range []struct {
		name string
		res  result
	}{{"bare net/http, reads and discards (ref)", refRes}, {"aula serve (defaults)", aulaRes}} {
		fmt.Printf("| %s | %s | %s | %.2fx | %d | %s |\n", r.name, mb(r.res.idleRSS), mb(r.res.peakRSS),
			float64(r.res.peakRSS)/float64(refRes.peakRSS), r.res.sent, r.res.statuses())
	}
	const goal = 256 << 20
	verdict := "met"
	if aulaRes.peakRSS >= goal {
		verdict = "NOT met"
	}
	fmt.Printf("\ngoal: aula's peak RSS under %s: %s\n", mb(goal), verdict)
	return nil
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
