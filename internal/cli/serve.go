package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/server"
)

// shutdownGrace bounds how long in-flight calls may take to finish after
// SIGTERM before the listeners are torn down.
const shutdownGrace = 30 * time.Second

// serverOpts are the options of the process that every front end shares:
// TLS, privilege drop, pidfile. Each front end declares its own listeners,
// caps and timeouts (internal/frontend/...).
type serverOpts struct {
	tlsCert, tlsKey, tlsClientAuth, tlsClientCA *config.Opt[string]
	caDir                                       *config.Opt[string]
	user, group, pidfile                        *config.Opt[string]
}

func declareServer(s *config.Set) *serverOpts {
	return &serverOpts{
		tlsCert:       s.String("tls-cert", "", "PEM certificate (chain) for every HTTP listener; with --tls-key turns TLS on (TLS 1.2 at least)"),
		tlsKey:        s.String("tls-key", "", "PEM private key of --tls-cert; aula refuses a key file others may read"),
		tlsClientAuth: s.String("tls-client-auth", "none", "client certificates: none, request (verify if sent) or require; a verified certificate's CN is the caller's identity").Choices("none", "request", "require"),
		tlsClientCA:   s.String("tls-client-ca", "", "CA that client certificates must chain to: a directory made by `aula ca init` (revocations apply at once) or a PEM file (empty: --ca-dir)"),
		caDir:         s.String("ca-dir", "", "directory of aula's own certificate authority, `aula ca` (empty: DATA-DIR/ca)"),
		user:          s.String("user", "", "aula serve started as root binds its listeners, then runs as this user (and hands it the data directory)"),
		group:         s.String("group", "", "group to run as with --user (empty: the user's primary group)"),
		pidfile:       s.String("pidfile", "", "aula serve writes its process id here (refusing to start if another live process holds it)"),
	}
}

// caDirOf is --ca-dir, or DATA-DIR/ca.
func (rt *loaded) caDirOf() string {
	if d := rt.opts.srv.caDir.Get(); d != "" {
		return d
	}
	return server.DefaultCADir(rt.opts.dataDir.Get())
}

// serverTLS builds the listeners' TLS configuration from the options (nil
// without TLS).
func (rt *loaded) serverTLS() (*server.ServerTLS, error) {
	so := rt.opts.srv
	o := server.TLSOptions{CertFile: so.tlsCert.Get(), KeyFile: so.tlsKey.Get(),
		ClientAuth: so.tlsClientAuth.Get(), ClientCA: so.tlsClientCA.Get()}
	if o.ClientCA == "" && o.ClientAuth != "none" {
		o.ClientCA = rt.caDirOf()
	}
	return server.TLSConfig(o)
}

// account resolves --user/--group (nil when no drop is asked for).
func (rt *loaded) account() (*server.Account, error) {
	so := rt.opts.srv
	if so.user.Get() == "" {
		if so.group.Get() != "" {
			return nil, errors.New("--group needs --user")
		}
		return nil, nil
	}
	a, err := server.LookupAccount(so.user.Get(), so.group.Get())
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// runServe runs the server in the foreground until SIGINT/SIGTERM.
func runServe(ctx context.Context, st *stdio, args []string) error {
	rt, rest, err := load(args, st.err)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	acct, err := rt.account()
	if err != nil {
		return err
	}
	so := rt.opts.srv
	if p := so.pidfile.Get(); p != "" {
		remove, err := server.WritePidfile(p)
		if err != nil {
			return err
		}
		defer remove()
	}
	if err := rt.open(ctx); err != nil {
		return err
	}
	defer rt.close()
	tlsSt, err := rt.serverTLS()
	if err != nil {
		return err
	}
	failed := make(chan error, 1)
	env := &core.FrontEnv{App: rt.app, Log: rt.log, Debug: rt.opts.debug.Get(), DataDir: rt.opts.dataDir.Get(),
		Fail: func(err error) {
			select {
			case failed <- err:
			default:
			}
		}}
	if tlsSt != nil {
		env.TLS, env.PeerCheck = tlsSt.Config, tlsSt.PeerCheck
	}
	// Every front end binds before the privilege drop (low ports), starts
	// after the modules and is shut down before them.
	if err := rt.fronts.Bind(ctx, env); err != nil {
		return err
	}
	if acct != nil {
		if err := rt.dropTo(*acct); err != nil {
			rt.fronts.Shutdown(context.Background())
			return err
		}
	} else if os.Geteuid() == 0 {
		rt.log.Warn("serving as root: start with --user (and --group) to drop privileges after binding")
	}
	if err := rt.app.Start(ctx); err != nil {
		rt.fronts.Shutdown(context.Background())
		return err
	}
	warnSugarPorts(rt.log, rt.app, rt.fronts.Addrs()["http.xs"])
	if err := rt.fronts.Start(ctx); err != nil {
		rt.fronts.Shutdown(context.Background())
		rt.app.Stop(context.Background())
		return err
	}
	rt.log.Info("aula serving", "version", server.Version, "data-dir", rt.opts.dataDir.Get(), "chain", rt.app.Chain(),
		"frontends", frontEndIDs(rt.fronts), "uid", os.Getuid(), "gid", os.Getgid())
	var serveErr error
	select {
	case <-ctx.Done():
		rt.log.Info("shutting down: finishing in-flight calls", "grace", shutdownGrace)
	case serveErr = <-failed:
		rt.log.Error("listener failed; shutting down", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := rt.fronts.Shutdown(sctx); err != nil {
		rt.log.Warn("shutdown", "err", err)
	}
	if err := rt.app.Stop(sctx); err != nil {
		rt.log.Warn("stopping modules", "err", err)
	}
	rt.log.Info("stopped")
	return serveErr
}

func frontEndIDs(fs *core.FrontEnds) []string {
	var ids []string
	for _, f := range fs.Infos() {
		ids = append(ids, f.ID)
	}
	return ids
}

// dropTo hands the data directory (and the client CA directory, whose
// revocation list the server keeps re-reading) to the account, then
// becomes it. Everything needing root (low ports, key files) is done.
func (rt *loaded) dropTo(a server.Account) error {
	if os.Geteuid() == 0 {
		dirs := []string{rt.opts.dataDir.Get()}
		if ca := rt.opts.srv.tlsClientCA.Get(); ca == "" && rt.opts.srv.tlsClientAuth.Get() != "none" {
			dirs = append(dirs, rt.caDirOf())
		} else if fi, err := os.Stat(ca); err == nil && fi.IsDir() {
			dirs = append(dirs, ca)
		}
		for _, d := range dirs {
			if err := server.HandOver(d, a.UID, a.GID); err != nil {
				return err
			}
		}
	}
	if err := server.DropPrivileges(a); err != nil {
		return err
	}
	rt.log.Info("dropped privileges", "user", a.User, "uid", a.UID, "group", a.Group, "gid", a.GID)
	return nil
}
