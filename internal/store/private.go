package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// CheckPrivate returns an error unless dir is a directory that only its
// owner can enter, read or write (no group or other permission bits). The
// data directory holds every secret aula keeps, so aula refuses to start on
// a directory others can look into.
func CheckPrivate(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{Kind: KindOther, Path: dir, Msg: "data directory does not exist", Err: err}
		}
		return &Error{Kind: KindOther, Path: dir, Msg: "cannot inspect data directory", Err: err}
	}
	if !fi.IsDir() {
		return &Error{Kind: KindOther, Path: dir, Msg: "data directory is not a directory"}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &Error{Kind: KindNotPrivate, Path: dir, Msg: fmt.Sprintf(
			"data directory has mode %04o: group or others can access it; run `chmod 700 %s` and restart", perm, dir)}
	}
	return nil
}
