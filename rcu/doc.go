// Package rcu is a small reference implementation of read-copy-update for
// Go: read-mostly data whose readers never wait, and whose writers learn the
// moment when no reader can still hold an old version.
//
// # What RCU adds in Go
//
// Go's garbage collector already keeps memory safe: a reader holding an old
// version keeps it alive, so a plain atomic.Pointer is enough for most
// read-mostly data. What the collector cannot tell is when the last reader
// is done, and that matters when retiring a version means doing something:
// returning a buffer to a pool, unmapping off-heap or cgo memory, closing a
// file descriptor. Done too early, a reader sees a recycled or closed
// object. RCU gives that moment: after a grace period, every reader that
// could have seen the old version has finished. Reclaiming a version here
// means such a deferred action.
//
// # Use
//
// Readers bracket their accesses with ReadLock and ReadUnlock (or Read) on
// a Domain and load shared values with Pointer.Load or List.All. A writer
// publishes a new version with Pointer.Store (or Swap), then either waits
// with Synchronize and reclaims the old version itself, or hands the
// reclaim to Call, or to Retire, which queues a value's Reclaim method
// without a closure (Replace publishes and retires in one call, allocating
// nothing). Barrier waits for queued callbacks; Snapshot, Poll and
// WaitFor let a writer check for a grace period without blocking. Each
// Domain is independent, like an srcu_struct, and its readers may block
// or sleep inside a section. The zero Domain is ready to use, like a
// sync.Mutex, and New makes one with options; a Domain starts two
// goroutines at its first use, and Close stops them.
//
// # Flavors
//
// Domain is the reference: any goroutine may read without registering, a
// section is two compare-and-swaps on a per-P cache line, and sections
// may block. Two faster flavors share its whole write side (internal/engine)
// and its options, Cookie, Stats and StallReport, for readers that are
// long-lived registered goroutines:
//
//   - package rcu/registered: a section is one atomic store to begin and
//     one to end, on the reader's own cache line;
//   - package rcu/qsbr: a section costs nothing; readers announce
//     quiescent states and go offline before they block.
//
// The README's "Which flavor" table compares them.
//
// # Guarantees
//
// In the terms of the Go memory model, for a Domain d:
//
//   - Publication: Pointer.Store(p) synchronizes before every Load that
//     returns p, so a reader sees *p fully initialized.
//   - Grace period: the end of every read section of d that began before
//     d.Synchronize was called synchronizes before Synchronize returns.
//     Sections that begin after the call may or may not be waited for.
//   - Reclamation: hence a value removed before Synchronize and reclaimed
//     after it is never seen by a reader after its reclaim begins.
//   - Callbacks: d.Call(f) runs f exactly once, after a grace period that
//     began after the Call; the Call, and the end of every section that
//     began before it, synchronize before f runs.
//   - Barrier: the return of every callback queued before d.Barrier was
//     called synchronizes before Barrier returns.
//   - Polling: d.Poll(c) returns true only once a full grace period has
//     elapsed since d.Snapshot returned c; so the end of every section that
//     began before the Snapshot synchronizes before such a Poll returns.
//   - Progress: ReadLock never waits for a grace period; Synchronize ends
//     once the sections it waits for end, even under a stream of new
//     readers; concurrent callers share grace periods; pending callbacks
//     stay below a bound.
//
// Misuse panics at once with a message that starts with "rcu: ": a Token
// unlocked twice, Call(nil), any method of a closed Domain. Misuse that
// cannot be seen at once, such as a forgotten ReadUnlock, ends in a stall
// report on standard error (StallReport); WithDebug adds checks that cost
// time on every section.
//
// # When not to use it
//
// If retiring a version needs no action beyond dropping it, use
// atomic.Pointer and let the garbage collector do the rest: its reads cost
// less than a read section here. If writes are frequent, a sync.RWMutex or
// a sync.Mutex is simpler and may be faster.
//
// # Cost and oversubscription
//
// A read section is two compare-and-swaps on a per-P cache line, with no
// shared writes, so readers scale with cores. A grace period polls the
// readers' slots; with no readers it takes a few microseconds. One grace
// period serves every callback queued before it started.
//
// When goroutines outnumber the Ps and keep them busy, the scheduler may
// preempt a reader inside its section and not run it again for a time
// slice (about 10 ms), and a grace period waits for it. So while a grace
// period is pending or anyone waits on the Domain, one ReadLock in eight
// on each P first yields the processor, to let a preempted reader, or a
// waiter that a grace period's end has woken, run. The reader does not
// wait for the grace period. With four goroutines spinning through
// sections on two Ps, Synchronize then takes a few microseconds
// (BENCHMARKS.md). What remains: while someone waits, a section costs
// about three times as much on average, so grace periods run back to back
// slow readers down; a reader that blocks or sleeps inside its section holds
// every grace period until it ends; and a reader preempted while no other
// reader enters a section (say, by unrelated busy goroutines) waits for
// its turn, as any goroutine does.
package rcu
