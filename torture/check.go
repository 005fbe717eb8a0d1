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
// Illegal segment is an error naming the rule broken, the operations
// involved and, when opts.HTML asks for one, the visualization's path: the
// run is a FAILURE. A check that cannot decide (Unknown: a timeout, a
// segment too large to check) is an error at Close that wraps
// ErrInconclusive: the run is INCONCLUSIVE, never taken for a pass.
//
// Segments must stay small for porcupine (see linearize.Options): keep
// stutter pauses frequent (a few hundred milliseconds) and record a
// fraction of the read sections (Config.RecordReads).
func NewChecker(opts linearize.Options) Recorder {
	return &checker{rec: linearize.NewRecorder(), stream: linearize.NewStream(opts)}
}

type checker struct {
	rec      *linearize.Recorder
	stream   *linearize.Stream
	reported bool // an Illegal verdict was returned once; the Stream stops there
}

// Summary describes what the check covered, for the report.
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
		return fmt.Errorf("%s\n%s", msg, r.Report())
	case r.Verdict == linearize.Unknown && final:
		return fmt.Errorf("%w: the history check could not decide: %s", ErrInconclusive, r.Reason)
	}
	return nil
}

type checkLog struct{ c *linearize.Client }

func (l checkLog) Begin() uint64 { return uint64(l.c.Start()) }

func (l checkLog) End(begin uint64, op model.Op) { l.c.Finish(int64(begin), op) }
