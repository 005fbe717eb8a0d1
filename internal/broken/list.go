package broken

// Broken lists. rcu.List is not in the ops table, so its checkers (rcu's
// list tests, fuzz's list machines) take these doubles of its mistakes.

import (
	"iter"

	"github.com/rcukit/rcukit/rcu"
)

// ListReclaimNow is an rcu.List whose Remove and Replace hand the value
// they take out to the reclaim function at once, without waiting for a
// grace period: it breaks model.ListReclaimWhileHeld.
type ListReclaimNow[T any] struct {
	*rcu.List[T]
	reclaim func(T)
}

// NewListReclaimNow returns an empty ListReclaimNow on d.
func NewListReclaimNow[T any](d *rcu.Domain, reclaim func(T)) ListReclaimNow[T] {
	return ListReclaimNow[T]{rcu.NewList[T](d, nil), reclaim}
}

// Remove removes e and reclaims its value at once.
func (l ListReclaimNow[T]) Remove(e *rcu.Element[T]) bool {
	ok := l.List.Remove(e)
	if ok && l.reclaim != nil {
		l.reclaim(e.Value)
	}
	return ok
}

// Replace replaces old and reclaims its value at once.
func (l ListReclaimNow[T]) Replace(old *rcu.Element[T], v T) (*rcu.Element[T], bool) {
	e, ok := l.List.Replace(old, v)
	if ok && l.reclaim != nil {
		l.reclaim(old.Value)
	}
	return e, ok
}

// ListSkipFirst is an rcu.List whose traversals miss the first element:
// it breaks model.ListTraverseMissed.
type ListSkipFirst[T any] struct{ *rcu.List[T] }

// NewListSkipFirst returns an empty ListSkipFirst on d.
func NewListSkipFirst[T any](d *rcu.Domain, reclaim func(T)) ListSkipFirst[T] {
	return ListSkipFirst[T]{rcu.NewList(d, reclaim)}
}

// All traverses the list but for its first element.
func (l ListSkipFirst[T]) All() iter.Seq[*rcu.Element[T]] {
	return func(yield func(*rcu.Element[T]) bool) {
		first := true
		for e := range l.List.All() {
			if !first && !yield(e) {
				return
			}
			first = false
		}
	}
}
