package rcu

import "sync/atomic"

// A Pointer is an RCU-protected pointer to a T. The zero value is ready to
// use and holds nil. Its methods mirror atomic.Pointer. A Pointer is not
// tied to a Domain: the Domain whose read sections protect the readers is
// the one whose Synchronize or Call the writer uses before it reclaims a
// value it replaced. A Pointer must not be copied after first use.
//
// Publication: Store (or a successful Swap or CompareAndSwap) of p
// synchronizes before every Load that returns p. So a reader that obtains p
// from Load sees every write the writer made to *p before publishing it: it
// never sees a half-initialized value. The writer must not modify *p after
// publishing it; publish a modified copy instead.
type Pointer[T any] struct {
	_ noCopy
	p atomic.Pointer[T]
}

// Load returns the current value (like rcu_dereference). Call it inside a
// read section and use the result only until the section ends; WithDebug
// makes a Load outside every section panic.
func (p *Pointer[T]) Load() *T {
	if tracking.live.Load() != 0 {
		mustReadPointer(p)
	}
	return p.p.Load()
}

// Store publishes v (like rcu_assign_pointer).
func (p *Pointer[T]) Store(v *T) { p.p.Store(v) }

// Swap publishes v and returns the value it replaced, which readers may
// still hold until a grace period has elapsed.
func (p *Pointer[T]) Swap(v *T) (old *T) { return p.p.Swap(v) }

// CompareAndSwap publishes new if the current value is old.
func (p *Pointer[T]) CompareAndSwap(old, new *T) (swapped bool) {
	return p.p.CompareAndSwap(old, new)
}
