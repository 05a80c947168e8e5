// Package logrepeat keeps one failing cause from flooding the log: a
// slog.Handler that passes a warning or error carrying an "err" attribute
// at once, then drops the same message with the same error for a period,
// and says how many it dropped on the next one it passes. A full disk
// made the server log about 12,000 identical lines in 10 seconds (every
// refused write, every retry of the background fold, every audit record);
// with this it logs each distinct failure once per period.
package logrepeat

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxKeys bounds the remembered failures; past it the memory starts over
// (at worst a repeated line is logged once more).
const maxKeys = 1024

// Handler wraps next.
type Handler struct {
	next  slog.Handler
	every time.Duration
	st    *state // shared by the handlers WithAttrs and WithGroup make
}

type state struct {
	mu   sync.Mutex
	seen map[string]*seen
	now  func() time.Time
}

type seen struct {
	at      time.Time
	dropped int
}

// New returns a handler that passes each distinct (message, error) at
// warning level or above at most once per every.
func New(next slog.Handler, every time.Duration) *Handler {
	return &Handler{next: next, every: every, st: &state{seen: map[string]*seen{}, now: time.Now}}
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(as), every: h.every, st: h.st}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), every: h.every, st: h.st}
}

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	errText := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			errText = a.Value.String()
			return false
		}
		return true
	})
	if errText == "" {
		return h.next.Handle(ctx, r)
	}
	key := r.Message + "\x00" + errText
	st := h.st
	st.mu.Lock()
	now := st.now()
	s := st.seen[key]
	if s != nil && now.Sub(s.at) < h.every {
		s.dropped++
		st.mu.Unlock()
		return nil
	}
	dropped := 0
	if s != nil {
		dropped = s.dropped
	}
	if len(st.seen) >= maxKeys {
		st.seen = map[string]*seen{}
	}
	st.seen[key] = &seen{at: now}
	st.mu.Unlock()
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped), slog.Duration("within", h.every))
	}
	return h.next.Handle(ctx, r)
}
