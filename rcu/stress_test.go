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
	// Counts, not durations: every writer publishes at least this many
	// versions, and the writers go on until the readers have run at least
	// this many sections, however fast or loaded the machine is.
	versionsPerWriter, minReads := 400, int64(20000)
	if testing.Short() {
		versionsPerWriter, minReads = 100, 5000
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
			var writers sync.WaitGroup
			for w := range 3 {
				writers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 2))
					for i := 0; i < versionsPerWriter || reads.Load() < minReads; i++ {
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
			writers.Wait()
			close(stop)
			wg.Wait()
			d.Barrier()
			s := d.Stats()
			t.Logf("%d reads, %d versions, %+v", reads.Load(), versions.Load(), s)
			if bad.Load() != 0 {
				t.Fatalf("readers saw reclaimed or torn versions %d times", bad.Load())
			}
			if reads.Load() < minReads || s.GracePeriods == 0 {
				t.Fatalf("the stress did too little: %d reads, %d grace periods", reads.Load(), s.GracePeriods)
			}
		})
	}
}
