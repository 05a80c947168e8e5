package loadgen

import (
	"testing"
	"time"
)

func TestHistogramBucketsCoverValuesTightly(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<22; v += 1 + v/997 {
		b := bucketOf(v)
		if b < prev {
			t.Fatalf("bucketOf(%d) = %d, below the previous bucket %d", v, b, prev)
		}
		prev = b
		high := bucketHigh(b)
		if high < v || float64(high-v) > float64(v)/subHalf {
			t.Fatalf("value %d in bucket %d whose top is %d: more than 1/%d off", v, b, high, subHalf)
		}
	}
	if got := bucketOf(^uint64(0)); got != numBuckets-1 {
		t.Fatalf("largest value in bucket %d, want the last, %d", got, numBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var a, b histogram
	for i := 1; i <= 1000; i++ { // 1µs .. 1ms, split over two workers
		h := &a
		if i%2 == 0 {
			h = &b
		}
		h.record(time.Duration(i) * time.Microsecond)
	}
	a.merge(&b)
	near := func(got, want time.Duration) bool {
		return got >= want && float64(got-want) <= float64(want)/subHalf
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.9, 900 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		if got := a.quantile(c.q); !near(got, c.want) {
			t.Errorf("quantile(%v) = %v, want about %v", c.q, got, c.want)
		}
	}
	if a.max != uint64(time.Millisecond) || a.total != 1000 {
		t.Errorf("max %d total %d", a.max, a.total)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram should report 0")
	}
}
