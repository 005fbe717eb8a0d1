package fuzz

import (
	"errors"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"strings"
	"testing"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/torture/flavors"
)

var correctFlavors = []string{"rcu", "trivial", "classic"}

// TestSeedsPassOnCorrectFlavors replays the committed corpus, regression
// inputs included, on every correct flavor.
func TestSeedsPassOnCorrectFlavors(t *testing.T) {
	for _, name := range correctFlavors {
		t.Run(name, func(t *testing.T) {
			f := lookup(t, name)
			for _, s := range Seeds() {
				if err := RunSchedule(f, s.Data); err != nil {
					t.Errorf("seed %s: %v\nreproduce: go test %s-run '^TestSeedsPassOnCorrectFlavors$/^%s$' ./fuzz", s.Name, err, tags(f), name)
				}
			}
		})
	}
}

// TestRandomSchedulesPassOnCorrectFlavors runs pseudo-random inputs from
// a fixed seed on every correct flavor: no hang, no inconclusive check,
// no violation, no disagreement between the oracles.
func TestRandomSchedulesPassOnCorrectFlavors(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	for _, name := range correctFlavors {
		t.Run(name, func(t *testing.T) {
			f := lookup(t, name)
			for i, in := range randomInputs(n, 2) {
				if err := RunSchedule(f, in); err != nil {
					t.Fatalf("random input %d: %v\nreproduce: go test %s-run '^TestRandomSchedulesPassOnCorrectFlavors$/^%s$' ./fuzz", i, err, tags(f), name)
				}
			}
		})
	}
}

// TestRunScheduleConcurrently runs schedules on several goroutines at
// once, as the conformance kit may: runs share nothing (-race checks).
func TestRunScheduleConcurrently(t *testing.T) {
	f := lookup(t, "classic")
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			var err error
			for _, in := range randomInputs(10, uint64(10+g)) {
				if err = RunSchedule(f, in); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("%v\nreproduce: go test -race -run '^TestRunScheduleConcurrently$' ./fuzz", err)
		}
	}
}

func failureOf(t *testing.T, err error) *Failure {
	t.Helper()
	var fl *Failure
	if !errors.As(err, &fl) {
		t.Fatalf("error %v (%T) is not a *Failure", err, err)
	}
	return fl
}

// TestFailureNamesRuleAndSchedule checks what a Failure says: the rule,
// the checker's report, the input and the schedule, step by step.
func TestFailureNamesRuleAndSchedule(t *testing.T) {
	in := build(func(e *enc) { e.lockLoad(A).publish(C).syncReclaim(B).unlock(A).await(B) })
	// The controller's waits are bounded: on a loaded machine A's load
	// can come after C's publish, and the run is then legal. Up to 20
	// runs make that negligible.
	var err error
	for range 20 {
		if err = RunSchedule(lookup(t, "busted-sync"), in); err != nil {
			break
		}
	}
	fl := failureOf(t, err)
	msg := err.Error()
	for _, want := range []string{
		"fuzz: flavor busted-sync: grace period: sync-early\n",
		"rule sync-early: Synchronize returned while a reader that began before it was still inside",
		fmt.Sprintf("schedule of input %q:", in),
		"A: lock+load", "C: publish", "B: sync-reclaim", "A: unlock", "await B",
		fmt.Sprintf("reproduce: RCUKIT_FUZZ_FLAVOR=busted-sync RCUKIT_FUZZ_INPUT=%x go test -count=1 -run '^TestReplay$' ./fuzz\n", in),
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q:\n%s", want, msg)
		}
	}
	if fl.Kind != Illegal || fl.Rule != model.SyncEarly || fl.Check.Rule != model.SyncEarly || fl.Flavor != "busted-sync" || string(fl.Input) != string(in) || len(fl.History) == 0 {
		t.Errorf("Failure{Kind: %v, Rule: %q, Check.Rule: %q, Flavor: %q, Input: %q, %d events}", fl.Kind, fl.Rule, fl.Check.Rule, fl.Flavor, fl.Input, len(fl.History))
	}

	// The command runs TestReplay on the flavor and the input.
	env, cmd, _ := strings.Cut(fl.Command, " go ")
	if cmd != "test -count=1 -run '^TestReplay$' ./fuzz" {
		t.Errorf("command %q does not run TestReplay", fl.Command)
	}
	for _, kv := range strings.Fields(env) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	f, data, ok := replayFromEnv(t)
	if !ok || f.Name != "busted-sync" || string(data) != string(in) {
		t.Errorf("the command %q replays %q on %s", fl.Command, data, f.Name)
	}
}

// TestHoldsParkOnlyTheirTarget checks the attribution of injection hits:
// an actor's hold parks only that actor, and the grace-period hold only
// the flavor's own goroutines, even when an actor runs the grace period
// (classic runs Synchronize's grace period on the caller, its callbacks'
// on a goroutine of its own).
func TestHoldsParkOnlyTheirTarget(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"actor", build(func(e *enc) { e.hold(A, "read-sampled").lockLoad(B).unlock(B).lockLoad(A).release(A).unlock(A) }), "A@3:read-sampled"},
		{"gp-on-actor", build(func(e *enc) { e.holdGP("gp-start").lockLoad(A).syncReclaim(B).unlock(A) }), ""},
		{"gp", build(func(e *enc) { e.holdGP("callback").publish(C).callReclaim(C).barrier(D).releaseGP().await(D) }), "gp:callback"},
		{"actor-by-number", build(func(e *enc) { e.holdAt(A, "read-sampled").lockLoad(B).unlock(B).lockLoad(A).release(A).unlock(A) }), "A@3:read-sampled"},
		{"gp-by-number", build(func(e *enc) { e.holdGPAt("callback").publish(C).callReclaim(C).barrier(D).releaseGP().await(D) }), "gp:callback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A hold parks a goroutine only if it gets there before the
			// release, and the controller's waits for that are bounded:
			// on a loaded machine the flavor's goroutine can miss it. A
			// run that parks nothing is therefore retried, up to 20
			// times; a run that parks anything but the target fails.
			const runs = 20
			for run := 1; ; run++ {
				r, err := runSchedule(lookup(t, "classic"), c.in)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range r.hits {
					who := "gp"
					if h.actor != nil {
						who = fmt.Sprintf("%s@%d", actorName(h.actor.idx), h.step)
					}
					got = append(got, who+":"+string(h.point))
				}
				switch {
				case strings.Join(got, " ") == c.want:
					return
				case len(got) > 0 || c.want == "":
					t.Fatalf("parked %q; want %q; schedule:\n%s", got, c.want, r.sched)
				case run == runs:
					t.Fatalf("parked nothing in %d runs; want %q; schedule:\n%s", runs, c.want, r.sched)
				}
			}
		})
	}
}

// dropCalls is trivial with a Call that loses its callback.
var dropCalls = rcuops.Flavor{Name: "drop-calls", Doc: "loses callbacks", New: func(env rcuops.Env) *rcuops.Ops {
	f, _ := flavors.Lookup("trivial")
	ops := f.New(env)
	ops.Call = func(func()) {}
	ops.Barrier = nil
	return ops
}}

// TestHang checks that operations that never finish once everything was
// released are a Hang naming them: a Synchronize that never returns,
// and a callback that never runs.
func TestHang(t *testing.T) {
	defer func(d time.Duration) { hangTimeout = d }(hangTimeout)
	hangTimeout = 200 * time.Millisecond

	t.Run("synchronize", func(t *testing.T) {
		unblock := make(chan struct{})
		var ops *rcuops.Ops
		stuck := rcuops.Flavor{Name: "stuck-sync", Doc: "Synchronize never returns", New: func(env rcuops.Env) *rcuops.Ops {
			f, _ := flavors.Lookup("trivial")
			ops = f.New(env)
			ops.Synchronize = func() { <-unblock }
			return ops
		}}
		r, err := runSchedule(stuck, build(func(e *enc) { e.lockLoad(A).publish(B).syncReclaim(C).unlock(A) }))
		close(unblock)
		for _, a := range r.actors {
			<-a.done
		}
		ops.Close()
		fl := failureOf(t, err)
		if fl.Kind != Hang || fl.Rule != model.Progress || !strings.Contains(fl.Detail, "actor C: step 2  @2   C: sync-reclaim") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("callback", func(t *testing.T) {
		r, err := runSchedule(dropCalls, build(func(e *enc) { e.publish(B).callReclaim(C) }))
		r.ops.Close() // the run, having hung, left the instance open
		if fl := failureOf(t, err); fl.Kind != Hang || !strings.Contains(fl.Detail, "1 of 1 callbacks never ran") {
			t.Errorf("got %v", err)
		}
	})
}

// TestPanic checks that an operation that panics is a "panic" failure
// naming the step, not a crash of the test binary.
func TestPanic(t *testing.T) {
	var closeOps func()
	unlockPanics := rcuops.Flavor{Name: "unlock-panics", Doc: "Unlock panics", New: func(env rcuops.Env) *rcuops.Ops {
		f, _ := flavors.Lookup("trivial")
		ops := f.New(env)
		closeOps = ops.Close
		ops.Reader = func() rcuops.Reader { return panicky{} }
		ops.Close = nil // the sections it opened never end
		return ops
	}}
	err := RunSchedule(unlockPanics, build(func(e *enc) { e.lockLoad(A).unlock(A).publish(A) }))
	closeOps()
	fl := failureOf(t, err)
	if fl.Kind != Panic || fl.Rule != "" || !strings.Contains(fl.Detail, "actor A, step 1  @1   A: unlock: panic: unlock") {
		t.Errorf("got %v", err)
	}
}

type panicky struct{}

func (panicky) Lock()   {}
func (panicky) Unlock() { panic("unlock") }

// TestInconclusive checks that a check that cannot decide is a failure of
// its own kind, never a pass.
func TestInconclusive(t *testing.T) {
	defer func(d time.Duration) { checkTimeout = d }(checkTimeout)
	checkTimeout = time.Nanosecond
	err := RunSchedule(lookup(t, "classic"), build(func(e *enc) { e.lockLoad(A).publish(B).syncReclaim(C).unlock(A).await(C) }))
	if fl := failureOf(t, err); fl.Kind != Inconclusive || fl.Check.Verdict != linearize.Unknown || !strings.Contains(fl.Detail, "unknown: ") {
		t.Errorf("got %v", err)
	}
}

// TestOraclesAtOdds: a history the model finds legal and the direct
// checker does not is a bug of rcukit's oracles, and says so; an Illegal
// verdict that blames no operation is its own rule.
func TestOraclesAtOdds(t *testing.T) {
	savedModel, direct := checkModel, checkDirect
	defer func() { checkModel, checkDirect = savedModel, direct }()
	schedule := build(func(e *enc) { e.lockLoad(A).publish(B).syncReclaim(C).unlock(A).await(C) })

	checkDirect = func(linearize.History) linearize.Result {
		return linearize.Result{Verdict: linearize.Illegal, Rule: "sync-early", Detail: "planted"}
	}
	if fl := failureOf(t, RunSchedule(lookup(t, "classic"), schedule)); fl.Kind != OracleDisagreement || fl.Check.Detail != "planted" || !strings.Contains(fl.Detail, "planted") {
		t.Errorf("a disagreement of the oracles: got %v:\n%s", fl.Kind, fl.Detail)
	}

	checkDirect = direct
	checkModel = func(linearize.History, linearize.Options) linearize.Result {
		return linearize.Result{Verdict: linearize.Illegal, Detail: "no culprit"}
	}
	fl := failureOf(t, RunSchedule(lookup(t, "classic"), schedule))
	if fl.Kind != Illegal || fl.Rule != "" || !strings.Contains(fl.Detail, "no culprit") ||
		!strings.HasPrefix(fl.Error(), "fuzz: flavor classic: illegal history, with no single operation to blame\n") {
		t.Errorf("an Illegal verdict without a culprit: got %v, rule %q:\n%s", fl.Kind, fl.Rule, fl)
	}
}

// TestRunSchedulePanicsOnBadOps checks that unusable Ops are reported at
// once, naming the flavor.
func TestRunSchedulePanicsOnBadOps(t *testing.T) {
	f := rcuops.Flavor{Name: "half-polled", New: func(env rcuops.Env) *rcuops.Ops {
		return &rcuops.Ops{Reader: func() rcuops.Reader { return nil }, Synchronize: func() {}, Snapshot: func() uint64 { return 0 }}
	}}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), `fuzz: flavor "half-polled": Ops.Snapshot and Ops.Poll come together`) {
			t.Errorf("recovered %v", v)
		}
	}()
	RunSchedule(f, nil)
}
