package gate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMessagesNameNoServerPath: what the client reads from a failed
// transfer (real rsync through the gate) names its paths relative to its
// own area, never the server's backup root; whatever message mode the
// client asks for.
func TestMessagesNameNoServerPath(t *testing.T) {
	r := newRig(t)
	r.useRun = true
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRsync("-a", src+"/", "host:")
	for _, mode := range []string{"", "--stderr=client", "--stderr=all", "-v"} {
		args := []string{"-a", "host:nosuch/file", t.TempDir() + "/"}
		if mode != "" {
			args = append([]string{mode}, args...)
		}
		out, err := r.rsync(args...)
		if err == nil {
			t.Fatalf("%s: restoring a missing path succeeded:\n%s", mode, out)
		}
		if strings.Contains(out, r.root) {
			t.Errorf("%s: the client saw the server's path %s:\n%s", mode, r.root, out)
		}
		if !strings.Contains(out, `"current/nosuch"`) {
			t.Errorf("%s: the message does not name the path in the client's area:\n%s", mode, out)
		}
	}
	// A backup into a path that cannot be made (a file is in the way): the
	// receiver's messages are rewritten too.
	out, err := r.rsync("-av", src+"/", "host:f/sub/")
	if err == nil || strings.Contains(out, r.root) {
		t.Fatalf("backup over a file: err %v, output:\n%s", err, out)
	}
}

func TestRelative(t *testing.T) {
	p := &Plan{ClientDir: "/srv/aula/backup/" + testUID}
	for in, want := range map[string]string{
		`change_dir "/srv/aula/backup/` + testUID + `/current/x" failed`: `change_dir "current/x" failed`,
		"mkdir /srv/aula/backup/" + testUID + ": denied":                 "mkdir .: denied",
		"nothing to hide": "nothing to hide",
	} {
		if got := p.Relative(in); got != want {
			t.Errorf("Relative(%q) = %q, want %q", in, got, want)
		}
	}
	inner := refuse("x")
	err := p.clientError(errors.Join(errors.New("at /srv/aula/backup/"+testUID+"/current"), inner))
	var re *RefusedError
	if !errors.As(err, &re) || strings.Contains(err.Error(), "/srv/") {
		t.Fatalf("clientError: %v", err)
	}
}
