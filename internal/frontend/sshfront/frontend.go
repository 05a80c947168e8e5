package sshfront

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/rawtcp"
)

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "backupssh", Section: "backup",
		New:  func() core.FrontEnd { return &FrontEnd{} },
		Help: "SSH endpoint for OLPC ds-backup and other rsync backups (--backup-ssh-listen): login by serial, rsync only"})
}

// Backend is what the endpoint needs from the backup module.
type Backend interface {
	// BackupLogin says which client (uid) logs in as login with the
	// public key blob key (SSH wire format); ok is false to refuse.
	BackupLogin(ctx context.Context, login string, key []byte) (uid string, ok bool, err error)
	// RunBackupCommand runs the session's command for client uid with the
	// session's streams and returns its exit status.
	RunBackupCommand(ctx context.Context, uid, command string, stdin io.Reader, stdout, stderr io.Writer) int
}

// Defaults of the caps; see the option help and README.md.
const (
	DefaultMaxConns      = 64
	DefaultMaxConnsPerIP = 32
	// New connections per source address: a burst, then one per interval.
	DefaultConnBurst = 120
	DefaultConnEvery = time.Second
	// DefaultIdleTimeout closes a logged-in connection that runs no
	// command (an `ssh -N`, or one left open after its rsync).
	DefaultIdleTimeout = 30 * time.Second
	// handshakeTimeout bounds key exchange and authentication.
	handshakeTimeout = 30 * time.Second
	// maxChannels bounds sessions open at once on one connection.
	maxChannels = 4
)

// FrontEnd is the SSH backup endpoint.
type FrontEnd struct {
	listen             *config.Opt[string]
	maxConns, maxPerIP *config.Opt[int]
	connBurst          *config.Opt[int]
	connEvery          *config.Opt[time.Duration]
	idleTimeout        *config.Opt[time.Duration]

	log     *slog.Logger
	backend Backend
	cfg     *ssh.ServerConfig
	addr    string
	srv     *rawtcp.Server // the listener: accept loop, caps, connections
	rate    *limit.Limiter
	fails   *limit.LoginThrottle
	fail    func(error)
}

// Configure declares --backup-ssh-listen and its caps.
func (f *FrontEnd) Configure(sec *config.Section) {
	f.listen = sec.String("ssh-listen", "",
		"address of aula's own SSH endpoint for backups, e.g. :22 (OLPC ds-backup logs in as the laptop's serial with its DSA key, on port 22); rsync only, no shell (empty: off)")
	f.maxConns = sec.Int("ssh-max-conns", DefaultMaxConns,
		"SSH backup connections open at once at most; more are closed at once, and past 7/8 of it each new connection first closes the one that has waited longest without logging in").Validate(atLeast(1))
	f.maxPerIP = sec.Int("ssh-max-conns-per-ip", DefaultMaxConnsPerIP,
		"SSH backup connections open at once per source address at most (a school NAT is one address)").Validate(atLeast(1))
	f.connBurst = sec.Int("ssh-conn-burst", DefaultConnBurst,
		"new SSH backup connections per source address: this many at once, then one per --backup-ssh-conn-every").Validate(atLeast(1))
	f.connEvery = sec.Duration("ssh-conn-every", DefaultConnEvery,
		"see --backup-ssh-conn-burst").Validate(config.PositiveDuration)
	f.idleTimeout = sec.Duration("ssh-idle-timeout", DefaultIdleTimeout,
		"a logged-in SSH backup connection running no command is closed after this long").Validate(config.PositiveDuration)
}

func atLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("want at least %d", n)
		}
		return nil
	}
}

// Bind opens the listener and loads (or makes) the host keys, before
// privileges are dropped (port 22 needs root).
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	addr := ""
	if f.listen != nil {
		addr = f.listen.Get()
	}
	if addr == "" {
		return nil
	}
	mod, ok := env.App.Module("backup")
	be, ok2 := mod.(Backend)
	if !ok || !ok2 {
		return errors.New("--backup-ssh-listen needs the backup module")
	}
	keys, err := LoadHostKeys(filepath.Join(env.DataDir, "backup"))
	if err != nil {
		return err
	}
	ln, err := core.ListenTCP(addr)
	if err != nil {
		return fmt.Errorf("backup SSH listener: %w", err)
	}
	f.log, f.backend, f.fail = env.Log, be, env.Fail
	if f.log == nil {
		f.log = slog.Default()
	}
	f.rate = limit.NewLimiter(limit.Config{Burst: f.connBurst.Get(), Every: f.connEvery.Get()})
	f.fails = limit.NewLoginThrottle(limit.DefaultLogin)
	f.cfg = f.serverConfig(keys)
	f.addr = ln.Addr().String()
	f.srv = rawtcp.New(rawtcp.Config{Name: "backup SSH", MaxConns: f.maxConns.Get(), MaxPerIP: f.maxPerIP.Get(),
		OnReject: func(c net.Conn, reason string) {
			f.log.Debug("backup SSH connection refused", "addr", c.RemoteAddr().String(), "reason", reason)
		},
		Handler: f.serveConn, Logger: f.log}, ln)
	env.App.AddMetrics(func(w io.Writer) { f.srv.WriteMetrics(w, "backupssh") })
	return nil
}

// Addrs reports the listener ("ssh") when bound.
func (f *FrontEnd) Addrs() map[string]string {
	if f.srv == nil {
		return nil
	}
	return map[string]string{"ssh": f.addr}
}

// Start accepts connections in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	f.log.Info("listening", "listener", "backup-ssh", "addr", f.addr)
	if os.Geteuid() == 0 {
		// The gate refuses to run rsync as root (it would keep the
		// clients' owners, modes and devices).
		f.log.Warn("serving as root: the backup SSH endpoint refuses every transfer (unless --backup-allow-root, for tests); start with --user (the backup account)")
	}
	f.srv.Start(f.fail)
	return nil
}

// Shutdown stops accepting, lets running transfers finish until ctx ends,
// then closes what is left (rsync sees its peer go and exits).
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	return f.srv.Shutdown(ctx)
}
