package activation

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"aula/internal/core"
	"aula/internal/lease"
)

// KeyInfo describes the server's lease-signing key.
type KeyInfo struct {
	KeyID       string `json:"keyid"`
	Key01       string `json:"key01"` // the key01: line, with its "\n"
	PublicFile  string `json:"public_file"`
	PrivateFile string `json:"private_file"`
}

func (m *Module) keyringInitMethod() core.Method {
	meth := core.Func("keyring_init",
		"Creates the server's lease-signing key (RSA-2048, e=65537) as DER PKCS#1 files keyring/lease.private (mode 0600) and keyring/lease.public in the data directory; "+
			"refuses to overwrite an existing key. Send the .public file (or the key01 line) to OLPC to get delegations for it.",
		func(ctx context.Context, _ struct{}) (KeyInfo, error) { return m.keyringInit(ctx) })
	meth.Access, meth.Mutates = core.Admin, true
	return meth
}

func (m *Module) keyringShowMethod() core.Method {
	meth := core.Func("keyring_show", "Returns the server key's keyid and key01 line.",
		func(ctx context.Context, _ struct{}) (KeyInfo, error) {
			if m.keyBase == "" {
				return KeyInfo{}, errNotProvisioned
			}
			pub, err := lease.LoadPublicKey(m.keyBase + ".public")
			if errors.Is(err, fs.ErrNotExist) {
				return KeyInfo{}, core.Errorf(core.KindNotFound, "no server key in %s: run `aula keyring init`", filepath.Dir(m.keyBase))
			}
			if err != nil {
				return KeyInfo{}, core.Wrap(core.KindInternal, err, "reading the server key")
			}
			return m.keyInfo(pub), nil
		})
	meth.Access = core.Admin
	return meth
}

func (m *Module) keyInfo(pub *lease.PublicKey) KeyInfo {
	return KeyInfo{KeyID: pub.KeyID(), Key01: pub.Key01(), PublicFile: m.keyBase + ".public", PrivateFile: m.keyBase + ".private"}
}

func (m *Module) keyringInit(ctx context.Context) (KeyInfo, error) {
	if m.keyBase == "" || m.store == nil {
		return KeyInfo{}, errNotProvisioned
	}
	dir := filepath.Dir(m.keyBase)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyInfo{}, core.Wrap(core.KindInternal, err, "creating the keyring directory")
	}
	for _, ext := range []string{".private", ".public"} {
		if _, err := os.Lstat(m.keyBase + ext); err == nil {
			return KeyInfo{}, core.Errorf(core.KindConflict, "%s already exists; refusing to overwrite the server key (delegations are made for it)", m.keyBase+ext)
		}
	}
	k, err := lease.GenerateKey()
	if err != nil {
		return KeyInfo{}, core.Wrap(core.KindInternal, err, "generating the server key")
	}
	if err := lease.SavePrivateKey(m.keyBase+".private", k); err != nil {
		return KeyInfo{}, core.Errorf(core.KindConflict, "saving the server key: %v", err)
	}
	if err := lease.SavePublicKey(m.keyBase+".public", k.Public()); err != nil {
		os.Remove(m.keyBase + ".private") // ours, written just above: no half key pair
		return KeyInfo{}, core.Errorf(core.KindConflict, "saving the server key: %v", err)
	}
	// A new key changes what can be signed: tell running servers.
	if err := m.store.bumpGeneration(ctx); err != nil {
		m.log.Warn("activation: server key created, but running servers will only see it on restart", "err", err)
	}
	m.adminChanged(ctx)
	return m.keyInfo(k.Public()), nil
}
