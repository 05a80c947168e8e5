package loadgen

import (
	"fmt"
	"strings"
	"time"
)

// maxErrorSamples is how many distinct error messages a Result keeps.
const maxErrorSamples = 5

// Result is what one load run measured. Latencies are of successful calls.
type Result struct {
	Calls        int64         // calls that succeeded within the measured window
	Errors       int64         // calls that failed (I/O, parse, status or body check)
	ErrorSamples []string      // the first few distinct error messages
	Elapsed      time.Duration // length of the measured window
	P50          time.Duration
	P90          time.Duration
	P99          time.Duration
	Max          time.Duration

	hist *histogram // kept so that Interleave can merge rounds exactly
	// summary: made by Summary from another driver's figures (wrk), with
	// no histogram; rounds merge approximately (see add).
	summary bool
}

// Summary is a Result from another driver's own figures (wrk prints
// calls, errors and percentiles, not its histogram). Interleave merges such
// rounds with each percentile the calls-weighted mean of the rounds' and
// Max the largest.
func Summary(calls, errors int64, elapsed, p50, p90, p99, max time.Duration) Result {
	return Result{Calls: calls, Errors: errors, Elapsed: elapsed, P50: p50, P90: p90, P99: p99, Max: max, summary: true}
}

// PerSecond is successful calls per second of the measured window.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// String is a one-line summary for logs.
func (r Result) String() string {
	s := fmt.Sprintf("%d calls in %v (%.0f/s), p50 %s p90 %s p99 %s max %s, %d errors",
		r.Calls, r.Elapsed.Round(time.Millisecond), r.PerSecond(),
		FormatLatency(r.P50), FormatLatency(r.P90), FormatLatency(r.P99), FormatLatency(r.Max), r.Errors)
	if len(r.ErrorSamples) > 0 {
		s += " (first: " + strings.Join(r.ErrorSamples, "; ") + ")"
	}
	return s
}

// FormatLatency prints a duration with three significant digits (e.g.
// "87.3µs", "1.25ms"), which is all the histogram's precision supports.
func FormatLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return trim3(float64(d)/float64(time.Microsecond)) + "µs"
	case d < time.Second:
		return trim3(float64(d)/float64(time.Millisecond)) + "ms"
	default:
		return trim3(d.Seconds()) + "s"
	}
}

func trim3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// tally is one worker's private record, merged once at the end so that the
// hot path touches no shared memory.
type tally struct {
	hist    histogram
	calls   int64
	errors  int64
	samples []string
}

func (t *tally) fail(err error) {
	t.errors++
	if len(t.samples) < maxErrorSamples {
		t.samples = appendDistinct(t.samples, err.Error())
	}
}

func (t *tally) ok(d time.Duration) {
	t.calls++
	t.hist.record(d)
}

func appendDistinct(list []string, msg string) []string {
	for _, m := range list {
		if m == msg {
			return list
		}
	}
	return append(list, msg)
}

// summarize merges worker tallies into a Result over the given window.
func summarize(tallies []*tally, elapsed time.Duration) Result {
	all := new(histogram)
	r := Result{Elapsed: elapsed, hist: all}
	for _, t := range tallies {
		all.merge(&t.hist)
		r.Calls += t.calls
		r.Errors += t.errors
		for _, m := range t.samples {
			if len(r.ErrorSamples) < maxErrorSamples {
				r.ErrorSamples = appendDistinct(r.ErrorSamples, m)
			}
		}
	}
	r.setLatencies()
	return r
}

func (r *Result) setLatencies() {
	r.P50 = r.hist.quantile(0.50)
	r.P90 = r.hist.quantile(0.90)
	r.P99 = r.hist.quantile(0.99)
	r.Max = time.Duration(r.hist.max)
}

// add folds another run of the same load into r.
func (r *Result) add(o Result) {
	if o.summary {
		r.addSummary(o)
		return
	}
	if r.hist == nil {
		r.hist = new(histogram)
	}
	if o.hist != nil {
		r.hist.merge(o.hist)
	}
	r.Calls += o.Calls
	r.Errors += o.Errors
	r.Elapsed += o.Elapsed
	for _, m := range o.ErrorSamples {
		if len(r.ErrorSamples) < maxErrorSamples {
			r.ErrorSamples = appendDistinct(r.ErrorSamples, m)
		}
	}
	r.setLatencies()
}

// addSummary folds a Summary round into r: percentiles weighted by calls.
func (r *Result) addSummary(o Result) {
	mean := func(a, b time.Duration) time.Duration {
		if r.Calls+o.Calls == 0 {
			return max(a, b)
		}
		return time.Duration((float64(a)*float64(r.Calls) + float64(b)*float64(o.Calls)) / float64(r.Calls+o.Calls))
	}
	r.P50, r.P90, r.P99 = mean(r.P50, o.P50), mean(r.P90, o.P90), mean(r.P99, o.P99)
	r.Max = max(r.Max, o.Max)
	r.Calls += o.Calls
	r.Errors += o.Errors
	r.Elapsed += o.Elapsed
	r.summary = true
	for _, m := range o.ErrorSamples {
		if len(r.ErrorSamples) < maxErrorSamples {
			r.ErrorSamples = appendDistinct(r.ErrorSamples, m)
		}
	}
}
