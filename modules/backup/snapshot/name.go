package snapshot

import (
	"fmt"
	"regexp"
	"time"
)

// nameLayout is UTC to the minute; names sort in time order as strings.
const nameLayout = "2006-01-02T1504Z"

// maxSameMinute bounds the "-NN" suffix used when one minute already has a
// snapshot; two digits keep the names sortable.
const maxSameMinute = 99

var namePattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{4}Z)(?:-(\d{2}))?$`)

// FormatName is the snapshot name for t and collision index n (0 = none):
// 2026-11-22T0040Z, then 2026-11-22T0040Z-01, -02, ...
func FormatName(t time.Time, n int) string {
	base := t.UTC().Format(nameLayout)
	if n == 0 {
		return base
	}
	return fmt.Sprintf("%s-%02d", base, n)
}

// ParseName returns the time encoded in a snapshot name and whether the
// name is one (temp names and anything else are not).
func ParseName(name string) (time.Time, bool) {
	if len(name) > 32 {
		return time.Time{}, false
	}
	m := namePattern.FindStringSubmatch(name)
	if m == nil || m[2] == "00" {
		return time.Time{}, false
	}
	t, err := time.Parse(nameLayout, m[1])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// ValidName reports whether name is a snapshot name.
func ValidName(name string) bool {
	_, ok := ParseName(name)
	return ok
}
