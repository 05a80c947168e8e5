package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseScalar turns the text a source gave into the typed value of a
// string, int, bool or duration option.
func parseScalar(k Kind, text string) (any, error) {
	switch k {
	case KindInt:
		n, err := strconv.Atoi(text)
		if errors.Is(err, strconv.ErrRange) {
			return nil, errors.New("integer out of range")
		}
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return n, nil
	case KindBool:
		return parseBool(text)
	case KindDuration:
		return parseDuration(text)
	}
	return text, nil
}

// parseBool accepts what Python's ConfigParser.getboolean accepts, since
// sugar-server's files were written for it.
func parseBool(text string) (bool, error) {
	switch strings.ToLower(text) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, errors.New("not a boolean (true/false, yes/no, on/off, 1/0)")
}

// parseDuration takes Go syntax or, as sugar-server's timeouts were, a bare
// number of seconds.
func parseDuration(text string) (time.Duration, error) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, errors.New("duration out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, errors.New("not a duration (like 90s, 1h30m, or a number of seconds)")
	}
	return d, nil
}

// scalarText is the canonical text of a scalar value; parseScalar of it
// gives the value back.
func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Duration:
		return v.String()
	}
	panic(fmt.Sprintf("config: no text form for %T", v))
}

// textOf is the environment-variable form of a value: lists and maps
// comma-joined, map entries sorted by key.
func textOf(k Kind, v any) string {
	switch k {
	case KindList:
		return strings.Join(v.([]string), ",")
	case KindMap:
		m := v.(map[string]string)
		entries := make([]string, 0, len(m))
		for _, key := range slices.Sorted(maps.Keys(m)) {
			entries = append(entries, key+"="+m[key])
		}
		return strings.Join(entries, ",")
	}
	return scalarText(v)
}

// cloneValue copies lists and maps so callers never share the Set's own.
func cloneValue(v any) any {
	switch v := v.(type) {
	case []string:
		return append([]string{}, v...)
	case map[string]string:
		m := make(map[string]string, len(v))
		maps.Copy(m, v)
		return m
	}
	return v
}

// defaultTexts are the texts of the default that Choices must allow.
func defaultTexts(o *option) []string {
	switch o.kind {
	case KindList:
		return o.def.([]string)
	case KindMap:
		return slices.Collect(maps.Values(o.def.(map[string]string)))
	}
	return []string{scalarText(o.def)}
}

// checkChoice reports whether text is allowed by the option's choices.
func (o *option) checkChoice(text string) error {
	if len(o.choices) == 0 || slices.Contains(o.choices, text) {
		return nil
	}
	quoted := make([]string, len(o.choices))
	for i, c := range o.choices {
		quoted[i] = strconv.Quote(c)
	}
	return fmt.Errorf("must be one of %s", strings.Join(quoted, ", "))
}

// runChecks applies the option's Validate funcs to v.
func (o *option) runChecks(v any) error {
	for _, check := range o.checks {
		if err := check(cloneValue(v)); err != nil {
			return err
		}
	}
	return nil
}

// envName is the environment variable of option name.
func envName(name string) string {
	return "AULA_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// encodeValue writes v so that the file parser reads back exactly v:
// Go-quoted when spaces at its ends, a leading quote, control characters or
// invalid UTF-8 would otherwise be lost or misread.
func encodeValue(v string) string {
	if v != strings.TrimSpace(v) || strings.HasPrefix(v, `"`) || !utf8.ValidString(v) {
		return strconv.Quote(v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return strconv.Quote(v)
		}
	}
	return v
}

// encodeElem is encodeValue for a list element, where a bare empty value
// would mean "reset the list" instead of one empty element.
func encodeElem(v string) string {
	if v == "" {
		return `""`
	}
	return encodeValue(v)
}
