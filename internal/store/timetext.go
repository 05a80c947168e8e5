package store

import "time"

// TimeLayout is the text form in which modules store times: UTC to the
// microsecond, so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime is t.UTC().Format(TimeLayout) without time.Format's walk of
// the layout, a few hundred nanoseconds on the path of every audited call
// and every registration.
func FormatTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(TimeLayout)
	}
	hour, min, sec := t.Clock()
	var b [len(TimeLayout)]byte
	put := func(at, n, v int) {
		for i := at + n - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, year)
	b[4] = '-'
	put(5, 2, int(month))
	b[7] = '-'
	put(8, 2, day)
	b[10] = 'T'
	put(11, 2, hour)
	b[13] = ':'
	put(14, 2, min)
	b[16] = ':'
	put(17, 2, sec)
	b[19] = '.'
	put(20, 6, t.Nanosecond()/1000)
	b[26] = 'Z'
	return string(b[:])
}

// StoredTime is t as it reads back from FormatTime's text
// (time.Parse(TimeLayout, FormatTime(t))): UTC, cut to the microsecond,
// without a monotonic clock reading.
func StoredTime(t time.Time) time.Time {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		back, _ := time.Parse(TimeLayout, FormatTime(t))
		return back
	}
	return time.Unix(t.Unix(), int64(t.Nanosecond()/1000*1000)).UTC()
}
