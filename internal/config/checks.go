package config

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Validators shared by the options of the core, modules and front ends
// (Opt.Validate), so each rule and its wording exist once.

// ListenAddr accepts "" (turned off), "host:port" or ":port".
func ListenAddr(s string) error {
	if s == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("want host:port or :port (%v)", err)
	}
	return nil
}

// PositiveDuration refuses zero and negative durations.
func PositiveDuration(d time.Duration) error {
	if d <= 0 {
		return errors.New("want a positive duration")
	}
	return nil
}

// PositiveInt refuses zero and negative numbers.
func PositiveInt(n int) error {
	if n <= 0 {
		return errors.New("want a positive number")
	}
	return nil
}
