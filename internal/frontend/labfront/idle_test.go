package labfront

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/agent"
	"aula/internal/wire/labxml"
	"aula/modules/lab"
	"aula/modules/lab/labapi"
)

// recordConn hands crypto/tls at most the rest of the current record,
// whatever the chunks the socket delivers.
func TestRecordConnStopsAtRecordEnds(t *testing.T) {
	var stream bytes.Buffer
	var sizes []int
	for _, n := range []int{0, 1, 300, 16384 + 256, 7} {
		stream.Write([]byte{23, 3, 3, byte(n >> 8), byte(n)})
		stream.Write(bytes.Repeat([]byte{'x'}, n))
		sizes = append(sizes, 5+n)
	}
	want := stream.Bytes()
	rc := &recordConn{Conn: &chunked{r: bytes.NewReader(want), n: 97}}
	var got []byte
	rec, in := 0, 0 // record index, bytes of it read
	buf := make([]byte, 40000)
	for rec < len(sizes) {
		n, err := rc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
		in += n
		if in > sizes[rec] {
			t.Fatalf("record %d: read %d bytes of a %d-byte record", rec, in, sizes[rec])
		}
		if in == sizes[rec] {
			if !rc.atBoundary() {
				t.Fatalf("record %d read whole but not at a boundary", rec)
			}
			rec, in = rec+1, 0
		} else if rc.atBoundary() {
			t.Fatalf("record %d: at a boundary after %d of %d bytes", rec, in, sizes[rec])
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes changed on the way")
	}
}

// enrolled runs a real agent until it is welcomed, then stops it, and
// returns a TLS client configuration with its certificate.
func enrolled(t *testing.T, r *rig, name string) *tls.Config {
	t.Helper()
	r.call("lab.computerAdd", map[string]any{"name": name, "lab": "l1"})
	secret := r.call("lab.enrol", map[string]any{"name": name}).(lab.EnrolReply).Secret
	dir := filepath.Join(t.TempDir(), name)
	ag, err := agent.New(agent.Config{Server: r.fe.Addrs()["agents"], Dir: dir, Token: secret,
		CAFile: filepath.Join(r.dir, "ca", "ca.crt"), Log: quietLog, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ag.Run(ctx); close(done) }()
	waitFor(t, name+" idle", func() bool {
		for _, row := range statusRows(r) {
			if row["computer"] == name && row["state"] == "idle" {
				return true
			}
		}
		return false
	})
	cancel()
	<-done
	waitFor(t, name+" off", func() bool {
		for _, row := range statusRows(r) {
			if row["computer"] == name && row["state"] == "off" {
				return true
			}
		}
		return false
	})
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(r.dir, "ca", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{cert}}
}

// A connection that gives its reader back between messages still reads
// what comes in pieces, refuses a malformed and an oversize message with
// an error without closing, and handles two messages sent in one record.
func TestIdleConnectionReadsEveryMessage(t *testing.T) {
	r := newRig(t, "--lab-max-message=4096")
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	cfg := enrolled(t, r, "pc1")

	c, err := tls.Dial("tcp", r.fe.Addrs()["agents"], cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	rd := labxml.NewReader(c, 0)
	write := func(b []byte) {
		t.Helper()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	read := func(code int) *labxml.Message {
		t.Helper()
		m, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if m.Code != code {
			t.Fatalf("got codigo=%d %+v, want %d", m.Code, m, code)
		}
		return m
	}
	write(labxml.Encode((&labxml.Message{Kind: labxml.Response, Code: labapi.CodeHello, Result: labxml.Success}).Add("hostname", "pc1")))
	read(labapi.CodeWelcome)

	// Malformed, and oversize: each answered, the connection kept. The
	// pauses let the server fall idle between messages.
	time.Sleep(100 * time.Millisecond)
	write([]byte("<RESPUESTA codigo=\"x\" accion=\"5\"/>\n"))
	if m := read(labapi.CodeError); !strings.Contains(m.Get("error"), "codigo") {
		t.Fatalf("malformed: %+v", m)
	}
	time.Sleep(100 * time.Millisecond)
	big := (&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: 7, Result: labxml.Success}).Add("x", strings.Repeat("y", 6000))
	write(labxml.Encode(big))
	if m := read(labapi.CodeError); !strings.Contains(m.Get("error"), "longer than 4096") {
		t.Fatalf("oversize: %+v", m)
	}

	// A probe for the idle agent; its result arrives in two pieces.
	time.Sleep(100 * time.Millisecond)
	l := r.call("lab.run", map[string]any{"command": "probe", "computer": "pc1"}).(lab.Launched)
	cmd := read(labapi.CodeProbe)
	if cmd.Action != l.Actions[0].ID {
		t.Fatalf("command %+v for launch %+v", cmd, l)
	}
	res := labxml.Encode((&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: cmd.Action, Result: labxml.Success}).Add("estado", "idle"))
	write(res[:10])
	time.Sleep(300 * time.Millisecond)
	write(res[10:])
	waitFor(t, "the split result recorded", func() bool { return actionOf(r, l.Launch).State == "finished" })
	if a := actionOf(r, l.Launch); a.Output != "estado=idle" {
		t.Fatalf("split result: %+v", a)
	}

	// Two messages in one write (one TLS record): a stray result, then
	// the result of the next probe. Both are answered, none waits for
	// more bytes from the socket.
	time.Sleep(100 * time.Millisecond)
	l = r.call("lab.run", map[string]any{"command": "probe", "computer": "pc1"}).(lab.Launched)
	cmd = read(labapi.CodeProbe)
	stray := labxml.Encode(&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: cmd.Action + 1000, Result: labxml.Success})
	res = labxml.Encode((&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: cmd.Action, Result: labxml.Success}).Add("estado", "idle"))
	write(append(stray, res...))
	if m := read(labapi.CodeError); !strings.Contains(m.Get("error"), "not in flight") {
		t.Fatalf("stray: %+v", m)
	}
	waitFor(t, "the result sent behind a stray one recorded", func() bool { return actionOf(r, l.Launch).State == "finished" })

	// Its end is noticed while it waits without a reader.
	c.Close()
	waitFor(t, "pc1 off", func() bool { return statusStates(r)[0] == "off" })
}

func actionOf(r *rig, launch string) lab.Action {
	acts := r.call("lab.actions", map[string]any{"launch": launch}).([]lab.Action)
	return acts[0]
}

// Whatever bytes arrive (recordConn reads the record headers of an
// untrusted peer), recordConn passes them on unchanged and never past the
// end of the record its headers announce.
func FuzzRecordConn(f *testing.F) {
	f.Add([]byte{23, 3, 3, 0, 2, 'h', 'i', 22, 3, 1, 0, 0}, byte(3))
	f.Add([]byte{0x80, 0xff, 0xff}, byte(1))
	f.Fuzz(func(t *testing.T, stream []byte, chunk byte) {
		rc := &recordConn{Conn: &chunked{r: bytes.NewReader(stream), n: int(chunk)%17 + 1}}
		var got []byte
		buf := make([]byte, 1<<17)
		for {
			n, err := rc.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
			if n == 0 {
				t.Fatal("a read returned nothing and no error")
			}
		}
		if !bytes.Equal(got, stream) {
			t.Fatal("bytes changed on the way")
		}
		// Replay the record structure: every read must have stayed within
		// one header or one body.
		rc2 := &recordConn{Conn: &chunked{r: bytes.NewReader(stream), n: int(chunk)%17 + 1}}
		off := 0
		// within reads up to end, failing if a read crosses it; false
		// when the stream ends first.
		within := func(end int, what string) bool {
			for off < end {
				n, err := rc2.Read(buf)
				if err != nil {
					return false
				}
				if off+n > end {
					t.Fatalf("read of %d bytes at %d crosses the %s ending at %d", n, off, what, end)
				}
				off += n
			}
			return true
		}
		for off < len(stream) {
			hdrEnd := off + 5
			if !within(hdrEnd, "header") || !within(hdrEnd+(int(stream[hdrEnd-2])<<8|int(stream[hdrEnd-1])), "record") {
				return
			}
		}
	})
}

// chunked is a net.Conn whose reads return at most n bytes of r.
type chunked struct {
	net.Conn
	r *bytes.Reader
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}
