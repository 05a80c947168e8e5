package labfront

import "crypto/tls"

// The cipher suite. An idle agent connection keeps two AEAD states, one
// per direction, for as long as it is open. AES-GCM's (expanded AES keys
// for both directions of the block cipher and the GHASH tables) take about
// 0.9 KiB each; ChaCha20-Poly1305's are its 32-byte key. At 10,000 agents
// the difference was 2.4 KiB of heap per idle agent (bench/labbench: 13.7
// against 11.3 KiB), the largest part of crypto/tls's state that can be
// chosen at all. Both are TLS 1.3 suites of the same strength, and every
// message on this listener is small, so AES's hardware speed buys nothing
// here (on servers without AES instructions crypto/tls picks ChaCha20
// anyway).
//
// crypto/tls offers no setting for the TLS 1.3 suite (Config.CipherSuites
// is ignored there): a Go server with AES hardware takes AES-GCM when the
// client lists an AES suite first, as every Go client with AES hardware
// (`aula agent`) does. preferChaCha, run from GetConfigForClient, moves
// ChaCha20-Poly1305 to the front of the list the server decides from: the
// ClientHelloInfo's CipherSuites is that list (not a copy) in crypto/tls
// up to Go 1.26, which the test TestAgentsNegotiateChaCha pins; should a
// later Go copy it, connections fall back to AES-GCM, still correct, and
// that test says why the memory grew. The handshake transcript hashes the
// ClientHello's bytes as received, so reordering the parsed list changes
// nothing else; the key exchange (X25519MLKEM768 where the agent offers
// it) is untouched, and session tickets stay valid (both suites use
// SHA-256). A client without ChaCha20-Poly1305 gets what it offers.
func preferChaCha(hi *tls.ClientHelloInfo) (*tls.Config, error) {
	suites := hi.CipherSuites
	for i, id := range suites {
		if id == tls.TLS_CHACHA20_POLY1305_SHA256 {
			copy(suites[1:i+1], suites[:i])
			suites[0] = id
			break
		}
	}
	return nil, nil // the listener's own Config
}
