package core

import (
	"context"
	"strconv"
)

// MaxMulticall bounds the calls one system.multicall may carry.
const MaxMulticall = 1000

const multicallHelp = `Runs several calls in one request: takes an array of {methodName, params} structs and returns, in order, [result] for each call that succeeded and {faultCode, faultString} for each that failed; one failing call does not stop the rest. Each call goes through authentication, access control, limits and audit as if made alone.`

// FaultFunc shapes a failed multicall entry for the front end that will
// encode it (XML-RPC uses its own fault codes). Install one with
// WithFaultFunc; without one, DefaultFault is used.
type FaultFunc func(e *Error, c *Call) any

type faultKey struct{}

// WithFaultFunc returns ctx carrying f for system.multicall.
func WithFaultFunc(ctx context.Context, f FaultFunc) context.Context {
	return context.WithValue(ctx, faultKey{}, f)
}

// DefaultFault is {faultCode, faultString} with the error's own code, or
// else an HTTP-like number for its Kind, and the client-safe message.
func DefaultFault(e *Error, c *Call) any {
	code := e.Code
	if code == 0 {
		code = defaultFaultCodes[e.Kind]
	}
	return map[string]any{"faultCode": code, "faultString": ClientMessage(e, c)}
}

var defaultFaultCodes = map[Kind]int{
	KindInternal: 500, KindInvalid: 400, KindParse: 400, KindNoMethod: 404, KindNotFound: 404,
	KindUnauthenticated: 401, KindPermission: 403, KindConflict: 409, KindUnavailable: 503, KindTooMany: 429,
}

// ClientMessage is the text of an error a client of call c may see:
// internal errors outside debug mode say only that, with the request id to
// find the log entry by.
func ClientMessage(e *Error, c *Call) string {
	if e.Kind == KindInternal && !c.Debug {
		return "internal error (request id " + c.ID + ")"
	}
	return e.PublicMessage(c.Debug)
}

func (s *systemModule) multicallMethod() Method {
	m := Raw("system.multicall", multicallHelp, func(ctx context.Context, args []any) (any, error) {
		return s.a.multicall(ctx, args)
	})
	m.Params, m.Result, m.Variadic = []Param{{Name: "calls", Type: "array"}}, "array", false
	return m
}

// multicall runs each sub-call through the whole chain with the outer
// call's caller credentials and transport.
func (a *App) multicall(ctx context.Context, args []any) (any, error) {
	if len(args) == 1 { // REST: {"calls": [...]}
		if named, ok := args[0].(map[string]any); ok {
			if calls, ok := named["calls"]; ok && len(named) == 1 {
				args = []any{calls}
			}
		}
	}
	if len(args) != 1 {
		return nil, Errorf(KindInvalid, "system.multicall takes one array of calls, got %d params", len(args))
	}
	calls, ok := args[0].([]any)
	if !ok {
		return nil, Errorf(KindInvalid, "system.multicall: param 1 must be an array of {methodName, params} structs")
	}
	if len(calls) > MaxMulticall {
		return nil, Errorf(KindInvalid, "system.multicall: %d calls, at most %d allowed", len(calls), MaxMulticall)
	}
	outer := CallFrom(ctx)
	if outer == nil {
		outer = &Call{}
	}
	fault, _ := ctx.Value(faultKey{}).(FaultFunc)
	if fault == nil {
		fault = DefaultFault
	}
	results := make([]any, len(calls))
	for i, item := range calls {
		sub := &Call{Caller: outer.Caller, Creds: outer.Creds, Transport: outer.Transport, Debug: outer.Debug,
			ID: outer.ID + "." + strconv.Itoa(i)}
		out, err := a.subCall(ctx, sub, item)
		if err != nil {
			results[i] = fault(AsError(err), sub)
			continue
		}
		results[i] = []any{out}
	}
	return results, nil
}

func (a *App) subCall(ctx context.Context, sub *Call, item any) (any, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return nil, Errorf(KindInvalid, "system.multicall: each call must be a struct")
	}
	name, ok := m["methodName"].(string)
	if !ok {
		return nil, Errorf(KindInvalid, "system.multicall: methodName missing or not a string")
	}
	if name == "system.multicall" {
		return nil, Errorf(KindInvalid, "system.multicall: recursive multicall is not allowed")
	}
	params, ok := m["params"].([]any)
	if !ok && m["params"] != nil {
		return nil, Errorf(KindInvalid, "system.multicall: params of %s must be an array", name)
	}
	if params == nil {
		params = []any{}
	}
	sub.Method, sub.Args = name, params
	return a.Handle(ctx, sub)
}
