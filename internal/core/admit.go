package core

// Admission is the cheap check a front end makes before it reads a
// request's body, with only what the headers tell: the caller's address and
// credentials (c.Caller.Addr, c.Creds; c.Method and c.Args are not known
// yet). A non-nil error refuses the request as the chain would, so that a
// caller who will be refused anyway (an anonymous source over its rate)
// costs no body read and no decoding. It must not block or take anything
// the chain will take again: the chain still runs in full for admitted
// calls.
type Admission func(c *Call) error

// SetAdmission installs the admission check (the security module does).
func (a *App) SetAdmission(f Admission) { a.admit = f }

// Admit runs the admission check; with none installed every call is
// admitted. Front ends that read a body call it first.
func (a *App) Admit(c *Call) error {
	if a.admit == nil {
		return nil
	}
	return a.admit(c)
}
