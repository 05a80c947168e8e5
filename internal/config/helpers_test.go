package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// demo is an option set shaped like aula's: core options at the top level,
// a backup module with a section, an id module with an alias and a
// free-form section, and a secret.
type demo struct {
	s        *Set
	listen   *Opt[string]
	debug    *Opt[bool]
	workers  *Opt[int]
	timeout  *Opt[time.Duration]
	admins   *Opt[[]string]
	mode     *Opt[string]
	maxc     *Opt[int]
	rsyncBW  *Opt[int]
	jabber   *Opt[string]
	idConfig *Opt[map[string]string]
	password *Opt[string]
}

func newDemo() *demo {
	d := &demo{}
	d.s = NewSet().Declare(func(s *Set) {
		s.Alias("main")
		d.listen = s.String("listen", ":8000", "address of the main HTTP listener (REST, XML-RPC, /api); empty turns it off")
		d.debug = s.Bool("debug", false, "send internal error details to clients")
		d.workers = s.Int("workers", 4, "request workers").Validate(func(n int) error {
			if n < 1 {
				return errors.New("must be at least 1")
			}
			return nil
		})
		d.timeout = s.Duration("timeout", 30*time.Second, "how long a request may take")
		d.admins = s.List("admin", []string{"root"}, "users allowed to administer")
		d.mode = s.String("mode", "school", "what this server is").Choices("school", "lab", "app")
		d.password = s.String("db-password", "", "database password").Secret()
	}, func(s *Set) {
		b := s.Section("backup")
		d.maxc = b.Int("max-concurrent", 10, "most backups running at once")
		d.rsyncBW = b.Section("rsync").Int("bwlimit", 0, "rsync --bwlimit in KiB/s; 0 means none")
	}, func(s *Set) {
		id := s.Section("id").Alias("client")
		d.jabber = id.String("jabber-server", "", "XMPP host handed to registering clients")
		d.idConfig = id.Map("config", "sugar-client options handed to registering clients")
	})
	return d
}

// files writes name -> content into a temp dir and returns the paths by name.
func files(t *testing.T, contents map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, content := range contents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// mustLoad loads src and fails the test on error.
func mustLoad(t *testing.T, s *Set, src Sources) []string {
	t.Helper()
	rest, err := s.Load(src)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return rest
}

// loadErr loads src and returns the error text, failing if there is none.
func loadErr(t *testing.T, s *Set, src Sources) string {
	t.Helper()
	_, err := s.Load(src)
	if err == nil {
		t.Fatal("Load: no error")
	}
	return err.Error()
}

// text is the current value of option name as Lookup reports it.
func text(t *testing.T, s *Set, name string) string {
	t.Helper()
	info, ok := s.Lookup(name)
	if !ok {
		t.Fatalf("no option %q", name)
	}
	return info.Text
}

// oneFile is the Sources of a single system file holding content.
func oneFile(t *testing.T, content string) Sources {
	t.Helper()
	return Sources{SystemFile: files(t, map[string]string{"aula.conf": content})["aula.conf"]}
}

func ExampleSet() {
	s := NewSet()
	listen := s.String("listen", ":8000", "address of the main HTTP listener")
	b := s.Section("backup")
	maxc := b.Int("max-concurrent", 10, "most backups running at once")

	rest, err := s.Load(Sources{
		Args: []string{"--listen=:9000", "status"},
		Env:  []string{"AULA_BACKUP_MAX_CONCURRENT=4", "HOME=/root"},
	})
	fmt.Println(listen.Get(), maxc.Get(), rest, err)
	fmt.Println(s.Origin("backup-max-concurrent"))
	// Output:
	// :9000 4 [status] <nil>
	// env AULA_BACKUP_MAX_CONCURRENT
}
