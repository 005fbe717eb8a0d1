package rcu

import (
	"sync/atomic"
	"unsafe"
)

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
	v unsafe.Pointer // a *T, accessed only atomically; pointerKey has the same layout
}

// Load returns the current value (like rcu_dereference). Call it inside a
// read section and use the result only until the section ends; WithDebug
// makes a Load outside every section panic.
//
// Load inlines into its caller: it is one atomic load, and a test of
// whether any debug Domain is open.
func (p *Pointer[T]) Load() *T {
	if tracking.live.Load() != 0 {
		mustReadPointer((*pointerKey)(unsafe.Pointer(p)))
	}
	return (*T)(atomic.LoadPointer(&p.v))
}

// Store publishes v (like rcu_assign_pointer).
func (p *Pointer[T]) Store(v *T) { atomic.StorePointer(&p.v, unsafe.Pointer(v)) }

// Swap publishes v and returns the value it replaced, which readers may
// still hold until a grace period has elapsed.
func (p *Pointer[T]) Swap(v *T) (old *T) {
	return (*T)(atomic.SwapPointer(&p.v, unsafe.Pointer(v)))
}

// CompareAndSwap publishes new if the current value is old.
func (p *Pointer[T]) CompareAndSwap(old, new *T) (swapped bool) {
	return atomic.CompareAndSwapPointer(&p.v, unsafe.Pointer(old), unsafe.Pointer(new))
}
