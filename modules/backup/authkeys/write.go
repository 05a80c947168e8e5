package authkeys

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Render returns the new file content: the lines of existing that aula does
// not manage, in order, with the managed block (entries sorted by uid) where
// the old block began, or at the end.
func Render(existing []byte, entries []Entry, gate string) ([]byte, []Skipped, error) {
	if err := CheckGateCommand(gate); err != nil {
		return nil, nil, err
	}
	var kept []string
	blockAt := -1
	foreign := map[string]bool{} // key blobs of lines aula does not manage
	if len(existing) > 0 {
		for _, l := range strings.Split(strings.TrimSuffix(string(existing), "\n"), "\n") {
			t := strings.TrimRight(l, " \t\r")
			switch {
			case t == BeginMarker || isManaged(t):
				if blockAt < 0 {
					blockAt = len(kept)
				}
			case t == EndMarker:
			default:
				kept = append(kept, l)
				for _, f := range strings.Fields(t) {
					foreign[f] = true
				}
			}
		}
	}
	if blockAt < 0 {
		blockAt = len(kept)
	}
	lines, skipped := managedLines(entries, gate, foreign)
	size := len(BeginMarker) + len(EndMarker) + 2
	for _, l := range kept {
		size += len(l) + 1
	}
	for _, l := range lines {
		size += len(l) + 1
	}
	var out bytes.Buffer
	out.Grow(size) // tens of thousands of lines: grown once, not doubled a dozen times
	put := func(ls ...string) {
		for _, l := range ls {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	put(kept[:blockAt]...)
	put(BeginMarker)
	put(lines...)
	put(EndMarker)
	put(kept[blockAt:]...)
	return out.Bytes(), skipped, nil
}

// managedLines renders entries' lines with gate, which Render checked.
func managedLines(entries []Entry, gate string, foreign map[string]bool) ([]string, []Skipped) {
	type rendered struct{ uid, blob, line string }
	var ok []rendered
	var skipped []Skipped
	owner := map[string]string{} // blob -> uid that has it
	for _, e := range entries {
		text, blob, err := checkedLine(e, gate)
		if err != nil {
			skipped = append(skipped, Skipped{e.UID, err.Error()})
			continue
		}
		switch prev, dup := owner[blob]; {
		case dup && prev == e.UID:
			continue // the same registration twice
		case dup:
			skipped = append(skipped, Skipped{e.UID, "key already registered for " + prev})
			continue
		case foreign[blob]:
			// sshd takes the first line with a key: never let a client's
			// line shadow, or be shadowed by, one aula does not manage.
			skipped = append(skipped, Skipped{e.UID, "key is also in a line aula does not manage"})
			continue
		}
		owner[blob] = e.UID
		ok = append(ok, rendered{e.UID, blob, text})
	}
	sort.Slice(ok, func(i, j int) bool {
		if ok[i].uid != ok[j].uid {
			return ok[i].uid < ok[j].uid
		}
		return ok[i].blob < ok[j].blob
	})
	lines := make([]string, len(ok))
	for i, r := range ok {
		lines[i] = r.line
	}
	return lines, skipped
}

// Write rewrites the authorized_keys file at path with entries (see
// Render) atomically, as WriteContent does. A symlink at path is refused,
// not followed.
func Write(path string, entries []Entry, gate string, owner *Owner) ([]Skipped, error) {
	existing, err := Read(path)
	if err != nil {
		return nil, err
	}
	content, skipped, err := Render(existing, entries, gate)
	if err != nil {
		return nil, err
	}
	if err := WriteContent(path, content, owner); err != nil {
		return nil, err
	}
	return skipped, nil
}

// WriteContent replaces the file at path with content (what Render
// returned for the file Read gave) atomically: a temp file in the same
// directory, written, fsynced, chmod 0600, chowned to owner if given,
// renamed over path, then the directory fsynced.
func WriteContent(path string, content []byte, owner *Owner) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".authorized_keys.aula-*")
	if err != nil {
		return fmt.Errorf("authorized_keys temp file: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(content); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if owner != nil {
		if err := f.Chown(owner.UID, owner.GID); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
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

// Read returns the file at path as Render takes it: nil when there is
// none, an error when it is not a regular file (a symlink is refused, not
// followed). It has no size cap: the file is the backup account's own,
// written by aula (and maybe edited by the admin), and a district has
// tens of thousands of laptops, each a line.
func Read(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, st.Mode().Type())
	}
	return os.ReadFile(path)
}

// Managed reads back the entries of aula's lines in the file at path.
func Managed(path string) ([]Entry, error) {
	b, err := Read(path)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, l := range strings.Split(string(b), "\n") {
		if typ, blob, uid, ok := parseManaged(strings.TrimRight(l, " \t\r")); ok {
			out = append(out, Entry{UID: uid, KeyType: typ, Blob: blob})
		}
	}
	return out, nil
}
