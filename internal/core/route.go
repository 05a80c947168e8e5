package core

// Route maps an HTTP method and path onto a method, as plain data: a module
// declares what its paths call and how their replies look, and the HTTP
// front end serves them (through App.Handle, so the whole chain applies).
// A module never sees the wire.
type Route struct {
	Method string // GET or POST; GET also answers HEAD
	// Path is an exact path, or with Prefix every path below it ("/a/b/").
	Path   string
	Prefix bool
	// Call is the method the route calls ("id.status").
	Call string
	// Query lists the query parameters passed as named arguments; nil
	// passes every parameter the method takes (others, such as cache
	// busters, are ignored). A POST route also takes a JSON object body.
	Query []string
	// PathArg, on a Prefix route, names the argument the rest of the path
	// is passed as: /backup/1/available/SN with PathArg "serial" calls
	// with serial=SN. The method judges its form.
	PathArg string
	// Reply is how the result is written back.
	Reply ReplyShape
	Help  string
}

// ReplyShape is how a route's reply is written.
type ReplyShape int

const (
	// ReplyJSON is the REST envelope: {"success":"OK", ...fields of the
	// result} or {"success":"ERR","error":"..."} with the error's HTTP
	// status.
	ReplyJSON ReplyShape = iota
	// ReplyStatus answers with a bare status and a text/plain body, for
	// clients that look at the status only (OLPC ds-backup): success is an
	// empty 200 whatever the result; an error is its one-line message with
	// 503 and Retry-After (the error's, else 60 s) for "try later"
	// (KindTooMany, KindUnavailable), 403 for a refused request
	// (KindInvalid, KindNotFound, KindPermission), 401 to authenticate,
	// else 500.
	ReplyStatus
)

// RouteProvider is implemented by modules that declare their own HTTP
// paths.
type RouteProvider interface {
	Routes() []Route
}

// Listener is an extra HTTP listener a module asks the HTTP front end for,
// serving only the routes given (the backup control checks on port 80).
// The front end binds it with its own listeners, before privileges are
// dropped; Addr "" asks for nothing.
type Listener struct {
	Name   string // names it in logs and errors ("backup-control")
	Addr   string
	Routes []Route
}

// ListenerProvider is implemented by modules that ask for extra HTTP
// listeners. It is asked after Provision, so Addr may come from the
// module's options.
type ListenerProvider interface {
	Listeners() []Listener
}
