package chat

import (
	"encoding/json"
	"fmt"
)

// Greeting is the secure mode's first netstring, server to client:
// {"nonce": "<32 hex digits>", "auth": "hmac-sha256"}.
type Greeting struct {
	Nonce string `json:"nonce"`
	Auth  string `json:"auth"`
}

// AuthHMAC names the secure mode on the wire and in --chat-auth.
const AuthHMAC = "hmac-sha256"

// EncodeGreeting is the greeting's bytes for nonce.
func EncodeGreeting(nonce string) []byte {
	b, _ := MarshalPy(Greeting{Nonce: nonce, Auth: AuthHMAC})
	return b
}

// DecodeGreeting is the client side of the greeting.
func DecodeGreeting(p []byte) (Greeting, error) {
	var g Greeting
	if err := json.Unmarshal(p, &g); err != nil {
		return g, fmt.Errorf("greeting is not JSON: %w", err)
	}
	if g.Auth != AuthHMAC || len(g.Nonce) != 32 {
		return g, fmt.Errorf("greeting: want auth %q and a 32-digit nonce", AuthHMAC)
	}
	return g, nil
}
