package rcu

// A Reclaimer is a value whose Reclaim method does what retiring it needs:
// return a buffer to its pool, free off-heap memory, close a descriptor.
// Retire and Replace call Reclaim once no reader can hold the value.
type Reclaimer interface{ Reclaim() }

// A Retirer is a domain that can retire values: *Domain here, and the
// domains of packages rcu/qsbr and rcu/registered.
type Retirer interface {
	Retire(v Reclaimer)
}

// Retire queues v.Reclaim to run once, on d's callback goroutine, after a
// full grace period that begins after Retire (like kfree_rcu): Call without
// a closure. With v a pointer, Retire allocates nothing: the callback
// queue keeps v itself, in arrays that it reuses. Everything else is as
// for Call: ordering among callbacks, the pending bound, panics. Retire
// panics if v is nil; v must not be a nil pointer either (its Reclaim
// would run on a nil receiver).
func (d *Domain) Retire(v Reclaimer) {
	d.init()
	d.e.Retire(v)
}

// Replace publishes v in p and retires the value it replaced, if any,
// through r: after a grace period of r, the old value's Reclaim runs. It
// is Swap, then Retire, for writers that need no other step in between,
// and allocates nothing. Concurrent Replaces on one Pointer are safe: each
// retires the value its own Swap took out. Replacing a value by itself
// retires nothing. Replace panics if v is nil: to unpublish, Swap(nil)
// and Retire the result.
func Replace[T any, PT interface {
	*T
	Reclaimer
}](r Retirer, p *Pointer[T], v PT) {
	if v == nil {
		panic("rcu: Replace with a nil value")
	}
	if old := p.Swap((*T)(v)); old != nil && old != (*T)(v) {
		r.Retire(PT(old))
	}
}
