package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Every body acknowledged by the durable reference is in its file, whole,
// and many concurrent calls share fdatasyncs without losing any.
func TestDurableHTTPKeepsEveryBody(t *testing.T) {
	dir := t.TempDir()
	ref, err := DurableHTTP(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("<registration/>\n")
	r, err := HTTPLoad{Addr: ref.Addr, Conns: 8, Requests: 400, Warmup: -1,
		Request: HTTPRequest("POST", "/RPC2", body, "Content-Type: text/xml"),
		CheckBody: func(b []byte) error {
			if !bytes.Equal(b, []byte(BareReply)) {
				t.Errorf("reply %q", b)
			}
			return nil
		}}.Run()
	ref.Stop()
	if err != nil || r.Errors != 0 {
		t.Fatalf("load: %v, %s", err, r)
	}
	got, err := os.ReadFile(filepath.Join(dir, "durable-ref.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Repeat(body, int(r.Calls)); !bytes.Equal(got, want) {
		t.Errorf("file holds %d bytes, want %d calls' bodies (%d bytes)", len(got), r.Calls, len(want))
	}
}
