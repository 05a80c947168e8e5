package loadgen

import (
	"strconv"
	"strings"
)

// HTTPRequest builds the bytes of one HTTP/1.1 request to send as-is, with
// Host 127.0.0.1 and, when there is a body or the method carries one, a
// Content-Length. Each extra header is a whole "Name: value" line without
// CR LF, e.g. "Content-Type: text/xml".
func HTTPRequest(method, path string, body []byte, header ...string) []byte {
	var b strings.Builder
	b.Grow(64 + len(path) + len(body) + 32*len(header))
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(path)
	b.WriteString(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	for _, h := range header {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	if len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(len(body)))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return []byte(b.String())
}
