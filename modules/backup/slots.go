package backup

import (
	"errors"
	"syscall"
	"time"
)

// Slot is one admission slot: a client allowed to run rsync now.
type Slot struct {
	UID       string    `json:"uid"`
	State     string    `json:"state"` // granted or running
	Mode      string    `json:"mode"`  // backup or restore while running
	PID       int       `json:"pid"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// lingerMax bounds how long a slot stays granted after a successful
// transfer: long enough for the next rsync of the same run (ds-backup
// sends three directories and a marker one after the other), short enough
// not to hold capacity for long.
const lingerMax = 30 * time.Second

// refusal is a "not now" answer: the client should ask again later.
type refusal struct {
	reason     string
	retryAfter time.Duration
}

// untilMS is how long until the Unix-millisecond time at, at least a
// second; fallback when at is unknown.
func untilMS(now time.Time, at int64, fallback time.Duration) time.Duration {
	if at <= 0 {
		return fallback
	}
	d := time.UnixMilli(at).Sub(now).Round(time.Second)
	return max(d, time.Second)
}

// errNoSlot refuses a backup whose client was not admitted.
var errNoSlot = errors.New("no admission slot: ask the server first (GET /backup/1/available/SERIAL, /backup/uuid/available/UID or /client/backup?uuid=UID)")

// processAlive reports whether pid names a live process (a gate of the
// same account: signal 0 checks without sending anything).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
