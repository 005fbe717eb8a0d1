// Package rcutest is a conformance suite for RCU implementations, in the
// manner of testing/fstest and log/slog/slogtest: describe your RCU as an
// ops table (rcuops.Ops) in a flavor (rcuops.Flavor), and one call runs
// every oracle of rcukit against it.
//
// In a _test.go file of your own module:
//
//	func TestConformance(t *testing.T) {
//		rcutest.Test(t, rcuops.Flavor{
//			Name: "myrcu",
//			Doc:  "my RCU",
//			New: func(env rcuops.Env) *rcuops.Ops {
//				d := myrcu.New()
//				return &rcuops.Ops{
//					Reader:      func() rcuops.Reader { return rcuops.TokenReader(d.Lock, d.Unlock) },
//					Synchronize: d.Synchronize,
//					Call:        d.Call,    // optional entries: leave nil what you lack,
//					Barrier:     d.Barrier, // and the checks that need them are skipped
//					Close:       d.Close,
//				}
//			},
//		})
//	}
//
// Test runs each check as a subtest (go test -run
// 'TestConformance/guarantees/Barrier' selects one), and a check that
// fails prints the go test command that runs it again, as printed, in the
// test's package directory (the torture runs add -rcutest.seed, so that
// the same configuration runs). Run does the same outside go test and
// returns a Report; Report.Err turns it into an error.
//
// # What runs
//
// The suite has four parts (see Parts), run in this order:
//
//   - Guarantees: one check per guarantee of the table model.Guarantees
//     that the kit checks, each on a fresh instance from Flavor.New, each
//     named after what it checks: Synchronize waits for readers that
//     began before it (on any goroutine, nested, and, when the
//     implementation declares the injection point rcuops.PointReadSampled,
//     a straggler that sampled the grace-period state just before an
//     earlier grace period); a stream of later readers does not hold it
//     off; readers, nested ones included, never wait for grace periods;
//     the grace-period counter advances and concurrent Synchronize calls
//     (and expedited ones) share grace periods; callbacks run after a
//     grace period, exactly once, a batch behind one grace period; Barrier
//     waits for earlier callbacks; Poll reports completion only after a
//     full grace period, never while a reader that was inside at the
//     Snapshot is still inside; Publish initializes before it stores;
//     registered readers are waited for; two instances are independent.
//     A check whose optional operation is missing is skipped, with a note.
//     An RCU whose readers may wait behind a grace period, as one built on
//     sync.RWMutex does, says so with BlockingReaders (see the example).
//   - Torture: a short torture.Run (DefaultTortureDuration, see
//     TortureDuration) with readers, writers, callbacks, barriers,
//     polling, callback floods and, when the implementation has injection
//     points, random delays at them. It must end in SUCCESS.
//   - History: a torture.Run whose operations are recorded and checked,
//     segment by segment, against the RCU model (package model) by
//     package linearize: the history must be linearizable.
//   - Corpus: every schedule of the schedule fuzzer's committed corpus
//     (package fuzz) is replayed on the implementation, with holds at the
//     injection points it shares with rcukit's flavors, and its history
//     checked.
//
// A failure names the rule of model.Guarantees it found broken
// (Result.Rule), and its message begins with the rule's property, such as
// "grace period: Synchronize returned while a reader that began before it
// was still inside".
//
// # What it can and cannot prove
//
// It tests; it does not prove. A pass says that these checks saw no
// violation in this run, nothing more.
//
// The guarantee checks use one-sided timing. They wait a short while
// (50 ms) for things that must not happen yet, such as Synchronize
// returning while a reader is inside, and a long while (Patience) for
// things that must happen. Both are measured in progress time, the time
// the process actually had to run, so a correct implementation does not
// fail on a slow or loaded machine; with Synctest they are measured on a
// synctest bubble's fake clock instead, and take no wall-clock time. A
// torture or history run that could not gather enough evidence, or whose
// model check could not decide, is Inconclusive: under Test, a skip whose
// message starts with "INCONCLUSIVE"; never a pass.
//
// A broken implementation is caught only if its bug shows within that
// short while, in the scenario the check builds. The checks build the
// common scenarios deterministically: held readers, nested sections,
// several goroutines. A bug that needs a narrow interleaving, such as a
// reader missed because it sampled an index just before a flip, is found
// deterministically only through an injection point the implementation
// declares (rcuops.PointReadSampled). Without one it is left to the
// torture run's random stress and the fuzz corpus, which can miss it:
// stress alone is known to miss such windows even after hundreds of
// millions of reads.
//
// Liveness is checked only as "within Patience": a grace period that is
// merely very slow passes. Forward progress under callback floods is
// checked only as far as the short torture run goes. The history check
// judges only the operations recorded (a sample of the read sections).
// The corpus exercises the injection points an implementation shares
// with rcukit's flavors, and less on one that declares none.
// Memory-safety bugs that Go's garbage collector hides (a "freed" object
// that is still readable) are caught only where the torture engine
// poisons and checks its elements; run the suite under -race too, so that
// a premature reuse of the engine's plain payload shows up as a data race.
//
// The suite's own tests hold it to these claims: every implementation of
// rcukit's shared set of broken ones (internal/broken) that the kit must
// catch fails, at a check whose rule explains the bug, and every check is
// the first to catch one of them.
//
// # Goroutines
//
// Every goroutine a check starts ends before the check returns, and the
// instance is then closed (Ops.Close). The exception is a goroutine that
// is stuck inside the implementation (a deadlock): it cannot be ended, so
// after Patience it is abandoned, and the check fails saying so.
package rcutest
