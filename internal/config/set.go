package config

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Kind is the type of an option's value.
type Kind string

// The kinds of option.
const (
	KindString   Kind = "string"
	KindInt      Kind = "int"
	KindBool     Kind = "bool"
	KindDuration Kind = "duration"
	KindList     Kind = "list" // []string, repeatable
	KindMap      Kind = "map"  // map[string]string, a free-form section
)

// Set holds every declared option. Declare options (from the core and each
// module) before Load; Get on option handles is safe from many goroutines.
type Set struct {
	mu       sync.RWMutex
	opts     map[string]*option
	order    []*option         // declaration order
	sections []string          // declared section names, declaration order
	aliases  map[string]string // section alias -> section ("" = top level)
	envAllow []string
	checks   []func() error
	root     *Section
}

// Section declares options whose names share a prefix and that Write groups
// under one [section] header.
type Section struct {
	set  *Set
	name string // "" for the top level
}

type option struct {
	set      *Set
	name     string
	section  string // declaring section, "" for top level
	help     string
	kind     Kind
	def      any
	val      any
	origin   string // "default", "file:line", "env AULA_X", "flag --x"
	layer    int    // 0 = default; files, env and flags count up from 1
	checks   []func(any) error
	choices  []string
	secret   bool
	declared string // file:line of the declaration, for duplicate panics
}

// nameRE is what an option or section name may look like; it keeps the
// AULA_X_Y <-> x-y mapping one-to-one.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// NewSet returns an empty option set.
func NewSet() *Set {
	s := &Set{opts: map[string]*option{}, aliases: map[string]string{}}
	s.root = &Section{set: s}
	return s
}

// Declare calls each declarer with s: the core's options and each module's
// in one Set.
func (s *Set) Declare(declarers ...func(*Set)) *Set {
	for _, d := range declarers {
		d(s)
	}
	return s
}

// Section returns the section whose options are named name-*.
func (s *Set) Section(name string) *Section { return s.root.Section(name) }

// Root is the top level as a Section, for declarers that take a Section
// but whose options have no prefix (--listen).
func (s *Set) Root() *Section { return s.root }

// Alias makes each [alias] in a file mean the top level (e.g. "main").
func (s *Set) Alias(aliases ...string) *Set { s.root.Alias(aliases...); return s }

// String declares a string option.
func (s *Set) String(name, def, help string) *Opt[string] { return s.root.String(name, def, help) }

// Int declares an integer option.
func (s *Set) Int(name string, def int, help string) *Opt[int] { return s.root.Int(name, def, help) }

// Bool declares a boolean option; the bare flag --name means true.
func (s *Set) Bool(name string, def bool, help string) *Opt[bool] {
	return s.root.Bool(name, def, help)
}

// Duration declares a duration option.
func (s *Set) Duration(name string, def time.Duration, help string) *Opt[time.Duration] {
	return s.root.Duration(name, def, help)
}

// List declares a repeatable string option.
func (s *Set) List(name string, def []string, help string) *Opt[[]string] {
	return s.root.List(name, def, help)
}

// Map declares the free-form section [name].
func (s *Set) Map(name, help string) *Opt[map[string]string] { return s.root.Map(name, help) }

// Check adds a rule run after every source is loaded, for constraints
// across options; its error is returned by Load.
func (s *Set) Check(rule func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, rule)
}

// AllowEnv lets AULA_* variables that name no option pass without error.
// A pattern ending in "*" is a prefix ("AULA_DEV_*"); others are exact names.
func (s *Set) AllowEnv(patterns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envAllow = append(s.envAllow, patterns...)
}

// Section returns the nested section name-sub.
func (sec *Section) Section(sub string) *Section {
	name := sec.full(sub)
	s := sec.set
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.aliases[name]; ok {
		panic(fmt.Sprintf("config: section %q is already an alias", name))
	}
	if o := s.opts[name]; o != nil && o.kind == KindMap {
		panic(fmt.Sprintf("config: section %q is already a free-form section (%s)", name, o.declared))
	}
	for _, have := range s.sections {
		if have == name {
			return &Section{set: s, name: name}
		}
	}
	s.sections = append(s.sections, name)
	return &Section{set: s, name: name}
}

// Alias makes [alias] in a file mean this section.
func (sec *Section) Alias(aliases ...string) *Section {
	s := sec.set
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range aliases {
		if !nameRE.MatchString(a) {
			panic(fmt.Sprintf("config: bad section alias %q", a))
		}
		if _, ok := s.aliases[a]; ok || s.isSectionName(a) {
			panic(fmt.Sprintf("config: section alias %q is already taken", a))
		}
		s.aliases[a] = sec.name
	}
	return sec
}

// String declares a string option named section-name.
func (sec *Section) String(name, def, help string) *Opt[string] {
	return &Opt[string]{sec.declare(name, KindString, def, help)}
}

// Int declares an integer option.
func (sec *Section) Int(name string, def int, help string) *Opt[int] {
	return &Opt[int]{sec.declare(name, KindInt, def, help)}
}

// Bool declares a boolean option.
func (sec *Section) Bool(name string, def bool, help string) *Opt[bool] {
	return &Opt[bool]{sec.declare(name, KindBool, def, help)}
}

// Duration declares a duration option.
func (sec *Section) Duration(name string, def time.Duration, help string) *Opt[time.Duration] {
	return &Opt[time.Duration]{sec.declare(name, KindDuration, def, help)}
}

// List declares a repeatable string option.
func (sec *Section) List(name string, def []string, help string) *Opt[[]string] {
	return &Opt[[]string]{sec.declare(name, KindList, append([]string{}, def...), help)}
}

// Map declares the free-form section [section-name]: its arbitrary
// `key = value` lines are collected, not reported as unknown options.
func (sec *Section) Map(name, help string) *Opt[map[string]string] {
	return &Opt[map[string]string]{sec.declare(name, KindMap, map[string]string{}, help)}
}

func (sec *Section) full(name string) string {
	full := name
	if sec.name != "" {
		full = sec.name + "-" + name
	}
	if !nameRE.MatchString(full) {
		panic(fmt.Sprintf("config: bad option name %q (lower-case words joined by dashes)", full))
	}
	return full
}

func (sec *Section) declare(name string, kind Kind, def any, help string) *option {
	full := sec.full(name)
	s := sec.set
	s.mu.Lock()
	defer s.mu.Unlock()
	if full == "config" || full == "help" {
		panic(fmt.Sprintf("config: option name %q is reserved", full))
	}
	at := declarationSite()
	if o := s.opts[full]; o != nil {
		panic(fmt.Sprintf("config: option %q declared twice: %s and %s", full, o.declared, at))
	}
	if kind == KindMap && s.isSectionName(full) {
		panic(fmt.Sprintf("config: free-form section %q is already a section or alias", full))
	}
	o := &option{set: s, name: full, section: sec.name, help: help, kind: kind, def: def, declared: at}
	o.reset()
	s.opts[full] = o
	s.order = append(s.order, o)
	return o
}

// isSectionName reports whether name is a declared section or alias.
// The caller holds s.mu.
func (s *Set) isSectionName(name string) bool {
	if _, ok := s.aliases[name]; ok {
		return true
	}
	for _, have := range s.sections {
		if have == name {
			return true
		}
	}
	return false
}

// declarationSite is the first caller outside this package's methods.
func declarationSite() string {
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "aula/internal/config.(*") {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}

// reset puts the option back to its default, before a Load.
func (o *option) reset() {
	o.val = cloneValue(o.def)
	o.origin = "default"
	o.layer = 0
}
