package gate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// verify walks every target from the client directory down with Lstat and
// refuses a symlink anywhere on the way, the client directory included. A
// component that does not exist yet ends the walk: rsync creates it, and
// while the gate holds the client's lock nobody else writes there. Run
// calls verify again under that lock.
func (p *Plan) verify() error {
	st, err := os.Lstat(p.ClientDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if p.Mode == Restore {
			return refuse("nothing backed up yet")
		}
		return nil
	case err != nil:
		return fmt.Errorf("client directory: %w", err)
	case st.Mode()&os.ModeSymlink != 0:
		return refuse("client directory is a symlink")
	case !st.IsDir():
		return refuse("client directory is not a directory")
	}
	for _, target := range p.Targets {
		if err := walkNoSymlink(p.ClientDir, target); err != nil {
			return err
		}
	}
	return nil
}

func walkNoSymlink(client, target string) error {
	rel, err := filepath.Rel(client, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return refuse("path escapes the client directory")
	}
	cur := client
	parts := strings.Split(rel, string(filepath.Separator))
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", cur, err)
		}
		shown := strings.Join(parts[:i+1], "/")
		if st.Mode()&os.ModeSymlink != 0 {
			return refuse("%q is a symlink", shown)
		}
		if i < len(parts)-1 && !st.IsDir() {
			return refuse("%q is not a directory", shown)
		}
	}
	return nil
}
