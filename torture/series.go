package torture

// Series: what a run did over time, for the JSON stream (json.go) and the
// HTML report (report.go). The stats loop's snapshots give one Sample per
// stats interval; a sampler gives finer ones for the report's plots. Both
// are differences of two snapshots, so the samples of a run add up to its
// totals.

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// A Sample is what a run did between two instants, Start and End, since
// the run began. Counts are of that interval only; PendingCallbacks,
// FlavorPending, ErrorsTotal and GOMAXPROCS are levels at End.
type Sample struct {
	Start, End time.Duration

	Reads     uint64 // read sections completed
	Versions  uint64 // elements published
	GPs       uint64 // grace periods by the flavor's counter (0 without one)
	Syncs     uint64 // Synchronize and SynchronizeExpedited calls returned
	Callbacks uint64 // engine callbacks invoked

	// The latency of the Synchronize and SynchronizeExpedited calls that
	// returned in the interval: how many, their median and their 99th
	// percentile (within 1/16 of the value: see latencyHist). Both
	// quantiles are 0 when none returned.
	SyncLatencyN   uint64
	SyncLatencyP50 time.Duration
	SyncLatencyP99 time.Duration

	PendingCallbacks uint64 // engine callbacks whose Call began but that have not run
	FlavorPending    int64  // the flavor's own count of pending callbacks (Ops.Pending); -1 without one

	NearMisses  uint64 // reads whose section saw two or more grace periods end (Reader Batch >= 2)
	PipeErrors  uint64 // reads that saw their element at age >= 2 (Reader Pipe >= 2): each is a failure
	Errors      uint64 // failures of every kind
	ErrorsTotal uint64 // failures of every kind since the start of the run
	GOMAXPROCS  int
}

// PerSecond is n events over the interval, per second; 0 for an empty
// interval.
func (s Sample) PerSecond(n uint64) float64 {
	if s.End <= s.Start {
		return 0
	}
	return float64(n) / (s.End - s.Start).Seconds()
}

// sample is what happened between snapshots prev and s.
func (e *engine) sample(prev, s snapshot) Sample {
	out := Sample{
		Start: prev.at, End: s.at,
		Reads: s.reads - prev.reads, Versions: s.versions - prev.versions,
		Syncs: s.syncs - prev.syncs, Callbacks: s.cbs - prev.cbs,
		PendingCallbacks: s.pending, FlavorPending: s.flavorPending,
		NearMisses:  nonzeroFrom(s.batch[:], 2) - nonzeroFrom(prev.batch[:], 2),
		PipeErrors:  nonzeroFrom(s.pipe[:], 2) - nonzeroFrom(prev.pipe[:], 2),
		Errors:      s.errors - prev.errors,
		ErrorsTotal: s.errors,
		GOMAXPROCS:  s.procs,
	}
	if e.ops.GPs != nil {
		out.GPs = s.gps - prev.gps // the first prev holds gps0 (Run)
	}
	var d latencyCounts
	for i := range d {
		d[i] = s.lat[i] - prev.lat[i]
	}
	out.SyncLatencyN, out.SyncLatencyP50, out.SyncLatencyP99 = d.total(), d.quantile(0.50), d.quantile(0.99)
	return out
}

// samplePeriod is how often the sampler takes a Sample: a fifth of the
// stats interval, between 100ms and 1s.
func (c Config) samplePeriod() time.Duration {
	return min(max(c.StatInterval/5, 100*time.Millisecond), time.Second)
}

// samplerLoop takes a Sample every samplePeriod, for the report; finish
// adds the last one, up to the end of the run.
func (e *engine) samplerLoop() {
	t := time.NewTicker(e.cfg.samplePeriod())
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		s := e.snapshot()
		e.samples = append(e.samples, e.sample(e.lastSample, s))
		e.sampleFrom, e.lastSample = e.lastSample, s
	}
}

// finalSamples returns the samples up to s, the end of the run. A last
// piece shorter than half a period joins the sample before it, whose rates
// it would otherwise distort.
func (e *engine) finalSamples(s snapshot) []Sample {
	if n := len(e.samples); n > 0 && s.at-e.lastSample.at < e.cfg.samplePeriod()/2 {
		e.samples[n-1] = e.sample(e.sampleFrom, s)
		return e.samples
	}
	return append(e.samples, e.sample(e.lastSample, s))
}

// latencyHist counts durations in logarithmic buckets: 16 per power of
// two, so that a bucket's bounds are within 1/16 of each other. Any
// goroutine may add to it.
type latencyHist [latencyBuckets]atomic.Uint64

// latencyCounts is a copy of a latencyHist, or the difference of two.
type latencyCounts [latencyBuckets]uint64

const (
	latencySub     = 16 // buckets per power of two
	latencyShift   = 4  // log2(latencySub)
	latencyBuckets = (64 - latencyShift + 1) * latencySub
)

// latencyBucket is the bucket of a duration of ns nanoseconds: the values
// below latencySub have one each; above, a power of two 2^e holds
// latencySub buckets of width 2^(e-latencyShift).
func latencyBucket(ns uint64) int {
	if ns < latencySub {
		return int(ns)
	}
	e := bits.Len64(ns) - 1 // >= latencyShift
	sub := (ns >> (e - latencyShift)) & (latencySub - 1)
	return (e-latencyShift+1)*latencySub + int(sub)
}

// latencyUpper is the largest value of bucket b.
func latencyUpper(b int) uint64 {
	if b < latencySub {
		return uint64(b)
	}
	e := b/latencySub + latencyShift - 1
	sub := uint64(b % latencySub)
	low := (latencySub + sub) << (e - latencyShift)
	return low + 1<<(e-latencyShift) - 1
}

func (h *latencyHist) add(d time.Duration) {
	h[latencyBucket(uint64(max(d, 0)))].Add(1)
}

func (h *latencyHist) load() latencyCounts {
	var c latencyCounts
	for i := range h {
		c[i] = h[i].Load()
	}
	return c
}

func (c *latencyCounts) total() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// quantile is the q-quantile (0 < q <= 1) of the counted durations, as
// the upper bound of the bucket that holds it; 0 if none were counted.
func (c *latencyCounts) quantile(q float64) time.Duration {
	n := c.total()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5) // the rank-th smallest, 1-based
	rank = min(max(rank, 1), n)
	var seen uint64
	for b, v := range c {
		seen += v
		if seen >= rank {
			return time.Duration(latencyUpper(b))
		}
	}
	panic("unreachable")
}

// pendingLevel is the flavor's count of pending callbacks, or -1 without one.
func (e *engine) pendingLevel() int64 {
	if e.ops.Pending == nil {
		return -1
	}
	return int64(e.ops.Pending())
}
