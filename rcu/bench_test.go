package rcu_test

// Benchmarks, each beside a baseline measured in the same run. Compare with
//
//	go test -run '^$' -bench . -count 10 -cpu 1,2 ./rcu > new.txt
//	benchstat -col /impl new.txt

import (
	"container/list"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

type payload struct{ a, b int }

var sink *payload

// BenchmarkRead: one read section that loads a shared pointer.
func BenchmarkRead(b *testing.B) {
	var ap atomic.Pointer[payload]
	ap.Store(&payload{1, 2})
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
	// The same while a grace period is pending, held up by a reader that
	// stays in its section: each ReadLock yields the processor first
	// (see the package documentation on oversubscription).
	b.Run("impl=rcu-gp-pending", func(b *testing.B) {
		d := rcu.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		held := d.ReadLock()
		waiting := make(chan struct{})
		go func() { d.Synchronize(); close(waiting) }()
		defer func() { d.ReadUnlock(held); <-waiting }()
		for d.Stats().GPSeq == 0 { // until the grace period has started
			time.Sleep(time.Millisecond)
		}
		b.ResetTimer()
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
	b.Run("impl=atomic", func(b *testing.B) { // the GC-only floor
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				s = ap.Load()
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
}

// startReaders runs background readers of the given kind until stop:
// "none"; "busy", one goroutine in a tight loop of short sections; or
// "sleepy", one goroutine whose sections each sleep 100us, as a reader
// blocked on I/O would.
func startReaders(d *rcu.Domain, kind string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	if kind != "none" {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if kind == "sleepy" {
					d.Read(func() { time.Sleep(100 * time.Microsecond) })
					continue
				}
				for range 100 {
					d.ReadUnlock(d.ReadLock())
				}
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

// latencies records each operation's time and reports the median.
type latencies []time.Duration

func (l *latencies) time(f func()) {
	t0 := time.Now()
	f()
	*l = append(*l, time.Since(t0))
}

func (l latencies) report(b *testing.B) {
	slices.Sort(l)
	if len(l) > 0 {
		b.ReportMetric(float64(l[len(l)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(l[len(l)*99/100].Nanoseconds()), "p99-ns")
	}
}

// BenchmarkSynchronize: one grace period, with no readers and beside a
// busy reader. The baseline is the write side of a reader-writer lock,
// which also waits for readers.
func BenchmarkSynchronize(b *testing.B) {
	for _, readers := range []string{"none", "busy"} {
		for _, impl := range []string{"rcu", "rcu-expedited"} {
			b.Run("impl="+impl+"/readers="+readers, func(b *testing.B) {
				d := rcu.New()
				defer d.Close()
				sync := d.Synchronize
				if impl == "rcu-expedited" {
					sync = d.SynchronizeExpedited
				}
				defer startReaders(d, readers)()
				lat := make(latencies, 0, b.N)
				for b.Loop() {
					lat.time(sync)
				}
				lat.report(b)
			})
		}
		b.Run("impl=rwmutex/readers="+readers, func(b *testing.B) {
			var mu sync.RWMutex
			done := make(chan struct{})
			var wg sync.WaitGroup
			if readers == "busy" {
				wg.Go(func() {
					for {
						select {
						case <-done:
							return
						default:
						}
						for range 100 {
							mu.RLock()
							//lint:ignore SA2001 an empty read section is the baseline
							mu.RUnlock()
						}
					}
				})
			}
			lat := make(latencies, 0, b.N)
			for b.Loop() {
				lat.time(func() {
					mu.Lock()
					//lint:ignore SA2001 waiting for readers is the point
					mu.Unlock()
				})
			}
			close(done)
			wg.Wait()
			lat.report(b)
		})
	}
}

// BenchmarkSynchronizeOversubscribed: one Synchronize while readers
// goroutines spin through empty read sections, as many as or more than
// there are Ps (-cpu). A reader the scheduler preempts inside its section
// holds the grace period until it runs again. The baseline is the write
// side of a sync.RWMutex beside readers spinning through RLock and
// RUnlock; impl=rcu-noyield (only with -tags rcuinject) is the reference
// without the yield of new readers while a grace period is pending, as it
// was before that yield. sections/op counts the readers' sections during
// one wait.
func BenchmarkSynchronizeOversubscribed(b *testing.B) {
	for _, readers := range []int{1, 2, 4, 8} {
		for _, impl := range oversubscribedImpls() {
			b.Run(fmt.Sprintf("impl=%s/readers=%d", impl.name, readers), func(b *testing.B) {
				section, wait, stop := impl.make()
				defer stop()
				var sections atomic.Int64
				done := make(chan struct{})
				var wg sync.WaitGroup
				for range readers {
					wg.Go(func() {
						for {
							select {
							case <-done:
								return
							default:
							}
							for range 64 {
								section()
							}
							sections.Add(64)
						}
					})
				}
				lat := make(latencies, 0, b.N)
				before := sections.Load()
				for b.Loop() {
					lat.time(wait)
				}
				b.ReportMetric(float64(sections.Load()-before)/float64(b.N), "sections/op")
				close(done)
				wg.Wait()
				lat.report(b)
			})
		}
	}
}

// An oversubscribedImpl makes an empty read section and a wait for every
// earlier reader.
type oversubscribedImpl struct {
	name string
	make func() (section, wait, stop func())
}

func domainImpl(name string, opts ...rcu.Option) oversubscribedImpl {
	return oversubscribedImpl{name, func() (section, wait, stop func()) {
		d := rcu.New(opts...)
		return func() { d.ReadUnlock(d.ReadLock()) }, d.Synchronize, d.Close
	}}
}

var rwmutexImpl = oversubscribedImpl{"rwmutex", func() (section, wait, stop func()) {
	var mu sync.RWMutex
	section = func() {
		mu.RLock()
		//lint:ignore SA2001 an empty read section is the point
		mu.RUnlock()
	}
	wait = func() {
		mu.Lock()
		//lint:ignore SA2001 waiting for readers is the point
		mu.Unlock()
	}
	return section, wait, func() {}
}}

// BenchmarkSynchronizeConcurrent: one op is a round in which every caller
// runs one Synchronize at the same time; gps/op counts the grace periods a
// round took. impl=noop is the harness alone: the same goroutines and
// channels with no Synchronize.
func BenchmarkSynchronizeConcurrent(b *testing.B) {
	for _, readers := range []string{"none", "sleepy"} {
		for _, impl := range []string{"rcu", "noop"} {
			for _, callers := range []int{1, 64} {
				if impl == "noop" && readers != "none" {
					continue
				}
				b.Run(fmt.Sprintf("impl=%s/readers=%s/callers=%d", impl, readers, callers), func(b *testing.B) {
					d := rcu.New()
					defer d.Close()
					defer startReaders(d, readers)()
					op := d.Synchronize
					if impl == "noop" {
						op = func() {}
					}
					before := d.Stats().GracePeriods
					rounds(b, callers, op)
					b.ReportMetric(float64(d.Stats().GracePeriods-before)/float64(b.N), "gps/op")
				})
			}
		}
	}
}

// rounds times b.N rounds of callers goroutines running op once each.
func rounds(b *testing.B, callers int, op func()) {
	var round, wg sync.WaitGroup
	starts := make([]chan struct{}, callers)
	for i := range starts {
		starts[i] = make(chan struct{})
		wg.Go(func() {
			for range starts[i] {
				op()
				round.Done()
			}
		})
	}
	for b.Loop() {
		round.Add(callers)
		for _, s := range starts {
			s <- struct{}{}
		}
		round.Wait()
	}
	for _, s := range starts {
		close(s)
	}
	wg.Wait()
}

// BenchmarkCall: callbacks queued by one goroutine and run end to end
// (the Barrier is inside the timing). The baseline hands each function to
// a goroutine over a buffered channel.
func BenchmarkCall(b *testing.B) {
	b.Run("impl=rcu", func(b *testing.B) {
		d := rcu.New()
		defer d.Close()
		var n int
		fn := func() { n++ }
		b.ReportAllocs()
		t0 := time.Now()
		for b.Loop() {
			d.Call(fn)
		}
		d.Barrier()
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "cbs/s")
	})
	b.Run("impl=chan", func(b *testing.B) {
		ch := make(chan func(), 1024)
		done := make(chan struct{})
		go func() {
			for fn := range ch {
				fn()
			}
			close(done)
		}()
		var n int
		fn := func() { n++ }
		b.ReportAllocs()
		t0 := time.Now()
		for b.Loop() {
			ch <- fn
		}
		close(ch)
		<-done
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "cbs/s")
	})
}

// BenchmarkListLookup: find a key in a 64-entry list, from parallel
// readers, against a container/list guarded by a sync.RWMutex.
func BenchmarkListLookup(b *testing.B) {
	const n = 64
	b.Run("impl=rcu", func(b *testing.B) {
		d := rcu.New()
		defer d.Close()
		l := rcu.NewList[int](d, nil)
		for i := range n {
			l.PushBack(i)
		}
		b.RunParallel(func(pb *testing.PB) {
			k := 0
			for pb.Next() {
				k = (k + 7) % n
				t := d.ReadLock()
				for e := range l.All() {
					if e.Value == k {
						break
					}
				}
				d.ReadUnlock(t)
			}
		})
	})
	b.Run("impl=rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		l := list.New()
		for i := range n {
			l.PushBack(i)
		}
		b.RunParallel(func(pb *testing.PB) {
			k := 0
			for pb.Next() {
				k = (k + 7) % n
				mu.RLock()
				for e := l.Front(); e != nil; e = e.Next() {
					if e.Value.(int) == k {
						break
					}
				}
				mu.RUnlock()
			}
		})
	})
}
