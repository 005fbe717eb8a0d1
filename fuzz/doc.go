// Package fuzz drives RCU implementations through chosen interleavings
// and checks what they did against the model.
//
// The schedule fuzzer turns any byte string into a script of RCU
// operations over four actor goroutines (A to D): read sections that load
// the RCU-protected version, publications, Synchronize or Call followed
// by reclamation, Barrier, polled cookies, fresh Readers, and holds that
// park an actor, or the flavor's own grace-period and callback
// goroutines, at an injection point until a later step releases it.
// Holds make rare interleavings happen on every run: a reader parked
// between sampling the grace-period index and counting itself while a
// whole Synchronize runs, a publication parked between making a version
// reachable and initializing it, a callback parked before it runs while
// Barrier is called. RunSchedule runs one script on a fresh instance of
// an rcuops.Flavor, records the history with linearize, and checks it
// against the model; Seeds returns the committed corpus.
//
// A run that fails returns a *Failure. Its Kind says how: Illegal (the
// model found the history illegal; Rule names the rule broken, such as
// model.SyncEarly), Hang (operations never finished once everything was
// released; Rule is model.Progress), Panic, Inconclusive (the check could
// not decide: neither a pass nor a failure) or OracleDisagreement (a bug
// of rcukit's two history checkers). Its message gives the checker's
// report, the schedule step by step, and a command that replays the
// input (through the TestReplay test of this package, for the flavors of
// this module).
//
// # The encoding
//
// Each step is one row of a table of actions (action.go): its name, its
// code, whether it blocks, how it decodes and how it runs. A step's first
// byte holds a basic code, the actor and a small argument; the sixteen
// basic codes are taken, and new actions take extended codes, reached
// through an escape byte. Injection points are named by their index in a
// frozen list, or, for new points, by stable numbers. A basic code, an
// extended code once given and a point number once given never change
// meaning, and the escape is a byte that no committed input has, so no
// new action or point re-means a committed input: testdata/corpus.golden
// pins what each one means, and the tests check every input against a
// frozen copy of the first decoder up to its first escape (schedule.go
// has the argument).
//
// # The corpus
//
// The corpus (testdata/fuzz/FuzzSchedule) holds hand-written scenarios,
// one per guarantee, and the shrunk inputs with which go test -fuzz found
// each broken flavor (found-<flavor>), kept as regression inputs: all of
// them pass on every correct flavor, and each bug of internal/broken that
// the fuzzer must catch fails on its scenario, with a rule the bug
// explains (model.Explains).
//
// The package imports only the standard library, rcuops, model, linearize
// and internal/progress, so it can judge implementations that live
// outside this module (see the conformance kit). Its tests hold the fuzz
// targets:
//
//   - FuzzSchedule: the classic flavor, whose injection points exist in
//     every build, or the flavor RCUKIT_FUZZ_FLAVOR names;
//   - FuzzReferenceSchedule: the reference rcu.Domain, which has
//     injection points only with -tags rcuinject;
//   - FuzzDomainStateMachine, FuzzListStateMachine: rapid state machines
//     that compare the reference (through its ops table) and rcu.List with
//     the model action by action;
//   - FuzzDomainConcurrentPlans, FuzzListConcurrentPlans: rapid-drawn
//     plans for several goroutines, run at once and checked as a history.
//
// One target per go test -fuzz run, for example:
//
//	go test -run '^$' -fuzz '^FuzzSchedule$' -fuzztime 60s -fuzzminimizetime 100x ./fuzz
//	RCUKIT_FUZZ_FLAVOR=busted-flip go test -run '^$' -fuzz '^FuzzSchedule$' -fuzzminimizetime 100x ./fuzz
//
// go test -fuzz minimizes every new input it keeps, for up to a minute
// each by default; for the rapid targets, whose inputs are long, that can
// take a whole short run. make fuzz passes -fuzzminimizetime 100x, which
// bounds it.
//
// What it can and cannot show: a failing schedule is a definite
// violation (or a hang, or a check that could not decide), because the
// verdict depends only on the recorded history, never on timing. Whether
// it reproduces depends on how it got there. When its holds build the
// interleaving, as the hand-written scenarios' holds do, it fails on
// nearly every run (44-50 of 50 under -race on a loaded machine: the
// controller's waits are bounded, so a stalled goroutine can still
// dodge the interleaving). When the scheduler had to preempt a goroutine
// inside a narrow window, as most of go test -fuzz's finds on the
// counter-flip flavors do, it fails only sometimes; the fuzz targets
// replay every failure a few times and say how often it failed. A
// passing corpus shows nothing about the interleavings it does not
// reach; bugs that need more than four actors, more than maxSteps steps,
// or a window no injection point opens, can stay hidden.
package fuzz
