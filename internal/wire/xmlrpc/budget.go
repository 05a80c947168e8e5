package xmlrpc

import (
	"net/http"
	"strings"
	"time"

	"aula/internal/limit"
)

// BudgetBodies is how many maximum-size bodies the default budget lets
// decode at once. A body's decoded values cost a small multiple of its
// bytes (about 2x for an array of integers), so with the 4 MiB body cap
// the default budget (16 MiB) bounds decoding to some tens of MB however
// many connections send large bodies together, while ordinary calls of a
// few KB never wait.
const BudgetBodies = 4

// DefaultBudgetWait is how long a request waits for its share of the
// budget before it is answered 503 with Retry-After.
const DefaultBudgetWait = 2 * time.Second

// DefaultBudget returns a budget for bodies of at most maxBody bytes
// (<= 0: DefaultMaxBody): BudgetBodies times that.
func DefaultBudget(maxBody int64) *limit.Budget {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return limit.NewBudget(BudgetBodies * maxBody)
}

func (h *Handler) budget() *limit.Budget {
	h.budgetOnce.Do(func() {
		if h.Budget == nil {
			h.Budget = DefaultBudget(h.MaxBody)
		}
	})
	return h.Budget
}

// reserve is what a request's body may hold of the budget: its declared
// length when it has one and is not compressed (the decoder stops at that
// many bytes anyway), else the whole cap, which a gzip or chunked body may
// reach whatever its length on the wire.
func reserve(r *http.Request, maxBody int64) int64 {
	if r.ContentLength >= 0 && r.ContentLength < maxBody {
		if enc := strings.ToLower(headerValue(r.Header, "Content-Encoding")); enc == "" || enc == "identity" {
			return r.ContentLength
		}
	}
	return maxBody
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
