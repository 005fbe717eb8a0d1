package rcu_test

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rcukit/rcukit/rcu"
)

// intList is the part of *rcu.List[int] that
// checkListRemovedElementStaysSafe uses; newIntList makes one on d whose
// removed values go to reclaim.
type intList interface {
	PushBack(int) *rcu.Element[int]
	Remove(*rcu.Element[int]) bool
	Replace(*rcu.Element[int], int) (*rcu.Element[int], bool)
	All() iter.Seq[*rcu.Element[int]]
}

type newIntList func(d *rcu.Domain, reclaim func(int)) intList

func referenceList(d *rcu.Domain, reclaim func(int)) intList { return rcu.NewList(d, reclaim) }

// checkListRemovedElementStaysSafe: a reader paused on an element that is
// then removed walks on to the rest of the list, and nothing it can reach
// is reclaimed until it leaves its section.
func checkListRemovedElementStaysSafe(d *rcu.Domain, newList newIntList) error {
	var reclaimed sync.Map
	l := newList(d, func(v int) {
		if _, dup := reclaimed.LoadOrStore(v, true); dup {
			panic(fmt.Sprintf("value %d reclaimed twice", v))
		}
	})
	els := make([]*rcu.Element[int], 6)
	for i := range els {
		els[i] = l.PushBack(i)
	}
	paused, resume := make(chan struct{}), make(chan struct{})
	var seen []int
	var early []int // values the reader found reclaimed
	walked := start(func() {
		d.Read(func() {
			for e := range l.All() {
				seen = append(seen, e.Value)
				if _, gone := reclaimed.Load(e.Value); gone {
					early = append(early, e.Value)
				}
				if e.Value == 2 {
					close(paused)
					<-resume
				}
			}
		})
	})
	<-paused
	l.Remove(els[2]) // the element the reader stands on
	l.Remove(els[3]) // and its successor
	if _, ok := l.Replace(els[4], 40); !ok {
		return errors.New("Replace of a listed element failed")
	}
	d.Call(func() {}) // give the reclaims company in the queue
	done := start(d.Barrier)
	if within(done, hold) {
		close(resume)
		<-walked
		return errors.New("Barrier finished reclaiming while a reader stood on a removed element")
	}
	close(resume)
	<-walked
	<-done
	if len(early) > 0 {
		return fmt.Errorf("reader reached reclaimed values %v", early)
	}
	// The reader was on 2 when 3 and 4 went; it walks through the removed
	// 3 to 4 (replaced, so reachable only through 3) and on to 5.
	if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(seen, want) {
		return fmt.Errorf("reader saw %v, want %v", seen, want)
	}
	for _, v := range []int{2, 3, 4} {
		if _, ok := reclaimed.Load(v); !ok {
			return fmt.Errorf("removed value %d not reclaimed after Barrier", v)
		}
	}
	return nil
}

func TestListRemovedElementStaysSafe(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	if err := checkListRemovedElementStaysSafe(d, referenceList); err != nil {
		t.Fatal(err)
	}
}

func TestListWritersMatchReference(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	var reclaimed []int
	l := rcu.NewList(d, func(v int) { reclaimed = append(reclaimed, v) })
	var ref []*rcu.Element[int] // the list as a plain slice
	var removed []int
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		switch op := rng.IntN(5); {
		case op == 0:
			ref = append([]*rcu.Element[int]{l.PushFront(i)}, ref...)
		case op == 1:
			ref = append(ref, l.PushBack(i))
		case op == 2 && len(ref) > 0:
			k := rng.IntN(len(ref))
			if !l.Remove(ref[k]) {
				t.Fatalf("Remove of a listed element returned false")
			}
			if l.Remove(ref[k]) {
				t.Fatalf("second Remove of an element returned true")
			}
			removed = append(removed, ref[k].Value)
			ref = slices.Delete(ref, k, k+1)
		case op == 3 && len(ref) > 0:
			k := rng.IntN(len(ref))
			old := ref[k]
			e, ok := l.Replace(old, i)
			if !ok || e.Value != i {
				t.Fatalf("Replace = %v, %v", e, ok)
			}
			if _, ok := l.Replace(old, i); ok {
				t.Fatalf("Replace of a removed element succeeded")
			}
			removed = append(removed, old.Value)
			ref[k] = e
		}
		var got []int
		d.Read(func() {
			for e := range l.All() {
				got = append(got, e.Value)
			}
		})
		want := make([]int, len(ref))
		for k, e := range ref {
			want[k] = e.Value
		}
		if !slices.Equal(got, want) || l.Len() != len(want) {
			t.Fatalf("step %d: list %v (Len %d), want %v", i, got, l.Len(), want)
		}
	}
	d.Barrier()
	if !slices.Equal(reclaimed, removed) {
		t.Fatalf("reclaimed %d values, want the %d removed ones in order", len(reclaimed), len(removed))
	}
	other := rcu.NewList[int](d, nil)
	if other.Remove(other.PushBack(1)); other.Remove(l.PushBack(1)) {
		t.Fatal("Remove of another list's element returned true")
	}
}

// TestListConcurrent runs writers and readers together at several
// GOMAXPROCS values. Values are reclaimed by setting a plain field, so the
// race detector, as well as the explicit check, sees a reader that could
// reach a reclaimed value.
func TestListConcurrent(t *testing.T) {
	type item struct {
		key  int
		dead bool
	}
	for _, procs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			d := rcu.New()
			t.Cleanup(d.Close)
			l := rcu.NewList(d, func(it *item) { it.dead = true })
			stop := make(chan struct{})
			var bad, reads atomic.Int64
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						d.Read(func() {
							for e := range l.All() {
								if e.Value.dead {
									bad.Add(1)
								}
							}
						})
						reads.Add(1)
					}
				})
			}
			var writers sync.WaitGroup
			for w := range 2 {
				writers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					var mine []*rcu.Element[*item]
					for i := range 3000 {
						switch {
						case len(mine) < 8 || rng.IntN(3) == 0:
							mine = append(mine, l.PushBack(&item{key: i}))
						case rng.IntN(2) == 0:
							k := rng.IntN(len(mine))
							l.Remove(mine[k])
							mine = slices.Delete(mine, k, k+1)
						default:
							k := rng.IntN(len(mine))
							mine[k], _ = l.Replace(mine[k], &item{key: i})
						}
					}
				})
			}
			writers.Wait()
			close(stop)
			wg.Wait()
			d.Barrier()
			if bad.Load() != 0 {
				t.Fatalf("readers reached reclaimed values %d times", bad.Load())
			}
			if reads.Load() == 0 {
				t.Fatal("no reads happened")
			}
		})
	}
}
