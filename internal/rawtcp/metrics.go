package rawtcp

import (
	"fmt"
	"io"
)

// WriteMetrics writes the counters in the Prometheus text format, each
// name prefixed aula_<id>_ (id is the front end's, e.g. "chat"), for
// core.App.AddMetrics.
func (s *Server) WriteMetrics(w io.Writer, id string) {
	st := s.Stats()
	for _, m := range []struct {
		name, typ, help string
		v               uint64
	}{
		{"connections_open", "gauge", "Connections open now.", uint64(st.Active)},
		{"connections_accepted_total", "counter", "Connections accepted and served.", st.Accepted},
		{"connections_rejected_total", "counter", "Connections closed at once for being over a cap (in all, or per source address).", st.Rejected},
		{"connections_shed_total", "counter", "Idle connections closed to make room for new ones.", st.Shed},
		{"accept_errors_total", "counter", "Temporary accept errors, retried after a pause.", st.AcceptErrors},
		{"handler_panics_total", "counter", "Connections whose handler panicked (logged, closed).", st.Panics},
	} {
		name := "aula_" + id + "_" + m.name
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, m.help, name, m.typ, name, m.v)
	}
}
