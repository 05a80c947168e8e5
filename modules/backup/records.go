package backup

import (
	"context"
	"time"
)

// maxDetail bounds an event's detail text (reasons quote client bytes).
const maxDetail = 400

// eventRetention is how long backup_events rows are kept.
const eventRetention = 90 * 24 * time.Hour

// Event is one row of the backup audit trail.
type Event struct {
	At     time.Time `json:"at"`
	UID    string    `json:"uid"`
	Kind   string    `json:"kind"` // admitted, refused, backup, restore, snapshot, error
	Detail string    `json:"detail"`
}

// record appends one event to the trail, its detail clipped.
func record(ctx context.Context, s recordStore, uid, kind, detail string) error {
	if len(detail) > maxDetail {
		detail = detail[:maxDetail] + "..."
	}
	return s.addEvent(ctx, Event{At: time.Now(), UID: uid, Kind: kind, Detail: detail})
}

// ClientStats is what the gate last recorded about a client.
type ClientStats struct {
	UID           string    `json:"uid"`
	LastBackup    time.Time `json:"last_backup"`
	LastRestore   time.Time `json:"last_restore"`
	LastResult    string    `json:"last_result"`
	LastSnapshot  string    `json:"last_snapshot"`
	Snapshots     int64     `json:"snapshots"`
	Bytes         int64     `json:"bytes"`      // apparent size, hard links once
	DiskBytes     int64     `json:"disk_bytes"` // allocated, what the quota counts
	Inodes        int64     `json:"inodes"`
	Measured      time.Time `json:"measured"`
	Serial        string    `json:"serial,omitempty"`
	Nickname      string    `json:"nickname,omitempty"`
	NotRegistered bool      `json:"not_registered,omitempty"`
}
