package conformance

import (
	"errors"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/fuzz"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/torture"
)

// TestTortureResult: a torture run's verdict decides the result's status.
// INCONCLUSIVE (a starved run, an undecided model check) is Inconclusive,
// never a pass nor a broken guarantee, and like a FAILURE it gives the
// reasons, the seed and the command that reproduces the run.
func TestTortureResult(t *testing.T) {
	const cmd = "go run ./cmd/rcutorture -flavor x -seed 9"
	for _, c := range []struct {
		res    torture.Result
		status Status
		want   []string
	}{
		{torture.Result{Verdict: torture.Success, Seed: 9, Command: cmd}, Passed, nil},
		{torture.Result{Verdict: torture.Failed, Seed: 9, Command: cmd, Failures: []torture.Failure{{Kind: torture.KindPipe, Count: 3, First: "a reader saw ..."}}}, Failed,
			[]string{"history: the run ended in FAILURE after ", "grace period: pipe x3: a reader saw ...", "seed 9", cmd}},
		{torture.Result{Verdict: torture.Inconclusive, Seed: 9, Command: cmd, Inconclusive: []string{"the history check could not decide: timeout"}}, Inconclusive,
			[]string{"history: the run could not judge (INCONCLUSIVE): the history check could not decide: timeout", "seed 9", cmd}},
	} {
		r := tortureResult("history", &c.res, "the report")
		if r.Status != c.status {
			t.Errorf("%v: status %v; want %v", c.res.Verdict, r.Status, c.status)
		}
		for _, w := range c.want {
			if !strings.Contains(r.Message, w) {
				t.Errorf("%v: message %q lacks %q", c.res.Verdict, r.Message, w)
			}
		}
		if c.status != Passed && r.Log != "the report" {
			t.Errorf("%v: the log is not the run's report: %q", c.res.Verdict, r.Log)
		}
	}
}

func TestCorpusResult(t *testing.T) {
	for _, c := range []struct {
		err    error
		status Status
		prefix string
	}{
		{nil, Passed, ""},
		{&fuzz.Failure{Kind: fuzz.Illegal, Rule: model.SyncEarly}, Failed, "model: schedule s broke rule sync-early (Synchronize returned while a reader that began before it was still inside"},
		{&fuzz.Failure{Kind: fuzz.Inconclusive}, Inconclusive, "the model check of schedule s could not decide"},
		{&fuzz.Failure{Kind: fuzz.Hang, Rule: model.Progress}, Failed, "progress: schedule s hung"},
		{&fuzz.Failure{Kind: fuzz.OracleDisagreement}, Failed, "corpus: schedule s: the two history checkers disagree"},
		{&fuzz.Failure{Kind: fuzz.Panic}, Failed, "corpus: schedule s: an operation of the implementation panicked"},
		{&fuzz.Failure{Kind: fuzz.Illegal}, Failed, "model: schedule s: the history is illegal, with no single operation to blame"},
		{errors.New("odd"), Failed, "corpus: schedule s: odd"},
	} {
		r := corpusResult("s", c.err)
		if r.Status != c.status || !strings.HasPrefix(r.Message, c.prefix) {
			t.Errorf("corpusResult(%v) = %v %q; want %v %q...", c.err, r.Status, r.Message, c.status, c.prefix)
		}
	}
}

func TestDescribeNamesTheGuarantee(t *testing.T) {
	for _, c := range []struct {
		f    torture.Failure
		want string
	}{
		{torture.Failure{Kind: torture.KindPipe, Count: 3, First: "a reader saw ..."}, "grace period: pipe x3: a reader saw ..."},
		{torture.Failure{Kind: torture.KindUninitialized, Count: 1, First: "..."}, "publication: uninitialized x1: ..."},
		{torture.Failure{Kind: torture.KindCheck, Count: 1, First: "the history is illegal"}, "model: check x1: the history is illegal"},
		{torture.Failure{Kind: 200, Count: 1, First: "..."}, "Kind(200) x1: ..."},
	} {
		if got := describe(c.f); got != c.want {
			t.Errorf("describe(%v) = %q; want %q", c.f, got, c.want)
		}
	}
}
