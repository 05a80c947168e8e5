// Package snapshot keeps dated, hard-linked copies of one backup client's
// directory and owns that directory's layout:
//
//	<client>/current/            what the client's last rsync wrote
//	<client>/snapshots/<name>/   read-only dated copies of current
//	<client>/.lock               flock held by whoever changes the directory
//
// A snapshot is what `cp -al current snapshots/<name>` makes: directories are
// recreated, regular files are hard links to the inodes in current, symlinks
// are recreated (never followed). rsync replaces a changed file by renaming a
// new inode over it, so the old inode lives on in the snapshots; only a
// metadata change (chmod, utime) is shared with them.
//
// Functions that change a client directory (Take, Prune, Trim) expect the
// caller to hold Lock for that directory.
package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Names inside a client directory.
const (
	CurrentDir   = "current"
	SnapshotsDir = "snapshots"
	LockFile     = ".lock"
	// tempPrefix marks a snapshot being built or deleted; a crash leaves it
	// behind under this name only, and the next Take or Prune removes it.
	tempPrefix = ".tmp-"
)

// ErrBusy is returned by Lock when another process holds the client's lock.
var ErrBusy = errors.New("client directory is busy (another transfer or snapshot holds its lock)")

// Lock takes the exclusive, non-blocking flock on <clientDir>/.lock.
// Closing the returned file releases it. The lock belongs to the open file
// description, so a descriptor inherited across exec keeps it held.
func Lock(clientDir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(clientDir, LockFile),
		os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EWOULDBLOCK {
		f.Close()
		return nil, ErrBusy
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", f.Name(), err)
	}
	return f, nil
}

// realDir reports an error unless path is a directory reached without
// following a symlink in its last component.
func realDir(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink", path)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}
