package backup

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"

	"aula/modules/backup/gate"
	"aula/modules/id/idapi"
)

// What aula's own SSH endpoint for backups (package sshfront, a front
// end) asks of this module: who a login is, and to run its command as the
// gate does. sshd's path (authorized_keys and `aula backup-gate`) and this
// one end in the same runGate.

// accountLogin is an SSH login that names an account rather than a laptop
// (aulabackup, or aula-backup on older installs; the account form of
// backupurl): the key alone then says which client it is, as in sshd's
// authorized_keys.
var accountLogin = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// serialLogin is a laptop's serial as registration accepts it: upper-case
// letters and digits (OLPC's SHF706002A7, Sugar's RCU95305614).
var serialLogin = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)

// maxKeyBytes bounds the key blob a login may offer (registration takes
// key text up to 8 KiB).
const maxKeyBytes = 8 << 10

// uidOfKey is the uid of the client registered with a key: the sha1 of
// its base64 blob, Sugar's own Jabber account name for it.
func uidOfKey(b64 string) string {
	sum := sha1.Sum([]byte(b64))
	return hex.EncodeToString(sum[:])
}

// BackupLogin identifies the registered laptop that logs in as login with
// the public key blob key (SSH wire format). A laptop logs in as its serial
// (OLPC ds-backup's -l SERIAL) and must offer the key it registered; any
// other login of an account's form is taken by key. The placeholder serial
// names no laptop. ok is false for anyone else.
func (m *Module) BackupLogin(ctx context.Context, login string, key []byte) (uid string, ok bool, err error) {
	m.mu.RLock()
	reg := m.reg
	m.mu.RUnlock()
	if reg == nil {
		return "", false, errors.New("backup: module used before it was provisioned")
	}
	if len(key) == 0 || len(key) > maxKeyBytes {
		return "", false, nil
	}
	blob := base64.StdEncoding.EncodeToString(key)
	var c idapi.Client
	var found bool
	switch {
	case login != idapi.PlaceholderSerial && serialLogin.MatchString(login):
		c, found, err = reg.ClientBySerial(ctx, login)
	case accountLogin.MatchString(login):
		c, found, err = reg.ClientByUID(ctx, uidOfKey(blob))
	default:
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up client: %w", err)
	}
	if !found || c.PubKey == "" || subtle.ConstantTimeCompare([]byte(c.PubKey), []byte(blob)) != 1 {
		return "", false, nil
	}
	return c.UID, true, nil
}

// RunBackupCommand runs one command of client uid (what its SSH exec
// request carried; "" for a shell request) exactly as `aula backup-gate`
// runs SSH_ORIGINAL_COMMAND: only an rsync server command line, mapped into
// the client's directory, with an admission slot, snapshot afterwards.
// A refusal is one line on stderr, as the gate's. It returns the session's
// exit status.
func (m *Module) RunBackupCommand(ctx context.Context, uid, command string, stdin io.Reader, stdout, stderr io.Writer) int {
	code, err := m.runGate(ctx, gateIO{in: stdin, out: stdout, err: stderr}, uid, command)
	if err != nil {
		var re *gate.RefusedError
		if !errors.As(err, &re) {
			m.mu.RLock()
			log := m.log
			m.mu.RUnlock()
			log.Warn("backup over SSH failed", "uid", uid, "err", err)
		}
		fmt.Fprintf(stderr, "aula backup-gate: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
