package activation

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Request limits. A request is an 11-character serial or a ~48-byte
// rtcreset line; MaxRequestSize bounds what ParseRequest looks at.
const (
	MaxRequestSize = 1024
	MaxSerialLen   = 20 // same bound as the lease package's serial rule
	MaxCountLen    = 10 // RTCCOUNT: up to 10 decimal digits (NONCE10)
)

// Request errors; ParseRequest wraps ErrMalformedRequest with the reason.
var (
	ErrEmptyRequest     = errors.New("empty request")
	ErrRequestTooLarge  = errors.New("request too large")
	ErrReadTimeout      = errors.New("request not complete (no FIN) before the read deadline")
	ErrMalformedRequest = errors.New("malformed request")
)

// RTCReset is an "rtcreset SN RTCTIMESTAMP RTCCOUNT" request: the XO asks
// for an rtc01 reply to reset its clock.
type RTCReset struct {
	Serial    string // same as Request.Serial
	Timestamp string // the XO's current RTC, YYYYMMDDTHHMMSSZ
	Count     string // RTCCOUNT as sent, 1-10 digits (rtc01 wants it zero-padded to 10)
}

// Request is one decoded TCP 191 request.
type Request struct {
	Serial   string
	RTCReset *RTCReset // nil for a lease request
	Raw      []byte    // the bytes as received, before trimming
}

// String is the canonical request: the serial, or the rtcreset line.
func (r Request) String() string {
	if r.RTCReset != nil {
		return "rtcreset " + r.Serial + " " + r.RTCReset.Timestamp + " " + r.RTCReset.Count
	}
	return r.Serial
}

// ParseRequest decodes what an XO sent before its FIN. The XO sends no
// terminator, but trailing whitespace and NUL bytes are trimmed so that
// hand tests (echo SN | nc host 191) and C clients that send the string's
// NUL work; anything else, leading whitespace included, is malformed.
func ParseRequest(b []byte) (Request, error) {
	req := Request{Raw: b}
	if len(b) > MaxRequestSize {
		return req, fmt.Errorf("%w: %d bytes, limit %d", ErrRequestTooLarge, len(b), MaxRequestSize)
	}
	s := string(bytes.TrimRight(b, " \t\r\n\x00"))
	if s == "" {
		return req, ErrEmptyRequest
	}
	rest, isRTC := strings.CutPrefix(s, "rtcreset ")
	if !isRTC {
		if !validSerial(s) {
			return req, malformed("serial %q: want 1-%d characters A-Z 0-9", s, MaxSerialLen)
		}
		req.Serial = s
		return req, nil
	}
	f := strings.Split(rest, " ")
	if len(f) != 3 {
		return req, malformed("rtcreset: want \"rtcreset SN RTCTIMESTAMP RTCCOUNT\" separated by single spaces")
	}
	sn, ts, count := f[0], f[1], f[2]
	if !validSerial(sn) {
		return req, malformed("rtcreset serial %q: want 1-%d characters A-Z 0-9", sn, MaxSerialLen)
	}
	if !validStamp(ts) {
		return req, malformed("rtcreset RTCTIMESTAMP %q: want YYYYMMDDTHHMMSSZ", ts)
	}
	if !validCount(count) {
		return req, malformed("rtcreset RTCCOUNT %q: want 1-%d decimal digits", count, MaxCountLen)
	}
	req.Serial = sn
	req.RTCReset = &RTCReset{Serial: sn, Timestamp: ts, Count: count}
	return req, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedRequest, fmt.Sprintf(format, args...))
}

// validSerial mirrors lease.ValidSerial; this package stays free of it so
// the listener can be used and tested on its own.
func validSerial(s string) bool {
	if len(s) == 0 || len(s) > MaxSerialLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// validStamp accepts the all-zero stamp and real calendar times: an XO whose
// clock was reset may report any year, so only the form is judged.
func validStamp(s string) bool {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return false
	}
	for i := 0; i < 15; i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	if s == "00000000T000000Z" {
		return true
	}
	t, err := time.Parse("20060102T150405Z", s)
	return err == nil && t.Format("20060102T150405Z") == s
}

func validCount(s string) bool {
	if len(s) == 0 || len(s) > MaxCountLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
