// Package sysload reads the numbers the OLPC backup admission rules (spec
// §4.3) look at: the load average and how full a file system is, in
// blocks and in inodes.
package sysload

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// LoadAvg is /proc/loadavg.
type LoadAvg struct {
	One, Five, Fifteen float64
	Running, Total     int // scheduling entities: runnable / existing
}

const maxLoadAvgBytes = 256

// ParseLoadAvg parses the contents of /proc/loadavg,
// e.g. "0.52 0.58 0.59 2/891 12345\n".
func ParseLoadAvg(b []byte) (LoadAvg, error) {
	if len(b) > maxLoadAvgBytes {
		return LoadAvg{}, fmt.Errorf("loadavg: longer than %d bytes", maxLoadAvgBytes)
	}
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return LoadAvg{}, fmt.Errorf("loadavg: want at least 4 fields, got %d", len(f))
	}
	var l LoadAvg
	for i, dst := range []*float64{&l.One, &l.Five, &l.Fifteen} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return LoadAvg{}, fmt.Errorf("loadavg: bad load %q", f[i])
		}
		*dst = v
	}
	run, total, ok := strings.Cut(f[3], "/")
	var err1, err2 error
	if ok {
		l.Running, err1 = strconv.Atoi(run)
		l.Total, err2 = strconv.Atoi(total)
	}
	if !ok || err1 != nil || err2 != nil || l.Running < 0 || l.Total < 0 {
		return LoadAvg{}, fmt.Errorf("loadavg: bad task counts %q", f[3])
	}
	return l, nil
}

// ReadLoadAvg reads /proc/loadavg.
func ReadLoadAvg() (LoadAvg, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return LoadAvg{}, err
	}
	return ParseLoadAvg(b)
}

// DiskUse is how full the file system holding a path is. Fractions are
// 0..1 and count as df does: blocks used / (used + available to users).
type DiskUse struct {
	Blocks, Inodes          float64 // used fractions
	TotalBytes, AvailBytes  uint64
	TotalInodes, FreeInodes uint64
}

// Disk measures the file system holding path (statfs). A file system that
// reports no inode count (btrfs) has Inodes 0.
func Disk(path string) (DiskUse, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(path, &s); err != nil {
		return DiskUse{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	bs := uint64(s.Bsize)
	if s.Frsize > 0 {
		bs = uint64(s.Frsize)
	}
	u := DiskUse{
		TotalBytes: s.Blocks * bs, AvailBytes: s.Bavail * bs,
		TotalInodes: s.Files, FreeInodes: s.Ffree,
	}
	if used := s.Blocks - s.Bfree; used+s.Bavail > 0 {
		u.Blocks = float64(used) / float64(used+s.Bavail)
	}
	if s.Files > 0 {
		u.Inodes = float64(s.Files-s.Ffree) / float64(s.Files)
	}
	return u, nil
}

// Limits are the admission thresholds of spec §4.3 rules 1 and 2.
type Limits struct {
	MaxLoad1  float64 // 1-minute load average
	MaxBlocks float64 // used fraction of blocks
	MaxInodes float64 // used fraction of inodes
}

// DefaultLimits are the OLPC XS values: load 5, 90 % blocks, 90 % inodes.
func DefaultLimits() Limits { return Limits{MaxLoad1: 5, MaxBlocks: 0.9, MaxInodes: 0.9} }

// ErrBusy wraps the reason Busy turns a backup away.
var ErrBusy = errors.New("server busy")

// Busy applies rules 1 and 2 of spec §4.3 to the file system holding path:
// nil means a backup may start; an error wrapping ErrBusy says which limit
// was exceeded (the caller answers 503); any other error is a failure to
// measure.
func Busy(path string, l Limits) error {
	load, err := ReadLoadAvg()
	if err != nil {
		return err
	}
	if load.One > l.MaxLoad1 {
		return fmt.Errorf("%w: load average %.2f > %.2f", ErrBusy, load.One, l.MaxLoad1)
	}
	d, err := Disk(path)
	if err != nil {
		return err
	}
	if d.Blocks > l.MaxBlocks {
		return fmt.Errorf("%w: %s is %.1f%% full (blocks) > %.1f%%", ErrBusy, path, 100*d.Blocks, 100*l.MaxBlocks)
	}
	if d.Inodes > l.MaxInodes {
		return fmt.Errorf("%w: %s is %.1f%% full (inodes) > %.1f%%", ErrBusy, path, 100*d.Inodes, 100*l.MaxInodes)
	}
	return nil
}
