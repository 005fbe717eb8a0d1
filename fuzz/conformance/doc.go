// Package conformance is a test suite for RCU implementations: anyone who
// fills in the torture ops table (rcuops.Ops) for their own RCU can run
// every oracle of rcukit against it with one call.
//
// In a _test.go file of your own module:
//
//	func TestConformance(t *testing.T) {
//		conformance.Test(t, rcuops.Flavor{
//			Name: "myrcu",
//			Doc:  "my RCU",
//			New: func(env rcuops.Env) *rcuops.Ops {
//				d := myrcu.New()
//				return &rcuops.Ops{
//					Reader:      func() rcuops.Reader { return rcuops.TokenReader(d.Lock, d.Unlock) },
//					Synchronize: d.Synchronize,
//					Call:        d.Call,
//					Barrier:     d.Barrier,
//					Close:       d.Close,
//				}
//			},
//		})
//	}
//
// Test runs each check as a subtest (go test -run 'TestConformance/guarantees/Barrier'
// selects one); Check and Run do the same outside go test and return an
// error or a Report.
//
// # What runs
//
// The suite has four parts (see Parts), run in this order:
//
//   - Guarantees: one check per guarantee, each on a fresh instance from
//     Flavor.New, each named after its guarantee: Synchronize waits for
//     readers that began before it (on any goroutine, nested, and, when
//     the implementation declares the injection point "read-sampled", a
//     straggler that sampled the grace-period state just before an
//     earlier grace period); a stream of later readers does not hold it
//     off; readers, nested ones included, never wait for grace periods;
//     the grace-period counter advances and concurrent Synchronize calls
//     (and expedited ones) share grace periods; callbacks run after a
//     grace period, exactly once; Barrier waits for earlier callbacks;
//     Poll reports completion only after a full grace period, never while
//     a reader that was inside at the Snapshot is still inside; Publish
//     initializes before it stores; registered readers are waited for. A
//     check whose optional operation is missing is skipped, with a note.
//     An RCU whose readers may wait behind a grace period, as one built on
//     sync.RWMutex does, says so with BlockingReaders (see the example).
//   - Torture: a short torture.Run (DefaultTortureDuration, see
//     TortureDuration) with readers, writers, callbacks, barriers,
//     polling, callback floods and, when the implementation has injection
//     points, random delays at them. It must end in SUCCESS (INCONCLUSIVE,
//     on a machine too loaded to judge, is reported as Inconclusive).
//   - History: a torture.Run whose operations are recorded and checked,
//     segment by segment, against the RCU model (package model) by
//     package linearize: the history must be linearizable. A check that
//     cannot decide is reported as Inconclusive, never as a pass.
//   - Corpus: every schedule of the schedule fuzzer's committed corpus
//     (package fuzz) is replayed on the implementation, with the fuzzer's
//     rendezvous points, and its history checked.
//
// A failure's message begins with the guarantee it found broken, such as
// "grace period: Synchronize returned while a reader that began before it
// was still inside"; a torture failure also gives the run's seed.
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
// fail on a slow or loaded machine. A torture or history run that could
// not gather enough evidence, or whose model check could not decide, is
// Inconclusive: under Test, a skip whose message starts with
// "INCONCLUSIVE"; never a pass. A broken one is caught only if its bug shows within
// that short while, in the scenario the check builds. The checks build
// the common scenarios deterministically: held readers, nested sections,
// several goroutines. A bug that needs a narrow interleaving, such as a
// reader missed because it sampled an index just before a flip, is
// found deterministically only through an injection point the
// implementation declares ("read-sampled"). Without one it is left to the
// torture run's random stress and the fuzz corpus, which can miss it.
// Stress alone is known to miss such windows even after hundreds of
// millions of reads.
//
// Liveness is checked only as "within Patience": a grace period that is
// merely very slow passes. Forward progress under callback floods is
// checked only as far as the short torture run goes. The history check
// judges only the operations recorded (a sample of the read sections).
// The corpus replays the schedules committed in this module's fuzz
// corpus; they exercise the injection points an implementation shares
// with rcukit's flavors, and exercise less on one that declares none.
// Memory-safety bugs that Go's garbage collector hides (a "freed"
// object that is still readable) are caught only where the torture
// engine poisons and checks its elements; run the suite under -race too,
// so that a premature reuse of the engine's plain payload shows up as a
// data race.
//
// The suite's own tests hold it to these claims: every broken flavor of
// package torture/flavors, and broken doubles for the checks those do not
// reach, must fail, with the check that catches each asserted.
//
// # Goroutines
//
// Every goroutine a check starts ends before the check returns, and the
// instance is then closed (Ops.Close). The exception is a goroutine that
// is stuck inside the implementation (a deadlock): it cannot be ended, so
// after Patience it is abandoned, and the check fails saying so.
package conformance
