package rest

import (
	"net/http"
	"time"

	"aula/internal/core"
)

// jsonCost is what the budget counts per body byte: decoded JSON costs far
// more than XML-RPC per byte ("1," is a value: an interface and a
// json.Number string, some 40 bytes), so a 1 MiB body holds 8 MiB of the
// budget.
const jsonCost = 8

// DefaultBudgetWait is how long a request waits for its share of the
// budget before it is answered 503 with Retry-After.
const DefaultBudgetWait = 2 * time.Second

// admitBody runs before a body is read: the admission check (an anonymous
// source over its rate is refused now), then the body's share of the
// budget, held until the call is answered (release). With no Budget only
// the admission check applies.
func (h *Handler) admitBody(r *http.Request, c *core.Call) (release func(), err error) {
	release = func() {}
	if err := h.App.Admit(c); err != nil {
		return release, err
	}
	if h.Budget == nil {
		return release, nil
	}
	n := h.maxBody()
	if r.ContentLength >= 0 && r.ContentLength < n {
		n = r.ContentLength
	}
	wait := h.BudgetWait
	if wait <= 0 {
		wait = DefaultBudgetWait
	}
	rel, ok := h.Budget.Acquire(r.Context(), n*jsonCost, wait)
	if !ok {
		return release, &core.Error{Kind: core.KindUnavailable, RetryAfter: time.Second,
			Msg: "server busy: too many large requests being decoded; retry later"}
	}
	return rel, nil
}

func (h *Handler) maxBody() int64 {
	if h.MaxBody > 0 {
		return h.MaxBody
	}
	return DefaultMaxBody
}
