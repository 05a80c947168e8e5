package core

import (
	"errors"

	"aula/internal/store"
)

// StoreError is the one mapping from a storage failure to a core error,
// for every module; what says what the call was doing ("storing the
// registration"). A *Error returned from inside a write passes unchanged.
// A full disk or a database that cannot be written is Unavailable, saying
// so and naming the data directory, so the admin knows what to fix and the
// client that it may retry; a busy or closing database is Unavailable too;
// a constraint violation is Conflict; an argument the store refused is
// Invalid with the store's message; anything else is Internal (logged in
// full; the client sees only the request id).
func StoreError(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	e := fromStore(err)
	if what != "" && e.Kind != KindInternal {
		e.Msg = what + ": " + e.Msg
	} else if what != "" {
		e.Msg = what + " failed"
	}
	return e
}

// fromStore classifies an error that is not a *Error; AsError uses it, so
// a module that returns a store error unmapped still gets the right Kind.
func fromStore(err error) *Error {
	where := store.WhereOf(err)
	if where == "" {
		where = "the data directory"
	}
	switch store.KindOf(err) {
	case store.KindFull:
		return &Error{Kind: KindUnavailable, Err: err,
			Msg: "no space left on the disk holding " + where + "; nothing was written (free some space, then retry)"}
	case store.KindReadOnly:
		return &Error{Kind: KindUnavailable, Err: err,
			Msg: "cannot write to " + where + " (read-only database or file system); nothing was written"}
	case store.KindBusy:
		return &Error{Kind: KindUnavailable, Err: err, Msg: "the database is busy; retry shortly"}
	case store.KindClosed:
		return &Error{Kind: KindUnavailable, Err: err, Msg: "the server is shutting down; retry shortly"}
	}
	switch {
	case store.IsConstraint(err):
		return &Error{Kind: KindConflict, Err: err, Msg: "conflicts with what is already stored"}
	case errors.Is(err, store.ErrInvalid):
		return &Error{Kind: KindInvalid, Msg: err.Error()}
	}
	return &Error{Kind: KindInternal, Msg: "internal error", Err: err}
}
