package backup

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxSizeText bounds a size as written in a config file or flag.
const maxSizeText = 32

// sizeUnits maps a unit (lower-cased) to its multiplier. Bare K, M, G, T
// are binary, as df -h and rsync print them; KB, MB, GB, TB are decimal.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseSize reads a byte count with an optional unit: "1048576", "500M",
// "2GiB", "1.5GB", "10 k". Empty means 0 (no limit).
func ParseSize(s string) (int64, error) {
	if len(s) > maxSizeText {
		return 0, fmt.Errorf("size longer than %d characters", maxSizeText)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit (K, M, G, T, KiB..., KB...)", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: %v", s, err)
	}
	bytes := math.Round(v * mult)
	if bytes >= math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(bytes), nil
}

// FormatSize prints a byte count the way ParseSize reads it back (binary
// units, one decimal).
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%c", float64(n)/float64(div), "KMGT"[exp])
}
