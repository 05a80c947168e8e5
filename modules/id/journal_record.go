package id

import (
	"fmt"
	"strings"

	"aula/modules/id/idapi"
)

// A journal row holds its registration as one text value, the fields in a
// fixed order separated by newlines: one parameter to bind per append
// instead of seven, which is most of an append's cost in the driver. No
// field can hold a newline: nicknames are refused with control
// characters, and the other fields are hex, base64, serial numbers, UUIDs,
// times and IP addresses.

const journalFields = 7

// encodeJournal is c as a journal record, at being its registration time.
func encodeJournal(c Client, at string) string {
	var b strings.Builder
	b.Grow(len(c.UID) + len(c.UUID) + len(c.Serial) + len(c.Nickname) + len(c.PubKey) + len(at) + len(c.LastAddr) + journalFields)
	for i, f := range [journalFields]string{c.UID, c.UUID, c.Serial, c.Nickname, c.PubKey, at, c.LastAddr} {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f)
	}
	return b.String()
}

// decodeJournal reads a journal record back.
func decodeJournal(rec string) (c Client, at string, err error) {
	var f [journalFields]string
	for i := range journalFields - 1 {
		cut := strings.IndexByte(rec, '\n')
		if cut < 0 {
			return Client{}, "", fmt.Errorf("journal record has %d fields, want %d", i+1, journalFields)
		}
		f[i], rec = rec[:cut], rec[cut+1:]
	}
	if strings.IndexByte(rec, '\n') >= 0 {
		return Client{}, "", fmt.Errorf("journal record has more than %d fields", journalFields)
	}
	f[journalFields-1] = rec
	if !idapi.ValidUID(f[0]) {
		// id_clients is unique by unhex(uid) (migrations/0005), which is
		// uniqueness by uid only for 40 lowercase hex digits, as UIDOf
		// makes every uid.
		return Client{}, "", fmt.Errorf("journal record's uid %.48q is not 40 lowercase hex digits", f[0])
	}
	c = Client{UID: f[0], UUID: f[1], Serial: f[2], Nickname: f[3], PubKey: f[4], LastAddr: f[6]}
	c.LastRegistered = parseTime(f[5])
	return c, f[5], nil
}
