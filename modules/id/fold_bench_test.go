package id

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkFold is the background fold on its own: one op is a backlog
// of `backlog` new registrations applied to id_clients over `existing`
// clients already folded (each op adds a backlog, so the count grows by
// that much per op: run it with a small -benchtime=Nx), with no other
// write waiting, as after a storm. It reports the CPU of the whole process
// per folded row, the bytes written (WAL frames and checkpoint copies,
// /proc/self/io wchar) per row, and how long the fold took (it holds the
// store's single writer while no other write waits; TestFoldYields checks
// that it gives way when one does).
//
// keys: "seq" numbers serials and uuids in order as bench/laptop does (so
// only the uid, a hash, is random: what bench/idbench measures); "random"
// gives random uuids and serials, as a school's laptops have.
func BenchmarkFold(b *testing.B) {
	for _, keys := range []string{"seq", "random"} {
		for _, existing := range []int{1_000, 10_000, 90_000} {
			for _, backlog := range []int{foldChunk, foldMaxRows} {
				b.Run(fmt.Sprintf("keys=%s/existing=%d/backlog=%d", keys, existing, backlog), func(b *testing.B) {
					benchFold(b, keys == "random", existing, backlog)
				})
			}
		}
	}
}

func benchFold(b *testing.B, random bool, existing, backlog int) {
	h, err := boot(b.TempDir()+"/data", testArgs...)
	if err != nil {
		b.Fatal(err)
	}
	defer h.close()
	r := h.mod.recs.(*records)
	next := uint64(0)
	// Registrations are appended as the server appends them (so this
	// process holds them in memory, as it would), 50 callers at once so
	// that the store commits them in groups.
	journal := func(n int) {
		appendBacklog(b, r, next, n)
		next += uint64(n)
	}
	journal(existing)
	if err := r.fold(b.Context()); err != nil {
		b.Fatal(err)
	}
	var cpu, wall time.Duration
	var wrote int64
	for b.Loop() {
		b.StopTimer()
		journal(backlog)
		b.StartTimer()
		cpu0, w0, t0 := processCPU(), wchar(b), time.Now()
		if err := r.fold(b.Context()); err != nil {
			b.Fatal(err)
		}
		if n := r.j.pend.len(); n != 0 {
			b.Fatal(n, "registrations left unfolded")
		}
		wall += time.Since(t0)
		cpu += processCPU() - cpu0
		wrote += wchar(b) - w0
	}
	rows := float64(b.N * backlog)
	b.ReportMetric(float64(cpu.Microseconds())/rows, "cpu-µs/row")
	b.ReportMetric(float64(wrote)/rows/1024, "wKiB/row")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/op")
}

// foldBenchClient is registration n: an ed25519 key of its own, and a
// serial and uuid in order (as bench/laptop numbers them) or random.
func foldBenchClient(n uint64, random bool) Client {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], n)
	h := sha256.Sum256(seed[:])
	blob := binary.BigEndian.AppendUint32(nil, 11)
	blob = append(blob, "ssh-ed25519"...)
	blob = binary.BigEndian.AppendUint32(blob, 32)
	blob = append(blob, h[:]...)
	key := base64.StdEncoding.EncodeToString(blob)
	c := Client{UID: UIDOf(key), Nickname: "bench " + strconv.FormatUint(n, 10), PubKey: key, LastAddr: "127.0.0.1"}
	if random {
		r := binary.BigEndian.Uint64(h[8:16])
		c.Serial = fmt.Sprintf("SHF%08X", uint32(r))
		c.UUID = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(r>>32), uint16(r), n&0xfff, (n>>12)&0xfff, binary.BigEndian.Uint64(h[16:24])&0xffffffffffff)
	} else {
		c.Serial = fmt.Sprintf("BEN%08X", n)
		c.UUID = fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
	}
	return c
}

// wchar is the bytes this process has written with write system calls.
func wchar(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Fatal("reading /proc/self/io:", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no wchar in /proc/self/io")
	return 0
}
