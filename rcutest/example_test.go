package rcutest_test

import (
	"fmt"
	"sync"

	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/rcutest"
)

// An RCU of one's own, as it would live in another module: read sections
// hold a sync.RWMutex for reading, and a grace period takes it for
// writing once, which waits out every reader inside.
type rwRCU struct{ mu sync.RWMutex }

func (r *rwRCU) Synchronize() {
	r.mu.Lock()
	//lint:ignore SA2001 taking the write lock is the wait for every reader
	r.mu.Unlock()
}

// rwReader is one goroutine's reader. sync.RWMutex forbids recursive read
// locking, so nested sections count their depth and only the outermost
// one takes the lock.
type rwReader struct {
	rcu   *rwRCU
	depth int
}

func (r *rwReader) Lock() {
	if r.depth == 0 {
		r.rcu.mu.RLock()
	}
	r.depth++
}

func (r *rwReader) Unlock() {
	if r.depth--; r.depth == 0 {
		r.rcu.mu.RUnlock()
	}
}

// Validate an RCU that lives outside this module: describe it as an
// rcuops.Flavor (the ops table; entries left nil are skipped), then run
// the suite. In a _test.go file, rcutest.Test(t, flavor) runs the same
// checks as subtests, and says how to run a failing one again.
func Example() {
	flavor := rcuops.Flavor{
		Name: "rwrcu",
		Doc:  "an RCU on a sync.RWMutex",
		New: func(rcuops.Env) *rcuops.Ops {
			r := new(rwRCU)
			return &rcuops.Ops{
				Reader:      func() rcuops.Reader { return &rwReader{rcu: r} },
				Synchronize: r.Synchronize,
			}
		},
	}
	report := rcutest.Run(flavor,
		// Its readers wait behind a waiting grace period, as RWMutex
		// readers wait behind a waiting writer: say so, or the check
		// ReadersNeverWaitForGracePeriods fails.
		rcutest.BlockingReaders(),
	)
	if err := report.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rwrcu conforms")
	// Output: rwrcu conforms
}
