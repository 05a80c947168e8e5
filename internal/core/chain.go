package core

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"time"
)

// Next continues a call down the chain.
type Next func(ctx context.Context, c *Call) (any, error)

// Link is one step of the chain. It may inspect or change the call, refuse
// it with an error, or pass it on with next.
type Link struct {
	Name string
	Fn   func(ctx context.Context, c *Call, next Next) (any, error)
}

// DefaultChain is the order every call passes through. It is secure on
// its own: authenticate leaves every network caller anonymous and
// authorize enforces each method's Access, so only Public methods answer
// until an authenticator replaces the authenticate link (by name, see
// App.Replace) and installs its policy (App.SetPolicy). Adding or swapping
// a link is a one-line change.
func DefaultChain(a *App) []Link {
	return []Link{
		{Name: "authenticate", Fn: anonymousLink},
		{Name: "authorize", Fn: a.authorizeLink},
		{Name: "limit", Fn: passThrough},
		{Name: "audit", Fn: passThrough},
		{Name: "metrics", Fn: a.metrics.link},
	}
}

func passThrough(ctx context.Context, c *Call, next Next) (any, error) { return next(ctx, c) }

// build folds the links around the final dispatch step. Links still open
// (passThrough) are left out: they would only cost two calls each.
func build(links []Link, final Next) Next {
	next := final
	for i := len(links) - 1; i >= 0; i-- {
		l, n := links[i], next
		if isPassThrough(l.Fn) {
			continue
		}
		next = func(ctx context.Context, c *Call) (any, error) { return l.Fn(ctx, c, n) }
	}
	return next
}

var passThroughPC = reflect.ValueOf(passThrough).Pointer()

func isPassThrough(fn func(ctx context.Context, c *Call, next Next) (any, error)) bool {
	return fn != nil && reflect.ValueOf(fn).Pointer() == passThroughPC
}

// dispatch runs the resolved handler, turning a panic into KindInternal
// with the stack kept for the log (and debug replies).
func (a *App) dispatch(ctx context.Context, c *Call) (out any, err error) {
	m := c.method
	if m == nil {
		return nil, Errorf(KindNoMethod, "unknown method %s", c.Method)
	}
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Kind: KindInternal, Msg: "internal error", Err: fmt.Errorf("panic: %v", r), Stack: debug.Stack()}
		}
	}()
	return m.Handler(ctx, c.Args, c.Named)
}

// clockBase anchors monotonic.
var clockBase = time.Now()

// monotonic is a reading of the monotonic clock. Durations between two
// readings are what time.Since would give, but taking one costs a single
// clock read where time.Now takes two (wall and monotonic), which showed
// in profiles of a whole call.
func monotonic() time.Duration { return time.Since(clockBase) }

// Handle runs a call through the chain and returns the handler's result or
// an *Error. Internal errors are always logged in full.
func (a *App) Handle(ctx context.Context, c *Call) (any, error) {
	if c.ID == "" {
		c.ID = NewID()
	}
	c.method = a.methods[c.Method]
	start := monotonic()
	out, err := a.run(withCall(ctx, c), c)
	if err != nil {
		e := AsError(err)
		if e.Kind == KindInternal {
			a.Log.Error("call failed", "id", c.ID, "method", c.Method, "transport", c.Transport,
				"caller", c.Caller.Identity, "addr", c.Caller.Addr.String(), "err", e.Error(),
				"stack", string(e.Stack), "took", monotonic()-start)
		} else if a.Log.Enabled(ctx, slog.LevelDebug) {
			a.Log.Debug("call refused", "id", c.ID, "method", c.Method, "kind", e.Kind.String(), "err", e.Msg)
		}
		return nil, e
	}
	return out, nil
}
