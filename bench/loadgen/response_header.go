package loadgen

import (
	"bytes"
	"errors"
	"fmt"
)

// parseStatusLine accepts "HTTP/1.x NNN[ reason]".
func parseStatusLine(ln []byte) (status int, http10 bool, err error) {
	if len(ln) < 12 || !bytes.HasPrefix(ln, []byte("HTTP/1.")) || ln[8] != ' ' ||
		(len(ln) > 12 && ln[12] != ' ') {
		return 0, false, fmt.Errorf("bad status line %.40q", ln)
	}
	switch ln[7] {
	case '0':
		http10 = true
	case '1':
	default:
		return 0, false, fmt.Errorf("unsupported HTTP version in %.40q", ln)
	}
	for _, c := range ln[9:12] {
		if c < '0' || c > '9' {
			return 0, false, fmt.Errorf("bad status code in %.40q", ln)
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return 0, false, fmt.Errorf("bad status code in %.40q", ln)
	}
	return status, http10, nil
}

// headerFacts is what the driver needs from a response's headers.
type headerFacts struct {
	contentLength int // -1 when absent
	close         bool
}

func (h *headerFacts) add(ln []byte, http10 bool) error {
	if ln[0] == ' ' || ln[0] == '\t' {
		return errors.New("obsolete header line folding is not accepted")
	}
	colon := bytes.IndexByte(ln, ':')
	if colon <= 0 {
		return fmt.Errorf("bad header line %.40q", ln)
	}
	name, value := ln[:colon], bytes.Trim(ln[colon+1:], " \t")
	if bytes.ContainsAny(name, " \t") {
		return fmt.Errorf("space in header name %.40q", name)
	}
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := parseContentLength(value)
		if err != nil {
			return err
		}
		if h.contentLength >= 0 && h.contentLength != n {
			return fmt.Errorf("conflicting Content-Length headers %d and %d", h.contentLength, n)
		}
		h.contentLength = n
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		if !bytes.EqualFold(value, []byte("identity")) {
			return fmt.Errorf("Transfer-Encoding %.20q is not supported (aula servers send Content-Length)", value)
		}
	case bytes.EqualFold(name, []byte("Connection")):
		if hasToken(value, "close") {
			h.close = true
		} else if http10 && hasToken(value, "keep-alive") {
			h.close = false
		}
	}
	return nil
}

func parseContentLength(v []byte) (int, error) {
	if len(v) == 0 || len(v) > 9 {
		return 0, fmt.Errorf("bad Content-Length %.20q", v)
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad Content-Length %.20q", v)
		}
		n = n*10 + int(c-'0')
	}
	if n > maxBodyBytes {
		return 0, errTooLarge(maxBodyBytes)
	}
	return n, nil
}

// hasToken reports whether a comma-separated header value holds token,
// ignoring case and surrounding spaces.
func hasToken(value []byte, token string) bool {
	for len(value) > 0 {
		item := value
		if i := bytes.IndexByte(value, ','); i >= 0 {
			item, value = value[:i], value[i+1:]
		} else {
			value = nil
		}
		if bytes.EqualFold(bytes.Trim(item, " \t"), []byte(token)) {
			return true
		}
	}
	return false
}
