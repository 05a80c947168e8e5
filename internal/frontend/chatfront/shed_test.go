package chatfront

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestSilentConnectionsMakeWay: silent connections up to the cap do not
// lock a real client out: past 7/8 of --chat-max-conns each newcomer
// closes the connection silent longest, without an error object.
func TestSilentConnectionsMakeWay(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-max-conns=8", "--chat-max-conns-per-ip=8")
	var silent []net.Conn
	for i := range 7 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
		deadline := time.Now().Add(30 * time.Second)
		for s.fe.srv.Stats().Accepted < uint64(i+1) {
			if time.Now().After(deadline) {
				t.Fatal("silent connection never accepted")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if got := reply(t, s.exchange(request(`{"method": "echo.echo", "params": [1]}`, "MAGIC"))); got != "[1]" {
		t.Fatalf("real request under a silent flood: %q", got)
	}
	silent[0].SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := silent[0].Read(make([]byte, 64)); n != 0 || err == nil {
		t.Fatalf("connection silent longest read %d bytes, %v; want closed without a byte", n, err)
	}
	if st := s.fe.srv.Stats(); st.Shed != 1 || st.Rejected != 0 {
		t.Fatalf("stats %+v, want 1 shed, none refused", st)
	}
	var m strings.Builder
	s.app.WriteMetrics(&m)
	if !strings.Contains(m.String(), "\naula_chat_connections_shed_total 1\n") {
		t.Fatalf("GET /metrics lacks the shed connection:\n%s", m.String())
	}
}
