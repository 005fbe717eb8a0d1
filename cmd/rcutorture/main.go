// Command rcutorture stresses an RCU implementation the way Linux's
// rcutorture does, and ends with a verdict. It is torture.Main over the
// flavors of package torture/flavors; an outside module builds the same
// command for its own RCU with a main of three lines (see torture.Main).
//
// Usage:
//
//	rcutorture [flags]
//
// It runs readers, a writer, fake writers and the workers around them
// (barrier tester, callback floods, read-exit goroutines, stutter, shuffle)
// against one flavor for -duration, printing stats every -stat-interval,
// and ends, after the seed and the command that reproduces the run, with
// one of three verdicts:
//
//	End of test: SUCCESS                 exit status 0
//	End of test: FAILURE: <kinds>        exit status 1
//	End of test: INCONCLUSIVE: <why>     exit status 3
//
// Bad flags exit with status 2. Each kind of FAILURE names the check that
// failed ("pipe", "sync-gp", "barrier", ..., "check"), and each check the
// guarantee of the model's table that it saw broken (torture.Kind). The
// reproduce command runs as printed from the root of this module:
//
//	rcutorture: reproduce: go run ./cmd/rcutorture -flavor busted-sync -duration 30s ... -seed 7 ...
//
// with -race and -tags as this binary was built.
//
// INCONCLUSIVE means the run could not judge, which is neither a pass nor
// a bug in the flavor: the machine starved it so that it gathered too
// little evidence (no reader completed a section, or no element was
// freed) even after -overtime (default 30s) past -duration, or the -check
// model checker could not decide. The liveness checks (writer stalls,
// stuck workers, callback floods, grace period stall reports) measure
// their thresholds in progress time, the time the process actually had to
// run, so a loaded machine delays them rather than failing a correct
// flavor. SIGINT ends the run early, cleanly, with the final stats and a
// verdict; -duration 0 runs until interrupted. -list shows the flavors;
// broken flavors are negative controls that must end in FAILURE.
//
// -check also records the run's history (every write-side operation and
// one read section in -record-reads) and checks it against the RCU model
// with the linearize package, segment by segment, at every stutter pause.
// An illegal segment is a FAILURE of kind check that names the rule broken
// and the path of porcupine's HTML visualization (written to -check-html,
// a directory or a file). With -check the stutter period defaults to 200ms
// instead of 5s, so that segments stay small enough to check.
package main

import (
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

func main() { torture.Main(append(flavors.All(), flavors.Elsewhere()...)...) }
