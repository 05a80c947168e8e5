package backup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"aula/internal/core"
	"aula/modules/backup/sysload"
	"aula/modules/id/idapi"
)

// AdmitArgs names the client asking to start a backup: its server-assigned
// uid (SSK calls it uuid too), its machine UUID, or its serial (ds-backup).
type AdmitArgs struct {
	UUID   string `json:"uuid,omitempty"`
	UID    string `json:"uid,omitempty"`
	Serial string `json:"serial,omitempty"`
}

// Admission is the answer: start now, or ask again later.
type Admission struct {
	Accepted   bool   `json:"accepted"`
	Reason     string `json:"reason,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"` // seconds, when not accepted
}

var (
	idForm     = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)
	serialForm = regexp.MustCompile(`^\w{1,64}$`) // ds-backup's /available/(\w+)$
)

// busyRetry is the Retry-After of a refusal for load or disk.
const busyRetry = time.Minute

func (m *Module) admitMethod() core.Method {
	meth := core.Func("admit",
		"Asks whether a client may start its backup now: accepted true means run rsync at once (a slot is held for it), false means ask again after retry_after seconds. "+
			"Name the client by uuid (its uid or machine UUID), uid, or serial. An unknown client, one without a key or one over its quota is refused (403).",
		m.admit)
	meth.Access = core.Public
	meth.Mutates = true
	return meth
}

// admit applies the admission rules (spec §4.3) in order: a known client
// with a key, its quota, load and disk, free slots, grants per window.
func (m *Module) admit(ctx context.Context, in AdmitArgs) (Admission, error) {
	set, recs, err := m.state()
	if err != nil {
		return Admission{}, err
	}
	c, err := m.findClient(ctx, in)
	if err != nil {
		return Admission{}, err
	}
	if c.PubKey == "" {
		return Admission{}, core.Errorf(core.KindPermission, "client %s registered without a public key: it cannot back up over SSH", c.UID)
	}
	if ok, why := m.keyInstalled(ctx, c); !ok {
		return Admission{Reason: why, RetryAfter: int(keyRetry.Seconds())}, nil
	}
	if set.Quota > 0 {
		st, ok, err := recs.clientStats(ctx, c.UID)
		if err != nil {
			return Admission{}, core.StoreError(err, "reading the client's usage")
		}
		if ok && st.DiskBytes > set.Quota {
			return Admission{}, core.Errorf(core.KindPermission, "client %s is over its backup quota (%s of %s used): ask the administrator",
				c.UID, FormatSize(st.DiskBytes), FormatSize(set.Quota))
		}
	}
	if err := busy(set); err != nil {
		if !errors.Is(err, sysload.ErrBusy) {
			return Admission{}, core.Wrap(core.KindInternal, err, "cannot measure the server's load")
		}
		return Admission{Reason: err.Error(), RetryAfter: int(busyRetry.Seconds())}, nil
	}
	ref, err := recs.grant(ctx, c.UID, set)
	if err != nil {
		return Admission{}, core.StoreError(err, "recording the admission")
	}
	if ref != nil {
		return Admission{Reason: ref.reason, RetryAfter: int(math.Ceil(ref.retryAfter.Seconds()))}, nil
	}
	return Admission{Accepted: true}, nil
}

// findClient resolves the admission arguments to a current registration.
func (m *Module) findClient(ctx context.Context, in AdmitArgs) (idapi.Client, error) {
	m.mu.RLock()
	reg := m.reg
	m.mu.RUnlock()
	key := in.UUID
	if in.UID != "" {
		if key != "" && !strings.EqualFold(key, in.UID) {
			return idapi.Client{}, core.Errorf(core.KindInvalid, "uuid and uid name different clients")
		}
		key = in.UID
	}
	var (
		c     idapi.Client
		found bool
		err   error
	)
	switch {
	case key != "" && in.Serial != "":
		return c, core.Errorf(core.KindInvalid, "give uuid (or uid) or serial, not both")
	case key != "":
		if !idForm.MatchString(key) {
			return c, core.Errorf(core.KindInvalid, "uuid: %.80q is not a client id or UUID", key)
		}
		if c, found, err = reg.ClientByUID(ctx, strings.ToLower(key)); err == nil && !found {
			c, found, err = reg.ClientByUUID(ctx, key)
		}
	case in.Serial != "":
		if !serialForm.MatchString(in.Serial) {
			return c, core.Errorf(core.KindInvalid, "serial: %.80q is not a serial number", in.Serial)
		}
		if in.Serial == idapi.PlaceholderSerial {
			// Shared by every machine without manufacturing data: it
			// names no laptop, so it admits none.
			return c, core.Errorf(core.KindPermission, "serial %s is the placeholder many laptops share: ask by uuid", in.Serial)
		}
		c, found, err = reg.ClientBySerial(ctx, in.Serial)
	default:
		return c, core.Errorf(core.KindInvalid, "name the client: uuid, uid or serial")
	}
	if err != nil {
		return c, core.StoreError(err, "looking the client up")
	}
	if !found {
		return c, core.Errorf(core.KindPermission, "unknown client: register first")
	}
	return c, nil
}

// busy applies the load and disk rules (spec §4.3 rules 1 and 2) to the
// file system of the backup root; a zero limit is no limit.
func busy(set Settings) error {
	l := set.Limits
	if l.MaxLoad1 <= 0 {
		l.MaxLoad1 = math.Inf(1)
	}
	if l.MaxBlocks <= 0 {
		l.MaxBlocks = 1
	}
	if l.MaxInodes <= 0 {
		l.MaxInodes = 1
	}
	return sysload.Busy(existingAncestor(set.Root), l)
}

// existingAncestor is path or its nearest existing parent (before the
// first backup the root may not exist yet).
func existingAncestor(path string) string {
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || p == filepath.Dir(p) {
			return p
		}
	}
}

// retryAfterText formats seconds for a Retry-After header.
func retryAfterText(sec int) string {
	return fmt.Sprint(max(sec, 1))
}
