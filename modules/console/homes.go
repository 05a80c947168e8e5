package console

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"aula/internal/core"
)

// userRE is aula's user name rule (modules/auth); it also keeps a name
// safe as a path element.
var userRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

func checkUser(name string) error {
	if !userRE.MatchString(name) || name == "local-admin" || name == "anonymous" {
		return core.Errorf(core.KindInvalid, "user %q: want an aula user name (1-64 letters, digits and . _ @ -)", name)
	}
	return nil
}

// home returns the user's console directory, made on first use: mode
// 0700, owned by the user's uid when consoles get uids of their own.
func (m *Module) home(user string, uid int) (string, error) {
	dir := filepath.Join(m.dir, "home", user)
	if err := os.MkdirAll(filepath.Join(m.dir, "home"), 0o711); err != nil {
		return "", err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, uid); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// uidOf gives each user a uid of its own, from --console-base-uid up, kept
// in <dir>/uids so that it stays the same across restarts (the files in
// the user's directory are owned by it). -1 when aula is not root: then
// every console runs as aula's uid.
func (m *Module) uidOf(user string) (int, error) {
	if os.Geteuid() != 0 {
		return -1, nil
	}
	m.uidMu.Lock()
	defer m.uidMu.Unlock()
	path := filepath.Join(m.dir, "uids")
	uids, err := readUIDs(path)
	if err != nil {
		return 0, err
	}
	if uid, ok := uids[user]; ok {
		return uid, nil
	}
	next := m.opts.baseUID.Get()
	for _, u := range uids {
		next = max(next, u+1)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	if _, err := fmt.Fprintf(f, "%s %d\n", user, next); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	return next, f.Close()
}

func readUIDs(path string) (map[string]int, error) {
	uids := map[string]int{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return uids, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want `user uid`", path, n)
		}
		uid, err := strconv.Atoi(fields[1])
		if err != nil || uid <= 0 {
			return nil, fmt.Errorf("%s:%d: bad uid %q", path, n, fields[1])
		}
		uids[fields[0]] = uid
	}
	return uids, sc.Err()
}
