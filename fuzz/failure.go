package fuzz

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rcukit/rcukit/linearize"
)

// A Failure is the error RunSchedule returns: the rule a run broke, what
// the checker or the watchdog said, and the schedule that made it happen.
type Failure struct {
	Flavor string
	// Rule is the model's name of the rule broken (such as "sync-early"),
	// "inconclusive" when the check could not decide, "hang" when an
	// operation never finished after everything was released,
	// "oracle-disagreement" when the two history checkers disagree,
	// "panic" when an operation of the flavor panicked, or "illegal" for
	// an illegal history without a single operation to blame.
	Rule     string
	Detail   string            // the checker's report, or what never finished
	Schedule string            // the decoded schedule, one step a line
	Input    []byte            // the input that decodes to it
	History  linearize.History // the recorded history; nil after a hang
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fuzz: flavor %s: %s\n", f.Flavor, f.Rule)
	b.WriteString(strings.TrimRight(f.Detail, "\n"))
	fmt.Fprintf(&b, "\nschedule of input %q:\n%s", f.Input, f.Schedule)
	return b.String()
}

func (r *run) failure(data []byte, rule, detail string, h linearize.History) *Failure {
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
	return &Failure{Flavor: r.flavor.Name, Rule: rule, Detail: detail, Schedule: b.String(),
		Input: append([]byte(nil), data...), History: h}
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
		return r.failure(data, "panic", strings.Join(panics, "\n"), nil)
	}
	if hung != "" {
		return r.failure(data, "hang", hung, nil)
	}
	r.log.mu.Lock() // a broken flavor may still run a callback
	h := r.rec.History()
	r.log.mu.Unlock()
	if rule, detail := judgeHistory(h); rule != "" {
		return r.failure(data, rule, detail, h)
	}
	return nil
}

// judgeHistory checks h with both oracles and returns "" when it is legal;
// otherwise the rule of a Failure and the report behind it.
func judgeHistory(h linearize.History) (rule, detail string) {
	res := checkModel(h, linearize.Options{Timeout: checkTimeout, Workers: 1})
	switch {
	case res.Verdict == linearize.Illegal && res.Rule == "":
		return "illegal", res.Report() // no single operation to blame
	case res.Verdict == linearize.Illegal:
		return string(res.Rule), res.Report()
	case res.Verdict == linearize.Unknown:
		return "inconclusive", res.Report()
	}
	if direct := checkDirect(h); direct.Verdict != linearize.Ok {
		return "oracle-disagreement",
			"linearize.Check found the history legal, linearize.CheckDirect did not (a bug of one of the oracles, not of the flavor):\n" + direct.Report()
	}
	return "", ""
}
