package rcu

// List: a doubly linked list whose readers follow only next pointers.
//
// Writers hold l.mu and keep prev pointers and the tail for themselves.
// Readers load next pointers atomically, so an element becomes visible to
// them only through a Store made after it was fully built (publication, as
// in Pointer). Remove unlinks an element from its predecessor but leaves
// the element's own next pointer alone: a reader standing on it walks on
// into the list. Every element reachable from a removed one was either
// still linked or removed later, so its reclaim waits for a grace period
// that also waits for that reader.

import (
	"iter"
	"sync"
	"sync/atomic"
)

// A List is an RCU-protected doubly linked list of T (in the spirit of
// list_add_rcu, list_del_rcu, list_replace_rcu and
// list_for_each_entry_rcu). Writers may call its methods concurrently; they
// are serialized inside the list. Readers call All inside a read section
// of the List's Domain, concurrently with writers.
//
// Removed or replaced values are handed to the reclaim function after a
// grace period, by the Domain's callback goroutine: every read section
// that could still see the value has ended by then.
type List[T any] struct {
	d       *Domain
	reclaim func(T)

	mu   sync.Mutex // serializes writers
	head atomic.Pointer[Element[T]]
	tail *Element[T] // guarded by mu
	n    int         // guarded by mu
}

// An Element is an entry of a List. Readers may read Value; nobody may
// modify it once the element is in a list (use Replace).
type Element[T any] struct {
	Value T

	next atomic.Pointer[Element[T]]
	prev *Element[T] // guarded by list.mu
	list *List[T]    // guarded by list.mu; nil once removed
}

// NewList returns an empty List protected by d's grace periods. reclaim,
// which may be nil, receives every value that Remove or Replace takes out
// of the list, once no reader can see it.
func NewList[T any](d *Domain, reclaim func(T)) *List[T] {
	if d == nil {
		panic("rcu: NewList with a nil Domain")
	}
	return &List[T]{d: d, reclaim: reclaim}
}

// PushFront inserts v at the front of l and returns its element.
func (l *List[T]) PushFront(v T) *Element[T] {
	e := &Element[T]{Value: v, list: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	first := l.head.Load()
	e.next.Store(first)
	l.setPrev(first, e)
	l.setNext(nil, e) // publish
	l.n++
	return e
}

// PushBack inserts v at the back of l and returns its element.
func (l *List[T]) PushBack(v T) *Element[T] {
	e := &Element[T]{Value: v, list: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.prev = l.tail
	l.setNext(l.tail, e) // publish
	l.tail = e
	l.n++
	return e
}

// Remove takes e out of l and reports whether it was in l. Readers already
// on e keep walking; e.Value goes to the reclaim function after a grace
// period.
func (l *List[T]) Remove(e *Element[T]) bool {
	l.mu.Lock()
	if e == nil || e.list != l {
		l.mu.Unlock()
		return false
	}
	next := e.next.Load() // left in e for readers standing on it
	l.setNext(e.prev, next)
	l.setPrev(next, e.prev)
	e.prev, e.list = nil, nil
	l.n--
	l.mu.Unlock()
	l.retire(e.Value)
	return true
}

// Replace puts a new element holding v in old's place and reports whether
// old was in l. A reader sees either old or the new element, never
// neither. old.Value goes to the reclaim function after a grace period.
func (l *List[T]) Replace(old *Element[T], v T) (*Element[T], bool) {
	l.mu.Lock()
	if old == nil || old.list != l {
		l.mu.Unlock()
		return nil, false
	}
	e := &Element[T]{Value: v, list: l, prev: old.prev}
	next := old.next.Load()
	e.next.Store(next)
	l.setNext(e.prev, e) // publish
	l.setPrev(next, e)
	old.prev, old.list = nil, nil
	l.mu.Unlock()
	l.retire(old.Value)
	return e, true
}

// setNext makes e follow prev, or head the list when prev is nil. The
// caller holds l.mu.
func (l *List[T]) setNext(prev, e *Element[T]) {
	if prev == nil {
		l.head.Store(e) // pairs with the Load in All
	} else {
		prev.next.Store(e) // pairs with the Load in All
	}
}

// setPrev makes prev precede e, or end the list when e is nil. The caller
// holds l.mu.
func (l *List[T]) setPrev(e, prev *Element[T]) {
	if e == nil {
		l.tail = prev
	} else {
		e.prev = prev
	}
}

func (l *List[T]) retire(v T) {
	if l.reclaim != nil {
		l.d.Call(func() { l.reclaim(v) })
	}
}

// Len returns the number of elements in l, as writers see it.
func (l *List[T]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// All returns an iterator over l's elements, front to back (like
// list_for_each_entry_rcu). Use it inside a read section of l's Domain and
// use the elements only until the section ends. It sees every element
// that stays in l while it runs; an element added or removed meanwhile may
// or may not be seen; it never sees an element twice.
func (l *List[T]) All() iter.Seq[*Element[T]] {
	return func(yield func(*Element[T]) bool) {
		if tracking.live.Load() != 0 {
			mustRead("List.All", l.d)
		}
		for e := l.head.Load(); e != nil; e = e.next.Load() {
			if !yield(e) {
				return
			}
		}
	}
}
