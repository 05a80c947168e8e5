// Package agent is `aula agent`, the lab computer's side of lab
// management: it dials the server's agent listener over TLS 1.3 with its
// client certificate (enrolling once with a one-time token to get one),
// announces itself, keeps the connection, reconnects with jittered
// exponential backoff, and runs the commands the server sends, one at a
// time (a probe is answered even while busy). It runs nothing that did not
// come over that authenticated connection.
package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Config is the agent's settings (its flags).
type Config struct {
	Server      string // host:port of the server's agent listener
	Dir         string // where agent.crt, agent.key (0600) and ca.crt live
	Token       string // one-time enrolment token (SECRET.PIN), used when Dir has no certificate
	CAFile      string // the CA to trust instead of the token's pin
	CommandsDir string // admin-defined commands: an executable per command name
	PowerOff    string // command run for Apagar, after reporting
	Reboot      string // command run for Reiniciar, after reporting
	Timeout     time.Duration
	OutputLimit int
	MaxBackoff  time.Duration
	Log         *slog.Logger
}

// Agent is one running agent.
type Agent struct {
	cfg Config
	log *slog.Logger
	// sessions keeps the TLS session of the last connection (with the
	// certificate), so that after a server restart the agent resumes it
	// instead of a full handshake: the server, whose ticket keys survive
	// the restart, then does not check 10,000 certificate chains at once.
	sessions tls.ClientSessionCache
}

// New checks cfg and makes an agent.
func New(cfg Config) (*Agent, error) {
	if cfg.Server == "" {
		return nil, errors.New("--server HOST:PORT is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Server); err != nil {
		return nil, fmt.Errorf("--server %q: %v", cfg.Server, err)
	}
	if cfg.Dir == "" {
		return nil, errors.New("--dir is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.OutputLimit <= 0 {
		cfg.OutputLimit = 64 << 10
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	return &Agent{cfg: cfg, log: cfg.Log, sessions: tls.NewLRUClientSessionCache(1)}, nil
}

func (a *Agent) path(name string) string { return filepath.Join(a.cfg.Dir, name) }

// Run keeps a session with the server until ctx ends: it enrols first if
// it has no certificate, and reconnects after any failure, waiting a
// random time between half and all of a delay that doubles from 500 ms up
// to MaxBackoff (a restarted server is not hit by every agent at once).
// A session that got as far as the server's welcome resets the delay.
func (a *Agent) Run(ctx context.Context) error {
	delay := FirstBackoff
	for {
		if _, err := os.Stat(a.path(certFile)); errors.Is(err, os.ErrNotExist) {
			if a.cfg.Token == "" {
				return fmt.Errorf("no certificate in %s and no --token to enrol with (`aula computer enrol NAME` on the server prints one)", a.cfg.Dir)
			}
			if err := a.enrol(ctx); err != nil {
				var perm permanentError
				if errors.As(err, &perm) {
					return err
				}
				a.log.Warn("enrolment failed; retrying", "err", err, "in", delay)
				if !sleep(ctx, jitter(delay)) {
					return nil
				}
				delay = min(2*delay, a.cfg.MaxBackoff)
				continue
			}
			a.sessions = tls.NewLRUClientSessionCache(1) // a new certificate: no session of an old one
		}
		welcomed, err := a.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var perm permanentError
		if errors.As(err, &perm) {
			return err
		}
		if welcomed {
			delay = FirstBackoff
		}
		wait := jitter(delay)
		a.log.Warn("disconnected; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil
		}
		delay = min(2*delay, a.cfg.MaxBackoff)
	}
}

// FirstBackoff is the first wait before reconnecting (bench/labbench's
// simulated agents use it too).
const FirstBackoff = 500 * time.Millisecond

// permanentError ends Run: retrying cannot help (a refused token).
type permanentError struct{ error }

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
