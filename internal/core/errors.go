package core

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error so that every front end can map it to its own form
// (HTTP status, XML-RPC fault code, chat error object, agent resultado="0")
// without knowing which module produced it.
type Kind int

const (
	// KindInternal is a bug or an unexpected failure: details are logged, and
	// reach the client only in debug mode.
	KindInternal Kind = iota
	// KindInvalid: the caller sent a bad argument (wrong count, type or value).
	KindInvalid
	// KindNoMethod: the method named by the call does not exist.
	KindNoMethod
	// KindNotFound: a thing the call names (a client, a lease) does not exist.
	KindNotFound
	// KindUnauthenticated: the caller must prove who it is.
	KindUnauthenticated
	// KindPermission: the caller is known but not allowed.
	KindPermission
	// KindConflict: the call contradicts stored state.
	KindConflict
	// KindUnavailable: try again later (busy, throttled, shutting down).
	KindUnavailable
	// KindTooMany: rate limited; RetryAfter says when to come back.
	KindTooMany
	// KindParse: the request bytes are not well formed (front ends only).
	KindParse
)

var kindNames = [...]string{
	KindInternal:        "internal",
	KindInvalid:         "invalid",
	KindNoMethod:        "no such method",
	KindNotFound:        "not found",
	KindUnauthenticated: "unauthenticated",
	KindPermission:      "permission denied",
	KindConflict:        "conflict",
	KindUnavailable:     "unavailable",
	KindTooMany:         "too many requests",
	KindParse:           "parse error",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the one error type that crosses the core. Msg is safe to show to
// any client; Err (the cause) and Stack are internal and only reach a client
// in debug mode.
type Error struct {
	Kind       Kind
	Msg        string
	Err        error
	Stack      []byte
	RetryAfter time.Duration
	// Code, when non-zero, is an application-chosen fault code that XML-RPC
	// replies use instead of the Kind's default (Clarens lets services do so).
	Code int
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error of the given kind with a client-safe message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap attaches an internal cause to a client-safe message.
func Wrap(kind Kind, err error, msg string) *Error {
	return &Error{Kind: kind, Msg: msg, Err: err}
}

// AsError views any error as an *Error. Storage failures get their Kind
// from StoreError's mapping; other errors become KindInternal with a
// generic message, so internals never leak by accident.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fromStore(err)
}

// KindOf reports the Kind of err (KindInternal for foreign errors).
func KindOf(err error) Kind { return AsError(err).Kind }

// PublicMessage is what a client may see: the message, plus the internal
// cause and stack only when debug is on.
func (e *Error) PublicMessage(debug bool) string {
	if !debug {
		return e.Msg
	}
	s := e.Error()
	if len(e.Stack) > 0 {
		s += "\n" + string(e.Stack)
	}
	return s
}
