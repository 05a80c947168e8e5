package config

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

const writeHeader = `# aula configuration: the effective value of every option.
# "# name = value" lines are defaults; live lines were set, and the comment
# above each says by what. Secret values are never printed.
`

// Write prints the effective configuration as a config file that Load
// reads back to the same values (except secrets, which it leaves out).
func (s *Set) Write(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	b.WriteString(writeHeader)
	for _, o := range s.order {
		if o.section == "" && o.kind != KindMap {
			writeOption(&b, o, o.name)
		}
	}
	for _, sec := range s.sections {
		header := false
		for _, o := range s.order {
			if o.section != sec || o.kind == KindMap {
				continue
			}
			if !header {
				fmt.Fprintf(&b, "\n[%s]\n", sec)
				header = true
			}
			writeOption(&b, o, strings.TrimPrefix(o.name, sec+"-"))
		}
	}
	for _, o := range s.order {
		if o.kind == KindMap {
			writeMap(&b, o)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeOption prints one option as key (its name within its section).
func writeOption(b *strings.Builder, o *option, key string) {
	b.WriteString("\n")
	writeHelp(b, o)
	switch {
	case o.layer == 0:
		for _, line := range valueLines(o.kind, key, o.def) {
			b.WriteString("# " + line + "\n")
		}
	case o.secret:
		fmt.Fprintf(b, "# default: %s; secret: set by %s, not shown here\n", defaultDisplay(o), o.origin)
	default:
		fmt.Fprintf(b, "# default: %s; set by %s\n", defaultDisplay(o), o.origin)
		for _, line := range valueLines(o.kind, key, o.val) {
			b.WriteString(line + "\n")
		}
	}
}

// writeMap prints a free-form section; while unset or secret, its header
// is commented out too.
func writeMap(b *strings.Builder, o *option) {
	m := o.val.(map[string]string)
	if o.layer == 0 || o.secret {
		fmt.Fprintf(b, "\n# [%s]\n", o.name)
		writeHelp(b, o)
		if o.layer == 0 {
			b.WriteString("# (free-form: any \"key = value\" lines)\n")
		} else {
			fmt.Fprintf(b, "# secret: set by %s, not shown here\n", o.origin)
		}
		return
	}
	fmt.Fprintf(b, "\n[%s]\n", o.name)
	writeHelp(b, o)
	fmt.Fprintf(b, "# set by %s\n", o.origin)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(strings.TrimSuffix(k+" = "+encodeValue(m[k]), " ") + "\n")
	}
}

func writeHelp(b *strings.Builder, o *option) {
	if o.help != "" {
		for _, line := range wrap(o.help, 76) {
			b.WriteString(strings.TrimSuffix("# "+line, " ") + "\n")
		}
	}
	if len(o.choices) > 0 {
		fmt.Fprintf(b, "# one of: %s\n", strings.Join(o.choices, ", "))
	}
}

// valueLines are the `key = value` lines that set value v.
func valueLines(k Kind, key string, v any) []string {
	if k != KindList {
		return []string{strings.TrimSuffix(key+" = "+encodeValue(scalarText(v)), " ")}
	}
	elems := v.([]string)
	if len(elems) == 0 {
		return []string{key + " ="} // an empty value resets the list
	}
	lines := make([]string, len(elems))
	for i, e := range elems {
		lines[i] = key + " = " + encodeElem(e)
	}
	return lines
}

// defaultDisplay is the default as a comment shows it.
func defaultDisplay(o *option) string {
	if o.kind == KindList {
		elems := o.def.([]string)
		if len(elems) == 0 {
			return "none"
		}
		shown := make([]string, len(elems))
		for i, e := range elems {
			shown[i] = encodeElem(e)
		}
		return strings.Join(shown, ", ")
	}
	return encodeElem(scalarText(o.def))
}

// wrap splits text into lines of at most width bytes where it can,
// keeping the help's own line breaks.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}
