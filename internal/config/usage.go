package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Usage prints every option with its type, help and default, for --help.
func (s *Set) Usage(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	b.WriteString("Options:\n")
	usageEntry(&b, "--config PATH[:PATH...]",
		"read only these config files instead of "+SystemFile+" and ~/.config/aula/config (repeatable; \"\" reads none)")
	var example *option
	for _, o := range s.order {
		usageEntry(&b, "--"+o.name+argHint(o), o.help+defaultNote(o))
		if example == nil && o.section != "" && o.kind != KindMap {
			example = o
		}
	}
	b.WriteString("\n")
	text := `Every option can also be set in a config file as "name = value"`
	if example != nil {
		key := strings.TrimPrefix(example.name, example.section+"-")
		text += fmt.Sprintf(" (inside a [section] a key drops the section's prefix: [%s] %s is --%s)",
			example.section, key, example.name)
	}
	text += " or in the environment as AULA_NAME, dashes as underscores. Later sources win: defaults < " +
		SystemFile + " < ~/.config/aula/config < AULA_* < flags."
	for _, line := range wrap(text, 78) {
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func usageEntry(b *strings.Builder, head, help string) {
	b.WriteString("  " + head + "\n")
	for _, line := range wrap(help, 70) {
		if line != "" {
			b.WriteString("        " + line + "\n")
		}
	}
}

// argHint is what follows the flag name: the kind of value, or its choices.
func argHint(o *option) string {
	arg := string(o.kind)
	if o.kind == KindList {
		arg = "value"
	}
	if len(o.choices) > 0 {
		arg = strings.Join(o.choices, "|")
	}
	switch o.kind {
	case KindBool:
		return ""
	case KindList:
		return " " + arg + " (repeatable)"
	case KindMap:
		return " key=value (repeatable; also the [" + o.name + "] section)"
	}
	return " " + arg
}

// defaultNote ends the help with the default when it says anything.
func defaultNote(o *option) string {
	switch o.kind {
	case KindMap:
		return ""
	case KindBool:
		if o.def == true {
			return " (default true)"
		}
		return ""
	case KindList:
		if len(o.def.([]string)) == 0 {
			return ""
		}
	case KindString:
		if o.def == "" {
			return ""
		}
		return " (default " + strconv.Quote(o.def.(string)) + ")"
	}
	return " (default " + defaultDisplay(o) + ")"
}
