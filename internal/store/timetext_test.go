package store

import (
	"reflect"
	"testing"
	"time"
)

func checkTimeText(t *testing.T, tm time.Time) {
	t.Helper()
	want := tm.UTC().Format(TimeLayout)
	if got := FormatTime(tm); got != want {
		t.Fatalf("FormatTime(%v) = %q, want %q", tm, got, want)
	}
	back, err := time.Parse(TimeLayout, want)
	if err != nil {
		return // a year time.Parse refuses: nothing to match
	}
	if got := StoredTime(tm); !reflect.DeepEqual(got, back) {
		t.Fatalf("StoredTime(%v) = %#v, want %#v (what the text reads back as)", tm, got, back)
	}
}

func TestTimeText(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("east", 5*3600+1800), time.FixedZone("west", -11*3600)}
	for _, tm := range []time.Time{
		time.Now(), {}, time.Unix(0, 0), time.Unix(0, 999), time.Unix(1, 999_999_999),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 3, 16, 30, 5, 123_456_789, time.UTC),
	} {
		for _, z := range zones {
			checkTimeText(t, tm.In(z))
		}
	}
}

func FuzzTimeText(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(time.Now().Unix(), int64(time.Now().Nanosecond()))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		checkTimeText(t, time.Unix(sec%(400_000*365*86400), nsec))
	})
}

func BenchmarkFormatTime(b *testing.B) {
	now := time.Now()
	b.Run("FormatTime", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = FormatTime(now)
		}
	})
	b.Run("time.Format", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = now.UTC().Format(TimeLayout)
		}
	})
	b.Run("StoredTime", func(b *testing.B) {
		for b.Loop() {
			_ = StoredTime(now)
		}
	})
	b.Run("time.Parse", func(b *testing.B) {
		s := FormatTime(now)
		for b.Loop() {
			_, _ = time.Parse(TimeLayout, s)
		}
	})
}
