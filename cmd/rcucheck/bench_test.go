package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/peakmem"
	"github.com/rcukit/rcukit/linearize"
)

// The scale benchmarks check a generated legal history of 1,000,000
// events (rcucheck -generate 1000000), or of RCUKIT_GEN_EVENTS events if
// that is set, as for a smoke test:
//
//	RCUKIT_GEN_EVENTS=20000 go test -run '^$' -bench 1M -benchtime 1x ./cmd/rcucheck
//
// The history is generated once, outside the timer.

func genEvents(b *testing.B) int {
	s := os.Getenv("RCUKIT_GEN_EVENTS")
	if s == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("RCUKIT_GEN_EVENTS=%q: want a positive number of events", s)
	}
	return n
}

var (
	bigMu      sync.Mutex
	bigN       int
	bigHistory linearize.History
)

func bigGenerated(b *testing.B) linearize.History {
	n := genEvents(b)
	bigMu.Lock()
	defer bigMu.Unlock()
	if bigN != n {
		bigN, bigHistory = n, generate(n, 1)
	}
	return bigHistory
}

func reportScale(b *testing.B, events int, stop func() (uint64, uint64)) {
	b.StopTimer()
	heap, total := stop()
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(total)/(1<<20), "peak-total-MB")
}

// BenchmarkCheck1M checks the generated history as rcucheck does once it
// has loaded it: both oracles at once.
func BenchmarkCheck1M(b *testing.B) {
	h := bigGenerated(b)
	runtime.GC()
	stop := peakmem.Start()
	b.ResetTimer()
	for b.Loop() {
		if res, _ := check(h, time.Hour, "", nil); res.Verdict != linearize.Ok {
			b.Fatalf("the generated history: %s", res.Report())
		}
	}
	reportScale(b, len(h), stop)
}

// BenchmarkDirect1M checks the generated history with the direct checker
// alone.
func BenchmarkDirect1M(b *testing.B) {
	h := bigGenerated(b)
	runtime.GC()
	stop := peakmem.Start()
	b.ResetTimer()
	for b.Loop() {
		if res := linearize.CheckDirect(h); res.Verdict != linearize.Ok {
			b.Fatalf("the generated history: %s", res.Report())
		}
	}
	reportScale(b, len(h), stop)
}
