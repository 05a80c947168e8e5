package gate

import (
	"fmt"
	"strings"
)

// Limits on SSH_ORIGINAL_COMMAND. rsync's own lines are far shorter.
const (
	MaxCommandBytes = 8 << 10
	maxWords        = 64
	maxWordBytes    = 4 << 10
)

// unescapedRefused are characters a POSIX shell would interpret when they
// appear unquoted. rsync (3.2.4+) backslash-escapes all of them except the
// glob characters *?[] in file names; the gate does not emulate a shell, so
// it refuses them instead of guessing.
const unescapedRefused = ";&|<>()$`{}!\"'#*?[]"

// SplitWords splits an SSH_ORIGINAL_COMMAND the way the login shell would
// for the lines rsync writes, without running a shell: words are separated
// by unescaped spaces or tabs; a backslash makes the next character literal;
// an unescaped "~" starting a word followed by "/" or the word's end means
// the client's home and is dropped ("~/x" -> "x", "~" -> "."). Anything a
// shell would treat specially and that is not escaped is refused, as are
// control characters, "~user" and a trailing backslash.
func SplitWords(cmd string) ([]string, error) {
	if len(cmd) > MaxCommandBytes {
		return nil, refuse("command longer than %d bytes", MaxCommandBytes)
	}
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
	)
	flush := func() error {
		if !in {
			return nil
		}
		if cur.Len() > maxWordBytes {
			return refuse("word longer than %d bytes", maxWordBytes)
		}
		if len(words) == maxWords {
			return refuse("more than %d words", maxWords)
		}
		words = append(words, cur.String())
		cur.Reset()
		in = false
		return nil
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case c == ' ' || c == '\t':
			if err := flush(); err != nil {
				return nil, err
			}
		case c < 0x20 || c == 0x7f:
			return nil, refuse("control character %q in command", c)
		case c == '\\':
			if i+1 == len(cmd) {
				return nil, refuse("command ends with a backslash")
			}
			i++
			if n := cmd[i]; n < 0x20 || n == 0x7f {
				return nil, refuse("control character %q in command", n)
			}
			cur.WriteByte(cmd[i])
			in = true
		case c == '~' && !in:
			rest := cmd[i+1:]
			switch {
			case rest == "" || rest[0] == ' ' || rest[0] == '\t':
				cur.WriteByte('.')
			case rest[0] == '/':
				// "~/x": drop "~/"; "~/" alone is the home itself.
				i++
				if len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t' {
					cur.WriteByte('.')
				}
			default:
				return nil, refuse("~user paths are not supported")
			}
			in = true
		case strings.IndexByte(unescapedRefused, c) >= 0:
			return nil, refuse("shell metacharacter %q in command (not escaped)", c)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, refuse("empty command (interactive login is not allowed)")
	}
	return words, nil
}

// RefusedError is why the gate turned a command down. Its message is one
// line, fit to send to the client on stderr.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

func refuse(format string, args ...any) error {
	r := fmt.Sprintf(format, args...)
	// Reasons quote client bytes with %q; still, never let one span lines.
	r = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return ' '
		}
		return c
	}, r)
	return &RefusedError{Reason: r}
}
