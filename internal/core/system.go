package core

import (
	"context"
	"strings"
)

const systemHelp = `The system module: introspection of every method aula serves.

  system.listMethods()          names of all methods
  system.methodSignature(name)  [[result, param, ...]]
  system.methodHelp(name)       the method's help text
  system.getCapabilities()      the XML-RPC extensions this server speaks
  system.multicall(calls)       runs [{methodName, params}, ...] in one request

The snake-case forms (system.list_methods, ...) are accepted too (Clarens).`

// systemModule serves introspection, generated from the method table so it
// is never written by hand.
type systemModule struct{ a *App }

type nameArg struct {
	Name string `json:"name"`
}

func (s *systemModule) Methods() []Method {
	list := Func("system.listMethods", "Lists the names of every method this server offers.",
		func(ctx context.Context, _ struct{}) ([]string, error) {
			return s.a.VisibleMethods(ctx), nil
		})
	list.Aliases = []string{"system.list_methods"}

	sig := Func("system.methodSignature",
		"Returns the method's signatures as [[result, param, ...]]; for an unknown method the string \"signatures not supported\", as Python's server does.",
		func(ctx context.Context, in nameArg) (any, error) {
			m, ok := s.a.methods[in.Name]
			if !ok {
				return "signatures not supported", nil
			}
			return m.Signature(), nil
		})
	sig.Aliases = []string{"system.method_signature"}
	sig.Result = "array"

	help := Func("system.methodHelp", "Returns the method's help text (empty for an unknown method).",
		func(ctx context.Context, in nameArg) (string, error) {
			if m, ok := s.a.methods[in.Name]; ok {
				return m.Help, nil
			}
			return "", nil
		})
	help.Aliases = []string{"system.method_help"}

	caps := Func("system.getCapabilities", "Lists the XML-RPC extensions this server supports.",
		func(ctx context.Context, _ struct{}) (map[string]any, error) {
			spec := func(url string, v int) map[string]any { return map[string]any{"specUrl": url, "specVersion": v} }
			return map[string]any{
				"xmlrpc":         spec("http://www.xmlrpc.com/spec", 1),
				"faults_interop": spec("http://xmlrpc-epi.sourceforge.net/specs/rfc.fault_codes.php", 20010516),
				"introspect":     spec("http://xmlrpc-c.sourceforge.net/xmlrpc-c/introspection.html", 1),
				"multicall":      spec("http://www.xmlrpc.com/discuss/msgReader$1208", 1),
				"nil":            spec("http://ontosys.com/xml-rpc/extensions.php", 1),
			}, nil
		})
	metrics := Raw("system.metrics", "Returns call counters in the Prometheus text format (GET /metrics serves it).",
		func(ctx context.Context, args []any) (any, error) {
			var b strings.Builder
			s.a.WriteMetrics(&b)
			return b.String(), nil
		})
	metrics.Access, metrics.Result, metrics.Variadic = Admin, "string", false
	return []Method{list, sig, help, caps, metrics, s.multicallMethod(), s.readyMethod()}
}

// VisibleMethods lists the names (aliases too) the caller in ctx may call,
// as the authorize link decides (Bcfg2 filters listMethods by ACL).
// Without a call in ctx the caller is anonymous from an unknown address.
func (a *App) VisibleMethods(ctx context.Context) []string {
	c := CallFrom(ctx)
	if c == nil {
		c = &Call{}
	}
	if c.Local() {
		return a.names
	}
	out := make([]string, 0, len(a.names))
	for _, n := range a.names {
		if a.permits(ctx, c, a.methods[n]) {
			out = append(out, n)
		}
	}
	return out
}
