// Package peakmem measures the most memory a process uses while it does
// something, for the benchmarks and tests that hold a checker to a memory
// target.
package peakmem

import (
	"runtime/metrics"
	"time"
)

// Start samples the runtime's memory use every 5 ms until stop is called,
// and stop returns the largest heap (live and dead objects) and total
// (everything the runtime has mapped) seen, in bytes.
func Start() (stop func() (heap, total uint64)) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	var heap, total uint64
	read := func() {
		metrics.Read(samples)
		heap = max(heap, samples[0].Value.Uint64())
		total = max(total, samples[1].Value.Uint64())
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-finished
		read()
		return heap, total
	}
}
