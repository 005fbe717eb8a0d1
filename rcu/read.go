package rcu

// The read side: counted sections in per-P slot tables.
//
// A read section is counted in a slot. Each shard (one per P, rounded up to a
// power of two) holds slotsPerShard slot words:
//
//	bit 0      busy: a section holds this slot
//	bit 1      the index the section sampled from Domain.ctl
//	bit 2      the section is tracked by the debug registry
//	bits 3..63 generation, bumped every time the slot is taken
//
// ReadLock samples the current index, then takes the first free slot of the
// shard of the P it runs on with one compare-and-swap. ReadUnlock frees the
// slot with one compare-and-swap against the exact word ReadLock wrote, so a
// second unlock of the same Token, or a Token that no ReadLock returned,
// fails the swap and panics: the generation never repeats (2^61 uses).
// When all slots of a shard are busy (many readers blocked inside sections on
// one P), the section goes to the overflow table, which is guarded by a mutex
// and checked the same way.
//
// The grace-period side (gp.go) counts busy slots whose index matches the
// one it waits on. All slot accesses are sequentially consistent atomics;
// that is what the two-phase argument in gp.go relies on.

import (
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	slotBusy    = 1 << 0
	slotIdx     = 1 << 1
	slotTracked = 1 << 2
	slotFlags   = slotBusy | slotIdx | slotTracked
	slotGen     = 1 << 3 // one generation step

	slotsPerShard = 32
	slotBits      = 5 // log2(slotsPerShard)
	locOverflow   = 1 << 31
)

// ctl bits.
const (
	ctlIdx    = 1 << 0 // the index new readers count themselves under
	ctlReady  = 1 << 1 // the Domain is set up
	ctlYield  = 1 << 2 // a grace period is pending: new readers yield first (gp.go)
	ctlClosed = 1 << 3 // Close has finished

	// ReadLock takes its fast path only when ctl&ctlSlow == ctlReady.
	ctlSlow = ctlReady | ctlYield | ctlClosed
)

type shard struct {
	slots  [slotsPerShard]atomic.Uint64
	passes atomic.Uint32 // ReadLocks on this P that did not yield while one was due
	_      [60]byte      // keep neighbouring shards off this shard's last line
}

// yieldEvery is how often, per P, a ReadLock yields while a grace period
// is pending: the first of every yieldEvery. Yielding at every one would
// cost a section about 120 ns; a preempted reader needs only that the
// goroutines on its P yield now and then.
const yieldEvery = 8

// overflow holds the sections that found their shard full.
type overflow struct {
	mu    sync.Mutex
	words []uint64 // slot words, same layout as shard slots; guarded by mu
	free  []uint32 // indexes of free words; guarded by mu
	count [2]atomic.Int64
}

// Token identifies one read section. ReadLock returns it and ReadUnlock
// takes it back. A Token is a plain value and may be passed to another
// goroutine, which may then end the section; each Token must be unlocked
// exactly once, on the Domain that returned it.
type Token struct {
	d   *Domain
	w   uint64 // the slot word ReadLock wrote
	loc uint32 // shard<<slotBits | slot, or locOverflow | overflow index
}

// ReadLock begins a read-side critical section (like srcu_read_lock) and
// returns the Token that ends it. Any goroutine may call it without
// registering; sections nest to any depth, may block and may sleep.
// ReadLock never waits for writers or grace periods. While a grace period
// is pending it may yield the processor before it begins the section, so
// that readers preempted inside their sections get to run and end them
// (see the package documentation on oversubscription).
//
// The end of the section (ReadUnlock) synchronizes before the end of every
// grace period that began after the section did (after ReadLock was
// called), and so before the return of every Synchronize, callback,
// Barrier and Poll that waits for such a grace period.
func (d *Domain) ReadLock() Token {
	ctl := d.ctl.Load()
	if ctl&ctlSlow != ctlReady || tracking.live.Load() != 0 {
		return d.readLockSlow(ctl)
	}
	return d.readLock(ctl, 0)
}

// readLock counts a section under the index ctl names. extra is OR-ed into
// the slot word (slotTracked for debug sections).
func (d *Domain) readLock(ctl, extra uint64) Token {
	d.inject(pointReadSampled) // the straggler window: index sampled, not yet counted
	p := uint32(procPin())
	procUnpin()
	p &= d.shardMask
	s := &d.shards[p]
	idx := (ctl & ctlIdx) << 1 // ctlIdx is bit 0, slotIdx is bit 1
	for i := range s.slots {
		w := s.slots[i].Load()
		if w&slotBusy != 0 {
			continue
		}
		nw := (w+slotGen)&^slotFlags | slotBusy | idx | extra
		if s.slots[i].CompareAndSwap(w, nw) { // pairs with the scan in countReaders
			return Token{d: d, w: nw, loc: p<<slotBits | uint32(i)}
		}
	}
	return d.ovf.lock(d, idx|extra)
}

func (o *overflow) lock(d *Domain, bits uint64) Token {
	o.mu.Lock()
	var i uint32
	if n := len(o.free); n > 0 {
		i = o.free[n-1]
		o.free = o.free[:n-1]
	} else {
		i = uint32(len(o.words))
		o.words = append(o.words, 0)
	}
	w := (o.words[i]+slotGen)&^slotFlags | slotBusy | bits
	o.words[i] = w
	o.count[bits&slotIdx>>1].Add(1) // pairs with the scan in countReaders
	o.mu.Unlock()
	return Token{d: d, w: w, loc: locOverflow | i}
}

// ReadUnlock ends the read section that t identifies (like
// srcu_read_unlock). It panics if t did not come from ReadLock on d or has
// already been unlocked. A section opened before Close may be ended after it.
func (d *Domain) ReadUnlock(t Token) {
	if t.d != d || t.loc&locOverflow != 0 || t.w&slotTracked != 0 {
		d.readUnlockSlow(t)
		return
	}
	s := &d.shards[t.loc>>slotBits]
	if !s.slots[t.loc&(slotsPerShard-1)].CompareAndSwap(t.w, t.w&^slotFlags) { // pairs with the scan in countReaders
		panic("rcu: ReadUnlock of a Token that is not held (unlocked twice, or not from ReadLock)")
	}
}

func (d *Domain) readUnlockSlow(t Token) {
	switch {
	case t.d != d && t.d == nil:
		panic("rcu: ReadUnlock of a Token that no ReadLock returned")
	case t.d != d:
		panic("rcu: ReadUnlock of a Token from another Domain")
	}
	if t.loc&locOverflow != 0 {
		d.ovf.unlock(t)
	} else if s := &d.shards[t.loc>>slotBits]; !s.slots[t.loc&(slotsPerShard-1)].CompareAndSwap(t.w, t.w&^slotFlags) {
		panic("rcu: ReadUnlock of a Token that is not held (unlocked twice, or not from ReadLock)")
	}
	if t.w&slotTracked != 0 {
		untrack(t)
	}
}

func (o *overflow) unlock(t Token) {
	i := t.loc &^ locOverflow
	o.mu.Lock()
	if int(i) >= len(o.words) || o.words[i] != t.w {
		o.mu.Unlock()
		panic("rcu: ReadUnlock of a Token that is not held (unlocked twice, or not from ReadLock)")
	}
	o.words[i] = t.w &^ slotFlags
	o.free = append(o.free, i)
	o.count[t.w&slotIdx>>1].Add(-1)
	o.mu.Unlock()
}

// Read runs f inside a read section of d.
func (d *Domain) Read(f func()) {
	t := d.ReadLock()
	defer d.ReadUnlock(t)
	f()
}

// readLockSlow sets d up on its first use, refuses a closed d, yields to
// preempted readers while a grace period is pending, and registers the
// section with the debug registry while that is on.
func (d *Domain) readLockSlow(ctl uint64) Token {
	if ctl&ctlReady == 0 {
		d.init()
		ctl = d.ctl.Load()
	}
	if ctl&ctlClosed != 0 {
		panic("rcu: ReadLock on a closed Domain")
	}
	if ctl&ctlYield != 0 && !d.opts.fault(faultNoYield) && d.yieldDue() {
		// A grace period waits, or is about to wait, for the readers
		// already inside, or a goroutine waits on d. A reader may have
		// been preempted inside its section, or the waiter woken, and
		// readers that keep the processors busy would keep them off
		// until the scheduler's next time slice. Let them run first.
		// This is not a wait for the grace period: the section then
		// begins whatever the grace period is doing.
		runtime.Gosched()
		ctl = d.ctl.Load() // the index may have flipped meanwhile
	}
	if tracking.live.Load() == 0 {
		return d.readLock(ctl, 0)
	}
	// Debug tracking is on: register the section so that Pointer.Load,
	// Synchronize and stall reports can see who holds what.
	t := d.readLock(ctl, slotTracked)
	track(t)
	return t
}

// yieldDue reports whether this ReadLock should yield: the first of every
// yieldEvery on the calling goroutine's P while a grace period is
// pending. The count is per P, on the P's own shard, so it adds no shared
// writes.
func (d *Domain) yieldDue() bool {
	p := uint32(procPin())
	procUnpin()
	return d.shards[p&d.shardMask].passes.Add(1)%yieldEvery == 1
}

// countReaders reports how many sections are counted under index idx (0 or
// 1). Each slot is read once; a section that is counted when its slot is
// read, and not yet ended, is included.
func (d *Domain) countReaders(idx uint64) int {
	want := slotBusy | idx<<1
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		for j := range s.slots {
			if s.slots[j].Load()&(slotBusy|slotIdx) == want { // pairs with the CAS in readLock
				n++
			}
		}
	}
	return n + int(d.ovf.count[idx].Load())
}
