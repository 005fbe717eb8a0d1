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
		{torture.Result{Verdict: torture.Failure, Seed: 9, Command: cmd, Reasons: []string{"pipe x3: a reader saw ..."}}, Failed,
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
	for reason, want := range map[string]string{
		"pipe x3: a reader saw ...":        "grace period: pipe x3: a reader saw ...",
		"uninitialized x1: ...":            "publication: uninitialized x1: ...",
		"check x1: the history is illegal": "model: check x1: the history is illegal",
		"new-kind x1: ...":                 "new-kind x1: ...",
	} {
		if got := describe(reason); got != want {
			t.Errorf("describe(%q) = %q; want %q", reason, got, want)
		}
	}
}
