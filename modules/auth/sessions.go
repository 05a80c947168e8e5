package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"aula/internal/core"
)

// tokenPrefix marks session tokens, so a Basic password that is one is
// looked up as a session before any password hashing.
const tokenPrefix = "aula_"

// newToken returns a fresh session token: 256 random bits.
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func looksLikeToken(s string) bool {
	return strings.HasPrefix(s, tokenPrefix) && len(s) == len(tokenPrefix)+43
}

// hashToken is what the store keeps of a token.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// createSession stores a new session for name and returns its token.
func (m *Module) createSession(ctx context.Context, name, addr string) (string, time.Time, error) {
	tok := newToken()
	now := time.Now()
	exp := now.Add(m.opts.sessionTTL.Get())
	err := m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Expired sessions go when new ones come, so the table stays small
		// without a background job.
		if _, err := tx.ExecContext(ctx, m.q(`DELETE FROM auth_sessions WHERE expires_at < ?`), fmtTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, m.q(`INSERT INTO auth_sessions (token_hash, name, created_at, expires_at, addr) VALUES (?, ?, ?, ?, ?)`),
			hashToken(tok), name, fmtTime(now), fmtTime(exp), addr)
		return err
	})
	if err != nil {
		return "", time.Time{}, core.StoreError(err, "creating the session")
	}
	return tok, exp, nil
}

// session returns the user of a live session token and the token's hash.
func (m *Module) session(ctx context.Context, tok string) (name, hash string, ok bool, err error) {
	want := hashToken(tok)
	var got, exp string
	err = m.db.Reader().QueryRowContext(ctx, m.q(`SELECT token_hash, name, expires_at FROM auth_sessions WHERE token_hash = ?`), want).
		Scan(&got, &name, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, core.StoreError(err, "reading the session")
	}
	// The lookup was by the hash; compare it again in constant time so
	// that no code path compares token material with early exit.
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 || !time.Now().Before(parseTime(exp)) {
		return "", "", false, nil
	}
	return name, want, true, nil
}

func (m *Module) endSession(ctx context.Context, hash string) (bool, error) {
	var n int64
	err := m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, m.q(`DELETE FROM auth_sessions WHERE token_hash = ?`), hash)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n > 0, core.StoreError(err, "ending the session")
}

type sessionKey struct{}

// sessionOf returns the hash of the session token the call authenticated
// with ("" for none).
func sessionOf(ctx context.Context) string {
	h, _ := ctx.Value(sessionKey{}).(string)
	return h
}

type loginArgs struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (m *Module) loginMethod() core.Method {
	me := core.Func("login",
		"Checks a user name and password and returns a session token (Clarens's system.login). Send the token as the HTTP Basic password (with the user name) or as a Bearer token; it expires after --auth-session-ttl or at auth.logout.",
		func(ctx context.Context, in loginArgs) (string, error) {
			c := core.CallFrom(ctx)
			var addr = addrOf(c)
			if err := m.passwordLogin(ctx, c, in.User, in.Password); err != nil {
				return "", err
			}
			tok, _, err := m.createSession(ctx, in.User, addr)
			return tok, err
		})
	me.Aliases = []string{"system.login"}
	me.Access = core.Public
	me.Mutates = true
	me.Secret = []string{"password"}
	return me
}

func (m *Module) logoutMethod() core.Method {
	me := core.Func("logout", "Ends the session whose token authenticated this call (Clarens's system.logout); false if the call did not use a session token.",
		func(ctx context.Context, _ struct{}) (bool, error) {
			h := sessionOf(ctx)
			if h == "" {
				return false, nil
			}
			return m.endSession(ctx, h)
		})
	me.Aliases = []string{"system.logout"}
	me.Access = core.Authenticated
	me.Mutates = true
	return me
}

// WhoAmI is the reply of auth.whoami.
type WhoAmI struct {
	Identity string   `json:"identity"`
	Groups   []string `json:"groups"`
	Via      string   `json:"via"`
	Addr     string   `json:"addr"`
}

func (m *Module) whoamiMethod() core.Method {
	me := core.Func("whoami", "Returns who the server takes the caller to be: identity ('' when anonymous), groups, how it was proven (cert, password, token, local) and the source address.",
		func(ctx context.Context, _ struct{}) (WhoAmI, error) {
			c := core.CallFrom(ctx)
			if c == nil {
				return WhoAmI{Groups: []string{}}, nil
			}
			g := c.Caller.Groups
			if g == nil {
				g = []string{}
			}
			return WhoAmI{Identity: c.Caller.Identity, Groups: g, Via: c.Caller.Via, Addr: addrOf(c)}, nil
		})
	me.Access = core.Public
	return me
}

// addrOf is the caller's source address as text ("" when unknown).
func addrOf(c *core.Call) string {
	if c == nil {
		return ""
	}
	return c.AddrText()
}
