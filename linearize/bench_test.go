package linearize_test

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/peakmem"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
)

// parallel runs body b.N times in all, split over GOMAXPROCS goroutines,
// each with its own Client of one Recorder, in batches after which the
// recorded events are dropped (outside the timer) so that memory stays
// bounded.
func parallel(b *testing.B, body func(c *linearize.Client)) {
	g := runtime.GOMAXPROCS(0)
	const batch = 1 << 16
	rec := linearize.NewRecorder()
	clients := make([]*linearize.Client, g)
	for i := range clients {
		clients[i] = rec.Client()
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		var wg sync.WaitGroup
		for j, c := range clients {
			wg.Go(func() {
				for i := j; i < n; i += g {
					body(c)
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		rec.Drain()
		b.StartTimer()
	}
}

// BenchmarkRecorder measures what recording adds to an operation:
// impl=recorded minus impl=bare. op=empty records an operation that does
// nothing; op=read-section records a read section of an rcu.Domain as two
// operations (ReadBegin with the version loaded, ReadEnd).
func BenchmarkRecorder(b *testing.B) {
	b.Run("op=empty/impl=bare", func(b *testing.B) {
		var sink atomic.Uint64
		parallel(b, func(*linearize.Client) { sink.Load() })
	})
	b.Run("op=empty/impl=recorded", func(b *testing.B) {
		var sink atomic.Uint64
		parallel(b, func(c *linearize.Client) {
			t := c.Start()
			v := sink.Load()
			c.Finish(t, model.Op{Kind: model.Call, ID: v})
		})
	})
	d := rcu.New()
	defer d.Close()
	var p rcu.Pointer[object]
	p.Store(&object{version: 1})
	b.Run("op=read-section/impl=bare", func(b *testing.B) {
		parallel(b, func(*linearize.Client) {
			t := d.ReadLock()
			o := p.Load()
			_ = o.poison.Load()
			d.ReadUnlock(t)
		})
	})
	b.Run("op=read-section/impl=recorded", func(b *testing.B) {
		var id atomic.Uint64
		parallel(b, func(c *linearize.Client) {
			r := id.Add(1)
			s := c.Start()
			t := d.ReadLock()
			o := p.Load()
			c.Finish(s, model.Op{Kind: model.ReadBegin, ID: r, Version: o.version})
			s = c.Start()
			damaged := o.poison.Load()
			d.ReadUnlock(t)
			c.Finish(s, model.Op{Kind: model.ReadEnd, ID: r, Damaged: damaged})
		})
	})
}

// bigRun is the workload of the 100k-operation target: no sleeps, no
// probes, rounds until it has at least that many events.
var bigRun = config{rounds: 1, readers: 4, writers: 2, reads: 500, writes: 120, listKeys: 16}

var (
	bigOnce    sync.Once
	bigHistory linearize.History
)

func recordBig() linearize.History {
	bigOnce.Do(func() {
		cfg := bigRun
		cfg.rounds = 4
		perRound := len(run(cfg, 1, reference)) / cfg.rounds
		for cfg.rounds = 100_000/perRound + 1; ; cfg.rounds++ {
			if bigHistory = run(cfg, 1, reference); len(bigHistory) >= 100_000 {
				return
			}
		}
	})
	return bigHistory
}

// BenchmarkCheck100k checks a recorded history of at least 100,000
// events from a real run and reports the peak memory of the process.
func BenchmarkCheck100k(b *testing.B) {
	h := recordBig()
	runtime.GC()
	stop := peakmem.Start()
	b.ResetTimer()
	for b.Loop() {
		if res := linearize.Check(h, linearize.Options{}); res.Verdict != linearize.Ok {
			b.Fatalf("history %s: %s", save(b, "big", h), res.Report())
		}
	}
	b.StopTimer()
	heap, total := stop()
	b.ReportMetric(float64(len(h)), "events")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(total)/(1<<20), "peak-total-MB")
}

// TestCheck100k holds the checker to its targets: a history of 100,000
// events from a real run checks Ok with at most 2 GB, and the test
// reports how long that took. It takes a while under the race detector,
// so it runs only with RCUKIT_LONG=1.
func TestCheck100k(t *testing.T) {
	if os.Getenv("RCUKIT_LONG") == "" {
		t.Skip("set RCUKIT_LONG=1 to run")
	}
	h := recordBig()
	runtime.GC()
	stop := peakmem.Start()
	start := time.Now()
	res := linearize.Check(h, linearize.Options{})
	took := time.Since(start)
	heap, total := stop()
	t.Logf("%d events: %s; peak heap %d MB, peak total %d MB", len(h), res, heap>>20, total>>20)
	if res.Verdict != linearize.Ok {
		t.Fatalf("history %s: %s", save(t, "big", h), res.Report())
	}
	// Memory is the verdict; time is only reported (BenchmarkCheck100k
	// is where the speed target lives): it depends on the machine.
	t.Logf("took %v (target: 30 s on the reference machine)", took)
	if total > 2<<30 {
		t.Fatalf("took %d MB; the target is 2048 MB", total>>20)
	}
}
