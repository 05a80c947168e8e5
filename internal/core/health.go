package core

import (
	"context"
	"io"
)

// Readier is a module that can tell whether it is fit to serve: nil when
// ready, else an error saying what is wrong (for example the backup
// module when authorized_keys cannot be updated). GET /readyz reports it.
type Readier interface {
	Ready(ctx context.Context) error
}

// MetricsWriter is a module that adds its own lines (Prometheus text
// format, names prefixed aula_<module>_) to GET /metrics.
type MetricsWriter interface {
	WriteMetrics(w io.Writer)
}

// Ready asks every module that is a Readier; the first that is not ready
// makes the app not ready, as an Unavailable error naming the module.
func (a *App) Ready(ctx context.Context) error {
	var out error
	a.Each(func(info ModuleInfo, m Module) error {
		r, ok := m.(Readier)
		if !ok || out != nil {
			return nil
		}
		if err := r.Ready(ctx); err != nil {
			out = Errorf(KindUnavailable, "not ready: %s: %v", info.ID, err)
		}
		return nil
	})
	return out
}

// readyMethod is system.ready, behind GET /readyz: public, so a load
// balancer or monitor needs no credentials; it says only whether the
// server is ready and, when not, why.
func (s *systemModule) readyMethod() Method {
	m := Func("system.ready", "Reports whether the server is ready to serve: ready=true, or an Unavailable error (HTTP 503) saying which module is not and why.",
		func(ctx context.Context, _ struct{}) (map[string]bool, error) {
			if err := s.a.Ready(ctx); err != nil {
				return nil, err
			}
			return map[string]bool{"ready": true}, nil
		})
	m.Access = Public
	return m
}

// writeModuleMetrics appends every MetricsWriter module's lines.
func (a *App) writeModuleMetrics(w io.Writer) {
	a.Each(func(info ModuleInfo, m Module) error {
		if mw, ok := m.(MetricsWriter); ok {
			mw.WriteMetrics(w)
		}
		return nil
	})
}
