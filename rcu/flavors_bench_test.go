package rcu_test

// The fast flavors (rcu/qsbr, rcu/registered) beside the reference and the
// baselines of BenchmarkRead, in the same run. Compare with
//
//	go test -run '^$' -bench Flavor -count 10 -cpu 1,2 ./rcu > new.txt
//	benchstat -col /impl new.txt

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/qsbr"
	"github.com/rcukit/rcukit/rcu/registered"
)

// BenchmarkFlavorRead: one read section that loads a shared pointer, from
// b.RunParallel. Each goroutine of a registered flavor registers a Reader
// of its own, and unregisters it when done. impl=qsbr is the section
// alone (ReadLock and ReadUnlock are markers); impl=qsbr-quiescent adds
// the Quiescent after each section that a real QSBR loop runs. Baselines:
// atomic.Pointer.Load alone (atomic), rcu.Pointer.Load alone (pointer),
// two atomic adds on a private padded counter around the load (counter),
// and sync.RWMutex.
func BenchmarkFlavorRead(b *testing.B) {
	var ap atomic.Pointer[payload]
	ap.Store(&payload{1, 2})
	b.Run("impl=qsbr", func(b *testing.B) {
		d := qsbr.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			r := d.Register()
			defer r.Unregister()
			var s *payload
			for pb.Next() {
				r.ReadLock()
				s = p.Load()
				r.ReadUnlock()
			}
			sink = s
		})
	})
	b.Run("impl=qsbr-quiescent", func(b *testing.B) {
		d := qsbr.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			r := d.Register()
			defer r.Unregister()
			var s *payload
			for pb.Next() {
				r.ReadLock()
				s = p.Load()
				r.ReadUnlock()
				r.Quiescent()
			}
			sink = s
		})
	})
	b.Run("impl=registered", func(b *testing.B) {
		d := registered.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			r := d.Register()
			defer r.Unregister()
			var s *payload
			for pb.Next() {
				r.ReadLock()
				s = p.Load()
				r.ReadUnlock()
			}
			sink = s
		})
	})
	b.Run("impl=rcu", func(b *testing.B) {
		d := rcu.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				t := d.ReadLock()
				s = p.Load()
				d.ReadUnlock(t)
			}
			sink = s
		})
	})
	b.Run("impl=atomic", func(b *testing.B) { // the GC-only floor
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				s = ap.Load()
			}
			sink = s
		})
	})
	b.Run("impl=pointer", func(b *testing.B) { // rcu.Pointer.Load alone, no section
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				s = p.Load()
			}
			sink = s
		})
	})
	b.Run("impl=counter", func(b *testing.B) { // two atomic adds on a private padded counter
		b.RunParallel(func(pb *testing.PB) {
			c := new(struct {
				_ [64]byte
				n atomic.Int64
				_ [64]byte
			})
			var s *payload
			for pb.Next() {
				c.n.Add(1)
				s = ap.Load()
				c.n.Add(-1)
			}
			sink = s
		})
	})
	b.Run("impl=rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				mu.RLock()
				s = ap.Load()
				mu.RUnlock()
			}
			sink = s
		})
	})
}

// A flavorDomain is the write side that the three flavors share.
type flavorDomain interface {
	Synchronize()
	Call(fn func())
	Retire(v rcu.Reclaimer)
	Barrier()
	Close()
}

// flavorImpls are the flavors of the write-side benchmarks.
var flavorImpls = []string{"qsbr", "registered", "rcu"}

func newFlavor(impl string) flavorDomain {
	switch impl {
	case "qsbr":
		return qsbr.New()
	case "registered":
		return registered.New()
	}
	return rcu.New()
}

// startFlavorReaders is startReaders for every flavor: "none", or "busy",
// one goroutine in a tight loop of empty read sections (for qsbr, each
// followed by a quiescent state) until stop. The busy goroutine has
// registered its Reader when startFlavorReaders returns, and unregisters
// it before stop returns.
func startFlavorReaders(d flavorDomain, kind string) (stop func()) {
	if kind == "none" {
		return func() {}
	}
	if d, ok := d.(*rcu.Domain); ok {
		return startReaders(d, kind)
	}
	done, ready := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var sections func() // 100 sections
		switch d := d.(type) {
		case *qsbr.Domain:
			r := d.Register()
			defer r.Unregister()
			sections = func() {
				for range 100 {
					r.ReadLock()
					r.ReadUnlock()
					r.Quiescent()
				}
			}
		case *registered.Domain:
			r := d.Register()
			defer r.Unregister()
			sections = func() {
				for range 100 {
					r.ReadLock()
					r.ReadUnlock()
				}
			}
		}
		close(ready)
		for {
			select {
			case <-done:
				return
			default:
			}
			sections()
		}
	})
	<-ready
	return func() { close(done); wg.Wait() }
}

// BenchmarkFlavorSynchronize: one grace period of each flavor, with no
// readers and beside one busy reader; p50-ns and p99-ns as in
// BenchmarkSynchronize.
func BenchmarkFlavorSynchronize(b *testing.B) {
	for _, readers := range []string{"none", "busy"} {
		for _, impl := range flavorImpls {
			b.Run("impl="+impl+"/readers="+readers, func(b *testing.B) {
				d := newFlavor(impl)
				defer d.Close()
				defer startFlavorReaders(d, readers)()
				lat := make(latencies, 0, b.N)
				for b.Loop() {
					lat.time(d.Synchronize)
				}
				lat.report(b)
			})
		}
	}
}

// A retiree is a value retired by BenchmarkFlavorRetire: its Reclaim
// counts it in reclaimed, which only the callback goroutine of the
// benchmark's domain writes. (Its field gives each value an address of
// its own.)
type retiree struct{ _ int }

var reclaimed int

func (r *retiree) Reclaim() { reclaimed++ }

// BenchmarkFlavorRetire: b.N values replaced on one Pointer and retired,
// end to end: the Barrier that waits for the last Reclaim is inside the
// timing, so ns/op covers queueing, grace periods and invoking. The values
// are allocated before the timer starts. impl=rcu-call does the same
// through Call with a closure per value, as before Retire existed.
func BenchmarkFlavorRetire(b *testing.B) {
	for _, impl := range []string{"rcu", "qsbr", "registered", "rcu-call"} {
		b.Run("impl="+impl, func(b *testing.B) {
			d := newFlavor(strings.TrimSuffix(impl, "-call"))
			defer d.Close()
			vals := make([]retiree, b.N+1) // one allocation, before the timer
			var p rcu.Pointer[retiree]
			p.Store(&vals[b.N])
			reclaimed = 0
			b.ReportAllocs()
			b.ResetTimer()
			if impl == "rcu-call" {
				for i := range b.N {
					old := p.Swap(&vals[i])
					d.Call(func() { old.Reclaim() })
				}
			} else {
				for i := range b.N {
					rcu.Replace(d, &p, &vals[i])
				}
			}
			d.Barrier()
			b.StopTimer()
			if reclaimed != b.N {
				b.Fatalf("%d values reclaimed after Barrier, want %d", reclaimed, b.N)
			}
		})
	}
}
