// Package ca is a small certificate authority kept in one directory, for
// aula's TLS listeners and for client certificates (lab agents, Bcfg2
// clients, admins).
//
// Layout of the CA directory (mode 0700):
//
//	ca.crt       the CA certificate (PEM)
//	ca.key       its ECDSA P-256 private key (PKCS#8 PEM, mode 0600)
//	index.json   every certificate issued: serial, name, kind, dates, hosts,
//	             revocation time; rewritten atomically (temp file + rename)
//	crl.pem      a CRL signed by the CA, regenerated on every revocation,
//	             for other TLS stacks (openssl -crl_check, nginx, ...)
//	index.lock   flock(2) target serialising writers of index.json
//
// Keys are ECDSA P-256 with SHA-256 signatures: accepted for TLS client
// and server authentication by Go, OpenSSL 3 at its default security level
// and so Python's ssl module, and by older peers that lack Ed25519.
//
// Revocation inside aula does not depend on the CRL: Checker re-reads
// index.json whenever the file changes (one stat per handshake), so a
// revoked certificate is refused on the next connection, without restart.
package ca
