package config

import (
	"os"
	"path/filepath"
	"strconv"
)

// SystemFile is the system-wide config file aula reads by default.
const SystemFile = "/etc/aula.conf"

// Sources says where Load reads from. Tests fill it by hand, so they never
// touch the real /etc or environment.
type Sources struct {
	Args       []string // command-line arguments, without the program and subcommand names
	Env        []string // "NAME=value" entries, as from os.Environ
	SystemFile string   // "" reads none
	UserFile   string   // "" reads none
}

// DefaultSources are the real sources of the aula binary: the process
// environment, /etc/aula.conf and ~/.config/aula/config (honouring
// XDG_CONFIG_HOME).
func DefaultSources(args []string) Sources {
	src := Sources{Args: args, Env: os.Environ(), SystemFile: SystemFile}
	if dir, err := os.UserConfigDir(); err == nil {
		src.UserFile = filepath.Join(dir, "aula", "config")
	}
	return src
}

// op is what a setting does to its option.
type op int

const (
	opSet   op = iota // set a scalar, append to a list, put a map entry
	opReset           // make the list or map empty within this layer
	opTouch           // start this layer's value without changing it (a map's [header])
)

// setting is one assignment from one source, before it is applied.
type setting struct {
	opt    *option
	op     op
	key    string // map entry key
	text   string // the value as the source wrote it
	origin string // where it came from, as Origin reports it; errors start with it
	what   string // how to name the option in a message; "" when origin already does (flags)
}

// Load resets every option to its default and then applies the config
// files, the AULA_* environment and the flags of src, in that order. It
// returns the positional arguments. On ErrHelp it returns at once, reading
// no file. Any other error lists every problem found.
func (s *Set) Load(src Sources) ([]string, error) {
	s.mu.Lock()
	args := s.parseArgs(src.Args)
	if args.help {
		s.mu.Unlock()
		return args.rest, ErrHelp
	}
	env := s.parseEnv(src.Env)
	var errs errorList

	for _, o := range s.order {
		o.reset()
	}
	files, required := []string{src.SystemFile, src.UserFile}, false
	switch {
	case args.configSet:
		files, required = args.configs, true
	case env.configSet:
		files, required = env.configs, true
	}
	layer := 1
	for _, path := range files {
		if path == "" {
			continue
		}
		s.apply(layer, s.readFile(path, required, &errs), &errs)
		layer++
	}
	for _, e := range env.errs {
		errs.add(e.Where, "%s", e.Msg)
	}
	s.apply(layer, env.settings, &errs)
	for _, e := range args.errs {
		errs.add(e.Where, "%s", e.Msg)
	}
	s.apply(layer+1, args.settings, &errs)
	checks := s.checks
	s.mu.Unlock()

	// Rules read options through Get, so they run without the lock held.
	for _, check := range checks {
		if err := check(); err != nil {
			errs.add("", "%s", err.Error())
		}
	}
	return args.rest, errs.err()
}

// apply runs one layer's settings in order. The first setting of a list or
// map in a layer replaces the lower layers' value; the rest add to it.
// Scalars are checked as they are set; lists and maps once the layer is done.
func (s *Set) apply(layer int, settings []setting, errs *errorList) {
	var touched []setting
	for _, st := range settings {
		o := st.opt
		if o.kind == KindList || o.kind == KindMap {
			if o.layer != layer {
				o.layer, o.origin = layer, st.origin
				o.val = cloneValue(emptyOf(o.kind))
				touched = append(touched, st)
			}
			err := o.checkChoice(st.text)
			switch {
			case st.op == opReset:
				o.val = cloneValue(emptyOf(o.kind))
			case st.op == opTouch:
			case err != nil:
				errs.add(st.origin, "%s%s", badValue(st), err)
			case o.kind == KindList:
				o.val = append(o.val.([]string), st.text)
			default:
				o.val.(map[string]string)[st.key] = st.text
			}
			continue
		}
		v, err := parseScalar(o.kind, st.text)
		if err == nil {
			err = o.checkChoice(scalarText(v))
		}
		if err == nil {
			err = o.runChecks(v)
		}
		if err != nil {
			errs.add(st.origin, "%s%s", badValue(st), err)
			continue
		}
		o.val, o.layer, o.origin = v, layer, st.origin
	}
	for _, st := range touched {
		if err := st.opt.runChecks(st.opt.val); err != nil {
			errs.add(st.origin, "bad value%s: %s", forWhat(st), err)
		}
	}
}

// badValue starts the message for a rejected value, without echoing a secret.
func badValue(st setting) string {
	if st.opt.secret {
		return "bad value" + forWhat(st) + " (secret, not shown): "
	}
	text := strconv.Quote(st.text)
	if st.opt.kind == KindMap {
		text = strconv.Quote(st.key + "=" + st.text)
	}
	return "bad value " + text + forWhat(st) + ": "
}

func forWhat(st setting) string {
	if st.what == "" {
		return ""
	}
	return " for " + st.what
}

func emptyOf(k Kind) any {
	if k == KindList {
		return []string{}
	}
	return map[string]string{}
}
