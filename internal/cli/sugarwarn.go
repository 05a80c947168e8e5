package cli

import (
	"log/slog"
	"net"

	"aula/internal/core"
)

// sugarPort is where the Sugar shell registers: http://schoolserver:8080/,
// and again at http://<jabber-server>:8080/. Neither the host's port nor
// the path can be configured on the laptop.
const sugarPort = "8080"

// warnSugarPorts logs at start when Sugar laptops cannot reach the
// registration listener: the XS listener (xsAddr, "" when off) is not on
// port 8080. Only when the id module (registration) is in the binary.
func warnSugarPorts(log *slog.Logger, app *core.App, xsAddr string) {
	if _, ok := app.Module("id"); !ok {
		return
	}
	if xsAddr == "" {
		log.Warn("the XS listener is off (--xs-listen): the Sugar shell registers only at http://schoolserver:8080/ and re-registers at http://<jabber-server>:8080/")
		return
	}
	if _, port, err := net.SplitHostPort(xsAddr); err == nil && port != sugarPort {
		log.Warn("the XS listener is not on port 8080: the Sugar shell registers only at http://schoolserver:8080/ and re-registers at http://<jabber-server>:8080/; laptops cannot register unless port 8080 reaches it",
			"xs-listen", xsAddr)
	}
}
