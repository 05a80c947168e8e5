package config

import (
	"strings"
	"testing"
)

// TestDeclarationPanics checks programming errors in declarations fail at
// startup with a message that names the problem.
func TestDeclarationPanics(t *testing.T) {
	tests := []struct {
		name string
		do   func(s *Set)
		want string
	}{
		{"duplicate", func(s *Set) { s.Int("workers", 1, ""); s.Section("x"); s.Int("workers", 2, "") },
			`option "workers" declared twice: `},
		{"duplicate across section", func(s *Set) { s.Int("backup-dir", 1, ""); s.Section("backup").String("dir", "", "") },
			`option "backup-dir" declared twice`},
		{"upper case", func(s *Set) { s.Int("Workers", 1, "") }, `bad option name "Workers"`},
		{"underscore", func(s *Set) { s.Int("max_workers", 1, "") }, `bad option name "max_workers"`},
		{"trailing dash", func(s *Set) { s.Section("backup").Int("", 1, "") }, `bad option name "backup-"`},
		{"reserved config", func(s *Set) { s.List("config", nil, "") }, `option name "config" is reserved`},
		{"reserved help", func(s *Set) { s.Bool("help", false, "") }, `option name "help" is reserved`},
		{"alias taken", func(s *Set) { s.Section("id").Alias("client"); s.Section("backup").Alias("client") },
			`section alias "client" is already taken`},
		{"alias is a section", func(s *Set) { s.Section("backup"); s.Section("id").Alias("backup") },
			`section alias "backup" is already taken`},
		{"section is an alias", func(s *Set) { s.Section("id").Alias("client"); s.Section("client") },
			`section "client" is already an alias`},
		{"section is a map", func(s *Set) { s.Map("extra", ""); s.Section("extra") },
			`section "extra" is already a free-form section`},
		{"map is a section", func(s *Set) { s.Section("extra"); s.Map("extra", "") },
			`free-form section "extra" is already a section or alias`},
		{"default not a choice", func(s *Set) { s.String("mode", "x", "").Choices("a", "b") },
			`default "x" of "mode" is not among its choices`},
		{"list default not a choice", func(s *Set) { s.List("p", []string{"a", "z"}, "").Choices("a", "b") },
			`default "z" of "p" is not among its choices`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q, want %q", msg, tt.want)
				}
			}()
			tt.do(NewSet())
		})
	}
}

// TestDuplicateNamesBothPlaces checks the duplicate panic names both
// declarations, so the two modules at fault are found.
func TestDuplicateNamesBothPlaces(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if strings.Count(msg, "declare_test.go:") != 2 {
			t.Errorf("panic %q should name both lines in declare_test.go", msg)
		}
	}()
	s := NewSet()
	s.Int("workers", 1, "")
	s.Int("workers", 2, "")
}

// TestEnvOptionBeatsAllowlist checks an option whose variable matches an
// allowed pattern is still set.
func TestEnvOptionBeatsAllowlist(t *testing.T) {
	s := NewSet()
	v := s.String("test-mode", "", "")
	mustLoad(t, s, Sources{Env: []string{"AULA_TEST_MODE=on", "AULA_TEST_OTHER=1"}})
	if v.Get() != "on" {
		t.Errorf("test-mode = %q", v.Get())
	}
}
