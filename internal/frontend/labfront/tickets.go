package labfront

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Session resumption across restarts. After a restart every agent
// reconnects at once, and a full TLS 1.3 handshake with a client
// certificate costs the server a signature, a certificate chain check
// and the key exchange (bench/labbench profile of a reconnection storm:
// the chain check alone was a third of the handshake). Agents keep the
// session ticket of their last connection, and the listener's ticket keys
// live in DATA-DIR/lab/ticket-keys (0600), so a ticket issued before the
// restart still resumes: key exchange only. Revocation is still checked on
// a resumed connection (crypto/tls calls VerifyConnection for every
// handshake), and a ticket never outlives its client certificate.
//
// Whoever reads ticket-keys can decrypt tickets and resume as an agent
// until the key is replaced, like whoever reads the CA's key beside it can
// make agents. A key is used for issuing tickets for ticketKeyAge, then
// kept for ticketKeyAge more so tickets it issued still resume.
const ticketKeyAge = 24 * time.Hour

const ticketKeysFile = "ticket-keys"

// sessionTicketKeys loads the listener's ticket keys from dir (newest
// first), making a new one when there is none or the newest is older than
// ticketKeyAge, and dropping keys older than twice that.
func sessionTicketKeys(dir string, now time.Time) ([][32]byte, error) {
	path := filepath.Join(dir, ticketKeysFile)
	type key struct {
		made time.Time
		k    [32]byte
	}
	var keys []key
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		at, hx, ok := strings.Cut(line, " ")
		secs, err1 := strconv.ParseInt(at, 10, 64)
		raw, err2 := hex.DecodeString(hx)
		if !ok || err1 != nil || err2 != nil || len(raw) != 32 {
			return nil, fmt.Errorf("%s line %d: want UNIX-TIME HEX-KEY (32 bytes); remove the file to start afresh", path, i+1)
		}
		var k key
		k.made = time.Unix(secs, 0)
		copy(k.k[:], raw)
		if now.Sub(k.made) < 2*ticketKeyAge {
			keys = append(keys, k)
		}
	}
	changed := len(keys) != strings.Count(strings.TrimSpace(string(b)), "\n")+1 || len(b) == 0
	if len(keys) == 0 || now.Sub(keys[0].made) >= ticketKeyAge {
		var k key
		k.made = now
		if _, err := rand.Read(k.k[:]); err != nil {
			return nil, err
		}
		keys = append([]key{k}, keys...)
		changed = true
	}
	if len(keys) > 2 {
		keys = keys[:2]
	}
	if changed {
		var sb strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&sb, "%d %s\n", k.made.Unix(), hex.EncodeToString(k.k[:]))
		}
		if err := writeSecret(path, []byte(sb.String())); err != nil {
			return nil, err
		}
	}
	out := make([][32]byte, len(keys))
	for i, k := range keys {
		out[i] = k.k
	}
	return out, nil
}

// rotateTicketKeys looks at the ticket keys every interval while the
// listener runs and installs the new set when one has aged out, so a
// server that runs for weeks does not issue every ticket under one key.
// A failure (a full disk, say) keeps the keys in use and is logged.
func (f *FrontEnd) rotateTicketKeys(dir string, interval time.Duration, now func() time.Time, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		keys, err := sessionTicketKeys(dir, now())
		if err != nil {
			f.log.Warn("lab: replacing the session ticket keys failed; the current ones stay", "err", err)
			continue
		}
		f.tls.SetSessionTicketKeys(keys)
	}
}

// writeSecret replaces path atomically, readable by its owner only.
func writeSecret(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
