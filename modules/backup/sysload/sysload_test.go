package sysload

import (
	"errors"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestParseLoadAvg(t *testing.T) {
	l, err := ParseLoadAvg([]byte("5.01 0.58 12.00 2/891 12345\n"))
	if err != nil || l != (LoadAvg{5.01, 0.58, 12, 2, 891}) {
		t.Fatalf("%+v %v", l, err)
	}
	for _, bad := range []string{"", "1 2 3", "a 2 3 1/2 4", "1 2 3 12 4", "1 2 3 x/2 4", "-1 2 3 1/2 4",
		"NaN 1 1 1/1 1", "Inf 1 1 1/1 1", "1 1 1 -1/2 3", strings.Repeat("1 ", 200)} {
		if _, err := ParseLoadAvg([]byte(bad)); err == nil {
			t.Errorf("ParseLoadAvg(%.20q) accepted", bad)
		}
	}
}

func TestReadLoadAvg(t *testing.T) {
	l, err := ReadLoadAvg()
	if err != nil {
		t.Skip("no /proc/loadavg:", err)
	}
	if l.Total < 1 || l.One < 0 {
		t.Fatalf("%+v", l)
	}
}

// python3's os.statvfs is the peer: same formula, fractions must agree.
func TestDiskAgreesWithPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	d, err := Disk(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("python3", "-c", `import os,sys
s=os.statvfs(sys.argv[1]); used=s.f_blocks-s.f_bfree
print(used/(used+s.f_bavail) if used+s.f_bavail else 0, (s.f_files-s.f_ffree)/s.f_files if s.f_files else 0, s.f_blocks*s.f_frsize)`, dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	blocks, _ := strconv.ParseFloat(f[0], 64)
	inodes, _ := strconv.ParseFloat(f[1], 64)
	total, _ := strconv.ParseUint(f[2], 10, 64)
	// Other processes write meanwhile: agree to 0.5 %.
	if math.Abs(blocks-d.Blocks) > 0.005 || math.Abs(inodes-d.Inodes) > 0.005 || total != d.TotalBytes {
		t.Fatalf("Go %+v, python %v", d, f)
	}
	if d.Blocks < 0 || d.Blocks > 1 || d.Inodes < 0 || d.Inodes > 1 {
		t.Fatalf("fractions out of range: %+v", d)
	}
	if _, err := Disk(dir + "/missing"); err == nil {
		t.Fatal("Disk of a missing path")
	}
}

func TestBusy(t *testing.T) {
	if _, err := ReadLoadAvg(); err != nil {
		t.Skip("no /proc/loadavg")
	}
	dir := t.TempDir()
	if err := Busy(dir, Limits{MaxLoad1: math.MaxFloat64, MaxBlocks: 2, MaxInodes: 2}); err != nil {
		t.Fatalf("nothing exceeded: %v", err)
	}
	for want, l := range map[string]Limits{
		"load average":  {MaxLoad1: -1, MaxBlocks: 2, MaxInodes: 2},
		"full (blocks)": {MaxLoad1: math.MaxFloat64, MaxBlocks: -1, MaxInodes: 2},
		"full (inodes)": {MaxLoad1: math.MaxFloat64, MaxBlocks: 2, MaxInodes: -1},
	} {
		err := Busy(dir, l)
		if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), want) {
			t.Errorf("limits %+v: %v, want busy with %q", l, err, want)
		}
	}
	if DefaultLimits() != (Limits{5, 0.9, 0.9}) {
		t.Fatal("DefaultLimits")
	}
}

func FuzzParseLoadAvg(f *testing.F) {
	for _, s := range []string{"0.52 0.58 0.59 2/891 12345\n", "1 1 1 1/1", "", "1e308 1 1 0/0 0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLoadAvg(b)
		if err == nil && (l.One < 0 || l.Five < 0 || l.Fifteen < 0 || l.Running < 0 || l.Total < 0 ||
			math.IsNaN(l.One) || math.IsInf(l.One, 0)) {
			t.Fatalf("accepted %+v from %q", l, b)
		}
	})
}
