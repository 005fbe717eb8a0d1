package torture

// Around the core: the barrier tester, forward-progress floods, stats and
// writer-stall detection, stutter and shuffle. Every liveness check here
// measures its threshold on the run's progress clock (e.clock), never on
// the wall clock.

import (
	"runtime"
	"sync/atomic"
	"time"
)

// barrierWorker queues BarrierCallbacks callbacks per round, then calls
// Barrier, after which every one of them must have run.
func (e *engine) barrierWorker() {
	rng := e.rng(streamBarrier)
	log := e.log("barrier")
	n := int64(e.cfg.BarrierCallbacks)
	for {
		if !e.gate.running() && !e.gate.park() {
			return
		}
		ran := new(atomic.Int64)
		for range n {
			e.call(log, func() { ran.Add(1) })
		}
		e.barrier(log)
		e.c.barrierRounds.Add(1)
		if got := ran.Load(); got != n {
			e.c.barrierBad.Add(1)
			e.fail(KindBarrier, "Barrier returned with %d of the %d callbacks queued before it run", got, n)
			// Let the round finish before the next one, so that rounds
			// do not overlap.
			e.clock.WaitFor(e.cfg.StallTimeout, func() bool { return ran.Load() >= n })
		}
		e.gate.sleep(time.Duration(2+rng.IntN(20)) * time.Millisecond)
	}
}

// fwdWorker floods the flavor with callbacks every FwdProgress.
func (e *engine) fwdWorker() {
	next := time.Now().Add(e.cfg.FwdProgress)
	for {
		if !e.gate.sleep(time.Until(next)) {
			if !e.gate.park() {
				return
			}
			continue // pauses do not postpone the flood
		}
		e.flood()
		next = time.Now().Add(e.cfg.FwdProgress)
	}
}

// flood queues callbacks as fast as Call takes them for up to a second.
// Grace periods must keep completing (callbacks keep being invoked within
// StallTimeout of progress time), and the callbacks pending must stay
// below FwdBound. Flood callbacks are not recorded in the history: they
// would swamp it.
func (e *engine) flood() {
	dur := min(e.cfg.FwdProgress/2, time.Second)
	invoked := new(atomic.Uint64)
	var queued, maxPend, flavorMax uint64
	g0 := e.gps()
	start := time.Now()
	lastInv, lastMove := uint64(0), e.clock.Now()
	for e.gate.running() && time.Since(start) < dur {
		for range 64 {
			queued++
			e.queue(func() { invoked.Add(1) })
		}
		inv := invoked.Load()
		p := queued - inv
		maxPend = max(maxPend, p)
		if e.ops.Pending != nil {
			flavorMax = max(flavorMax, e.ops.Pending())
		}
		if p > uint64(e.cfg.FwdBound) {
			e.fail(KindFwdProgress, "a callback flood reached %d pending callbacks (bound %d): the flavor neither keeps up with Call nor limits it", p, e.cfg.FwdBound)
			break
		}
		if now := e.clock.Now(); inv != lastInv {
			lastInv, lastMove = inv, now
		} else if idle := now - lastMove; idle > e.cfg.StallTimeout {
			e.fail(KindFwdProgress, "no flood callback was invoked for %v of progress time with %d pending: grace periods stopped under the flood", idle.Round(time.Millisecond), p)
			break
		}
	}
	if !e.clock.WaitFor(e.cfg.StallTimeout, func() bool { return invoked.Load() == queued }) {
		e.fail(KindFwdProgress, "%d flood callbacks were still pending %v after the flood ended", queued-invoked.Load(), e.cfg.StallTimeout)
	}
	e.c.floods.Add(1)
	e.c.floodCbs.Add(queued)
	storeMax(&e.c.floodMaxPend, maxPend)
	storeMax(&e.c.flavorMaxPend, flavorMax)
	gps := "n/a"
	if e.ops.GPs != nil {
		gps = formatUint(e.gps() - g0)
	}
	e.printf("fwd-progress: flood of %d callbacks over %v: %s grace periods, at most %d pending",
		queued, time.Since(start).Round(time.Millisecond), gps, maxPend)
}

func storeMax(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// statsLoop prints the stats every StatInterval and detects writer stalls.
func (e *engine) statsLoop() {
	t := time.NewTicker(e.cfg.StatInterval)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		s := e.snapshot()
		e.printStats(s, e.lastStats)
		e.jsonInterval(e.lastStats, s)
		e.lastStats = s
		e.checkWriterStall()
	}
}

// checkWriterStall fails the run when the writer has published no new
// version for a whole stats interval of progress time while the run was
// not paused. A process that was not running stalls nothing.
func (e *engine) checkWriterStall() {
	if !e.gate.running() {
		return
	}
	now := e.clock.Now()
	if idle := now - time.Duration(e.w.progress.Load()); idle > e.cfg.StatInterval {
		e.fail(KindWriterStall, "no new version for %v of progress time, more than a stats interval; %s", idle.Round(time.Millisecond), e.writerDump())
		e.w.progress.Store(int64(now)) // report the next stall a whole interval later
	}
}

// stutterLoop runs for Stutter, then pauses every worker at a quiescent
// point, where the history recorded so far can be cut and checked, and
// resumes them after a short while.
func (e *engine) stutterLoop() {
	hold := min(max(e.cfg.Stutter/10, 10*time.Millisecond), time.Second)
	for {
		if !e.wait(e.cfg.Stutter) {
			return
		}
		e.gate.pause()
		if e.quiesce() && e.rec != nil {
			if err := e.rec.Cut(); err != nil {
				e.recorderErr(err)
			}
			e.readBudget.Store(readsPerSegment)
		}
		e.c.pauses.Add(1)
		ended := !e.wait(hold)
		e.w.progress.Store(int64(e.clock.Now()))
		e.gate.unpause()
		if ended {
			return
		}
	}
}

// wait sleeps for d and reports false if the run ended first.
func (e *engine) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-e.done:
		return false
	case <-t.C:
		return true
	}
}

func (e *engine) ended() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// quiesce waits until every worker has parked and every engine callback
// has run: no operation is in flight. Each may take StallTimeout of
// progress time.
func (e *engine) quiesce() bool {
	if !e.clock.WaitFor(e.cfg.StallTimeout, func() bool { return e.ended() || e.gate.parkedWorkers() == e.nworkers }) {
		e.fail(KindQuiesce, "only %d of %d workers parked within %v of a pause; %s",
			e.gate.parkedWorkers(), e.nworkers, e.cfg.StallTimeout, e.writerDump())
		return false
	}
	if !e.clock.WaitFor(e.cfg.StallTimeout, func() bool { return e.ended() || e.pendingCallbacks() == 0 }) {
		e.fail(KindQuiesce, "%d engine callbacks were still not invoked %v into a pause", e.pendingCallbacks(), e.cfg.StallTimeout)
		return false
	}
	return !e.ended()
}

// shuffleLoop sets GOMAXPROCS to a random value in [1, NumCPU] every
// Shuffle.
func (e *engine) shuffleLoop() {
	rng := e.rng(streamShuffle)
	for e.wait(e.cfg.Shuffle) {
		n := 1 + rng.IntN(runtime.NumCPU())
		runtime.GOMAXPROCS(n)
		e.c.procs.Store(int64(n))
	}
}
