package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// readFile reads one config file into settings. A missing file is skipped
// unless it was asked for by name (--config, AULA_CONFIG). The caller holds
// s.mu.
func (s *Set) readFile(path string, required bool, errs *errorList) []setting {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		errs.add(path, "cannot read: %v", unwrapPath(err))
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		errs.add(path, "cannot read: %v", unwrapPath(err))
		return nil
	}
	if len(data) > MaxFileSize {
		errs.add(path, "larger than the %d-byte limit for a config file", MaxFileSize)
		return nil
	}
	return s.fileSettings(path, data, errs)
}

// unwrapPath drops the "open PATH:" prefix, since the error is already
// reported at PATH.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileSettings resolves each key of a parsed file to its option.
func (s *Set) fileSettings(path string, data []byte, errs *errorList) []setting {
	entries, syntax := parseINI(data)
	for _, e := range syntax {
		errs.add(path+":"+strconv.Itoa(e.line), "%s", e.msg)
	}
	var settings []setting
	seen := map[string]int{} // scalar option or map entry -> line first set
	skip := false            // inside an unknown section
	for _, e := range entries {
		where := path + ":" + strconv.Itoa(e.line)
		if e.header {
			skip = false
			if m := s.opts[e.section]; m != nil && m.kind == KindMap {
				settings = append(settings, setting{opt: m, op: opTouch, origin: where})
			} else if !s.knownSection(e.section) {
				errs.add(where, "unknown section [%s]%s", e.section, didYouMean(s.suggestSection(e.section)))
				skip = true
			}
			continue
		}
		if skip {
			continue
		}
		st, msg := s.resolveKey(e)
		if msg != "" {
			errs.add(where, "%s", msg)
			continue
		}
		st.origin = where
		if st.opt.kind != KindList {
			id := st.opt.name + "\x00" + st.key
			if first, ok := seen[id]; ok {
				errs.add(where, "%s already set on line %d", st.what, first)
				continue
			}
			seen[id] = e.line
		}
		settings = append(settings, st)
	}
	return settings
}

// resolveKey finds the option a key means in its section, or says why not.
func (s *Set) resolveKey(e iniEntry) (setting, string) {
	if m := s.opts[e.section]; e.section != "" && m != nil && m.kind == KindMap {
		what := fmt.Sprintf("%q in [%s]", e.key, e.section)
		if err := checkMapKey(e.key); err != nil {
			return setting{}, err.Error()
		}
		return setting{opt: m, key: e.key, text: e.value, what: what}, ""
	}
	key := strings.ToLower(e.key)
	prefix, where := s.sectionPrefix(e.section), ""
	if e.section != "" {
		where = " in [" + e.section + "]"
	}
	what := strconv.Quote(key) + where
	o := s.opts[prefix+key]
	if o == nil {
		return setting{}, "unknown option " + what + didYouMean(s.suggestKey(key, prefix))
	}
	if o.kind == KindMap {
		return setting{}, fmt.Sprintf("%s is a free-form section: write its entries under [%s]", what, o.name)
	}
	st := setting{opt: o, text: e.value, what: what}
	if o.kind == KindList && e.value == "" && !e.quoted {
		st.op = opReset
	}
	return st, ""
}

// sectionPrefix is what a key inside [section] is prefixed with to make
// an option name, following aliases.
func (s *Set) sectionPrefix(section string) string {
	if target, ok := s.aliases[section]; ok {
		section = target
	}
	if section == "" {
		return ""
	}
	return section + "-"
}

// knownSection reports whether [section] can hold any option.
func (s *Set) knownSection(section string) bool {
	if _, ok := s.aliases[section]; ok {
		return true
	}
	for _, o := range s.order {
		if o.kind != KindMap && strings.HasPrefix(o.name, section+"-") {
			return true
		}
	}
	return false
}

// suggestKey finds the key a mistyped one probably meant, among those
// allowed where it was written.
func (s *Set) suggestKey(key, prefix string) string {
	var candidates []string
	for _, o := range s.order {
		if k, ok := strings.CutPrefix(o.name, prefix); ok && o.kind != KindMap {
			candidates = append(candidates, k)
		}
	}
	if best := suggest(key, candidates); best != "" {
		return strconv.Quote(best)
	}
	return ""
}

// suggestSection finds the section a mistyped header probably meant.
func (s *Set) suggestSection(section string) string {
	candidates := append([]string{}, s.sections...)
	for a := range s.aliases {
		candidates = append(candidates, a)
	}
	for _, o := range s.order {
		if o.kind == KindMap {
			candidates = append(candidates, o.name)
		}
	}
	if best := suggest(section, candidates); best != "" {
		return "[" + best + "]"
	}
	return ""
}
