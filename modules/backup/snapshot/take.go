package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Taken describes a snapshot that Take made.
type Taken struct {
	Name     string
	Path     string
	Dirs     int
	Files    int // regular files, hard-linked (or copied, see Copied)
	Copied   int // files copied because the inode had too many links (EMLINK)
	Symlinks int
	Skipped  []string // devices, fifos, sockets: paths relative to current
}

// Take snapshots <clientDir>/current into <clientDir>/snapshots/<name>,
// name from now (UTC minute, "-NN" appended when the minute is taken). The
// tree is built under a temp name and renamed into place, so a crash never
// leaves a partial snapshot under a real name. The caller holds Lock.
func Take(clientDir string, now time.Time) (Taken, error) {
	cur := filepath.Join(clientDir, CurrentDir)
	if err := realDir(cur); err != nil {
		return Taken{}, fmt.Errorf("snapshot source: %w", err)
	}
	snaps := filepath.Join(clientDir, SnapshotsDir)
	if err := os.Mkdir(snaps, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return Taken{}, fmt.Errorf("create snapshots dir: %w", err)
	}
	if err := realDir(snaps); err != nil {
		return Taken{}, fmt.Errorf("snapshots dir: %w", err)
	}
	if err := removeTemps(snaps); err != nil {
		return Taken{}, err
	}
	name, err := freeName(snaps, now)
	if err != nil {
		return Taken{}, err
	}
	tmp := filepath.Join(snaps, tempPrefix+name)
	t := Taken{Name: name, Path: filepath.Join(snaps, name)}
	if err := copyDir(cur, tmp, "", &t); err != nil {
		_ = removeTree(tmp)
		return Taken{}, err
	}
	if err := os.Rename(tmp, t.Path); err != nil {
		_ = removeTree(tmp)
		return Taken{}, fmt.Errorf("publish snapshot: %w", err)
	}
	if err := syncDir(snaps); err != nil {
		return t, err
	}
	return t, nil
}

// freeName picks the first unused name for now's minute.
func freeName(snaps string, now time.Time) (string, error) {
	for n := 0; n <= maxSameMinute; n++ {
		name := FormatName(now, n)
		if _, err := os.Lstat(filepath.Join(snaps, name)); errors.Is(err, os.ErrNotExist) {
			return name, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("more than %d snapshots in minute %s", maxSameMinute+1, FormatName(now, 0))
}

// copyDir recreates src at dst: directories made, regular files linked,
// symlinks recreated, anything else skipped. rel is src relative to current.
func copyDir(src, dst, rel string, t *Taken) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	// Owner-writable while filling; the real mode is set once it is full,
	// so a read-only directory can still be populated.
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	t.Dirs++
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		sp, dp := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		er := filepath.Join(rel, e.Name())
		switch typ := e.Type(); {
		case typ.IsDir():
			err = copyDir(sp, dp, er, t)
		case typ.IsRegular():
			err = linkFile(sp, dp, t)
		case typ&os.ModeSymlink != 0:
			err = copySymlink(sp, dp, t)
		default:
			t.Skipped = append(t.Skipped, er)
		}
		if err != nil {
			return err
		}
	}
	if err := os.Chmod(dst, st.Mode()&(os.ModePerm|os.ModeSetgid|os.ModeSticky)); err != nil {
		return err
	}
	return copyTimes(dst, st, 0)
}

func linkFile(src, dst string, t *Taken) error {
	err := os.Link(src, dst)
	if err == nil {
		t.Files++
		return nil
	}
	var le *os.LinkError
	if !errors.As(err, &le) || le.Err != syscall.EMLINK {
		return err
	}
	// The inode hit the file system's link limit: a private copy keeps the
	// snapshot complete at the cost of its space.
	if err := copyFile(src, dst); err != nil {
		return err
	}
	t.Files++
	t.Copied++
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(dst, st.Mode().Perm()); err != nil {
		return err
	}
	return copyTimes(dst, st, 0)
}

func copySymlink(src, dst string, t *Taken) error {
	target, err := os.Readlink(src)
	if err != nil {
		return err
	}
	if err := os.Symlink(target, dst); err != nil {
		return err
	}
	t.Symlinks++
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	return copyTimes(dst, st, unix.AT_SYMLINK_NOFOLLOW)
}

// copyTimes gives dst the atime and mtime of st (flags may say not to
// follow a symlink).
func copyTimes(dst string, st os.FileInfo, flags int) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	ts := []unix.Timespec{
		{Sec: sys.Atim.Sec, Nsec: sys.Atim.Nsec},
		{Sec: sys.Mtim.Sec, Nsec: sys.Mtim.Nsec},
	}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, flags); err != nil {
		return &os.PathError{Op: "utimensat", Path: dst, Err: err}
	}
	return nil
}

// removeTemps deletes leftovers of interrupted Take or Prune runs.
func removeTemps(snaps string) error {
	entries, err := os.ReadDir(snaps)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := removeTree(filepath.Join(snaps, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
