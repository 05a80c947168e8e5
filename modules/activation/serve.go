package activation

import (
	"context"
	"errors"
	"time"
)

// Start loads the answers and starts the background loops (reload poller,
// request-log flusher, lease renewer). TCP 191 is served by the activation
// front end (internal/frontend/activationfront), through activation.answer.
func (m *Module) Start(ctx context.Context) error {
	if m.store == nil {
		return errNotProvisioned
	}
	if err := m.reload(ctx); err != nil {
		return err
	}
	m.stop = make(chan struct{})
	m.started.Store(true)
	m.loop(m.set.reloadEvery, m.kick, m.pollOnce)
	m.loop(m.set.flushEvery, nil, func(ctx context.Context) {
		// Stopping cancels ctx: what was not written is put back, and
		// Stop's last flush writes it.
		if err := m.reqs.flush(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("activation: recording requests", "err", err)
		}
	})
	m.loop(m.set.renewEvery, m.renew, m.renewAll)
	m.kickRenew() // sign what is due at once rather than after the first interval
	return nil
}

// Stop stops the loops and writes the last request records. The front
// ends were shut down before it, so no answer is in progress.
func (m *Module) Stop(ctx context.Context) error {
	var errs []error
	if m.stop != nil {
		close(m.stop)
		m.loops.Wait()
		m.stop = nil
	}
	m.flights.wait() // signatures in progress finish (and are stored) before the store closes
	m.started.Store(false)
	errs = append(errs, m.reqs.flush(context.WithoutCancel(ctx)))
	return errors.Join(errs...)
}

// loop runs fn every interval, and at once when poke fires, until Stop.
func (m *Module) loop(every time.Duration, poke <-chan struct{}, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := m.stop
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		defer cancel()
		go func() {
			<-stop
			cancel()
		}()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			case <-poke:
			}
			fn(ctx)
		}
	}()
}

// pollOnce reloads the cache when the store's generation moved on (a
// change by another process, or one this process could not apply in
// place). It reloads at most twice per --activation-reload-interval: a
// storm of signatures that cannot all be applied in place (their commits
// landing out of order) must not turn into back-to-back reloads.
func (m *Module) pollOnce(ctx context.Context) {
	if last, _ := m.lastReload.Load().(time.Time); time.Since(last) < m.set.reloadEvery/2 {
		return // the ticker comes back
	}
	gen, err := m.store.generation(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("activation: checking for changes", "err", err)
		}
		return
	}
	if have, loaded := m.cache.generation(); loaded && have == gen {
		return
	}
	if err := m.reload(ctx); err != nil {
		if ctx.Err() == nil {
			m.log.Error("activation: reloading", "err", err)
		}
		return
	}
	m.kickRenew() // new delegations or a new key may make leases signable
}
