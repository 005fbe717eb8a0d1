package torture

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// readerStats are one reader's counters. The reader accumulates locally
// and adds here now and then; the stats line sums all readers.
type readerStats struct {
	reads atomic.Uint64
	pipe  [PipeLen + 1]atomic.Uint64
	batch [PipeLen + 1]atomic.Uint64
	_     [64]byte
}

// localStats is a reader's private tally between flushes.
type localStats struct {
	reads uint64
	pipe  [PipeLen + 1]uint64
	batch [PipeLen + 1]uint64
}

func (l *localStats) flush(s *readerStats) {
	s.reads.Add(l.reads)
	for i := range l.pipe {
		if l.pipe[i] != 0 {
			s.pipe[i].Add(l.pipe[i])
		}
		if l.batch[i] != 0 {
			s.batch[i].Add(l.batch[i])
		}
	}
	*l = localStats{}
}

// counters are the engine's other statistics.
type counters struct {
	versions      atomic.Uint64 // elements published
	syncs         atomic.Uint64 // Synchronize and SynchronizeExpedited calls returned
	polls         atomic.Uint64 // polled waits completed
	cbQueued      atomic.Uint64 // engine callbacks whose Call returned
	cbInvoked     atomic.Uint64 // engine callbacks that have run
	cbIssued      atomic.Uint64 // engine Calls begun (cbIssued - cbInvoked is in flight)
	barriers      atomic.Uint64 // Barrier calls returned
	barrierRounds atomic.Uint64 // barrier-tester rounds
	barrierBad    atomic.Uint64 // rounds in which Barrier returned early
	floods        atomic.Uint64
	floodCbs      atomic.Uint64
	floodMaxPend  atomic.Uint64 // most flood callbacks pending at once
	flavorMaxPend atomic.Uint64 // largest Ops.Pending seen during floods
	readExits     atomic.Uint64
	pauses        atomic.Uint64
	procs         atomic.Int64 // current GOMAXPROCS after a shuffle
	circulation   [PipeLen + 1]atomic.Uint64
	syncLatency   latencyHist // of Synchronize and SynchronizeExpedited calls
}

// snapshot is a consistent-enough copy of every counter for one stats line.
type snapshot struct {
	at       time.Duration
	reads    uint64
	pipe     [PipeLen + 1]uint64
	batch    [PipeLen + 1]uint64
	circ     [PipeLen + 1]uint64
	versions uint64
	gps      uint64

	syncs, cbs    uint64
	pending       uint64 // engine callbacks in flight
	flavorPending int64  // Ops.Pending, or -1
	errors        uint64
	procs         int
	lat           latencyCounts
}

func (e *engine) snapshot() snapshot {
	s := snapshot{at: e.elapsed(), versions: e.c.versions.Load(),
		syncs: e.c.syncs.Load(), cbs: e.c.cbInvoked.Load(), pending: e.pendingCallbacks(),
		flavorPending: e.pendingLevel(), errors: e.fails.total(), procs: int(e.c.procs.Load()),
		lat: e.c.syncLatency.load()}
	for i := range e.readers {
		r := &e.readers[i]
		s.reads += r.reads.Load()
		for j := range s.pipe {
			s.pipe[j] += r.pipe[j].Load()
			s.batch[j] += r.batch[j].Load()
		}
	}
	for j := range s.circ {
		s.circ[j] = e.c.circulation[j].Load()
	}
	if e.ops.GPs != nil {
		s.gps = e.ops.GPs()
	}
	return s
}

func nonzeroFrom(h []uint64, from int) uint64 {
	var n uint64
	for _, v := range h[from:] {
		n += v
	}
	return n
}

func hist(h []uint64) string {
	var b strings.Builder
	for i, v := range h {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// rate formats n events over d as a per-second figure.
func rate(n uint64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	r := float64(n) / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.0f/s", r)
}

// printStats prints one block of stats lines; prev is the previous block's
// snapshot, for rates.
func (e *engine) printStats(s, prev snapshot) {
	mark := func(bad bool) string {
		if bad {
			return "!!! "
		}
		return ""
	}
	errs := e.fails.total()
	nearMiss := nonzeroFrom(s.batch[:], 2)
	gps := "n/a"
	if e.ops.GPs != nil {
		gps = fmt.Sprint(s.gps - e.gps0)
	}
	e.printf("%sreads %d (%s) versions %d gps %s syncs %d polls %d cbs %d/%d errors %d near-misses %d",
		mark(errs > 0), s.reads, rate(s.reads-prev.reads, s.at-prev.at), s.versions, gps,
		e.c.syncs.Load(), e.c.polls.Load(), e.c.cbInvoked.Load(), e.c.cbQueued.Load(), errs, nearMiss)

	var extra []string
	if e.cfg.BarrierCallbacks > 0 && e.ops.Barrier != nil {
		extra = append(extra, fmt.Sprintf("barrier: rounds %d failed %d", e.c.barrierRounds.Load(), e.c.barrierBad.Load()))
	}
	if e.cfg.FwdProgress > 0 && e.ops.Call != nil {
		fp := fmt.Sprintf("fwd: floods %d cbs %d max-pending %d", e.c.floods.Load(), e.c.floodCbs.Load(), e.c.floodMaxPend.Load())
		if e.ops.Pending != nil {
			fp += fmt.Sprintf(" flavor-max-pending %d", e.c.flavorMaxPend.Load())
		}
		extra = append(extra, fp)
	}
	if e.cfg.ReadExit > 0 {
		extra = append(extra, fmt.Sprintf("read-exit %d", e.c.readExits.Load()))
	}
	if e.cfg.Stutter > 0 {
		extra = append(extra, fmt.Sprintf("pauses %d", e.c.pauses.Load()))
	}
	if e.ops.Stalls != nil {
		extra = append(extra, fmt.Sprintf("stall-reports %d", e.ops.Stalls()))
	}
	extra = append(extra, fmt.Sprintf("gomaxprocs %d", e.c.procs.Load()))
	bad := e.c.barrierBad.Load() > 0 || e.fails.count[KindFwdProgress].Load() > 0 || e.fails.count[KindGPStall].Load() > 0
	e.printf("%s%s", mark(bad), strings.Join(extra, " | "))

	e.printf("%sReader Pipe: %s", mark(nonzeroFrom(s.pipe[:], 2) > 0), hist(s.pipe[:]))
	if e.ops.GPs != nil {
		e.printf("Reader Batch: %s", hist(s.batch[:]))
	}
	e.printf("Free-Block Circulation: %s", hist(s.circ[:]))
	if e.inj != nil {
		e.printf("injections: %s", e.inj.summary())
	}
}

// output serializes the run's report lines: each is written whole, with
// one Write, under mu, and none after close, so that Config.Out needs no
// lock of its own (see Config.Out).
type output struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool // Run has returned: a straggler's line is dropped
}

func (o *output) line(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		io.WriteString(o.w, s+"\n")
	}
}

// close ends the report: the lines of workers abandoned as stuck, or of a
// flavor's late stall report, are dropped.
func (o *output) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
}

// printf prints one report line stamped with the run's elapsed time.
func (e *engine) printf(format string, args ...any) {
	e.out.line(fmt.Sprintf("[%7.2fs] ", e.elapsed().Seconds()) + fmt.Sprintf(format, args...))
}

// header prints an unstamped line.
func (e *engine) header(format string, args ...any) {
	e.out.line("rcutorture: " + fmt.Sprintf(format, args...))
}

func formatUint(v uint64) string { return fmt.Sprint(v) }
