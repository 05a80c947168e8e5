package xmlrpc

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/wire"
)

// DefaultMaxBody caps a request body (after gzip decoding).
const DefaultMaxBody = 4 << 20

// gzipThreshold is where Python's server starts compressing replies.
const gzipThreshold = 1400

// Handler serves XML-RPC over HTTP POST (the mux routes / and /RPC2 to it).
type Handler struct {
	App     *core.App
	Debug   bool
	MaxBody int64
	// Budget bounds the bytes of all bodies being read and decoded at once,
	// across every handler sharing it (nil: one of DefaultBudget(MaxBody)
	// for this handler alone). A request waits at most BudgetWait
	// (default DefaultBudgetWait) for its share, then gets 503.
	Budget     *limit.Budget
	BudgetWait time.Duration

	budgetOnce sync.Once
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "XML-RPC takes POST", http.StatusMethodNotAllowed)
		return
	}
	c := wire.NewCall(r, "xmlrpc", h.Debug)
	c.ID = core.NewID()
	limit := h.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	// Before the body is read: a caller the chain would refuse anyway, or
	// more bodies than memory allows, cost nothing more.
	if err := h.App.Admit(c); err != nil {
		h.reply(w, r, c, nil, err)
		return
	}
	release, ok := h.budget().Acquire(r.Context(), reserve(r, limit), orDefault(h.BudgetWait, DefaultBudgetWait))
	if !ok {
		wire.Busy(w, "server busy: too many large requests being decoded; retry later")
		return
	}
	defer release()
	body := io.Reader(r.Body)
	switch enc := strings.ToLower(headerValue(r.Header, "Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			h.reply(w, r, c, nil, core.Errorf(core.KindParse, "gzip body: %v", err))
			return
		}
		defer zr.Close()
		body = zr
	default:
		http.Error(w, "unsupported Content-Encoding "+strconv.Quote(enc), http.StatusNotImplemented)
		return
	}
	method, params, err := DecodeCall(body, limit)
	if err != nil {
		h.reply(w, r, c, nil, err)
		return
	}
	c.Method, c.Args = method, params
	ctx := r.Context()
	if method == "system.multicall" { // the core runs it; failed entries carry XML-RPC fault codes
		ctx = core.WithFaultFunc(ctx, h.multicallFault)
	}
	out, err := h.App.Handle(ctx, c)
	h.reply(w, r, c, out, err)
}

func (h *Handler) multicallFault(e *core.Error, c *core.Call) any {
	code, msg := h.fault(e, c)
	return map[string]any{"faultCode": code, "faultString": msg}
}

// FaultCode maps an error to its XML-RPC fault code: the interop codes for
// protocol-level problems, HTTP-like numbers for application kinds.
func FaultCode(e *core.Error) int {
	if e.Code != 0 {
		return e.Code
	}
	switch e.Kind {
	case core.KindParse:
		return ParseError
	case core.KindInvalid:
		return InvalidParams
	case core.KindNoMethod:
		return MethodNotFound
	case core.KindNotFound:
		return 404
	case core.KindConflict:
		return 409
	case core.KindUnavailable:
		return 503
	case core.KindTooMany:
		return 429
	case core.KindPermission:
		return 403
	case core.KindUnauthenticated:
		return 401
	}
	return ApplicationError
}

func (h *Handler) fault(e *core.Error, c *core.Call) (int, string) {
	return FaultCode(e), wire.PublicMessage(e, c)
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, c *core.Call, out any, err error) {
	bp := getBuffer() // the reply is appended here and written from here, copied nowhere else
	defer putBuffer(bp)
	if err != nil {
		e := xmlrpcError(err)
		// Bcfg2: authentication and ACL failures are HTTP errors, not faults.
		if e.Kind == core.KindUnauthenticated || e.Kind == core.KindPermission {
			wire.SetErrorHeaders(w.Header(), e)
			http.Error(w, wire.PublicMessage(e, c), wire.HTTPStatus(e.Kind))
			return
		}
		code, msg := h.fault(e, c)
		*bp = AppendFault(*bp, code, msg)
	} else if b, encErr := AppendResponse(*bp, out); encErr != nil {
		h.App.Log.Error("cannot encode reply", "id", c.ID, "method", c.Method, "err", encErr)
		*bp = AppendFault(*bp, InternalError, "cannot encode reply: "+encErr.Error())
	} else {
		*bp = b
	}
	writeXML(w, r, *bp)
}

// xmlrpcError turns a codec *Fault into the core kind with the same meaning.
func xmlrpcError(err error) *core.Error {
	if f, ok := err.(*Fault); ok {
		kind := core.KindInvalid
		if f.Code == ParseError || f.Code == UnsupportedEncoding || f.Code == InvalidCharacter {
			kind = core.KindParse
		}
		return &core.Error{Kind: kind, Msg: f.String, Code: f.Code}
	}
	return core.AsError(err)
}

func writeXML(w http.ResponseWriter, r *http.Request, body []byte) {
	hd := w.Header()
	// What Header.Set does, less canonicalizing keys that already are, with
	// both values in one allocation (each slice capped, so appending to one
	// never touches the other).
	vals := new([2]string)
	vals[0] = "text/xml"
	hd["Content-Type"] = vals[0:1:1]
	if len(body) > gzipThreshold && acceptsGzip(r) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(body)
		zw.Close()
		body = z.Bytes()
		hd.Set("Content-Encoding", "gzip")
	}
	vals[1] = strconv.Itoa(len(body))
	hd["Content-Length"] = vals[1:2:2]
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.TrimPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
			return false
		}
		return true
	}
	return false
}

// headerValue is h.Get(key) for a key already in canonical form, without
// canonicalizing it again on every request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
