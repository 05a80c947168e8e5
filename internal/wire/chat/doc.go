// Package chat is the codec of IVLE's chat protocol
// (../shared/spec/chat-protocol.md): netstring framing, the
// {"digest","content"} request envelope signed with a shared "magic", the
// error object replies carry, and aula's opt-in HMAC-SHA256 mode with a
// per-connection server nonce. It knows nothing about the core; the front
// end (internal/frontend/chatfront) uses it.
package chat
