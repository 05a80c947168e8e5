package server

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// WritePidfile writes the process id to path, refusing if the file names
// another live process (a second server on the same pidfile). A stale file
// left by a crash is replaced. The returned function removes the file if it
// still holds this process's id; after a privilege drop that may no longer
// be allowed, which is harmless.
func WritePidfile(path string) (remove func(), err error) {
	if old, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(string(bytes.TrimSpace(old))); err == nil && pid > 0 && pid != os.Getpid() {
			if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
				return nil, fmt.Errorf("pidfile %s: process %d is running (another aula serve?); remove the file if it is not aula", path, pid)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	me := []byte(strconv.Itoa(os.Getpid()) + "\n")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".aula-pid-*")
	if err != nil {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(me); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	return func() {
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, me) {
			os.Remove(path)
		}
	}, nil
}
