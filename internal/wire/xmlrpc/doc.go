// Package xmlrpc is aula's XML-RPC codec: it decodes calls and responses
// from untrusted bytes and encodes responses, faults and calls from
// ordinary Go values. The HTTP front end lives beside it in this package.
//
// Decoded values always use one of these Go types, whatever the peer sent:
//
//	<i4>, <int>          int (within 32 bits)
//	<i8>                 int64
//	<boolean>            bool
//	<string>, bare text  string
//	<double>             float64
//	<dateTime.iso8601>   time.Time (UTC)
//	<base64>             []byte
//	<struct>             map[string]any
//	<array>              []any
//	<nil/>, <ex:nil/>    nil
//
// Encoding walks arbitrary Go values by reflection (see AppendResponse); a
// Go int64 always becomes <i8>, so a value echoed back keeps the width the
// client chose.
//
// Decoding sits on encoding/xml's RawToken with a small hand-written state
// machine (no Unmarshal, no DTDs, no entities beyond XML's predefined ones),
// a byte limit and a nesting limit; encoding appends bytes to a buffer.
package xmlrpc

// MaxDepth is how deeply arrays and structs may nest, both when decoding
// (deeper input is refused) and when encoding (so every value this package
// writes can be read back by it).
const MaxDepth = 100

// MaxValues is how many <value>s one call may hold, counting every array
// element, struct member and parameter at any depth. The byte limit alone
// let a 4 MB body of small integers decode into some 150,000 values, about
// 7 MB of memory per request; the largest legitimate call, a 1000-call
// system.multicall of a few parameters each, needs under 10,000. Responses
// are not counted: the client chose the server and its byte limit.
const MaxValues = 50_000

// DefaultLimit is the byte limit used when a decode function is given a
// limit <= 0.
const DefaultLimit = 8 << 20
