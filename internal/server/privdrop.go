package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Account is the unprivileged user and group `aula serve` runs as after
// binding its listeners.
type Account struct {
	User, Group string
	UID, GID    int
}

// LookupAccount resolves --user and --group (names or numbers); an empty
// group means the user's primary group.
func LookupAccount(userName, groupName string) (Account, error) {
	u, err := user.Lookup(userName)
	if err != nil {
		if _, nerr := strconv.Atoi(userName); nerr == nil {
			u, err = user.LookupId(userName)
		}
		if err != nil {
			return Account{}, fmt.Errorf("--user %s: %w", userName, err)
		}
	}
	a := Account{User: u.Username}
	if a.UID, err = strconv.Atoi(u.Uid); err != nil {
		return Account{}, fmt.Errorf("--user %s: uid %q is not a number", userName, u.Uid)
	}
	gid := u.Gid
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			if _, nerr := strconv.Atoi(groupName); nerr == nil {
				g, err = user.LookupGroupId(groupName)
			}
			if err != nil {
				return Account{}, fmt.Errorf("--group %s: %w", groupName, err)
			}
		}
		gid = g.Gid
	}
	if a.GID, err = strconv.Atoi(gid); err != nil {
		return Account{}, fmt.Errorf("group id %q is not a number", gid)
	}
	a.Group = gid
	if g, err := user.LookupGroupId(gid); err == nil {
		a.Group = g.Name
	}
	if a.UID == 0 {
		return Account{}, fmt.Errorf("--user %s is root: name an unprivileged account", userName)
	}
	return a, nil
}

// DropPrivileges makes the process a's user and group, with no
// supplementary groups, and checks that root cannot be regained. Go's
// syscall.Setuid applies to every thread of the process on Linux.
func DropPrivileges(a Account) error {
	if os.Geteuid() != 0 {
		if os.Getuid() == a.UID && os.Getgid() == a.GID {
			return nil // already that account (started by systemd's User=)
		}
		return fmt.Errorf("--user %s needs aula serve to start as root (running as uid %d)", a.User, os.Geteuid())
	}
	if err := syscall.Setgroups([]int{a.GID}); err != nil {
		return fmt.Errorf("setgroups(%d): %w", a.GID, err)
	}
	if err := syscall.Setgid(a.GID); err != nil {
		return fmt.Errorf("setgid(%d): %w", a.GID, err)
	}
	if err := syscall.Setuid(a.UID); err != nil {
		return fmt.Errorf("setuid(%d): %w", a.UID, err)
	}
	if os.Getuid() != a.UID || os.Geteuid() != a.UID || os.Getgid() != a.GID || os.Getegid() != a.GID {
		return errors.New("privilege drop did not take effect")
	}
	if err := syscall.Setuid(0); err == nil {
		return errors.New("privilege drop failed: root could be regained")
	}
	return nil
}

// HandOver gives a's user and group everything under dir (dir included)
// that root owns, so that the server can still open files by path (SQLite
// opens its read connections lazily) after dropping privileges. Files
// owned by other accounts are left alone: a module may keep them so on
// purpose. Symbolic links are not followed.
func HandOver(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Uid != 0 {
			return nil
		}
		if err := os.Lchown(path, uid, gid); err != nil {
			return fmt.Errorf("giving %s to uid %d: %w", path, uid, err)
		}
		return nil
	})
}

// OwnerOf returns the uid and gid owning path.
func OwnerOf(path string) (uid, gid int, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, fmt.Errorf("%s: no owner information", path)
	}
	return int(st.Uid), int(st.Gid), nil
}
