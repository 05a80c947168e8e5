package config

import (
	"maps"
	"slices"
	"strings"
)

// testEnvPrefix names variables the test harness uses; they are never
// options, so they are not reported as unknown.
const testEnvPrefix = "AULA_TEST_"

// parsedEnv is what the AULA_* environment says, before it is applied.
type parsedEnv struct {
	settings  []setting
	configs   []string
	configSet bool
	errs      []Error
}

// parseEnv reads the AULA_* variables in name order, so errors come out in
// the same order every run. The caller holds s.mu.
func (s *Set) parseEnv(environ []string) parsedEnv {
	var p parsedEnv
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AULA_") {
			vars[k] = v // the last one wins, as in a shell
		}
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v, origin := vars[k], "env "+k
		if k == "AULA_CONFIG" {
			p.configSet, p.configs = true, splitPaths(v)
			continue
		}
		o := s.opts[strings.ToLower(strings.ReplaceAll(k[len("AULA_"):], "_", "-"))]
		if o == nil || envName(o.name) != k {
			if s.envAllowed(k) {
				continue
			}
			p.errs = append(p.errs, Error{Where: origin, Msg: "no such option" + didYouMean(s.suggestEnv(k))})
			continue
		}
		what := "--" + o.name
		switch o.kind {
		case KindList:
			elems := splitList(v)
			if len(elems) == 0 {
				p.settings = append(p.settings, setting{opt: o, op: opReset, origin: origin, what: what})
			}
			for _, e := range elems {
				p.settings = append(p.settings, setting{opt: o, text: e, origin: origin, what: what})
			}
		case KindMap:
			s.envMap(&p, o, origin, v)
		default:
			p.settings = append(p.settings, setting{opt: o, text: v, origin: origin, what: what})
		}
	}
	return p
}

// envMap reads "k=v,k2=v2" into settings of map option o.
func (s *Set) envMap(p *parsedEnv, o *option, origin, v string) {
	entries := splitList(v)
	if len(entries) == 0 {
		p.settings = append(p.settings, setting{opt: o, op: opReset, origin: origin, what: "--" + o.name})
	}
	for _, e := range entries {
		key, value, ok := strings.Cut(e, "=")
		key = strings.TrimSpace(key)
		if !ok {
			p.errs = append(p.errs, Error{Where: origin, Msg: "expected key=value[,key=value...], got " + clipSecret(o, e)})
			continue
		}
		if err := checkMapKey(key); err != nil {
			p.errs = append(p.errs, Error{Where: origin, Msg: err.Error()})
			continue
		}
		p.settings = append(p.settings, setting{opt: o, key: key, text: strings.TrimSpace(value), origin: origin, what: "--" + o.name})
	}
}

// envAllowed reports whether k may be set without naming an option.
func (s *Set) envAllowed(k string) bool {
	if strings.HasPrefix(k, testEnvPrefix) {
		return true
	}
	for _, pattern := range s.envAllow {
		if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasPrefix(k, prefix) || pattern == k {
			return true
		}
	}
	return false
}

// suggestEnv finds the variable a mistyped one probably meant.
func (s *Set) suggestEnv(k string) string {
	candidates := []string{"AULA_CONFIG"}
	for _, o := range s.order {
		candidates = append(candidates, envName(o.name))
	}
	return suggest(strings.ToUpper(k), candidates)
}

// splitList reads a comma-separated environment value; elements are
// trimmed and empty ones dropped.
func splitList(v string) []string {
	var elems []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			elems = append(elems, e)
		}
	}
	return elems
}
