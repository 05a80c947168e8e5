package activation

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"aula/internal/lease"
)

// signPlan is how a lease for one laptop would be signed now.
type signPlan struct {
	key    *lease.PrivateKey
	deleg  *lease.Line // chain through this delegation; nil for a plain sig01 lease
	serial string
	uuid   string
	exp    lease.Stamp
}

// plan decides whether this server can sign a lease for serial at t: it
// needs its key, the laptop's UUID and either a delegation that has not
// expired (a chained lease, never valid past the delegation) or
// --activation-sign-plain (a sig01 lease signed by the server key).
func (m *Module) plan(l *laptop, serial string, t time.Time) (signPlan, bool) {
	key := m.key.Load()
	if key == nil {
		return signPlan{}, false
	}
	uuid := m.uuidOf(l, serial)
	if uuid == "" {
		return signPlan{}, false
	}
	exp := t.Add(time.Duration(m.set.leaseDays) * 24 * time.Hour)
	p := signPlan{key: key, serial: serial, uuid: uuid}
	switch {
	case l.delegationUsable(t):
		if end := endOf(l.delExp); end.Before(exp) {
			exp = end
		}
		p.deleg = l.deleg
	case !m.set.signPlain:
		return signPlan{}, false
	}
	p.exp = lease.StampOf(exp.Truncate(time.Second))
	return p, true
}

// sign makes the lease the plan describes and checks it before anyone
// sees it: a chained one against the trusted master keys, a plain one
// against the server key.
func (p signPlan) sign(trusted *lease.KeySet) (*lease.Line, error) {
	var line *lease.Line
	var err error
	check := trusted
	if p.deleg != nil {
		line, err = lease.SignChainedLease(p.deleg, p.key, p.serial, p.uuid, p.exp)
	} else {
		line, err = lease.SignLease(p.key, 1, p.serial, p.uuid, p.exp)
		check = lease.NewKeySet(p.key.Public())
	}
	if err != nil {
		return nil, err
	}
	if check.Len() > 0 {
		if err := line.Verify(p.serial, p.uuid, check); err != nil {
			return nil, fmt.Errorf("lease just signed does not verify: %w", err)
		}
	}
	return line, nil
}

// signTimeout bounds one signing, store write included; it is detached
// from the asking connection so that one impatient laptop does not waste
// the work the others wait for.
const signTimeout = 30 * time.Second

// signShared signs a lease for serial unless its longest-lived lease still
// has more than minLeft to run, stores it, puts it in the cache and returns
// the laptop's lease reply. Concurrent calls for one serial share one
// signature; ctx only bounds this caller's wait.
func (m *Module) signShared(ctx context.Context, serial string, minLeft time.Duration) []byte {
	return m.flights.do(ctx, serial, func() (reply []byte) {
		defer func() {
			if p := recover(); p != nil { // a bug in signing must not take the server down
				m.log.Error("activation: panic while signing", "serial", serial, "panic", p, "stack", string(debug.Stack()))
				reply = nil
			}
		}()
		sctx, cancel := context.WithTimeout(context.Background(), signTimeout)
		defer cancel()
		return m.signNow(sctx, serial, minLeft)
	})
}

func (m *Module) signNow(ctx context.Context, serial string, minLeft time.Duration) []byte {
	t := now()
	l := m.cache.get(serial)
	if l != nil {
		if l.stolen {
			return nil
		}
		if l.bestEnd("").Sub(t) > minLeft {
			return l.leaseReply(t) // signed meanwhile, or still good enough
		}
	}
	p, ok := m.plan(l, serial, t)
	if !ok {
		return nil
	}
	select {
	case m.signSem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	line, err := p.sign(m.trusted)
	<-m.signSem
	if err != nil {
		m.log.Error("activation: signing lease", "serial", serial, "err", err)
		return nil
	}
	m.signed.Add(1)
	text := line.String()
	exp := effectiveExpiry(line)
	c := cachedLease{line: text, expires: exp, end: endOf(exp), origin: originSigned}
	if err := m.storeSigned(ctx, serial, line, c, t); err != nil {
		// The lease is good whether or not it was kept: serve it, and
		// sign again next time.
		m.log.Error("activation: storing signed lease", "serial", serial, "err", err)
	}
	tmp := &laptop{serial: serial}
	if l != nil {
		tmp = l.clone()
	}
	tmp.addLease(c)
	return tmp.leaseReply(t)
}

// storeSigned keeps a signed lease, drops this server's expired ones for
// the laptop, and applies the same change to the cache.
func (m *Module) storeSigned(ctx context.Context, serial string, line *lease.Line, c cachedLease, t time.Time) error {
	source := "plain"
	if line.Chained() {
		source = "chained"
	}
	row := leaseRow{Serial: serial, Line: c.line, Expires: string(c.expires), Verified: true,
		Origin: originSigned, Source: source, AddedAt: t}
	gen, err := m.store.keepSigned(ctx, row, t)
	if err != nil {
		return err
	}
	if !m.cache.applyOwn(gen, serial, func(l *laptop) {
		l.dropExpiredSigned(t)
		l.addLease(c)
	}) {
		m.changed()
	}
	return nil
}

// dropExpiredSigned mirrors in the cache what keepSigned drops in the
// store.
func (l *laptop) dropExpiredSigned(t time.Time) {
	kept := l.leases[:0]
	for _, c := range l.leases {
		if c.origin == originSigned && c.expires != lease.NoExpiry && !t.Before(c.end) {
			continue
		}
		kept = append(kept, c)
	}
	l.leases = kept
}

// flights runs one function per key at a time; callers arriving while it
// runs wait for its result instead of running their own.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
	wg sync.WaitGroup // running functions, for Stop
}

type flight struct {
	done chan struct{}
	val  []byte
}

// wait waits for the functions in flight to finish.
func (f *flights) wait() { f.wg.Wait() }

// do returns fn's result for key, running fn only if no call for key is in
// flight. fn runs on its own goroutine so that a caller whose ctx ends can
// leave (with nil) without cutting the work short for the others.
func (f *flights) do(ctx context.Context, key string, fn func() []byte) []byte {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	c, ok := f.m[key]
	if !ok {
		c = &flight{done: make(chan struct{})}
		f.m[key] = c
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer func() {
				f.mu.Lock()
				delete(f.m, key)
				f.mu.Unlock()
				close(c.done)
			}()
			c.val = fn()
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.val
	case <-ctx.Done():
		return nil
	}
}
