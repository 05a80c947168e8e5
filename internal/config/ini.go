package config

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxFileSize is the largest config file Load reads. Config files are
// written by admins, but a mistaken path (a log, a disk image) must not eat
// the server's memory.
const MaxFileSize = 1 << 20

// iniEntry is one meaningful line of a config file: a [section] header or a
// key = value line within the section named by the last header.
type iniEntry struct {
	line    int
	section string // lower-cased; "" before any header
	header  bool   // a [section] line; key and value are empty
	key     string // as written (trimmed), not yet lower-cased
	value   string // trimmed and, if quoted, unquoted
	quoted  bool   // the value was written as a Go-quoted string
}

// iniError is a syntax error at one line.
type iniError struct {
	line int
	msg  string
}

// parseINI splits a config file into entries. It knows nothing of options:
// only the syntax. Lines after a broken section header are skipped until
// the next good header, so one typo gives one error, not one per line.
func parseINI(data []byte) ([]iniEntry, []iniError) {
	text := strings.TrimPrefix(string(data), "\uFEFF")
	var (
		entries []iniEntry
		errs    []iniError
		section string
		skip    bool
	)
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			name, msg := parseHeader(line)
			if msg != "" {
				errs = append(errs, iniError{n, msg})
				skip = true
				continue
			}
			section, skip = name, false
			entries = append(entries, iniEntry{line: n, section: section, header: true})
			continue
		}
		if skip {
			continue
		}
		cut := strings.IndexAny(line, "=:")
		if cut < 0 {
			errs = append(errs, iniError{n, fmt.Sprintf(`expected "name = value", got %s`, clip(line))})
			continue
		}
		key := strings.TrimSpace(line[:cut])
		if key == "" {
			errs = append(errs, iniError{n, fmt.Sprintf("missing name before %q", line[cut])})
			continue
		}
		e := iniEntry{line: n, section: section, key: key, value: strings.TrimSpace(line[cut+1:])}
		if v := e.value; len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			unq, err := strconv.Unquote(v)
			if err != nil {
				errs = append(errs, iniError{n, fmt.Sprintf("bad quoted value %s (Go string syntax)", clip(v))})
				continue
			}
			e.value, e.quoted = unq, true
		}
		entries = append(entries, e)
	}
	return entries, errs
}

// parseHeader reads "[name]" and returns the lower-cased name or a message.
func parseHeader(line string) (string, string) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", fmt.Sprintf("section header %s has no closing ]", clip(line))
	}
	if rest := strings.TrimSpace(line[end+1:]); rest != "" {
		return "", fmt.Sprintf("text %s after section header", clip(rest))
	}
	name := strings.ToLower(strings.TrimSpace(line[1:end]))
	if name == "" {
		return "", "empty section name []"
	}
	return name, ""
}

// clip quotes s for an error message, shortened so that a binary file
// read by mistake does not flood the terminal.
func clip(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
