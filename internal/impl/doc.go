// Package impl holds the RCU implementations of this module as ops tables
// (rcuops.Ops), for the flavors of torture/flavors and the broken
// implementations of internal/broken:
//
//   - Reference: the reference rcu.Domain. Built with -tags rcuinject, its
//     injection points are passed to Env.Inject.
//   - Trivial: an obviously correct RCU on a sync.RWMutex (token readers)
//     and one mutex per registered reader; grace periods take the write
//     lock and every reader's mutex in turn.
//   - Classic: a small classic two-index counter SRCU (per-shard lock and
//     unlock counters; a grace period waits for stragglers on the inactive
//     index, flips, and waits on the old index), with injection points
//     always compiled in; ClassicWithoutStragglerWait is the same without
//     the wait for stragglers, the counter-flip bug.
package impl
