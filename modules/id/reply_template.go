package id

import (
	"bytes"
	"strings"
	"sync/atomic"

	"aula/internal/wire/xmlrpc"
)

// The Sugar shell's register reply is the same bytes for every laptop
// under one stamp except the uid, which it carries four times (backupurl,
// backuppath, config's backup-url and uid). The XML-RPC reply of a
// successful registration is therefore written from a template made once
// per stamp by the general encoder with a placeholder uid, and the
// laptop's uid put in its place; see xmlrpc.ResponseAppender.

// uidPlaceholder stands for the uid when the template is made. A uid is 40
// hex digits, which need no escaping, so the bytes around it are what the
// encoder writes for any uid.
var uidPlaceholder = strings.Repeat("Q", 40)

// uidOccurrences is how often the uid appears in a register reply.
const uidOccurrences = 4

// replyTemplate is the encoded reply for one stamp, split at the uid.
type replyTemplate struct {
	stamp string
	parts [uidOccurrences + 1][]byte
}

// plainReply is RegisterReply without its AppendXMLRPCResponse method,
// encoded field by field.
type plainReply RegisterReply

// AppendXMLRPCResponse writes the reply from its template when it has one
// (a successful XML-RPC registration), else field by field.
func (r RegisterReply) AppendXMLRPCResponse(dst []byte) ([]byte, error) {
	t := r.tmpl
	if t == nil || !t.fits(r) {
		return xmlrpc.AppendResponse(dst, plainReply(r))
	}
	uid := *r.BackupPath
	for i, p := range t.parts {
		if i > 0 {
			dst = append(dst, uid...)
		}
		dst = append(dst, p...)
	}
	return dst, nil
}

// fits reports whether r is the reply the template was made for: a
// success of the Sugar form under the template's stamp, whose uid (its
// backup path) is 40 hex digits.
func (t *replyTemplate) fits(r RegisterReply) bool {
	return r.Success == "OK" && r.Error == "" && r.UUID == "" && r.UID == "" && r.Stamp == t.stamp &&
		r.JabberServer != nil && r.BackupURL != nil && r.BackupPath != nil && isHex40(*r.BackupPath)
}

func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// templates holds the current stamp's template.
type templates struct{ cur atomic.Pointer[replyTemplate] }

// get returns the template for stamp under set, making it if the stamp
// changed; nil if the reply cannot be templated (the placeholder also
// appears in an admin's config value).
func (ts *templates) get(stampStr string, set *settings) *replyTemplate {
	if t := ts.cur.Load(); t != nil && t.stamp == stampStr {
		return t
	}
	t := makeTemplate(stampStr, set)
	if t != nil {
		ts.cur.Store(t)
	}
	return t
}

func makeTemplate(stampStr string, set *settings) *replyTemplate {
	reply := set.successReply(uidPlaceholder, stampStr)
	enc, err := xmlrpc.AppendResponse(nil, plainReply(reply))
	if err != nil || bytes.Count(enc, []byte(uidPlaceholder)) != uidOccurrences {
		return nil
	}
	t := &replyTemplate{stamp: stampStr}
	rest := enc
	for i := range uidOccurrences {
		at := bytes.Index(rest, []byte(uidPlaceholder))
		t.parts[i] = rest[:at:at]
		rest = rest[at+len(uidPlaceholder):]
	}
	t.parts[uidOccurrences] = rest
	return t
}
