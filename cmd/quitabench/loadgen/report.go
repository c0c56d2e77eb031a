package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Latency summarises a histogram in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// KindReport is the part of a run of one kind of request.
type KindReport struct {
	Requests   int64   `json:"requests"`
	Throughput float64 `json:"per_second"`
	Latency    Latency `json:"latency"`
}

// Report is what a run measured. Requests counts every answered or failed
// request (errors included); latencies include errors too.
type Report struct {
	Mode        string  `json:"mode"`
	Debtors     int     `json:"debtors"`
	Concurrency int     `json:"concurrency"`
	Seeded      int     `json:"seeded_invoices,omitempty"`
	SeedSeconds float64 `json:"seed_seconds,omitempty"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	// ErrorsByStatus counts failures by HTTP status, or "transport" when
	// no answer came (refused, reset, timed out).
	ErrorsByStatus map[string]int64 `json:"errors_by_status"`
	// Replies counts the bot's replies in the inbound answers.
	Replies    int64                 `json:"replies,omitempty"`
	Seconds    float64               `json:"seconds"`
	Throughput float64               `json:"per_second"`
	Latency    Latency               `json:"latency"`
	ByKind     map[string]KindReport `json:"by_kind,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func summarize(h *Histogram) Latency {
	return Latency{P50: ms(h.Quantile(0.50)), P95: ms(h.Quantile(0.95)), P99: ms(h.Quantile(0.99)),
		Max: ms(h.Max()), Mean: ms(h.Mean())}
}

// finish merges the workers' stats into r.
func (r *Report) finish(stats []*workerStats, elapsed time.Duration) {
	all := &Histogram{}
	kinds := map[string]*Histogram{}
	r.ErrorsByStatus = map[string]int64{}
	for _, ws := range stats {
		for kind, h := range ws.hist {
			if kinds[kind] == nil {
				kinds[kind] = &Histogram{}
			}
			kinds[kind].Merge(h)
			all.Merge(h)
		}
		for status, n := range ws.errors {
			r.ErrorsByStatus[status] += n
			r.Errors += n
		}
		r.Replies += ws.replies
	}
	r.Seconds = elapsed.Seconds()
	r.Requests = int64(all.Count())
	if r.Seconds > 0 {
		r.Throughput = float64(r.Requests) / r.Seconds
	}
	r.Latency = summarize(all)
	r.ByKind = map[string]KindReport{}
	for kind, h := range kinds {
		if h.Count() == 0 {
			continue
		}
		kr := KindReport{Requests: int64(h.Count()), Latency: summarize(h)}
		if r.Seconds > 0 {
			kr.Throughput = float64(kr.Requests) / r.Seconds
		}
		r.ByKind[kind] = kr
	}
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	if r.Seeded > 0 {
		fmt.Fprintf(w, "seeded %d invoices in %.1fs\n", r.Seeded, r.SeedSeconds)
	}
	fmt.Fprintf(w, "mode %s: %d requests in %.2fs = %.0f/s, %d debtors, concurrency %d\n",
		r.Mode, r.Requests, r.Seconds, r.Throughput, r.Debtors, r.Concurrency)
	fmt.Fprintf(w, "errors: %d", r.Errors)
	if r.Errors > 0 {
		var parts []string
		for _, status := range slices.Sorted(maps.Keys(r.ErrorsByStatus)) {
			parts = append(parts, fmt.Sprintf("%s×%d", status, r.ErrorsByStatus[status]))
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if r.Replies > 0 {
		fmt.Fprintf(w, "bot replies: %d\n", r.Replies)
	}
	line := func(name string, l Latency) {
		fmt.Fprintf(w, "%-8s latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f  mean %.2f\n", name, l.P50, l.P95, l.P99, l.Max, l.Mean)
	}
	line("all", r.Latency)
	if len(r.ByKind) > 1 {
		for _, kind := range slices.Sorted(maps.Keys(r.ByKind)) {
			k := r.ByKind[kind]
			line(kind, k.Latency)
		}
	}
}
