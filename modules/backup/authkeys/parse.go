package authkeys

import (
	"strings"

	"aula/modules/id/idapi"
)

// commandPrefix and restrictSep frame the forced command of a managed
// line: command="<anything but a quote>",restrict <type> <blob> aula:<uid>.
const (
	commandPrefix = `command="`
	restrictSep   = `",restrict `
)

// parseManaged reads a line that Line wrote (trailing blanks already
// trimmed): its key type, key blob and client uid. It is the regular
// expression
//
//	^command="[^"]*",restrict (\S+) (\S+) aula:([0-9a-f]{40})$
//
// written out by hand (FuzzParseManagedMatchesRegexp holds it to that
// expression): every rewrite of authorized_keys reads every line of the
// file, and matching the expression was about 40% of a rewrite's
// rendering (docs/BENCHMARKS.md, 2026-12-04).
func parseManaged(t string) (typ, blob, uid string, ok bool) {
	rest, found := strings.CutPrefix(t, commandPrefix)
	if !found {
		return "", "", "", false
	}
	q := strings.IndexByte(rest, '"')
	if q < 0 {
		return "", "", "", false
	}
	if rest, found = strings.CutPrefix(rest[q:], restrictSep); !found {
		return "", "", "", false
	}
	typ, rest, found = strings.Cut(rest, " ")
	if !found || !isWord(typ) {
		return "", "", "", false
	}
	blob, rest, found = strings.Cut(rest, " ")
	if !found || !isWord(blob) {
		return "", "", "", false
	}
	uid, found = strings.CutPrefix(rest, CommentPrefix)
	if !found || !idapi.ValidUID(uid) {
		return "", "", "", false
	}
	return typ, blob, uid, true
}

// isWord is the expression \S+: at least one byte, none of them one of
// RE2's white space (tab, newline, form feed, carriage return, space).
func isWord(s string) bool {
	return s != "" && !strings.ContainsAny(s, "\t\n\f\r ")
}

// isManaged reports whether t is a line Line wrote; such a line outside
// the markers is aula's too (moved by hand) and is replaced like the
// block.
func isManaged(t string) bool {
	_, _, _, ok := parseManaged(t)
	return ok
}
