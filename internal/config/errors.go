package config

import (
	"errors"
	"fmt"
	"slices"
)

// ErrHelp is returned by Load when the arguments ask for help (-h, -help,
// --help); the caller prints Usage.
var ErrHelp = errors.New("config: help requested")

// Error is one problem found by Load, at one place.
type Error struct {
	Where string // "/etc/aula.conf:12", "env AULA_X", "flag --x"; "" for Set.Check rules
	Msg   string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// maxErrors bounds what Load reports, so a binary file read by mistake gives
// a readable answer.
const maxErrors = 20

// errorList collects Load's problems.
type errorList struct {
	errs    []error
	dropped int
}

func (l *errorList) add(where, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, &Error{Where: where, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	errs := l.errs
	if l.dropped > 0 {
		errs = append(slices.Clip(errs), fmt.Errorf("... and %d more problems", l.dropped))
	}
	return errors.Join(errs...)
}

// suggest returns the candidate closest to name if it is close enough to
// be a typo of it, else "".
func suggest(name string, candidates []string) string {
	if len(name) > 64 {
		return ""
	}
	best, bestDist := "", 1+len(name)/5
	for _, c := range slices.Sorted(slices.Values(candidates)) {
		if d := editDistance(name, c); d <= bestDist && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean formats a suggestion for the end of a message.
func didYouMean(quoted string) string {
	if quoted == "" {
		return ""
	}
	return " (did you mean " + quoted + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
