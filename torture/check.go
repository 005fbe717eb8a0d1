package torture

// The model check behind -check: a Recorder backed by the linearize
// package. Workers record into linearize clients (one per worker, one
// shared by the callbacks); at each cut the history recorded since the
// previous cut is drained into a linearize.Stream, which checks every
// complete segment against the RCU model while the workers are parked.

import (
	"fmt"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// NewChecker returns a Recorder that checks the run's history against the
// RCU model with linearize, segment by segment, at every stutter pause. An
// Illegal segment is a *CheckError holding the check's linearize.Result
// (the rule broken, the operations involved and, when opts.HTML asks for
// one, the visualization's path): the run is a FAILURE, and its KindCheck
// Failure keeps the Result. A check that cannot decide (Unknown: a
// timeout, a segment too large to check) is a *CheckError at Close that
// wraps ErrInconclusive: the run is INCONCLUSIVE, never taken for a pass.
//
// Segments must stay small for porcupine (see linearize.Options): keep
// stutter pauses frequent (a few hundred milliseconds) and record a
// fraction of the read sections (Config.RecordReads).
func NewChecker(opts linearize.Options) Recorder {
	return &checker{rec: linearize.NewRecorder(), stream: linearize.NewStream(opts)}
}

// A CheckError is a history check's verdict against a run: an Illegal
// Result, or an Unknown one, which wraps ErrInconclusive. NewChecker's
// Recorder returns one; the engine keeps its Result in the run's KindCheck
// Failure.
type CheckError struct {
	Result linearize.Result
}

// Error names the rule broken, its detail and the visualization, then the
// check's report on the lines below; for an Unknown Result, why the check
// could not decide.
func (e *CheckError) Error() string {
	r := e.Result
	switch r.Verdict {
	case linearize.Illegal:
		msg := "the history is illegal"
		if r.Rule != "" {
			msg += fmt.Sprintf(": rule %s (%s)", r.Rule, r.Rule.Doc())
		}
		if r.Detail != "" {
			msg += ": " + r.Detail
		}
		if r.Visualization != "" {
			msg += "; visualization: " + r.Visualization
		}
		return msg + "\n" + r.Report()
	case linearize.Unknown:
		return "the history check could not decide: " + r.Reason
	}
	return "the history check passed: " + r.String()
}

// Unwrap returns ErrInconclusive for an Unknown Result, and nil otherwise.
func (e *CheckError) Unwrap() error {
	if e.Result.Verdict == linearize.Unknown {
		return ErrInconclusive
	}
	return nil
}

type checker struct {
	rec      *linearize.Recorder
	stream   *linearize.Stream
	reported bool // an Illegal verdict was returned once; the Stream stops there
}

// Summary describes what the check covered: linearize.Result's String.
func (c *checker) Summary() string { return c.stream.Result().String() }

func (c *checker) Log(string) Log { return checkLog{c.rec.Client()} }

func (c *checker) Cut() error { return c.verdict(c.stream.Feed(c.rec.Drain()), false) }

func (c *checker) Close() error {
	c.stream.Feed(c.rec.Drain())
	return c.verdict(c.stream.Close(), true)
}

// verdict turns a check result into an error: Illegal once, Unknown only
// at the end (a later segment may still be Illegal, which matters more).
func (c *checker) verdict(r linearize.Result, final bool) error {
	switch {
	case r.Verdict == linearize.Illegal && !c.reported:
		c.reported = true
		return &CheckError{Result: r}
	case r.Verdict == linearize.Unknown && final:
		return &CheckError{Result: r}
	}
	return nil
}

type checkLog struct{ c *linearize.Client }

func (l checkLog) Begin() uint64 { return uint64(l.c.Start()) }

func (l checkLog) End(begin uint64, op model.Op) { l.c.Finish(int64(begin), op) }
