// Package activation is the TCP 191 listener XO laptops ask for their
// anti-theft activation lease at boot (spec: shared/spec/activation-leases.md
// §1). It owns only the wire: read the request up to the client's FIN,
// decode it (a serial, or "rtcreset SN RTCTIMESTAMP RTCCOUNT"), hand it to
// an Answerer that decides the reply bytes, write them and always close.
//
// The XO connects with a 3 s timeout, sends its request without terminator,
// shuts down its write side and then reads until EOF with no timeout at all,
// so a server that forgets to close hangs the laptop's boot. Every
// connection here is therefore bounded: a byte cap, an absolute read
// deadline, a write deadline, a cap on concurrent connections (excess ones
// are answered and closed at once, never queued), and Shutdown closes what
// is left.
//
// Decided on the request form: the XO sends no newline or NUL, but trailing
// whitespace and NUL bytes are tolerated (trimmed) so "echo SN | nc host 191"
// works for admins; leading whitespace, lowercase serials and anything else
// are invalid requests.
package activation
