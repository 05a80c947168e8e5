package acl

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Holder holds the policy in force and swaps it atomically on reload, so
// requests in flight finish under the policy they started with and never
// see a half-loaded one. The zero Holder holds no policy (defaults only).
type Holder struct {
	p atomic.Pointer[Policy]
}

// Policy returns the policy in force, or nil if none was loaded.
func (h *Holder) Policy() *Policy { return h.p.Load() }

// Store replaces the policy in force; nil means defaults only.
func (h *Holder) Store(p *Policy) { h.p.Store(p) }

// Decide decides under the policy in force.
func (h *Holder) Decide(s Subject, method string, def Default) Decision {
	return h.p.Load().Decide(s, method, def)
}

// Load parses the file at path and puts it in force. On any error the
// policy in force is kept, and the error says why the new one was refused.
func (h *Holder) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("acl: %w", err)
	}
	defer f.Close()
	p, err := Parse(f, path)
	if err != nil {
		return fmt.Errorf("acl: %w", err)
	}
	h.p.Store(p)
	return nil
}
