// Package torture is a stress engine for RCU implementations in the manner
// of Linux's rcutorture: one generic engine, any number of flavors, each
// described by an ops table (rcuops.Ops), and a verdict at the end of
// every run.
//
// The engine does not know any RCU. A flavor (rcuops.Flavor) names an
// implementation, and its New function builds an instance and returns its
// Ops: a token-style Reader factory and Synchronize are required,
// everything else (registered readers, expedited grace periods, Call and
// Barrier, polled cookies, a grace-period counter, a pending-callback
// count, stall reports, a publish hook, injection points) is optional; the
// engine skips what is missing and says so. A Reader that is also an
// rcuops.Releaser is released on the goroutine that used it once that
// goroutine is done with it. The flavors of this module, correct and
// deliberately broken, live in package torture/flavors.
//
// Run runs one flavor from a Go program or test. Main is the whole
// command line around it; cmd/rcutorture is Main over the flavors of
// torture/flavors, and an outside module gets the same command for its own
// RCU with a main of three lines:
//
//	package main
//
//	import (
//		"example.com/myrcu"
//		"github.com/rcukit/rcukit/torture"
//	)
//
//	func main() { torture.Main(myrcu.Flavors()...) }
//
// Every run prints the command that reproduces it, and that command runs
// as printed: Main's binary knows the command that runs it again
// (Config.Program, "go run ./cmd/myrcutorture"); a run started with Run
// directly says instead how to get one (see Config.Command).
//
// # How a run catches bugs
//
// The checks are built into the data. One writer publishes elements from a
// pool; each carries an age (0 while current, 1 once replaced, +1 per grace
// period completed after that) and is poisoned and reused at age PipeLen.
// Readers, in nested sections with random delays, load the current element
// and check it is initialized and not freed, and record its age at the end
// of the section: age 2 or more means a grace period that began after the
// element's removal ended while the reader still held it (Reader Pipe
// histogram). Besides:
//
//   - a flavor with a grace-period counter (Ops.GPs) must count a grace
//     period inside every Synchronize, between every Call and its callback,
//     and before every Poll that reports completion; a section that sees
//     the count advance by two or more is a near miss (Reader Batch
//     histogram), reported but not a failure;
//   - a cookie a reader takes inside its section must not poll complete
//     before the section ends;
//   - a barrier tester queues callbacks and calls Barrier, after which all
//     of them must have run; fake writers check every Barrier against the
//     engine's own callback counts;
//   - forward-progress floods queue callbacks as fast as Call takes them:
//     callbacks must keep being invoked, and the pending count must stay
//     below Config.FwdBound;
//   - a writer that publishes no new version for a whole stats interval is
//     a FAILURE, with a dump of what it was doing;
//   - readers also read a plain (non-atomic) payload that the writer
//     rewrites only when it recycles an element, so that under -race a
//     premature reuse is also a data race (Config.Payload).
//
// Around the core, stutter pauses every worker at a quiescent point, shuffle
// changes GOMAXPROCS, and read-exit goroutines read once and exit.
//
// Narrow windows get help: a flavor may declare injection points (such as
// "read-sampled", between sampling a grace-period index and counting the
// reader), and the engine's injector then spins, yields, sleeps or holds
// the goroutine there on a fraction of hits. A reader held up inside its
// Lock keeps its section open for a few milliseconds with a polled cookie,
// so that a grace period that misses it shows.
//
// Stress can miss bugs: a SUCCESS says only that these checks saw nothing
// in this run. The broken flavors of torture/flavors (the bugs of
// internal/broken meant for the engine) show what it does catch, and how
// fast.
//
// # Failures are typed
//
// Each check has a Kind ("pipe", "sync-gp", "barrier", ... "check"), and
// each Kind names the guarantee of the model's table (model.Guarantees)
// that its failure sees broken: Kind.Rule. A run's Result lists its
// failures, one Failure per Kind, with how many times the check failed,
// its first message and when; Failure.String is the text the report
// prints. A history-check failure (KindCheck) carries the checker's
// linearize.Result, and takes its rule from it. Nothing needs to read a
// message to tell what failed.
//
// # A slow machine is not a failure
//
// A verdict must not depend on how fast the machine is. Two rules keep it
// so.
//
// Health is judged by counts. A run can judge only if it did its job:
// every reader completed at least one section, and at least one element
// reached age PipeLen and was freed (a starved writer makes a broken RCU
// look fine, since the freed-element checks never run). When Duration is
// over and these health criteria are not met yet, the run goes on in
// overtime until they are, for at most Config.Overtime; a run that has
// failed, or is interrupted, does not. A run that still has not met them
// is INCONCLUSIVE, never a SUCCESS, and not a FAILURE either: the flavor
// did nothing wrong.
//
// Liveness is measured in progress time. Every check that fails a run
// because something did not happen in time (a writer stall, workers that
// do not park for a pause or stop at the end, callbacks that are not
// invoked, a callback flood that stops making progress) measures its
// threshold in the time the process actually had to run, not wall-clock
// time: a loaded machine stretches the threshold, and a stopped process
// never reaches it. A flavor's own grace-period stall reports (Env.Stall)
// come from its wall clock; one counts as a FAILURE only if the process
// had at least half of the StallTimeout window to run, and is otherwise
// printed as a note and counted in the health line as a liveness check
// not judged.
//
// # Report
//
// Run prints a header (flavor, configuration, supported operations,
// workers), a block of stats every Config.StatInterval, every failure as it
// happens (lines marked "!!!"), when overtime starts and ends, the final
// stats, a health line, the seed and the command that reproduces the
// configuration ("rcutorture: reproduce: ..."), for a FAILURE one
// "rcutorture: failure: ..." line per Kind and when the first failure
// happened, and finally exactly one of
//
//	End of test: SUCCESS
//	End of test: FAILURE: <kinds>
//	End of test: INCONCLUSIVE: <why>
//
// FAILURE if any check failed; else INCONCLUSIVE if the run could not
// judge: it left a health criterion unmet, or the history check could not
// decide (see Recorder and ErrInconclusive); else SUCCESS. An INCONCLUSIVE
// run is not a pass: run it again, longer, or on a quieter machine, with
// the command it prints.
//
// # History checking
//
// With Config.Recorder set, every worker records its operations (see
// Recorder), and at each stutter pause, a quiescent point, the history
// since the last pause is handed to the recorder to check. NewChecker
// returns one backed by package linearize, which checks each segment
// against the RCU model; an illegal segment is a KindCheck FAILURE naming
// the rule broken and the path of its visualization (a *CheckError, whose
// linearize.Result the Failure keeps), and a segment the checker cannot
// decide makes the run INCONCLUSIVE (the error wraps ErrInconclusive).
package torture
