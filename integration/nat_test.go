package integration

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestSchoolBehindOneNAT: a school is often one NAT address. 2,000 laptops
// booting together all register at once (the Sugar shell's XML-RPC
// register, each with its own serial, UUID and key) from one address,
// against the real binary with default limits: every one is registered,
// none gets a 429. The server also warns that the XS listener is off
// port 8080 (this test's listener is on a random port).
func TestSchoolBehindOneNAT(t *testing.T) {
	const laptops = 2000
	srv := startServer(t, "")
	bodies := make([]string, laptops)
	for i := range bodies {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sp, _ := ssh.NewPublicKey(pub)
		bodies[i] = fmt.Sprintf(`<?xml version='1.0'?><methodCall><methodName>register</methodName><params>`+
			`<param><value><string>SHF%08X</string></value></param><param><value><string>nena</string></value></param>`+
			`<param><value><string>8bf9ac40-26f8-4bcc-a699-%012x</string></value></param>`+
			`<param><value><string>%s</string></value></param></params></methodCall>`,
			0x10000000+i, i, base64.StdEncoding.EncodeToString(sp.Marshal()))
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next, ok atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= laptops {
					return
				}
				resp, err := client.Post(srv.xsURL(), "text/xml", strings.NewReader(bodies[i]))
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				switch {
				case err == nil && resp.StatusCode == 200 && strings.Contains(string(body), "<string>OK</string>") && !strings.Contains(string(body), "<fault>"):
					ok.Add(1)
				default:
					mu.Lock()
					if len(failures) < 5 {
						failures = append(failures, fmt.Sprintf("laptop %d: %v %.300s", i, err, body))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d registrations from one address in %v", laptops, time.Since(start).Round(time.Millisecond))
	if n := ok.Load(); n != laptops {
		t.Fatalf("%d of %d laptops registered; first failures:\n%s", n, laptops, strings.Join(failures, "\n"))
	}
	if !strings.Contains(srv.log.String(), "the XS listener is not on port 8080") {
		t.Errorf("no warning about the XS listener's port in the log:\n%s", srv.log.String())
	}
}
