package loadgen

import (
	"math/bits"
	"time"
)

// The histogram keeps latencies in log-spaced buckets, HdrHistogram style:
// each power of two is split into 64 sub-buckets, so a reported percentile
// is within 1/64 (about 1.6%) of the true value, recording is a few integer
// operations, and merging per-worker histograms is an array add.
const (
	subBits    = 7                  // values below 1<<subBits get exact buckets
	subHalf    = 1 << (subBits - 1) // sub-buckets per power of two above that
	maxShift   = 33                 // values are clamped below 1<<(subBits+maxShift) ns (about 18 min)
	numBuckets = (maxShift+1)*subHalf + subHalf
	maxValue   = uint64(1)<<(subBits+maxShift) - 1
)

type histogram struct {
	counts [numBuckets]uint64
	total  uint64
	max    uint64
}

func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	if v > maxValue {
		v = maxValue
	}
	shift := bits.Len64(v) - subBits
	return shift*subHalf + int(v>>uint(shift))
}

// bucketHigh is the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	shift := i/subHalf - 1
	top := uint64(i%subHalf + subHalf)
	return (top+1)<<uint(shift) - 1
}

func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	h.total++
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the value at quantile q (0 < q <= 1): the upper edge of
// the bucket holding that rank, never more than the largest value recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max))
		}
	}
	return time.Duration(h.max)
}
