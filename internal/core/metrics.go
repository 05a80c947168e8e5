package core

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
)

// metrics counts calls per method and kind, for /metrics.
type metrics struct {
	mu    sync.RWMutex
	per   map[string]*methodStats
	extra []func(io.Writer) // AddMetrics
}

type methodStats struct {
	calls, errors atomic.Int64
	nanos         atomic.Int64
}

func (m *metrics) stats(name string) *methodStats {
	m.mu.RLock()
	s := m.per[name]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.per == nil {
		m.per = map[string]*methodStats{}
	}
	if s = m.per[name]; s == nil {
		s = &methodStats{}
		m.per[name] = s
	}
	return s
}

func (m *metrics) link(ctx context.Context, c *Call, next Next) (any, error) {
	start := monotonic()
	out, err := next(ctx, c)
	took := monotonic() - start
	meth := c.method
	if meth == nil || meth.stats == nil {
		name := "(unknown)" // never let callers grow the map with junk names
		if meth != nil {
			name = meth.Name
		}
		s := m.stats(name)
		s.calls.Add(1)
		s.nanos.Add(int64(took))
		if err != nil {
			s.errors.Add(1)
		}
		return out, err
	}
	// A known method counts in its own stats without a lock; its first
	// call lists them under its name, as m.stats would have.
	s := meth.stats
	first := s.calls.Add(1) == 1
	s.nanos.Add(int64(took))
	if err != nil {
		s.errors.Add(1)
	}
	if first {
		m.publish(meth.Name, s)
	}
	return out, err
}

// publish lists a method's stats under its name.
func (m *metrics) publish(name string, s *methodStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.per == nil {
		m.per = map[string]*methodStats{}
	}
	if m.per[name] == nil {
		m.per[name] = s
	}
}

// WriteMetrics writes call counters in the Prometheus text format.
func (a *App) WriteMetrics(w io.Writer) {
	a.metrics.mu.RLock()
	names := make([]string, 0, len(a.metrics.per))
	for n := range a.metrics.per {
		names = append(names, n)
	}
	a.metrics.mu.RUnlock()
	sort.Strings(names)
	fmt.Fprintln(w, "# HELP aula_calls_total Calls handled, by method.")
	fmt.Fprintln(w, "# TYPE aula_calls_total counter")
	for _, n := range names {
		fmt.Fprintf(w, "aula_calls_total{method=%q} %d\n", n, a.metrics.stats(n).calls.Load())
	}
	fmt.Fprintln(w, "# HELP aula_call_errors_total Calls that returned an error, by method.")
	fmt.Fprintln(w, "# TYPE aula_call_errors_total counter")
	for _, n := range names {
		fmt.Fprintf(w, "aula_call_errors_total{method=%q} %d\n", n, a.metrics.stats(n).errors.Load())
	}
	fmt.Fprintln(w, "# HELP aula_call_seconds_total Time spent in calls, by method.")
	fmt.Fprintln(w, "# TYPE aula_call_seconds_total counter")
	for _, n := range names {
		fmt.Fprintf(w, "aula_call_seconds_total{method=%q} %g\n", n, float64(a.metrics.stats(n).nanos.Load())/1e9)
	}
	a.writeModuleMetrics(w)
	a.metrics.mu.RLock()
	extra := a.metrics.extra
	a.metrics.mu.RUnlock()
	for _, fn := range extra {
		fn(w)
	}
}

// AddMetrics adds fn's lines (Prometheus text format, names prefixed
// aula_) to GET /metrics. Front ends report their listeners this way, as
// modules do by being MetricsWriters.
func (a *App) AddMetrics(fn func(w io.Writer)) {
	a.metrics.mu.Lock()
	defer a.metrics.mu.Unlock()
	a.metrics.extra = append(a.metrics.extra, fn)
}
