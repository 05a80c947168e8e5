package activation

import (
	"context"
	"time"
)

// renewAll signs, ahead of need, a lease for every laptop this server can
// sign for whose longest-lived lease has less than half of --lease-days
// left (or none at all): laptops then find a fresh lease waiting at boot,
// and a boot storm is answered from the cache. It works one laptop at a
// time, so it never takes more than a core from the answers.
func (m *Module) renewAll(ctx context.Context) {
	if n, err := pruneUnknown(ctx, m.store, now()); err != nil {
		m.log.Warn("activation: pruning the request log", "err", err)
	} else if n > 0 {
		m.log.Info("activation: forgot old requests of unknown serials", "count", n)
	}
	if m.key.Load() == nil {
		return
	}
	minLeft := time.Duration(m.set.leaseDays) * 24 * time.Hour / 2
	signedBefore := m.signed.Load()
	for _, serial := range m.signable() {
		if ctx.Err() != nil {
			return
		}
		t := now()
		l := m.cache.get(serial)
		if l != nil && (l.stolen || l.bestEnd("").Sub(t) > minLeft) {
			continue
		}
		p, ok := m.plan(l, serial, t)
		if !ok {
			continue
		}
		// Signing now must be an improvement: a delegation about to run
		// out gives leases no longer than the one already held.
		if l != nil && !endOf(p.exp).After(l.bestEnd("")) {
			continue
		}
		m.signShared(ctx, serial, minLeft)
	}
	if n := m.signed.Load() - signedBefore; n > 0 {
		m.log.Info("activation: leases signed ahead of need", "count", n)
	}
}

// signable lists the serials a lease might be signed for: those with a
// delegation, and with --activation-sign-plain every laptop with a known
// UUID.
func (m *Module) signable() []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range m.cache.all() {
		if l.deleg != nil {
			out = append(out, l.serial)
			seen[l.serial] = true
		}
	}
	if m.set.signPlain {
		m.uuids.mu.RLock()
		for sn := range m.uuids.m {
			if !seen[sn] {
				out = append(out, sn)
			}
		}
		m.uuids.mu.RUnlock()
	}
	return out
}
