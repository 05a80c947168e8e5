package authkeys

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"

	"aula/modules/id/idapi"
)

// MaxBlobBytes bounds one key as received from a client.
const MaxBlobBytes = 16 << 10

var (
	typePattern = regexp.MustCompile(`^[a-z0-9@.-]{1,64}$`)
	gateWord    = regexp.MustCompile(`^[A-Za-z0-9/._+=:,@%-]+$`)
)

// NormalizeKey parses a client key given as "<base64>" or
// "<type> <base64> [comment]" and returns its type, as the blob itself
// says, and the blob's canonical base64. keyType, if not "", must match.
func NormalizeKey(keyType, blob string) (typ, b64 string, err error) {
	if len(blob) > MaxBlobBytes {
		return "", "", fmt.Errorf("key longer than %d bytes", MaxBlobBytes)
	}
	fields := strings.Fields(blob)
	switch len(fields) {
	case 0:
		return "", "", fmt.Errorf("empty key")
	case 1:
		b64 = fields[0]
	default:
		if !typePattern.MatchString(fields[0]) {
			return "", "", fmt.Errorf("bad key type %.40q", fields[0])
		}
		if keyType != "" && keyType != fields[0] {
			return "", "", fmt.Errorf("key type %q disagrees with %q", fields[0], keyType)
		}
		keyType, b64 = fields[0], fields[1]
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "", fmt.Errorf("key is not base64: %v", err)
	}
	pk, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return "", "", fmt.Errorf("key does not parse: %v", err)
	}
	typ = pk.Type()
	if strings.Contains(typ, "-cert-") {
		return "", "", fmt.Errorf("certificates (%s) are not client keys", typ)
	}
	if keyType != "" && keyType != typ {
		return "", "", fmt.Errorf("key says %q but is %q", keyType, typ)
	}
	return typ, base64.StdEncoding.EncodeToString(pk.Marshal()), nil
}

// CheckGateCommand accepts an absolute program path optionally followed by
// arguments, all from a shell-inert character set: sshd runs the forced
// command through the account's shell, so nothing in it may need quoting.
func CheckGateCommand(gate string) error {
	words := strings.Split(gate, " ")
	if !strings.HasPrefix(words[0], "/") {
		return fmt.Errorf("gate command %q must start with an absolute path", gate)
	}
	for _, w := range words {
		if !gateWord.MatchString(w) {
			return fmt.Errorf("gate command %q: word %q has characters the shell would interpret", gate, w)
		}
	}
	return nil
}

// Line renders one managed line. The key is normalized first.
func Line(e Entry, gate string) (string, error) {
	l, _, err := line(e, gate)
	return l, err
}

// line is Line that also returns the key's canonical base64.
func line(e Entry, gate string) (string, string, error) {
	if err := CheckGateCommand(gate); err != nil {
		return "", "", err
	}
	return checkedLine(e, gate)
}

// checkedLine is line for a gate command already checked: Render checks
// it once for all the lines it renders.
func checkedLine(e Entry, gate string) (string, string, error) {
	if !idapi.ValidUID(e.UID) {
		return "", "", fmt.Errorf("bad uid %.60q (want 40 lowercase hex digits)", e.UID)
	}
	typ, b64, err := NormalizeKey(e.KeyType, e.Blob)
	if err != nil {
		return "", "", err
	}
	return fmt.Sprintf(`command="%s backup-gate --uid %s",restrict %s %s %s%s`, gate, e.UID, typ, b64, CommentPrefix, e.UID), b64, nil
}
