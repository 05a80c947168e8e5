package loadgen

import "fmt"

// Runner is a configured load: HTTPLoad, TCPLoad and Storm are all Runners.
type Runner interface {
	Run() (Result, error)
}

// Interleave runs the loads in turn, rounds times, and returns one Result
// per load with its rounds added together (calls, errors and measured time
// summed, percentiles over all calls). On a shared machine whose other work
// comes and goes, short alternating rounds give every load the same mix of
// quiet and busy moments, so the ratios between them are fairer than one
// long run each. The order flips every round (A B, B A, ...) to cancel
// drift. Set each load's Duration to the length of one round.
func Interleave(rounds int, loads ...Runner) ([]Result, error) {
	if rounds < 1 {
		rounds = 1
	}
	sums := make([]Result, len(loads))
	for round := range rounds {
		for k := range loads {
			i := k
			if round%2 == 1 {
				i = len(loads) - 1 - k
			}
			r, err := loads[i].Run()
			if err != nil {
				return nil, fmt.Errorf("load %d, round %d: %w", i, round+1, err)
			}
			sums[i].add(r)
		}
	}
	return sums, nil
}
