package sshfront

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"

	"golang.org/x/crypto/ssh"
)

// permUID is the Permissions extension carrying the authenticated client.
const permUID = "aula-uid"

// serverConfig allows what OLPC's clients speak besides today's algorithms:
// the SHA-1 Diffie-Hellman groups, CBC ciphers, hmac-sha1(-96) and DSA and
// ssh-rsa (SHA-1) client keys. x/crypto calls them insecure; the laptops
// cannot be updated, and the data on this link is their own Journal.
func (f *FrontEnd) serverConfig(hostKeys []ssh.Signer) *ssh.ServerConfig {
	sup, old := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	cfg := &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges: append(slices.Clone(sup.KeyExchanges), old.KeyExchanges...),
			Ciphers:      append(slices.Clone(sup.Ciphers), ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC),
			MACs:         append(slices.Clone(sup.MACs), old.MACs...),
		},
		PublicKeyAuthAlgorithms: append(slices.Clone(sup.PublicKeyAuths), old.PublicKeyAuths...),
		MaxAuthTries:            6,
		ServerVersion:           "SSH-2.0-aula_backup",
		PublicKeyCallback:       f.checkKey,
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

var errRefused = errors.New("key not accepted for this login")

// checkKey accepts a key when the backup module says which client it is
// for this login. x/crypto asks once per offered key and verifies the
// signature itself afterwards.
func (f *FrontEnd) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	uid, ok, err := f.backend.BackupLogin(ctx, meta.User(), key.Marshal())
	if err != nil {
		f.log.Warn("backup SSH login lookup failed", "login", meta.User(), "err", err)
		return nil, errRefused
	}
	if !ok {
		f.fails.Failed(sourceOf(meta.RemoteAddr()), "")
		f.log.Info("backup SSH key refused", "login", meta.User(), "addr", meta.RemoteAddr().String(),
			"key", key.Type()+" "+ssh.FingerprintSHA256(key))
		return nil, errRefused
	}
	return &ssh.Permissions{Extensions: map[string]string{permUID: uid}}, nil
}

// sourceOf is a connection's source address.
func sourceOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
