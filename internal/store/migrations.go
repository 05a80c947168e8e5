package store

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// migration is one embedded migration file chosen for the current dialect.
type migration struct {
	version int
	name    string // the description part, e.g. "kv"
	file    string
}

// migrationFile matches NNNN_description.sql and NNNN_description.<dialect>.sql.
var migrationFile = regexp.MustCompile(`^([0-9]{1,9})_([A-Za-z0-9_-]+?)(?:\.(sqlite|postgres))?\.sql$`)

// parseMigrations lists the migrations in the root of files for dialect d,
// in version order. A file meant for another dialect is skipped; a version
// with a dialect-specific file uses it instead of the generic one.
func parseMigrations(files fs.FS, d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("store: reading migrations: %w", err)
	}
	generic := map[int]migration{}
	specific := map[int]migration{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_description.sql or NNNN_description.<sqlite|postgres>.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("store: migration file %q: versions start at 1", e.Name())
		}
		mig := migration{version: v, name: m[2], file: e.Name()}
		target := generic
		if m[3] != "" {
			if Dialect(m[3]) != d {
				continue
			}
			target = specific
		}
		if prev, dup := target[v]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q have the same version %d", prev.file, mig.file, v)
		}
		target[v] = mig
	}
	for v, m := range specific {
		generic[v] = m
	}
	out := make([]migration, 0, len(generic))
	for _, m := range generic {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrationID is how a migration is named in messages: "id/0005".
func migrationID(module string, version int) string {
	return fmt.Sprintf("%s/%04d", module, version)
}
