package acl

import (
	"fmt"
	"strings"
)

// pattern is a method pattern split into dot-separated components; each
// component is a literal, "*" (exactly one component) or "**" (any number).
type pattern struct {
	parts []string
}

const maxPatternLen = 256

// parsePattern validates a method pattern. Literal components may hold
// letters, digits, '_' and '-' (every method name in Bcfg2, Clarens and
// aula fits); anything else is more likely a typo than a real name.
func parsePattern(s string) (pattern, error) {
	if s == "" {
		return pattern{}, fmt.Errorf("empty method pattern")
	}
	if len(s) > maxPatternLen {
		return pattern{}, fmt.Errorf("method pattern longer than %d bytes", maxPatternLen)
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		switch {
		case p == "":
			return pattern{}, fmt.Errorf("method pattern %q has an empty component (stray or doubled dot)", s)
		case p == "*" || p == "**":
			continue
		case strings.Contains(p, "*"):
			return pattern{}, fmt.Errorf("method pattern %q: '*' must be a whole component (%q is not a wildcard)", s, p)
		}
		for _, r := range p {
			if !isNameRune(r) {
				return pattern{}, fmt.Errorf("method pattern %q: character %q not allowed in a method name", s, r)
			}
		}
	}
	return pattern{parts: parts}, nil
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// match reports whether method matches the pattern.
func (p pattern) match(method string) bool {
	if method == "" {
		return false
	}
	return matchParts(p.parts, strings.Split(method, "."))
}

// matchParts is a component-wise glob match by dynamic programming, so a
// hostile pattern or name cannot make it exponential: ok[j] reports whether
// the pattern consumed so far matches name[:j].
func matchParts(pat, name []string) bool {
	ok := make([]bool, len(name)+1)
	ok[0] = true
	for _, p := range pat {
		next := make([]bool, len(name)+1)
		switch p {
		case "**":
			reached := false
			for j := range ok {
				reached = reached || ok[j]
				next[j] = reached
			}
		default:
			for j := 1; j <= len(name); j++ {
				next[j] = ok[j-1] && (p == "*" || p == name[j-1])
			}
		}
		ok = next
	}
	return ok[len(name)]
}
