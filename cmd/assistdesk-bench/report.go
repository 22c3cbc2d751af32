package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted
// durations; 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// sortedCopy returns the durations in ascending order, leaving d as it is.
func sortedCopy(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// verdict is a row's outcome against its target.
type verdict string

const (
	pass verdict = "pass"
	fail verdict = "FAIL"
	info verdict = "info" // context for the other rows; no target
)

// row is one line of the figures table.
type row struct {
	Figure   string
	Measured string
	Target   string
	Result   verdict
}

// atMost is a row whose measured value passes when it is ≤ limit.
func atMost(figure string, measured, limit float64, format, target string) row {
	r := row{Figure: figure, Measured: fmt.Sprintf(format, measured), Target: target, Result: pass}
	if measured > limit {
		r.Result = fail
	}
	return r
}

// check is a row that passes when ok.
func check(figure, measured string, ok bool, target string) row {
	r := row{Figure: figure, Measured: measured, Target: target, Result: pass}
	if !ok {
		r.Result = fail
	}
	return r
}

// note is an informational row.
func note(figure, measured string) row {
	return row{Figure: figure, Measured: measured, Target: "–", Result: info}
}

// writeTable prints the rows as an aligned text table followed by the same
// table in Markdown, for pasting into BENCHMARKS.md.
func writeTable(w io.Writer, rows []row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\tresult")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Figure, r.Measured, r.Target, r.Result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+markdownTable(rows))
	return err
}

// markdownTable renders the rows as a Markdown table.
func markdownTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| figure | measured | target | result |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.Figure), cell(r.Measured), cell(r.Target), cell(string(r.Result)))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// failures counts the rows that missed their target.
func failures(rows []row) int {
	n := 0
	for _, r := range rows {
		if r.Result == fail {
			n++
		}
	}
	return n
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func sortStrings(s []string) { slices.Sort(s) }
