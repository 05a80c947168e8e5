// Package authkeys writes the authorized_keys file of aula's backup
// account: one line per registered client, each forced into the backup
// gate for that client's id,
//
//	command="<gate> backup-gate --uid <uid>",restrict <type> <base64> aula:<uid>
//
// between two marker comments. Lines aula does not manage are kept as they
// are. A key's type is read from the key blob itself (Sugar sends a bare
// ssh-dss blob without the "ssh-dss " prefix); keys that do not parse are
// skipped and reported, never written.
package authkeys

import "fmt"

// Marker lines around the managed block.
const (
	BeginMarker = "# aula backup clients: begin (managed by aula, edits here are lost)"
	EndMarker   = "# aula backup clients: end"
	// CommentPrefix starts the comment that ends every managed line.
	CommentPrefix = "aula:"
)

// Entry is one registered client's key. Blob is the base64 key, with or
// without a leading "<type> " (and an ignored trailing comment); KeyType,
// if set, must agree with the type inside the blob.
type Entry struct {
	UID     string
	KeyType string
	Blob    string
}

// Skipped is an entry that was not written, and why.
type Skipped struct {
	UID    string
	Reason string
}

func (s Skipped) String() string { return fmt.Sprintf("%s: %s", s.UID, s.Reason) }

// Owner is the uid and gid the written file is given (nil: leave as is).
type Owner struct{ UID, GID int }
