package config

import (
	"fmt"
	"slices"
)

// Opt is the handle of one declared option; Get returns its loaded value.
type Opt[T any] struct {
	o *option
}

// Get returns the current value (the default before Load). Lists and maps
// are copies.
func (h *Opt[T]) Get() T {
	o := h.o
	o.set.mu.RLock()
	defer o.set.mu.RUnlock()
	return cloneValue(o.val).(T)
}

// Name is the option's full name, as a flag without the dashes.
func (h *Opt[T]) Name() string { return h.o.name }

// Validate adds a check on every value a source sets (for a list or map, the
// whole value of each layer). The error text should say what is expected.
func (h *Opt[T]) Validate(check func(T) error) *Opt[T] {
	h.o.set.mu.Lock()
	defer h.o.set.mu.Unlock()
	h.o.checks = append(h.o.checks, func(v any) error { return check(v.(T)) })
	return h
}

// Choices restricts the value (each element of a list, each value of a
// map) to the given texts. The default must be one of them.
func (h *Opt[T]) Choices(choices ...string) *Opt[T] {
	h.o.set.mu.Lock()
	defer h.o.set.mu.Unlock()
	h.o.choices = append([]string{}, choices...)
	for _, text := range defaultTexts(h.o) {
		if !slices.Contains(choices, text) {
			panic(fmt.Sprintf("config: default %q of %q is not among its choices", text, h.o.name))
		}
	}
	return h
}

// Secret marks the option as holding a secret: errors never echo its
// value and Write does not print it.
func (h *Opt[T]) Secret() *Opt[T] {
	h.o.set.mu.Lock()
	defer h.o.set.mu.Unlock()
	h.o.secret = true
	return h
}

// Info describes one option for listings and tools such as `aula config`.
// Text and Value hold the real value even for a secret option: check
// Secret before showing them.
type Info struct {
	Name    string // full name, the flag without dashes: "backup-max-concurrent"
	Section string // the declaring section ("backup"), "" for the top level
	Kind    Kind
	Help    string
	Default string // default in the environment-variable text form
	Text    string // current value in that form (lists and maps comma-joined)
	Value   any    // current typed value: string, int, bool, time.Duration, []string, map[string]string
	Origin  string // "default", "/etc/aula.conf:12", "env AULA_X", "flag --x"
	Env     string // the environment variable: "AULA_BACKUP_MAX_CONCURRENT"
	Secret  bool
	Choices []string
}

// Names returns every option name in declaration order.
func (s *Set) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, len(s.order))
	for i, o := range s.order {
		names[i] = o.name
	}
	return names
}

// Lookup describes the option name.
func (s *Set) Lookup(name string) (Info, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.opts[name]
	if o == nil {
		return Info{}, false
	}
	return Info{
		Name:    o.name,
		Section: o.section,
		Kind:    o.kind,
		Help:    o.help,
		Default: textOf(o.kind, o.def),
		Text:    textOf(o.kind, o.val),
		Value:   cloneValue(o.val),
		Origin:  o.origin,
		Env:     envName(o.name),
		Secret:  o.secret,
		Choices: slices.Clone(o.choices),
	}, true
}

// Origin says where the value of option name came from: "default",
// "/etc/aula.conf:12", "env AULA_X" or "flag --x"; "" for an unknown name.
func (s *Set) Origin(name string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.opts[name]; o != nil {
		return o.origin
	}
	return ""
}
