package acl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Limits on a policy file. A policy is written by an administrator, but it
// is still bytes read from disk at every reload, so it is bounded.
const (
	MaxPolicySize = 1 << 20 // bytes in a whole file
	MaxLineLen    = 4096    // bytes in one line
	MaxRules      = 10000
)

// Policy is a parsed, immutable policy file.
type Policy struct {
	name  string
	rules []rule
}

type rule struct {
	allow   bool
	who     []who
	methods []pattern
	from    []netip.Prefix
	pos     string // "file:line"
	text    string // the rule with whitespace normalised and comment removed
}

func (r *rule) String() string { return r.pos + ": " + r.text }

type whoKind uint8

const (
	whoAny whoKind = iota
	whoAnonymous
	whoAuthenticated
	whoUser
	whoCert
	whoGroup
)

type who struct {
	kind whoKind
	name string
}

// ParseError is a problem at one line of a policy file.
type ParseError struct {
	File string
	Line int // 0 when the problem is the whole file (e.g. its size)
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Parse reads a policy; name is used in error messages and in
// Decision.Rule (normally the file path). A file with no rules is valid:
// every decision then falls to the methods' defaults.
func Parse(r io.Reader, name string) (*Policy, error) {
	p := &Policy{name: name}
	cr := &countingReader{r: io.LimitReader(r, MaxPolicySize+1)}
	br := bufio.NewReaderSize(cr, MaxLineLen+1)
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if cr.n > MaxPolicySize {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("file larger than %d bytes", MaxPolicySize)}
		}
		if errors.Is(err, errLineTooLong) {
			return nil, &ParseError{File: name, Line: lineNo, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineLen)}
		}
		if err != nil && err != io.EOF {
			return nil, &ParseError{File: name, Line: lineNo, Msg: "read: " + err.Error()}
		}
		if ru, perr := parseLine(line); perr != nil {
			return nil, &ParseError{File: name, Line: lineNo, Msg: perr.Error()}
		} else if ru != nil {
			if len(p.rules) == MaxRules {
				return nil, &ParseError{File: name, Line: lineNo, Msg: fmt.Sprintf("more than %d rules", MaxRules)}
			}
			ru.pos = fmt.Sprintf("%s:%d", name, lineNo)
			p.rules = append(p.rules, *ru)
		}
		if err == io.EOF {
			return p, nil
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

var errLineTooLong = errors.New("line too long")

// readLine returns one line without its "\n" (or "\r\n"); io.EOF comes with
// the last, possibly empty, line.
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", errLineTooLong
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if len(s) > MaxLineLen {
		return "", errLineTooLong
	}
	return s, err
}

// parseLine returns nil, nil for blank and comment lines.
func parseLine(line string) (*rule, error) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	for _, c := range line {
		if c < ' ' && c != '\t' || c == 0x7f {
			return nil, fmt.Errorf("control character %q in rule", c)
		}
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil, nil
	}
	if len(f) != 3 && len(f) != 5 {
		return nil, fmt.Errorf("want 'allow|deny WHO METHOD [from CIDR,...]', got %d fields", len(f))
	}
	r := &rule{text: strings.Join(f, " ")}
	switch f[0] {
	case "allow":
		r.allow = true
	case "deny":
	default:
		return nil, fmt.Errorf("unknown action %q (want allow or deny)", f[0])
	}
	var err error
	if r.who, err = parseWhoList(f[1]); err != nil {
		return nil, err
	}
	for _, m := range splitList(f[2]) {
		p, err := parsePattern(m)
		if err != nil {
			return nil, err
		}
		r.methods = append(r.methods, p)
	}
	if len(f) == 5 {
		if f[3] != "from" {
			return nil, fmt.Errorf("unexpected %q after the method (want 'from CIDR,...')", f[3])
		}
		if r.from, err = parseFromList(f[4]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// splitList splits a comma list; empty items are kept so that the item
// parsers can report them.
func splitList(s string) []string { return strings.Split(s, ",") }

func parseWhoList(s string) ([]who, error) {
	var out []who
	for _, item := range splitList(s) {
		w, err := parseWho(item)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func parseWho(s string) (who, error) {
	switch s {
	case "any":
		return who{kind: whoAny}, nil
	case "anonymous":
		return who{kind: whoAnonymous}, nil
	case "authenticated":
		return who{kind: whoAuthenticated}, nil
	case "":
		return who{}, fmt.Errorf("empty entry in the who list")
	}
	prefix, name, ok := strings.Cut(s, ":")
	var kind whoKind
	switch prefix {
	case "user":
		kind = whoUser
	case "cert":
		kind = whoCert
	case "group":
		kind = whoGroup
	default:
		return who{}, fmt.Errorf("unknown who %q (want any, anonymous, authenticated, user:NAME, cert:NAME or group:NAME)", s)
	}
	if !ok || name == "" {
		return who{}, fmt.Errorf("%q needs a name after the colon", s)
	}
	return who{kind: kind, name: name}, nil
}

func parseFromList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range splitList(s) {
		p, err := parseFrom(item)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// parseFrom accepts a CIDR prefix or a single address. A prefix with host
// bits set (10.1.2.3/8) is refused: it is usually a typo for a narrower rule.
func parseFrom(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty entry in the from list")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("from %q: not an IP address or CIDR prefix", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("from %q: not a CIDR prefix", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("from %q: host bits set (did you mean %s?)", s, p.Masked())
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("from %q: write IPv4-mapped prefixes as plain IPv4", s)
	}
	return p, nil
}

// Name is the name the policy was parsed with.
func (p *Policy) Name() string { return p.name }

// Len is the number of rules.
func (p *Policy) Len() int { return len(p.rules) }

// Rules returns the rules as "file:line: text", in order (for `aula acl show`).
func (p *Policy) Rules() []string {
	out := make([]string, len(p.rules))
	for i := range p.rules {
		out[i] = p.rules[i].String()
	}
	return out
}
