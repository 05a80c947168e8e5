package activation

import (
	"errors"
	"fmt"

	"aula/internal/core"
	"aula/internal/lease"
)

// ImportArgs carries lease or delegation lines to import: either a whole
// file as Content (bare lines or Canonical JSON), or single Lines (each
// ending in "\n") with the file line numbers they came from, which is how
// the CLI sends big files in pieces.
type ImportArgs struct {
	Source  string   `json:"source"`            // file name, for messages
	Content string   `json:"content,omitempty"` // a whole lease file
	Lines   []string `json:"lines,omitempty"`
	LineNos []int    `json:"line_nos,omitempty"` // parallel to Lines; default 1, 2, ...
	// Serial names the laptop of bare "sig02:" delegation lines, which do
	// not name it themselves (delegation import only).
	Serial string `json:"serial,omitempty"`
}

// LineProblem is one line that was not imported, and why.
type LineProblem struct {
	Source string `json:"source"`
	Line   int    `json:"line"` // 0: the file as a whole
	Serial string `json:"serial,omitempty"`
	Error  string `json:"error"`
}

// ImportReply says what an import did.
type ImportReply struct {
	Imported   int           `json:"imported"`   // lines stored
	Duplicates int           `json:"duplicates"` // already stored (or, for delegations, not newer)
	Unverified int           `json:"unverified"` // stored without a signature check (no trusted key or unknown UUID)
	Problems   []LineProblem `json:"problems"`
	// More counts problems left out of Problems to keep the reply small.
	More int `json:"more_problems"`
}

// Import limits: the CLI sends at most maxCallLines per call.
const (
	maxCallLines    = 20000
	maxProblemsSent = 1000
)

func (r *ImportReply) problem(source string, line int, serial string, err error) {
	if len(r.Problems) >= maxProblemsSent {
		r.More++
		return
	}
	r.Problems = append(r.Problems, LineProblem{Source: source, Line: line, Serial: serial, Error: err.Error()})
}

// entries parses the lines an ImportArgs carries, reporting unparsable
// ones in r.
func (in ImportArgs) entries(r *ImportReply) ([]lease.Entry, error) {
	if in.Source == "" {
		in.Source = "(input)"
	}
	switch {
	case in.Content != "" && len(in.Lines) > 0:
		return nil, core.Errorf(core.KindInvalid, "give content or lines, not both")
	case len(in.Lines) > maxCallLines:
		return nil, core.Errorf(core.KindInvalid, "%d lines in one call, limit %d", len(in.Lines), maxCallLines)
	case len(in.LineNos) > 0 && len(in.LineNos) != len(in.Lines):
		return nil, core.Errorf(core.KindInvalid, "line_nos has %d numbers for %d lines", len(in.LineNos), len(in.Lines))
	}
	if in.Content != "" {
		f, err := lease.ReadLeaseFile([]byte(in.Content))
		if f == nil {
			return nil, core.Errorf(core.KindInvalid, "%s: %v", in.Source, err)
		}
		var le *lease.LineError
		for _, e := range unjoin(err) {
			if errors.As(e, &le) {
				r.problem(in.Source, le.LineNo, "", le.Err)
			} else {
				r.problem(in.Source, 0, "", e)
			}
		}
		return f.Entries, nil
	}
	out := make([]lease.Entry, 0, len(in.Lines))
	for i, text := range in.Lines {
		no := i + 1
		if len(in.LineNos) > 0 {
			no = in.LineNos[i]
		}
		l, err := lease.ParseLine([]byte(text))
		if err != nil {
			r.problem(in.Source, no, "", err)
			continue
		}
		out = append(out, lease.Entry{LineNo: no, Line: l})
	}
	return out, nil
}

// unjoin splits an errors.Join result into its parts.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func validSerialArg(sn string) error {
	if !lease.ValidSerial(sn) {
		return core.Errorf(core.KindInvalid, "serial %q: want 1-%d characters A-Z 0-9", sn, lease.MaxSerialLen)
	}
	return nil
}

func expiredErr(s lease.Stamp) error { return fmt.Errorf("expired at %s", s) }
