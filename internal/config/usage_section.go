package config

import (
	"io"
	"strings"
)

// SectionUsage lists the options one section declared, as Usage does for
// all of them (`aula help FRONTEND` shows a front end's own options). It
// writes nothing for a section that declared none.
func (s *Set) SectionUsage(w io.Writer, section string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	for _, o := range s.order {
		if o.section == section {
			usageEntry(&b, "--"+o.name+argHint(o), o.help+defaultNote(o))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
