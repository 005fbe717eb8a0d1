package impl

// classic: a small classic two-index counter SRCU, the algorithm of the
// reference written as plainly as possible, with its injection points
// always compiled in (it is a test flavor, so they may cost a nil check).
//
// Readers count themselves in per-shard counters, under the index they
// sample from idx: lock[i] when a section begins, unlock[i] when it ends.
// No section is counted under i when the sum of unlock[i] over all shards,
// read first, equals the sum of lock[i], read second: every unlock counted
// has its lock counted, so equality means every counted lock has ended.
//
// Grace period n, one at a time under gpMu:
//
//  1. started = n;
//  2. wait until no section is counted under the inactive index 1-cur;
//  3. flip: idx = 1-cur, so new sections count under 1-cur;
//  4. wait until no section is counted under cur;
//  5. completed = n.
//
// A section that counted itself before step 1 is under cur or 1-cur, and
// step 4 or step 2 waits for it. Step 2 is what catches a straggler: a
// reader that sampled idx just before an earlier flip, was delayed, and
// counted itself under the index that is now inactive. busted-flip skips
// step 2, so the next grace period misses such a reader. The window is the
// point "read-sampled", between sampling idx and counting: the engine's
// injector widens it.

import (
	"github.com/rcukit/rcukit/rcuops"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type classic struct {
	idx    atomic.Uint32 // the index new sections count themselves under
	shards []classicShard
	next   atomic.Uint32 // round-robin shard for new readers

	gpMu               sync.Mutex // one grace period at a time
	started, completed atomic.Uint64

	skipStragglers bool               // the busted-flip bug: no step 2
	inject         func(rcuops.Point) // nil when not injecting

	q *callQueue
}

type classicShard struct {
	lock, unlock [2]atomic.Uint64
	_            [64 - 32]byte
}

type classicToken struct{ shard, idx uint32 }

var classicPoints = []rcuops.Point{rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd}

// Classic returns the Ops of a fresh classic SRCU.
func Classic(env rcuops.Env) *rcuops.Ops { return classicOps(env, false) }

// ClassicWithoutStragglerWait is Classic without step 2, the wait for
// stragglers: the counter-flip bug (busted-flip).
func ClassicWithoutStragglerWait(env rcuops.Env) *rcuops.Ops { return classicOps(env, true) }

func classicOps(env rcuops.Env, skipStragglers bool) *rcuops.Ops {
	c := &classic{
		shards:         make([]classicShard, 2*max(runtime.NumCPU(), runtime.GOMAXPROCS(0))),
		skipStragglers: skipStragglers,
		inject:         env.Inject,
	}
	c.q = newCallQueue(c.synchronize, 1<<16)
	return &rcuops.Ops{
		Reader: func() rcuops.Reader {
			s := c.next.Add(1) % uint32(len(c.shards))
			return rcuops.TokenReader(func() classicToken { return c.readLock(s) }, c.readUnlock)
		},
		Synchronize:          c.synchronize,
		SynchronizeExpedited: c.synchronizeExpedited,
		Call:                 c.q.Call,
		Barrier:              c.q.Barrier,
		Snapshot:             func() uint64 { return c.started.Load() + 1 },
		Poll:                 func(cookie uint64) bool { return c.completed.Load() >= cookie },
		GPs:                  c.completed.Load,
		Pending:              c.q.Pending,
		Injection:            classicPoints,
		Close:                c.q.Close,
	}
}

func (c *classic) point(name rcuops.Point) {
	if c.inject != nil {
		c.inject(name)
	}
}

func (c *classic) readLock(shard uint32) classicToken {
	i := c.idx.Load()
	c.point(rcuops.PointReadSampled) // the straggler window: sampled, not yet counted
	c.shards[shard].lock[i].Add(1)
	return classicToken{shard, i}
}

func (c *classic) readUnlock(t classicToken) { c.shards[t.shard].unlock[t.idx].Add(1) }

// active reports whether a section counted under index i may be open.
func (c *classic) active(i uint32) bool {
	var unlocks, locks uint64
	for s := range c.shards {
		unlocks += c.shards[s].unlock[i].Load()
	}
	for s := range c.shards {
		locks += c.shards[s].lock[i].Load()
	}
	return locks != unlocks
}

func (c *classic) waitReaders(i uint32, expedited bool) {
	sleep := 20 * time.Microsecond
	for polls := 0; c.active(i); polls++ {
		if expedited || polls < 16 {
			runtime.Gosched()
			continue
		}
		time.Sleep(sleep)
		sleep = min(2*sleep, time.Millisecond)
	}
}

func (c *classic) synchronize() { c.gp(false) }

func (c *classic) synchronizeExpedited() { c.gp(true) }

func (c *classic) gp(expedited bool) {
	want := c.started.Load() + 1
	c.gpMu.Lock()
	defer c.gpMu.Unlock()
	if c.completed.Load() >= want {
		return // a grace period that began after the call has ended
	}
	n := c.started.Add(1) // step 1
	c.point(rcuops.PointGPStart)
	cur := c.idx.Load()
	if !c.skipStragglers {
		c.waitReaders(1-cur, expedited) // step 2: stragglers
	}
	c.idx.Store(1 - cur) // step 3: flip
	c.point(rcuops.PointGPFlipped)
	c.waitReaders(cur, expedited) // step 4
	c.point(rcuops.PointGPEnd)
	c.completed.Store(n) // step 5
}
