package fuzz

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

// A FailureKind says how a run failed.
type FailureKind uint8

// The kinds of failure.
const (
	// Illegal: the model found the recorded history illegal. The
	// Failure's Rule is the rule broken, or "" when the checker could not
	// single out an operation to blame.
	Illegal FailureKind = iota + 1
	// Hang: operations or callbacks never finished once every hold was
	// released and every section closed. Its Rule is model.Progress.
	Hang
	// Panic: an operation of the flavor panicked on an actor.
	Panic
	// Inconclusive: the model check could not decide (it ran out of
	// time). It is neither a pass nor a failure of the flavor: the fuzz
	// targets skip, the conformance kit reports it apart.
	Inconclusive
	// OracleDisagreement: linearize.Check found the history legal and
	// linearize.CheckDirect, which is sound but incomplete, did not. One
	// of the two oracles is wrong: a bug of rcukit, not of the flavor.
	OracleDisagreement
)

var kindNames = [...]string{
	Illegal: "illegal", Hang: "hang", Panic: "panic", Inconclusive: "inconclusive", OracleDisagreement: "oracle disagreement",
}

func (k FailureKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("FailureKind(%d)", uint8(k))
}

// A Failure is the error RunSchedule returns: how the run failed, the
// guarantee it broke, what the checker or the watchdog said, the schedule
// that made it happen, and the command that replays it.
type Failure struct {
	Kind FailureKind
	// Rule is the guarantee the flavor broke: for Illegal the model's
	// rule (such as model.SyncEarly), or "" when no single operation is
	// to blame; for Hang model.Progress; "" for the other kinds, which
	// break no guarantee of RCU.
	Rule     model.Rule
	Flavor   string
	Detail   string            // the checker's report, or what never finished, or the panics
	Schedule string            // the decoded schedule, one step a line, with the holds that parked
	Input    []byte            // the input that decodes to it
	History  linearize.History // the recorded history; nil after a hang or a panic
	// Check is the history check's result: linearize.Check's for
	// Illegal and Inconclusive, linearize.CheckDirect's for
	// OracleDisagreement.
	Check linearize.Result
	// Command replays the input on the flavor: a shell command, run from
	// the root of this module, that finds the flavor by name among the
	// module's own (torture/flavors, and the broken ones of its tests).
	// A flavor of another module is replayed with RunSchedule(flavor,
	// Input) in that module's tests; a kit that runs one may replace
	// Command with its own.
	Command string
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fuzz: flavor %s: %s\n", f.Flavor, f.headline())
	if d := strings.TrimRight(f.Detail, "\n"); d != "" {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	if f.Schedule != "" {
		fmt.Fprintf(&b, "schedule of input %q:\n%s", f.Input, f.Schedule)
	}
	if f.Command != "" {
		fmt.Fprintf(&b, "reproduce: %s\n", f.Command)
	}
	return b.String()
}

// headline says in a line how the run failed: for a broken guarantee, its
// property (as failure messages begin) and rule.
func (f *Failure) headline() string {
	switch {
	case f.Kind == Illegal && f.Rule != "":
		return fmt.Sprintf("%s: %s", f.Rule.Property(), f.Rule)
	case f.Kind == Illegal:
		return "illegal history, with no single operation to blame"
	case f.Kind == Hang:
		return fmt.Sprintf("%s: hang", model.Progress.Property())
	case f.Kind == Inconclusive:
		return "inconclusive: the model check could not decide (not a pass, nor a failure of the flavor)"
	case f.Kind == OracleDisagreement:
		return "oracle disagreement: a bug of rcukit's history checkers, not of the flavor"
	}
	return f.Kind.String()
}

// The environment through which Failure.Command names the flavor and the
// input to TestReplay.
const (
	flavorEnv = "RCUKIT_FUZZ_FLAVOR"
	inputEnv  = "RCUKIT_FUZZ_INPUT" // in hex
)

// replayCommand returns the command that replays data on f.
func replayCommand(f rcuops.Flavor, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s=%s %s=%x go test -count=1", flavorEnv, shellWord(f.Name), inputEnv, data) // never a cached pass
	if f.Tags != "" {
		fmt.Fprintf(&b, " -tags %s", shellWord(f.Tags))
	}
	b.WriteString(" -run '^TestReplay$' ./fuzz")
	return b.String()
}

// shellWord quotes s for a POSIX shell if it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,+=/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// failure makes the run's Failure from what judging it found.
func (r *run) failure(data []byte, f *Failure) *Failure {
	var b strings.Builder
	b.WriteString(r.sched.String())
	r.mu.Lock()
	for _, x := range r.hits {
		if x.actor == nil {
			fmt.Fprintf(&b, "     held the grace-period machinery at %s\n", x.point)
		} else {
			fmt.Fprintf(&b, "     held %s at %s in step %d\n", actorName(x.actor.idx), x.point, x.step)
		}
	}
	r.mu.Unlock()
	for _, s := range r.stalls {
		fmt.Fprintf(&b, "     %s (the interleaving may differ from the script's)\n", s)
	}
	if n := len(r.sched.steps); n == 0 {
		b.WriteString("     (no steps)\n")
	}
	f.Flavor, f.Schedule, f.Input = r.flavor.Name, b.String(), slices.Clone(data)
	if f.Input == nil {
		f.Input = []byte{}
	}
	if !r.plan {
		f.Command = replayCommand(r.flavor, data)
	}
	return f
}

// The bound of the model check, and the two oracles; variables for the
// tests of the failures they end in.
var (
	checkTimeout = time.Minute // for linearize.Check
	checkModel   = linearize.Check
	checkDirect  = linearize.CheckDirect
)

// judge ends the run (see finish) and checks its history.
func (r *run) judge(data []byte) error {
	hung := r.finish()
	r.mu.Lock()
	panics := slices.Clone(r.panics)
	r.mu.Unlock()
	if len(panics) > 0 {
		if hung != "" {
			panics = append(panics, "then "+hung)
		}
		return r.failure(data, &Failure{Kind: Panic, Detail: strings.Join(panics, "\n")})
	}
	if hung != "" {
		return r.failure(data, &Failure{Kind: Hang, Rule: model.Progress, Detail: hung})
	}
	r.log.mu.Lock() // a broken flavor may still run a callback
	h := r.rec.History()
	r.log.mu.Unlock()
	if f := judgeHistory(h); f != nil {
		return r.failure(data, f)
	}
	return nil
}

// judgeHistory checks h with both oracles and returns nil when it is
// legal; otherwise a Failure with its kind, rule, report, check result and
// history.
func judgeHistory(h linearize.History) *Failure {
	res := checkModel(h, linearize.Options{Timeout: checkTimeout, Workers: 1})
	switch res.Verdict {
	case linearize.Illegal:
		return &Failure{Kind: Illegal, Rule: res.Rule, Detail: res.Report(), Check: res, History: h}
	case linearize.Unknown:
		return &Failure{Kind: Inconclusive, Detail: res.Report(), Check: res, History: h}
	}
	if direct := checkDirect(h); direct.Verdict != linearize.Ok {
		return &Failure{Kind: OracleDisagreement, Check: direct, History: h,
			Detail: "linearize.Check found the history legal, linearize.CheckDirect did not (a bug of one of the oracles, not of the flavor):\n" + direct.Report()}
	}
	return nil
}
