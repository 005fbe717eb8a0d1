package conformance

import (
	"errors"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/fuzz"
	"github.com/rcukit/rcukit/torture"
)

// fakeChecker stands for torture.NewChecker's recorder, with a chosen
// verdict.
type fakeChecker struct {
	summary string
	err     error
}

func (f *fakeChecker) Log(string) torture.Log { return nil }
func (f *fakeChecker) Cut() error             { return nil }
func (f *fakeChecker) Close() error           { return f.err }
func (f *fakeChecker) Summary() string        { return f.summary }

// TestHistoryRecorderInconclusive: an undecided model check is not a
// failure of the run (the suite reports it as Inconclusive), while an
// illegal history still is.
func TestHistoryRecorderInconclusive(t *testing.T) {
	unknown := &historyRecorder{Recorder: &fakeChecker{summary: "unknown: timeout after 2m0s", err: errors.New("the history check was inconclusive")}}
	if err := unknown.Close(); err != nil || unknown.inconclusive != "timeout after 2m0s" {
		t.Errorf("Unknown verdict: Close() = %v, inconclusive %q", err, unknown.inconclusive)
	}
	illegal := &historyRecorder{Recorder: &fakeChecker{summary: "illegal: sync-early: ...", err: errors.New("the history is illegal")}}
	if err := illegal.Close(); err == nil || illegal.inconclusive != "" {
		t.Errorf("Illegal verdict: Close() = %v, inconclusive %q", err, illegal.inconclusive)
	}
	ok := &historyRecorder{Recorder: &fakeChecker{summary: "ok: 10 events"}}
	if err := ok.Close(); err != nil || ok.inconclusive != "" || ok.Summary() != "ok: 10 events" {
		t.Errorf("Ok verdict: Close() = %v, inconclusive %q, summary %q", err, ok.inconclusive, ok.Summary())
	}
}

func TestCorpusResult(t *testing.T) {
	for _, c := range []struct {
		err    error
		status Status
		prefix string
	}{
		{nil, Passed, ""},
		{&fuzz.Failure{Rule: "sync-early"}, Failed, "model: schedule s broke rule sync-early (Synchronize returned while a reader that began before it was still inside"},
		{&fuzz.Failure{Rule: "inconclusive"}, Inconclusive, "the model check of schedule s could not decide"},
		{&fuzz.Failure{Rule: "hang"}, Failed, "progress: schedule s hung"},
		{&fuzz.Failure{Rule: "oracle-disagreement"}, Failed, "corpus: schedule s: the two history checkers disagree"},
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
