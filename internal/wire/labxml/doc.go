// Package labxml reads and writes the lab agents' XML messages (spec:
// shared/spec/lab-agents.md §1): the server sends
//
//	<COMANDO codigo="6" nombre="InventarioHardware" accion="4711"><PARAM nombre="k" valor="v"/></COMANDO>
//
// and the agent answers
//
//	<RESPUESTA codigo="6" respuesta="" accion="4711" resultado="1" ipaddr="10.0.0.5"><PARAM nombre="hrd" valor="…"/></RESPUESTA>
//
// one element after another on a stream. A Reader finds where each element
// ends by counting tags (quote-aware), so a message may span lines; it
// refuses a message longer than its limit before buffering it. A malformed
// or oversize message is reported as a *MessageError and the reader skips
// past it (to the end of the element, or to the next newline when the
// element cannot be delimited), so one bad message costs that message, not
// the connection. The Writer puts no raw newline inside a message and ends
// each with one, which is what the reader resynchronises on.
package labxml
