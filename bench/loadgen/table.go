package loadgen

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one line of a benchmark table.
type Row struct {
	Name   string
	Result Result
	Ref    string  // Name of the reference row this one is compared with; "" for none
	Goal   float64 // if > 0, the wanted fraction of the reference's calls/s, e.g. 0.5
	// P99Goal, if > 0, is also wanted: p99 at most this many times the
	// reference's p99, e.g. 2.
	P99Goal float64
}

// Table collects rows and prints them with each row's calls/s as a
// percentage of its reference's, measured in the same run. A goal is met
// when the ratio reaches it and the row had no errors.
type Table struct {
	Title string
	Rows  []Row
}

// Add appends a row.
func (t *Table) Add(r Row) { t.Rows = append(t.Rows, r) }

// ratio returns the row's calls/s over its reference's, and whether there
// is a reference to compare with.
func (t *Table) ratio(r Row) (float64, bool) {
	if ref, ok := t.Ref(r); ok && ref.Result.PerSecond() > 0 {
		return r.Result.PerSecond() / ref.Result.PerSecond(), true
	}
	return 0, false
}

// p99Ratio returns the row's p99 over its reference's.
func (t *Table) p99Ratio(r Row) (float64, bool) {
	if ref, ok := t.Ref(r); ok && ref.Result.P99 > 0 {
		return float64(r.Result.P99) / float64(ref.Result.P99), true
	}
	return 0, false
}

// Ref returns the row r is compared with (r.Ref), if the table has it.
func (t *Table) Ref(r Row) (Row, bool) {
	if r.Ref == "" {
		return Row{}, false
	}
	for _, ref := range t.Rows {
		if ref.Name == r.Ref {
			return ref, true
		}
	}
	return Row{}, false
}

func (t *Table) hasGoals() bool {
	for _, r := range t.Rows {
		if r.Goal > 0 {
			return true
		}
	}
	return false
}

// cells renders one row's columns.
func (t *Table) cells(r Row, goals bool) []string {
	ratio, ok := t.ratio(r)
	vsRef := "-"
	switch {
	case ok:
		vsRef = fmt.Sprintf("%.0f%%", 100*ratio)
	case r.Ref != "":
		vsRef = "? (no " + r.Ref + ")"
	}
	c := []string{r.Name, fmt.Sprintf("%.0f", r.Result.PerSecond()),
		FormatLatency(r.Result.P50), FormatLatency(r.Result.P99),
		fmt.Sprint(r.Result.Errors), vsRef}
	if goals {
		g := ""
		if r.Goal > 0 {
			met := ok && ratio >= r.Goal && r.Result.Errors == 0
			g = fmt.Sprintf(">= %.0f%%", 100*r.Goal)
			if r.P99Goal > 0 {
				p, pok := t.p99Ratio(r)
				met = met && pok && p <= r.P99Goal
				g += fmt.Sprintf(", p99 <= %gx (%.1fx)", r.P99Goal, p)
			}
			verdict := "missed"
			if met {
				verdict = "met"
			}
			g += ": " + verdict
		}
		c = append(c, g)
	}
	return c
}

func (t *Table) header(goals bool) []string {
	h := []string{"benchmark", "calls/s", "p50", "p99", "errors", "vs ref"}
	if goals {
		h = append(h, "goal")
	}
	return h
}

// Print writes the table as aligned text, then the first error messages of
// any row that had errors.
func (t *Table) Print(w io.Writer) error {
	goals := t.hasGoals()
	lines := [][]string{t.header(goals)}
	for _, r := range t.Rows {
		lines = append(lines, t.cells(r, goals))
	}
	widths := make([]int, len(lines[0]))
	for _, cells := range lines {
		for i, c := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	for _, cells := range lines {
		var ln strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0: // names read best left-aligned
				ln.WriteString(c + pad)
			case i == len(cells)-1 && goals:
				ln.WriteString("  " + c)
			default:
				ln.WriteString("  " + pad + c)
			}
		}
		b.WriteString(strings.TrimRight(ln.String(), " ") + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return t.printErrors(w)
}

func (t *Table) printErrors(w io.Writer) error {
	for _, r := range t.Rows {
		for _, m := range r.Result.ErrorSamples {
			if _, err := fmt.Fprintf(w, "  %s: error: %s\n", r.Name, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Markdown writes the same table for pasting into docs/BENCHMARKS.md,
// headed by the date, CPU count and Go version it was measured with.
func (t *Table) Markdown(w io.Writer) error {
	goals := t.hasGoals()
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", t.Title)
	}
	fmt.Fprintf(&b, "%s, nproc %d, %s %s/%s\n\n", time.Now().Format("2006-01-02"),
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	head := t.header(goals)
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for i := range head {
		if i == 0 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		cells := t.cells(r, goals)
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
