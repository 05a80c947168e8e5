package activation

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	good := []struct {
		in, serial, ts, count string
	}{
		{"SHF706002A7", "SHF706002A7", "", ""},
		{"SHF706002A7\n", "SHF706002A7", "", ""},
		{"SHF706002A7\r\n", "SHF706002A7", "", ""},
		{"SHF706002A7\x00", "SHF706002A7", "", ""},
		{"A", "A", "", ""},
		{strings.Repeat("9", MaxSerialLen), strings.Repeat("9", MaxSerialLen), "", ""},
		{"rtcreset SHF706002A7 20110512T003512Z 0000000135", "SHF706002A7", "20110512T003512Z", "0000000135"},
		{"rtcreset SHF706002A7 20110512T003512Z 135\n", "SHF706002A7", "20110512T003512Z", "135"},
		{"rtcreset SHF706002A7 00000000T000000Z 0", "SHF706002A7", "00000000T000000Z", "0"},
	}
	for _, c := range good {
		req, err := ParseRequest([]byte(c.in))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if req.Serial != c.serial || string(req.Raw) != c.in {
			t.Errorf("%q: serial %q raw %q", c.in, req.Serial, req.Raw)
		}
		if (c.ts == "") != (req.RTCReset == nil) {
			t.Errorf("%q: RTCReset = %+v", c.in, req.RTCReset)
			continue
		}
		if req.RTCReset != nil && (req.RTCReset.Serial != c.serial || req.RTCReset.Timestamp != c.ts || req.RTCReset.Count != c.count) {
			t.Errorf("%q: RTCReset = %+v", c.in, *req.RTCReset)
		}
		if req.String() != strings.TrimRight(c.in, "\r\n\x00") {
			t.Errorf("%q: String() = %q", c.in, req.String())
		}
	}
}

func TestParseRequestRejects(t *testing.T) {
	bad := []struct {
		in   string
		want error
	}{
		{"", ErrEmptyRequest},
		{"\n\x00 ", ErrEmptyRequest},
		{"shf706002a7", ErrMalformedRequest},
		{" SHF706002A7", ErrMalformedRequest},
		{"SHF706002A7 SHF706002A8", ErrMalformedRequest},
		{"SHF-706002A7", ErrMalformedRequest},
		{strings.Repeat("9", MaxSerialLen+1), ErrMalformedRequest},
		{"GET / HTTP/1.0\r\n\r\n", ErrMalformedRequest},
		{"rtcreset", ErrMalformedRequest},
		{"rtcreset SHF706002A7", ErrMalformedRequest},
		{"rtcreset SHF706002A7 20110512T003512Z", ErrMalformedRequest},
		{"rtcreset SHF706002A7  20110512T003512Z 0000000135", ErrMalformedRequest},
		{"rtcreset SHF706002A7 20110512T003512Z 0000000135 x", ErrMalformedRequest},
		{"rtcreset shf706002a7 20110512T003512Z 0000000135", ErrMalformedRequest},
		{"rtcreset SHF706002A7 20111312T003512Z 0000000135", ErrMalformedRequest},
		{"rtcreset SHF706002A7 2011-05-12T00:35Z 0000000135", ErrMalformedRequest},
		{"rtcreset SHF706002A7 20110512T003512Z 00000001350", ErrMalformedRequest},
		{"rtcreset SHF706002A7 20110512T003512Z -1", ErrMalformedRequest},
		{"RTCRESET SHF706002A7 20110512T003512Z 1", ErrMalformedRequest},
		{strings.Repeat("A", MaxRequestSize+1), ErrRequestTooLarge},
	}
	for _, c := range bad {
		req, err := ParseRequest([]byte(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("%q: error %v, want %v", c.in, err, c.want)
		}
		if string(req.Raw) != c.in {
			t.Errorf("%q: Raw not kept for the invalid-request hook", c.in)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"SHF706002A7", "SHF706002A7\n", "rtcreset SHF706002A7 20110512T003512Z 0000000135", "", "rtcreset  ", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseRequest(b)
		if err != nil {
			return
		}
		if !validSerial(req.Serial) {
			t.Fatalf("accepted serial %q", req.Serial)
		}
		if got, want := req.String(), strings.TrimRight(string(b), " \t\r\n\x00"); got != want {
			t.Fatalf("canonical form %q differs from request %q", got, want)
		}
	})
}
