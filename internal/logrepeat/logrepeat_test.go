package logrepeat

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRepeatsDroppedThenCounted(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, nil), time.Minute)
	now := time.Unix(1000, 0)
	h.st.now = func() time.Time { return now }
	log := slog.New(h).With("module", "id")
	full := errors.New("disk full")
	for i := range 100 {
		log.Error("folding the registration journal", "err", full, "try", i)
	}
	log.Error("folding the registration journal", "err", errors.New("other"))
	log.Error("another message", "err", full)
	log.Info("info is never dropped")
	log.Info("info is never dropped")
	log.Warn("no err attribute")
	log.Warn("no err attribute")
	now = now.Add(time.Minute)
	log.Error("folding the registration journal", "err", full)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "try=0") || !strings.Contains(lines[0], "module=id") {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[7]; !strings.Contains(last, "repeated=99") || !strings.Contains(last, "within=1m0s") {
		t.Errorf("line after the period %q, want repeated=99", last)
	}
}
