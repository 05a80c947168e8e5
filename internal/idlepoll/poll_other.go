//go:build !linux

package idlepoll

import "net"

// Poller is a stand-in where there is no epoll: every Wait fails with
// ErrUnsupported, and callers wait in a goroutine.
type Poller struct{}

// Wait is never pending here.
type Wait struct{}

// New returns the stand-in.
func New() (*Poller, error) { return &Poller{}, nil }

// Wait fails with ErrUnsupported.
func (p *Poller) Wait(c net.Conn, ready func()) (*Wait, error) { return nil, ErrUnsupported }

// Stop reports false: nothing was pending.
func (w *Wait) Stop() bool { return false }

// Pending is 0.
func (p *Poller) Pending() int { return 0 }

// Close does nothing.
func (p *Poller) Close() error { return nil }
