// Package credentials parses the HTTP Authorization header (RFC 7235):
// Basic (RFC 7617) and Bearer (RFC 6750) credentials.
//
// Parsing is strict, with errors that say what was wrong, because the
// header is attacker-controlled and a lenient parser invites surprises:
// base64 must be standard and padded (Python's base64.b64encode, curl and
// browsers all pad), the Basic user and password are split on the FIRST
// colon (so passwords may hold colons, which the original Bcfg2 got
// wrong), and the whole header is bounded in length.
package credentials

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Limits. The header limit leaves room for Clarens's system.auth, which
// sends a whole PEM certificate as the Basic password.
const (
	MaxHeaderLen = 16 << 10
	MaxUserLen   = 1024
	MaxTokenLen  = 4096
)

// Scheme is the authentication scheme of a header.
type Scheme uint8

const (
	Basic Scheme = iota + 1
	Bearer
)

func (s Scheme) String() string {
	switch s {
	case Basic:
		return "Basic"
	case Bearer:
		return "Bearer"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// Authorization is a parsed Authorization header. User and Password are
// set for Basic, Token for Bearer.
type Authorization struct {
	Scheme   Scheme
	User     string
	Password string
	Token    string
}

// String never shows the password or token, so an Authorization can be
// logged safely.
func (a Authorization) String() string {
	switch a.Scheme {
	case Basic:
		return fmt.Sprintf("Basic user=%q password=<%d bytes>", a.User, len(a.Password))
	case Bearer:
		return fmt.Sprintf("Bearer token=<%d bytes>", len(a.Token))
	}
	return "no credentials"
}

// ErrMissing means there was no Authorization header at all; callers
// usually treat that as an anonymous request rather than a failure.
var ErrMissing = errors.New("no Authorization header")

// FromHeader parses the Authorization header of a request. More than one
// Authorization header is refused: which one a proxy or a handler would
// look at is ambiguous.
func FromHeader(h http.Header) (Authorization, error) {
	v := h.Values("Authorization")
	switch len(v) {
	case 0:
		return Authorization{}, ErrMissing
	case 1:
		return ParseAuthorization(v[0])
	}
	return Authorization{}, fmt.Errorf("%d Authorization headers; want one", len(v))
}

// ParseAuthorization parses one Authorization header value. The scheme
// name is case-insensitive; surrounding spaces and tabs are ignored.
func ParseAuthorization(value string) (Authorization, error) {
	if len(value) > MaxHeaderLen {
		return Authorization{}, fmt.Errorf("Authorization header longer than %d bytes", MaxHeaderLen)
	}
	value = strings.Trim(value, " \t")
	if value == "" {
		return Authorization{}, ErrMissing
	}
	scheme, rest, _ := strings.Cut(value, " ")
	rest = strings.TrimLeft(rest, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		return parseBasic(rest)
	case strings.EqualFold(scheme, "Bearer"):
		return parseBearer(rest)
	}
	return Authorization{}, fmt.Errorf("unsupported authorization scheme %q (want Basic or Bearer)", truncate(scheme, 32))
}

func parseBasic(b64 string) (Authorization, error) {
	if b64 == "" {
		return Authorization{}, errors.New("Basic credentials are empty")
	}
	if i := strings.IndexAny(b64, " \t"); i >= 0 {
		return Authorization{}, fmt.Errorf("Basic credentials: unexpected space at byte %d (want one base64 token)", i)
	}
	if len(b64)%4 != 0 {
		return Authorization{}, fmt.Errorf("Basic credentials: base64 length %d is not a multiple of 4 (padding missing?)", len(b64))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return Authorization{}, fmt.Errorf("Basic credentials: invalid base64 at byte %d", int64(ce))
		}
		return Authorization{}, fmt.Errorf("Basic credentials: %v", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Authorization{}, errors.New("Basic credentials have no ':' between user and password")
	}
	if len(user) > MaxUserLen {
		return Authorization{}, fmt.Errorf("Basic user name longer than %d bytes", MaxUserLen)
	}
	for i := 0; i < len(user); i++ {
		// RFC 7617 forbids control characters in the user-id; a NUL or
		// newline in a name would also poison logs and lookups. The
		// password may hold them (Clarens sends a PEM certificate there).
		if c := user[i]; c < 0x20 || c == 0x7f {
			return Authorization{}, fmt.Errorf("Basic user name has control character 0x%02x at byte %d", c, i)
		}
	}
	return Authorization{Scheme: Basic, User: user, Password: password}, nil
}

// parseBearer accepts the RFC 6750 token68 syntax:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
func parseBearer(tok string) (Authorization, error) {
	if tok == "" {
		return Authorization{}, errors.New("Bearer token is empty")
	}
	if len(tok) > MaxTokenLen {
		return Authorization{}, fmt.Errorf("Bearer token longer than %d bytes", MaxTokenLen)
	}
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return Authorization{}, errors.New("Bearer token is only padding")
	}
	for i := 0; i < len(body); i++ {
		if !isToken68(body[i]) {
			return Authorization{}, fmt.Errorf("Bearer token has invalid character %q at byte %d", body[i], i)
		}
	}
	return Authorization{Scheme: Bearer, Token: tok}, nil
}

func isToken68(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
