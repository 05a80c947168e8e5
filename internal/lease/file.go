package lease

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxFileSize bounds a lease file or TCP 191 reply read into memory: a
// Canonical JSON file for 100,000 laptops at ~650 bytes each fits.
const MaxFileSize = 128 << 20

// Format is how a lease file is laid out.
type Format uint8

// Lease file formats.
const (
	FormatBare  Format = iota + 1 // lines, each ending in "\n"
	FormatCJSON                   // [1,{"SN":"lines",...}]
)

// Entry is one line of a lease file and the 1-based line of the file it
// starts on (in CJSON, values hold raw newlines, so lines are real lines).
type Entry struct {
	LineNo int
	Line   *Line
}

// File is a parsed lease file.
type File struct {
	Format  Format
	Entries []Entry
}

// LineError is a line of a lease file that did not parse.
type LineError struct {
	LineNo int
	Err    error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.LineNo, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadLeaseFile parses a lease file or TCP 191 reply: Canonical JSON when it
// starts with [1,{" (the XO's own test) or is exactly [1,{}], else bare lines.
// A malformed CJSON structure fails as a whole (nil File). Otherwise the File
// holds every good line and the error, if any, joins one *LineError per bad
// line, so an import can report all of them at once.
func ReadLeaseFile(b []byte) (*File, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("lease file is %d bytes, limit %d", len(b), MaxFileSize)
	}
	if bytes.HasPrefix(b, []byte(cjsonMagic)) || string(b) == "[1,{}]" {
		return readCJSONFile(b)
	}
	if len(b) > 0 && b[0] == '[' {
		return nil, errors.New(`lease file starts with "[" but not with [1,{" as Canonical JSON lease files do`)
	}
	f := &File{Format: FormatBare}
	var errs []error
	for lineNo, rest := 1, b; len(rest) > 0; lineNo++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			errs = append(errs, &LineError{lineNo, errors.New(`last line does not end in "\n"`)})
			break
		}
		if l, err := ParseLine(rest[:i+1]); err != nil {
			errs = append(errs, &LineError{lineNo, err})
		} else {
			f.Entries = append(f.Entries, Entry{LineNo: lineNo, Line: l})
		}
		rest = rest[i+1:]
	}
	return f, errors.Join(errs...)
}

// ReadLeaseFileFrom reads at most MaxFileSize bytes from r and parses them.
func ReadLeaseFileFrom(r io.Reader) (*File, error) {
	b, err := readAllLimit(r, MaxFileSize, "lease file")
	if err != nil {
		return nil, err
	}
	return ReadLeaseFile(b)
}

func readCJSONFile(b []byte) (*File, error) {
	pairs, err := readCJSON(b)
	if err != nil {
		return nil, err
	}
	f := &File{Format: FormatCJSON}
	var errs []error
	for _, kv := range pairs {
		base := lineNumber(b, kv.offset)
		if !ValidSerial(kv.key) {
			errs = append(errs, &LineError{base, fieldErr("CJSON key", kv.key, "want a serial number")})
			continue
		}
		if kv.value == "" {
			errs = append(errs, &LineError{base, fmt.Errorf("no lease lines for %s", kv.key)})
			continue
		}
		for lineNo, rest := base, kv.value; len(rest) > 0; lineNo++ {
			i := strings.IndexByte(rest, '\n')
			if i < 0 {
				errs = append(errs, &LineError{lineNo, fmt.Errorf(`value for %s does not end in "\n"`, kv.key)})
				break
			}
			l, err := ParseLine([]byte(rest[:i+1]))
			switch {
			case err != nil:
				errs = append(errs, &LineError{lineNo, err})
			case l.Serial != kv.key:
				errs = append(errs, &LineError{lineNo, fmt.Errorf("%w: %s line for %q under key %s", ErrWrongLaptop, l.Kind, l.Serial, kv.key)})
			default:
				f.Entries = append(f.Entries, Entry{LineNo: lineNo, Line: l})
			}
			rest = rest[i+1:]
		}
	}
	return f, errors.Join(errs...)
}

// Lines returns the file's lines in order.
func (f *File) Lines() []*Line {
	out := make([]*Line, len(f.Entries))
	for i, e := range f.Entries {
		out[i] = e.Line
	}
	return out
}

// Bytes serialises the file in its Format; a file read without error comes
// back byte for byte.
func (f *File) Bytes() ([]byte, error) {
	if f.Format == FormatCJSON {
		return WriteCJSON(f.Lines())
	}
	return WriteBare(f.Lines()), nil
}

// WriteBare concatenates the lines, each ending in "\n".
func WriteBare(lines []*Line) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l.String())
	}
	return b.Bytes()
}

// WriteCJSON writes a Canonical JSON lease file as format_as_cjson_leases.py
// does: one key per SN, sorted, its value all of that SN's lines in the
// order given. Bare delegations carry no SN and cannot be written this way.
func WriteCJSON(lines []*Line) ([]byte, error) {
	bySN := make(map[string][]byte)
	for _, l := range lines {
		if !ValidSerial(l.Serial) {
			return nil, fmt.Errorf("CJSON: %s line has no valid SN to file it under", l.Kind)
		}
		bySN[l.Serial] = append(bySN[l.Serial], l.String()...)
	}
	keys := make([]string, 0, len(bySN))
	for k := range bySN {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []byte("[1,{")
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendCJSONString(out, k)
		out = append(out, ':')
		out = appendCJSONString(out, string(bySN[k]))
	}
	return append(out, "}]"...), nil
}
