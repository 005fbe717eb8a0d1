package torture_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

// Torture the reference for a second, then a broken flavor whose
// Synchronize returns at once (without the plain payload: see below). A run of a correct flavor ends in SUCCESS;
// the broken one ends in FAILURE, each failure naming the guarantee of
// the model that it saw broken. (A run on a machine too starved to judge
// even in overtime would end INCONCLUSIVE instead, never FAILURE.)
func ExampleRun() {
	cfg := torture.DefaultConfig()
	cfg.Duration = time.Second
	cfg.Seed = 1
	cfg.Out = io.Discard // the rcutorture report, line by line; nil: standard output
	// The plain payload exists for the race detector: a broken flavor's
	// premature reuse is then a data race, which -race reports (and fails
	// the whole test binary for). Off, as for every run of a broken flavor.
	cfg.Payload = false

	for _, name := range []string{"rcu", "busted-sync"} {
		f, _ := flavors.Lookup(name)
		res := torture.Run(context.Background(), f, cfg)
		fmt.Println(name, res.Verdict)
		if i := slices.IndexFunc(res.Failures, func(f torture.Failure) bool { return f.Kind == torture.KindSyncGP }); i >= 0 {
			fmt.Printf("  %s breaks %s\n", res.Failures[i].Kind, res.Failures[i].Rule())
		}
	}
	// Output:
	// rcu SUCCESS
	// busted-sync FAILURE
	//   sync-gp breaks sync-early
}
