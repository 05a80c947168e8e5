package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// result is what one attack did to one server.
type result struct {
	idleRSS, peakRSS int64
	sent             int
	byStatus         map[string]int
}

func (r result) statuses() string {
	var keys []string
	for k := range r.byStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.byStatus[k]))
	}
	return strings.Join(parts, ", ")
}

// attack has conns clients post body to c back to back, each on a fresh
// connection, until duration has passed (each sends at least one), and
// reads the server's peak RSS afterwards.
func attack(c *child, body []byte, conns int, duration time.Duration) (result, error) {
	var res result
	var err error
	if _, res.idleRSS, err = memory(c.pid()); err != nil {
		return res, err
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		c.path, c.addr, len(body))
	end := time.Now().Add(duration)
	var mu sync.Mutex
	res.byStatus = map[string]int{}
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := true; first || time.Now().Before(end); first = false {
				status := post(c.addr, head, body)
				mu.Lock()
				res.sent++
				res.byStatus[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.peakRSS, _, err = memory(c.pid())
	return res, err
}

// post sends one request and returns the reply's status (or what failed).
func post(addr, head string, body []byte) string {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return "dial error"
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	// The write may fail when the server answers (503, 429) without reading
	// the body and closes; the reply is still there to read.
	w := bufio.NewWriterSize(conn, 64<<10)
	w.WriteString(head)
	w.Write(body)
	w.Flush()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "no reply"
	}
	resp.Body.Close()
	return fmt.Sprint(resp.StatusCode)
}
