package config

import (
	"fmt"
	"strings"
)

// parsedArgs is what the command line says, before it is applied.
type parsedArgs struct {
	settings  []setting
	rest      []string // positional arguments
	configs   []string // --config files
	configSet bool     // --config was given (maybe empty: read no file)
	help      bool
	errs      []Error
}

func (p *parsedArgs) fail(where, format string, args ...any) {
	p.errs = append(p.errs, Error{Where: where, Msg: fmt.Sprintf(format, args...)})
}

// parseArgs reads GNU-style long flags interleaved with positional
// arguments. The caller holds s.mu.
func (s *Set) parseArgs(args []string) parsedArgs {
	var p parsedArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			p.rest = append(p.rest, args[i+1:]...)
			return p
		case a == "-h" || a == "-help" || a == "--help":
			p.help = true
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o := s.opts[name]
			if o == nil && name != "config" {
				p.fail("", "unknown flag --%s%s", name, didYouMean(s.suggestFlag(name)))
				continue
			}
			flag := "flag --" + name
			if !hasVal && o != nil && o.kind == KindBool {
				val = "true"
			} else if !hasVal {
				if i+1 == len(args) {
					p.fail(flag, "needs a value")
					continue
				}
				i++
				val = args[i]
			}
			if o == nil {
				p.configSet = true
				p.configs = append(p.configs, splitPaths(val)...)
				continue
			}
			s.flagSetting(&p, o, flag, val)
		case len(a) > 1 && a[0] == '-' && isLetter(a[1]):
			name, _, _ := strings.Cut(a[1:], "=")
			hint := ""
			if s.opts[name] != nil || name == "config" {
				hint = " (long options take two dashes: --" + name + ")"
			}
			p.fail("", "unknown flag %s%s", clipFlag(a), hint)
		default:
			p.rest = append(p.rest, a)
		}
	}
	return p
}

// flagSetting turns one flag value into a setting of o.
func (s *Set) flagSetting(p *parsedArgs, o *option, flag, val string) {
	st := setting{opt: o, text: val, origin: flag}
	switch {
	case (o.kind == KindList || o.kind == KindMap) && val == "":
		st.op = opReset
	case o.kind == KindMap:
		key, value, ok := strings.Cut(val, "=")
		if !ok {
			p.fail(flag, "expected key=value, got %s", clipSecret(o, val))
			return
		}
		if err := checkMapKey(key); err != nil {
			p.fail(flag, "%v", err)
			return
		}
		st.key, st.text = key, value
	}
	p.settings = append(p.settings, st)
}

// suggestFlag finds the option a mistyped flag probably meant, as "--name".
func (s *Set) suggestFlag(name string) string {
	candidates := make([]string, 0, len(s.order)+1)
	for _, o := range s.order {
		candidates = append(candidates, o.name)
	}
	if best := suggest(name, append(candidates, "config")); best != "" {
		return "--" + best
	}
	return ""
}

// splitPaths reads a --config or AULA_CONFIG value: a colon-separated list.
func splitPaths(v string) []string {
	var paths []string
	for _, p := range strings.Split(v, ":") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// checkMapKey keeps free-form keys writable as `key = value` lines.
func checkMapKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key")
	case key != strings.TrimSpace(key):
		return fmt.Errorf("key %q has spaces at its ends", key)
	case strings.ContainsAny(key, "=:"):
		return fmt.Errorf("key %q must not contain = or :", key)
	case strings.ContainsAny(key[:1], "[#;"):
		return fmt.Errorf("key %q must not start with %q", key, key[:1])
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("key %q has control characters", key)
		}
	}
	return nil
}

func clipSecret(o *option, v string) string {
	if o.secret {
		return "(secret, not shown)"
	}
	return clip(v)
}

func clipFlag(a string) string {
	if len(a) > 60 {
		return a[:60] + "..."
	}
	return a
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
