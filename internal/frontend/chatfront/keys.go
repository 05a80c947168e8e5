package chatfront

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"aula/internal/wire/chat"
)

// keyring holds the client magics: those of the config (fixed for the
// process) and those of the magic file, re-read when the file changes.
// Each client's magic is its own entry, so rewriting one line of the file
// rotates that client's magic and leaves the others working.
type keyring struct {
	fixed []chat.Key
	file  string

	mu      sync.Mutex
	keys    []chat.Key // fixed + file, sorted by name
	stamp   fileStamp
	checked time.Time
	warn    func(msg string, args ...any)
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// recheck is how often the magic file is looked at (a stat per request
// would cost more than the digest).
const recheck = time.Second

func newKeyring(conf map[string]string, file string, warn func(string, ...any)) (*keyring, error) {
	k := &keyring{file: file, warn: warn}
	for name, magic := range conf {
		if err := checkKey(name, magic); err != nil {
			return nil, fmt.Errorf("--chat-magic: %w", err)
		}
		k.fixed = append(k.fixed, chat.Key{Name: name, Magic: magic})
	}
	if file == "" {
		k.keys = sortKeys(k.fixed)
		return k, nil
	}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// current returns the keys, re-reading the magic file if it changed. A
// file that became unreadable or bad keeps the previous keys (logged).
func (k *keyring) current() []chat.Key {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.file != "" && time.Since(k.checked) >= recheck {
		k.checked = time.Now()
		if st, err := os.Stat(k.file); err == nil && (fileStamp{st.ModTime(), st.Size()}) != k.stamp {
			if err := k.reloadLocked(); err != nil {
				k.warn("chat magic file not reloaded; the previous magics stay in force", "err", err)
			}
		}
	}
	return k.keys
}

func (k *keyring) reload() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checked = time.Now()
	return k.reloadLocked()
}

func (k *keyring) reloadLocked() error {
	f, err := os.Open(k.file)
	if err != nil {
		return fmt.Errorf("chat magic file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("chat magic file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("chat magic file %s: mode %04o lets others read it; want 0600", k.file, st.Mode().Perm())
	}
	if st.Size() > 1<<20 {
		return fmt.Errorf("chat magic file %s: over 1 MiB", k.file)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return fmt.Errorf("chat magic file: %w", err)
	}
	fromFile, err := parseMagics(k.file, buf.String())
	if err != nil {
		return err
	}
	keys := append([]chat.Key(nil), k.fixed...)
	for _, fk := range fromFile {
		for _, c := range k.fixed {
			if c.Name == fk.Name {
				return fmt.Errorf("chat magic file %s: client %q is also in the config", k.file, fk.Name)
			}
		}
		keys = append(keys, fk)
	}
	k.keys, k.stamp = sortKeys(keys), fileStamp{st.ModTime(), st.Size()}
	return nil
}

// parseMagics reads `name = magic` lines (":" works too); # and ; start
// comments. Errors name the line but never echo a magic.
func parseMagics(path, text string) ([]chat.Key, error) {
	var out []chat.Key
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: want `name = magic`", path, n)
		}
		name, magic := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if err := checkKey(name, magic); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s:%d: client %q listed twice", path, n, name)
		}
		seen[name] = true
		out = append(out, chat.Key{Name: name, Magic: magic})
	}
	return out, nil
}

func checkKey(name, magic string) error {
	if name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("client name %q: want one word", name)
	}
	if magic == "" {
		return fmt.Errorf("client %q: empty magic", name)
	}
	return nil
}

func sortKeys(keys []chat.Key) []chat.Key {
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys
}
