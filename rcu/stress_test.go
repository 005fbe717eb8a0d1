package rcu_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

// TestStress mixes every writer-side operation against nested, sleeping
// readers at several GOMAXPROCS values. Retired versions are poisoned with
// plain writes, so a premature reclaim shows up both in the explicit check
// and, under -race, as a data race.
func TestStress(t *testing.T) {
	type version struct {
		seq    uint64
		data   [4]uint64 // every word equals seq while the version is live
		poison bool
	}
	dur := 300 * time.Millisecond
	if testing.Short() {
		dur = 100 * time.Millisecond
	}
	for _, procs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			d := rcu.New(rcu.WithMaxPending(256))
			t.Cleanup(d.Close)
			var p rcu.Pointer[version]
			p.Store(&version{seq: 1, data: [4]uint64{1, 1, 1, 1}})
			stop := make(chan struct{})
			var bad, reads atomic.Int64
			var wg sync.WaitGroup
			for r := range 4 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(r), 1))
					for {
						select {
						case <-stop:
							return
						default:
						}
						depth := 1 + rng.IntN(3)
						toks := make([]rcu.Token, depth)
						for i := range toks {
							toks[i] = d.ReadLock()
						}
						v := p.Load()
						switch rng.IntN(64) {
						case 0:
							time.Sleep(50 * time.Microsecond)
						case 1, 2, 3:
							runtime.Gosched()
						}
						if v.poison || v.data != [4]uint64{v.seq, v.seq, v.seq, v.seq} {
							bad.Add(1)
						}
						for i := depth - 1; i >= 0; i-- {
							d.ReadUnlock(toks[i])
						}
						reads.Add(1)
					}
				})
			}
			var versions atomic.Uint64
			versions.Store(1)
			retire := func(old *version) { old.poison = true }
			for w := range 3 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 2))
					for {
						select {
						case <-stop:
							return
						default:
						}
						n := versions.Add(1)
						old := p.Swap(&version{seq: n, data: [4]uint64{n, n, n, n}})
						switch rng.IntN(5) {
						case 0:
							d.Synchronize()
							retire(old)
						case 1:
							d.SynchronizeExpedited()
							retire(old)
						case 2:
							d.Call(func() { retire(old) })
						case 3:
							c := d.Snapshot()
							for !d.Poll(c) {
								runtime.Gosched()
								if rng.IntN(100) == 0 {
									d.WaitFor(c)
								}
							}
							retire(old)
						case 4:
							d.Call(func() { retire(old) })
							d.Barrier()
						}
					}
				})
			}
			time.Sleep(dur)
			close(stop)
			wg.Wait()
			d.Barrier()
			s := d.Stats()
			t.Logf("%d reads, %d versions, %+v", reads.Load(), versions.Load(), s)
			if bad.Load() != 0 {
				t.Fatalf("readers saw reclaimed or torn versions %d times", bad.Load())
			}
			if reads.Load() == 0 || s.GracePeriods == 0 {
				t.Fatal("the stress did no work")
			}
		})
	}
}
