package activation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"aula/internal/wire/activation"
)

// Bind opens the TCP 191 listener before privileges are dropped. Left at
// its default, a port that cannot be bound (not root, or xinetd's
// xs-activation still holding it) is logged and skipped so that the rest of
// the server runs; an address the admin chose must bind or aula stops.
func (m *Module) Bind(ctx context.Context) error {
	addr := m.set.listen
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if addr == DefaultListen {
			m.log.Error("activation: TCP 191 listener not opened; laptops cannot activate over the network (set --activation-listen to an address that binds, or to \"\" to turn it off)", "addr", addr, "err", err)
			return nil
		}
		return fmt.Errorf("activation listener %s: %w", addr, err)
	}
	m.ln = ln
	return nil
}

// Addr is the bound activation address (nil when not listening); with
// port 0 in tests and benchmarks it says where to connect.
func (m *Module) Addr() net.Addr {
	if m.ln == nil {
		return nil
	}
	return m.ln.Addr()
}

// Start loads the answers, starts the background loops (reload poller,
// request-log flusher, lease renewer) and serves TCP 191.
func (m *Module) Start(ctx context.Context) error {
	if m.tables == nil {
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
		if err := m.reqs.flush(ctx, m.env.Store); err != nil && ctx.Err() == nil {
			m.log.Error("activation: recording requests", "err", err)
		}
	})
	m.loop(m.set.renewEvery, m.renew, m.renewAll)
	m.kickRenew() // sign what is due at once rather than after the first interval
	if m.ln != nil {
		m.srv = &activation.Server{
			Answerer:      m,
			ReadDeadline:  m.set.readDeadline,
			MaxConns:      m.set.maxConns,
			MaxConnsPerIP: m.set.maxPerIP,
			Invalid:       m.invalid,
			Logger:        m.log,
		}
		srv, ln := m.srv, m.ln
		m.loops.Add(1)
		go func() {
			defer m.loops.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, activation.ErrServerClosed) {
				m.log.Error("activation: listener failed", "err", err)
			}
		}()
		m.log.Info("listening", "listener", "activation", "addr", ln.Addr().String())
	}
	return nil
}

// Stop stops accepting, lets answers in progress finish (within ctx),
// stops the loops and writes the last request records.
func (m *Module) Stop(ctx context.Context) error {
	var errs []error
	if m.srv != nil {
		errs = append(errs, m.srv.Shutdown(ctx))
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.stop != nil {
		close(m.stop)
		m.loops.Wait()
		m.stop = nil
	}
	m.flights.wait() // signatures in progress finish (and are stored) before the store closes
	m.started.Store(false)
	errs = append(errs, m.reqs.flush(context.WithoutCancel(ctx), m.env.Store))
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
	gen, err := m.tables.generation(ctx)
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
