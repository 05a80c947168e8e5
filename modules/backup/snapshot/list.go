package snapshot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// Snapshot is one entry of List.
type Snapshot struct {
	Name  string
	Time  time.Time // from the name, UTC, minute resolution
	Path  string
	Files int64 // regular files
	Bytes int64 // apparent size of its regular files
	// NewBytes counts files whose inode is not in the previous (older)
	// snapshot: roughly what this snapshot added. The oldest one's NewBytes
	// equals its Bytes.
	NewBytes int64
}

// Names lists snapshot names in <clientDir>/snapshots, oldest first,
// without walking them. No snapshots directory means none.
func Names(clientDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(clientDir, SnapshotsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Type()&os.ModeSymlink == 0 && ValidName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Latest is the newest snapshot's name, "" when there is none.
func Latest(clientDir string) (string, error) {
	names, err := Names(clientDir)
	if err != nil || len(names) == 0 {
		return "", err
	}
	return names[len(names)-1], nil
}

// List walks every snapshot, oldest first, and sizes it.
func List(clientDir string) ([]Snapshot, error) {
	names, err := Names(clientDir)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(names))
	var prev map[fileID]bool
	for _, name := range names {
		t, _ := ParseName(name)
		s := Snapshot{Name: name, Time: t, Path: filepath.Join(clientDir, SnapshotsDir, name)}
		seen := map[fileID]bool{}
		err := filepath.WalkDir(s.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			id, ok := idOf(info)
			s.Files++
			s.Bytes += info.Size()
			if !ok || !prev[id] {
				s.NewBytes += info.Size()
			}
			if ok {
				seen[id] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		prev = seen
		out = append(out, s)
	}
	return out, nil
}

// Usage is the space a tree takes, every inode counted once however many
// hard links reach it.
type Usage struct {
	Bytes     int64 // apparent size of regular files and symlinks
	DiskBytes int64 // allocated blocks of all inodes, directories included
	Inodes    int64
}

// UsageOf walks dir without following symlinks.
func UsageOf(dir string) (Usage, error) {
	var u Usage
	seen := map[fileID]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		id, ok := idOf(info)
		if ok && seen[id] {
			return nil
		}
		if ok {
			seen[id] = true
		}
		u.Inodes++
		if info.Mode().IsRegular() || info.Mode()&os.ModeSymlink != 0 {
			u.Bytes += info.Size()
		}
		if sys, ok := info.Sys().(*syscall.Stat_t); ok {
			u.DiskBytes += sys.Blocks * 512
		}
		return nil
	})
	return u, err
}

type fileID struct{ dev, ino uint64 }

func idOf(info fs.FileInfo) (fileID, bool) {
	sys, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(sys.Dev), sys.Ino}, true
}
