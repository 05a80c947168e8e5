// Package core is aula's protocol-neutral heart: the module registry, the
// per-module method tables with generically adapted typed handlers, the Call
// that every wire front end decodes into, the ordered chain of links a call
// passes through (authenticate → authorize → limit → audit/metrics →
// dispatch), the one error type with its Kind, lifecycle hooks and the event
// bus modules use to hear about each other.
//
// The core never sees the wire: front ends turn bytes into a Call and turn the
// reply or *Error back into bytes. Adding a protocol touches no module, and
// adding a module touches no protocol.
package core
