// Package auth is aula's security module. It fills the chain's open links:
// authenticate (verified TLS client certificates, HTTP Basic users with
// argon2id hashes, Clarens-style session tokens from auth.login), authorize
// (the ordered ACL policy file over each method's default access, which
// the core enforces and filters introspection by), limit
// (per-source token buckets for anonymous calls; failed logins are
// throttled where they are checked) and audit (every state-changing call
// and every failed authentication, in the auth_audit table). It brings the
// `aula user`, `aula acl`, `aula audit` and `aula ca` commands.
package auth

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"aula/internal/auth/acl"
	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/store"
)

//go:embed README.md
var readme string

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	core.Register(core.ModuleInfo{ID: "auth", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the security module.
type Module struct {
	opts *options

	db      *store.DB
	log     *slog.Logger
	app     *core.App
	policy  acl.Holder
	logins  *limit.LoginThrottle
	anon    *limit.Limiter // nil: anonymous calls are not rate limited
	verify  *verifier
	aclFile string
	groups  groupCache // identities' groups (groupcache.go)

	hupMu sync.Mutex
	hup   chan os.Signal
	done  chan struct{}
}

// Migrations supplies the auth_* tables.
func (m *Module) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Provision loads the ACL policy, sets up the throttles and puts the
// module's links into the chain of this process (the server's, or the
// CLI's for commands on the local data directory).
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	m.db, m.log, m.app = env.Store, env.Log, env.App
	if m.log == nil {
		m.log = slog.Default()
	}
	o := m.opts
	if o == nil { // not configured (tests building a bare App)
		o = defaultOptions()
		m.opts = o
	}
	m.aclFile = o.aclFile()
	if m.aclFile != "" {
		if err := m.policy.Load(m.aclFile); err != nil {
			return err
		}
	}
	m.logins = limit.NewLoginThrottle(o.loginConfig())
	if cfg, ok := o.anonConfig(); ok {
		m.anon = limit.NewLimiter(cfg)
	}
	m.verify = newVerifier(o.hashParams())
	app := env.App
	app.Replace("authenticate", m.authenticateLink)
	app.Replace("limit", m.limitLink)
	app.Replace("audit", m.auditLink)
	app.SetPolicy(m)
	app.SetAdmission(m.admit)
	return nil
}

// Start reloads the ACL policy on SIGHUP (the server only).
func (m *Module) Start(ctx context.Context) error {
	m.hupMu.Lock()
	defer m.hupMu.Unlock()
	m.hup = make(chan os.Signal, 1)
	m.done = make(chan struct{})
	signal.Notify(m.hup, syscall.SIGHUP)
	go func(hup chan os.Signal, done chan struct{}) {
		defer close(done)
		for range hup {
			if n, err := m.reloadPolicy(); err != nil {
				m.log.Error("ACL policy not reloaded; the old one stays in force", "err", err)
			} else {
				m.log.Info("ACL policy reloaded on SIGHUP", "file", m.aclFile, "rules", n)
			}
		}
	}(m.hup, m.done)
	return nil
}

// Stop ends the SIGHUP watcher.
func (m *Module) Stop(ctx context.Context) error {
	m.hupMu.Lock()
	defer m.hupMu.Unlock()
	if m.hup == nil {
		return nil
	}
	signal.Stop(m.hup)
	close(m.hup)
	select {
	case <-m.done:
	case <-ctx.Done():
	}
	m.hup = nil
	return nil
}

// reloadPolicy re-reads the ACL file; on error the old policy stays.
func (m *Module) reloadPolicy() (int, error) {
	if m.aclFile == "" {
		return 0, core.Errorf(core.KindInvalid, "no ACL file configured (--auth-acl-file): the methods' defaults apply")
	}
	if err := m.policy.Load(m.aclFile); err != nil {
		return 0, core.Errorf(core.KindInvalid, "policy refused, the old one stays in force: %v", err)
	}
	return m.policy.Policy().Len(), nil
}

// Methods is the auth module's method table.
func (m *Module) Methods() []core.Method {
	return []core.Method{
		m.loginMethod(), m.logoutMethod(), m.whoamiMethod(),
		m.userAddMethod(), m.userPasswdMethod(), m.userRmMethod(), m.userListMethod(), m.userGroupsMethod(),
		m.aclCheckMethod(), m.aclReloadMethod(), m.aclShowMethod(),
		m.auditMethod(),
	}
}
