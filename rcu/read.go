package rcu

// The read side: sections counted in per-P slot tables.
//
// A section holds a slot word: bit 0 busy, bit 1 the index it sampled
// from ctl, bits 4..63 a generation bumped every time the slot is taken.
// ReadLock samples ctl, then takes the first free slot of its P's shard
// with one compare-and-swap. ReadUnlock frees the slot with one
// compare-and-swap against the exact word ReadLock wrote, so a second
// unlock of the same Token, or a Token that no ReadLock returned, fails
// the swap and panics: the generation does not repeat in 2^60 uses. When the shard is
// full (many readers blocked inside sections on one P), the section goes
// to the overflow, a free list of slots counted per index under a mutex.
//
// Grace periods (gp.go) count the busy slots under the index they wait on,
// and the overflow's count. Every access to a slot or a count is a
// sequentially consistent atomic; the two-phase argument in gp.go relies
// on that.

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/rcukit/rcukit/internal/engine"
)

const (
	slotBusy     = 1 << 0
	slotIdx      = 1 << 1
	slotTracked  = 1 << 2 // in a Token only: the section is in the debug registry
	slotOverflow = 1 << 3 // in a Token only: the slot is the overflow's
	slotFlags    = slotBusy | slotIdx | slotTracked | slotOverflow
	slotGen      = 1 << 4 // one generation step

	slotsPerShard = 32
)

// ctl bits.
const (
	ctlIdx    = 1 << 0            // the index new readers count themselves under
	ctlReady  = 1 << 1            // the Domain is set up
	ctlYield  = engine.FlagYield  // someone waits: new readers may yield first
	ctlClosed = engine.FlagClosed // Close has closed the Domain
	ctlHooked = 1 << 4            // an injector is set (-tags rcuinject)

	// ReadLock takes its fast path only when ctl&ctlSlow == ctlReady.
	ctlSlow = ctlReady | ctlYield | ctlClosed | ctlHooked
)

type shard struct {
	slots  [slotsPerShard]uint64 // slot words, accessed only atomically
	passes atomic.Uint32         // ReadLocks on this P that did not yield while one was due
	_      [60]byte              // keep neighbouring shards off this shard's last line
}

// overflow holds the sections that found their P's shard full.
type overflow struct {
	mu    sync.Mutex
	free  []*uint64 // slots not in use; guarded by mu
	count [2]atomic.Int64
}

// yieldEvery: while someone waits, the first ReadLock of every yieldEvery
// on a P yields. Yielding at every one would cost a section about 120 ns.
const yieldEvery = 8

// Token identifies one read section. ReadLock returns it and ReadUnlock
// takes it back. A Token is a plain value and may be passed to another
// goroutine, which may then end the section; each Token must be unlocked
// exactly once, on the Domain that returned it.
type Token struct {
	d *Domain
	s *uint64 // the slot
	w uint64  // the word ReadLock wrote there, with the Token-only flags
}

// ReadLock begins a read-side critical section (like srcu_read_lock) and
// returns the Token that ends it. Any goroutine may call it without
// registering; sections nest to any depth, may block and may sleep.
// ReadLock never waits for writers or grace periods; while someone waits
// for one, it may yield the processor first (see the package
// documentation on oversubscription).
//
// The end of the section (ReadUnlock) synchronizes before the end of every
// grace period that began after the section did, and so before the return
// of every Synchronize, callback, Barrier and Poll that waits for such a
// grace period.
func (d *Domain) ReadLock() Token {
	ctl := d.ctl.Load() // samples the index; pairs with the flip in gpLoop
	slow := ctl&ctlSlow != ctlReady || tracking.live.Load() != 0
	if slow {
		ctl = d.readLockSlow()
	}
	p := uint32(procPin())
	procUnpin()
	t, ok := d.take(&d.shards[p&d.shardMask], ctl)
	if !ok {
		t = d.ovf.lock(d, ctl)
	}
	if slow && tracking.live.Load() != 0 {
		t.w |= slotTracked // the slot keeps the plain word, so ReadUnlock's fast path fails
		track(t)
	}
	return t
}

// take counts a section under ctl's index in the first free slot of s.
func (d *Domain) take(s *shard, ctl uint64) (Token, bool) {
	for i := range s.slots {
		p := &s.slots[i]
		w := atomic.LoadUint64(p)
		nw := (w+slotGen)&^slotFlags | slotBusy | (ctl&ctlIdx)<<1     // ctlIdx is bit 0, slotIdx bit 1
		if w&slotBusy == 0 && atomic.CompareAndSwapUint64(p, w, nw) { // pairs with the scan in countReaders
			return Token{d, p, nw}, true
		}
	}
	return Token{}, false
}

// lock counts a section in the overflow. Its Token carries slotOverflow,
// which the slot does not, so that ReadUnlock takes the slow path.
func (o *overflow) lock(d *Domain, ctl uint64) Token {
	o.mu.Lock()
	defer o.mu.Unlock()
	var s *uint64
	if n := len(o.free); n > 0 {
		s, o.free = o.free[n-1], o.free[:n-1]
	} else {
		s = new(uint64)
	}
	w := (atomic.LoadUint64(s)+slotGen)&^slotFlags | slotBusy | (ctl&ctlIdx)<<1
	atomic.StoreUint64(s, w)
	o.count[ctl&ctlIdx].Add(1) // pairs with the Load in countReaders
	return Token{d, s, w | slotOverflow}
}

// unlock ends an overflow section, and reports whether t held it.
func (o *overflow) unlock(t Token) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := t.w &^ (slotTracked | slotOverflow)
	if atomic.LoadUint64(t.s) != w {
		return false
	}
	atomic.StoreUint64(t.s, w&^slotFlags)
	o.free = append(o.free, t.s)
	o.count[w&slotIdx>>1].Add(-1)
	return true
}

// readLockSlow sets d up, refuses a closed d, yields while someone waits
// and runs the injection hook. It returns the ctl to count the section
// under.
func (d *Domain) readLockSlow() uint64 {
	d.init()
	ctl := d.ctl.Load()
	if ctl&ctlClosed != 0 {
		panic("rcu: ReadLock on a closed Domain")
	}
	if ctl&ctlYield != 0 && !d.opts.Fault(engine.FaultNoYield) && d.yieldDue() {
		// Let a reader preempted inside its section, or a woken waiter,
		// run before this one keeps the P busy. Not a wait: the section
		// then begins whatever the grace period is doing.
		runtime.Gosched()
		ctl = d.ctl.Load() // the index may have flipped meanwhile
	}
	d.inject(pointReadSampled) // the straggler window: index sampled, not yet counted
	return ctl
}

// yieldDue reports whether this ReadLock should yield. The count is per
// P, on the P's own shard, so it adds no shared writes.
func (d *Domain) yieldDue() bool {
	p := uint32(procPin())
	procUnpin()
	return d.shards[p&d.shardMask].passes.Add(1)%yieldEvery == 1
}

// ReadUnlock ends the read section that t identifies (like
// srcu_read_unlock). It panics if t did not come from ReadLock on d or has
// already been unlocked. A section opened before Close may be ended after it.
func (d *Domain) ReadUnlock(t Token) {
	if t.d != d || !atomic.CompareAndSwapUint64(t.s, t.w, t.w&^slotFlags) { // pairs with the scan in countReaders
		d.readUnlockSlow(t)
	}
}

// readUnlockSlow ends a tracked or overflow section, or panics at a
// misused Token.
func (d *Domain) readUnlockSlow(t Token) {
	held := false
	switch {
	case t.d == nil:
		panic("rcu: ReadUnlock of a Token that no ReadLock returned")
	case t.d != d:
		panic("rcu: ReadUnlock of a Token from another Domain")
	case t.w&slotOverflow != 0:
		held = d.ovf.unlock(t)
	case t.w&slotTracked != 0:
		held = atomic.CompareAndSwapUint64(t.s, t.w&^slotTracked, t.w&^slotFlags) // pairs with the scan in countReaders
	}
	if !held {
		panic("rcu: ReadUnlock of a Token that is not held (unlocked twice, or not from ReadLock)")
	}
	if t.w&slotTracked != 0 {
		untrack(t)
	}
}

// Read runs f inside a read section of d.
func (d *Domain) Read(f func()) {
	t := d.ReadLock()
	defer d.ReadUnlock(t)
	f()
}

// countReaders reports how many sections are counted under index idx (0 or
// 1). Each slot is read once; a section that is counted when its slot is
// read, and not yet ended, is included.
func (d *Domain) countReaders(idx uint64) int {
	want := slotBusy | idx<<1
	n := 0
	count := func(s *shard) {
		for i := range s.slots {
			if atomic.LoadUint64(&s.slots[i])&(slotBusy|slotIdx) == want { // pairs with the CAS in take
				n++
			}
		}
	}
	for i := range d.shards {
		count(&d.shards[i])
	}
	return n + int(d.ovf.count[idx].Load()) // pairs with the Add in overflow.lock
}
