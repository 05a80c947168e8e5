package xmlrpc

import (
	"fmt"
	"strconv"
)

// Fault codes from the "Specification for Fault Code Interoperability"
// (v20010516). Applications must not use codes in -32768 … -32000.
const (
	ParseError          = -32700 // not well-formed XML (also: body too big)
	UnsupportedEncoding = -32701 // declared encoding we cannot read
	InvalidCharacter    = -32702 // bytes that are not valid characters in the encoding
	InvalidRequest      = -32600 // well-formed XML that is not a valid XML-RPC message
	MethodNotFound      = -32601
	InvalidParams       = -32602
	InternalError       = -32603
	ApplicationError    = -32500
	SystemError         = -32400
	TransportError      = -32300
)

// Fault is an XML-RPC fault: what DecodeCall returns for a request the
// server must refuse, and what DecodeResponse returns when the server
// answered with a fault.
type Fault struct {
	Code   int
	String string
}

// Faultf returns a *Fault with a formatted message.
func Faultf(code int, format string, args ...any) *Fault {
	return &Fault{Code: code, String: fmt.Sprintf(format, args...)}
}

// Error formats the fault the way Python's xmlrpc.client.Fault prints.
func (f *Fault) Error() string {
	return "<Fault " + strconv.Itoa(f.Code) + ": " + strconv.Quote(f.String) + ">"
}
