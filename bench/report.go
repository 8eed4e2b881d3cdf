package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Result is what one scenario measured.
type Result struct {
	Scenario string  `json:"scenario"`
	Tables   []Table `json:"tables"`
	// Metrics are the headline figures by name, in ms, req/s, MiB or counts.
	Metrics map[string]float64 `json:"metrics"`
	// Problems are correctness failures: unanswered invocations, cold-start
	// counts other than the seed's. A run with problems exits non-zero.
	Problems []string `json:"problems,omitempty"`
	// Unsupported names parts this Hearth does not offer yet.
	Unsupported []string `json:"unsupported,omitempty"`
	// Files are the pictures written.
	Files []string `json:"files,omitempty"`
}

func newResult(name string) *Result { return &Result{Scenario: name, Metrics: map[string]float64{}} }

func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Table is one printed table.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Notes   []string   `json:"notes,omitempty"`
}

func (t *Table) row(cells ...string) { t.Rows = append(t.Rows, cells) }

// writeText prints results as Markdown tables, ready for PERFORMANCE.md.
func writeText(w io.Writer, results []*Result) {
	for _, r := range results {
		fmt.Fprintf(w, "## %s\n\n", r.Scenario)
		for _, t := range r.Tables {
			if t.Title != "" {
				fmt.Fprintf(w, "### %s\n\n", t.Title)
			}
			fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.Columns, " | "), strings.Repeat("---|", len(t.Columns)))
			for _, row := range t.Rows {
				fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			}
			for _, n := range t.Notes {
				fmt.Fprintf(w, "\n%s\n", n)
			}
			fmt.Fprintln(w)
		}
		for _, f := range r.Files {
			fmt.Fprintf(w, "picture: %s\n\n", f)
		}
		for _, u := range r.Unsupported {
			fmt.Fprintf(w, "unsupported: %s\n\n", u)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(w, "PROBLEM: %s\n\n", p)
		}
	}
}

func writeJSON(w io.Writer, results []*Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}
