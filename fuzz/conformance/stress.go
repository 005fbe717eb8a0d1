package conformance

// The Torture, History and Corpus parts: the torture engine, the model
// checker and the schedule fuzzer's corpus, reused as they are.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rcukit/rcukit/fuzz"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/torture"
)

// configs returns the configurations of the two torture runs.
func (s *suite) configs() (tort, hist torture.Config) {
	tort = torture.DefaultConfig()
	tort.Duration = s.opts.torture
	tort.Stutter = max((tort.Duration / 3).Round(100*time.Millisecond), 200*time.Millisecond)
	tort.Shuffle = 0 // GOMAXPROCS is process-wide: leave the caller's alone
	tort.BarrierCallbacks = 16
	tort.FwdProgress = max(tort.Duration/2, 500*time.Millisecond)
	tort.ReadExit = 4
	tort.StopOnFailure = true

	hist = tort
	hist.Duration = s.opts.history
	hist.Stutter = 200 * time.Millisecond // a cut, and a check, at every pause: segments stay small
	hist.FwdProgress = 0                  // floods are not recorded

	for _, edit := range s.opts.edits {
		edit(&tort)
		edit(&hist)
	}
	for _, c := range []torture.Config{tort, hist} {
		if err := c.Validate(); err != nil {
			panic("conformance: TortureConfig: " + err.Error())
		}
	}
	return tort, hist
}

// kindGuarantee names the guarantee behind each kind of torture failure.
var kindGuarantee = map[string]string{
	"pipe":            "grace period",
	"freed":           "grace period",
	"reused":          "grace period",
	"sync-gp":         "grace period",
	"uninitialized":   "publication",
	"callback-gp":     "callbacks",
	"poll-gp":         "polling",
	"poll-in-reader":  "polling",
	"poll-after-sync": "polling",
	"barrier":         "barrier",
	"writer-stall":    "progress",
	"fwd-progress":    "progress",
	"gp-stall":        "progress",
	"quiesce":         "progress",
	"stuck":           "progress",
	"check":           "model",
}

// describe gives a torture failure ("pipe x3: a reader saw ...") with
// its guarantee first.
func describe(f torture.Failure) string {
	if g, ok := kindGuarantee[f.Kind.String()]; ok {
		return g + ": " + f.String()
	}
	return f.String()
}

func (s *suite) runTorture(func() string) Result {
	cfg := s.torture
	var out lockedBuffer
	cfg.Out = &out
	res := torture.Run(context.Background(), s.flavor, cfg)
	return tortureResult("torture", res, out.String())
}

func tortureResult(part string, res *torture.Result, report string) Result {
	switch res.Verdict {
	case torture.Success:
		return Result{Status: Passed, Log: fmt.Sprintf("SUCCESS: %d reads, %d versions, %d grace periods, %d callbacks, %d near misses in %v; seed %d",
			res.Reads, res.Versions, res.GPs, res.Callbacks, res.NearMisses, res.Elapsed.Round(time.Millisecond), res.Seed)}
	case torture.Inconclusive:
		return Result{
			Status: Inconclusive,
			Message: fmt.Sprintf("%s: the run could not judge (INCONCLUSIVE): %s\nseed %d; as cmd/rcutorture flags (for the flavors of torture/flavors): %s",
				part, strings.Join(res.Inconclusive, "; "), res.Seed, res.Command),
			Log: report,
		}
	}
	rs := make([]string, len(res.Failures))
	for i, f := range res.Failures {
		rs[i] = describe(f)
	}
	return Result{
		Status: Failed,
		Message: fmt.Sprintf("%s: the run ended in FAILURE after %.2fs: %s\nseed %d; as cmd/rcutorture flags (for the flavors of torture/flavors): %s",
			part, res.FirstFailure.Seconds(), strings.Join(rs, "; "), res.Seed, res.Command),
		Log: report,
	}
}

// runHistory is a torture run with torture's model checker. A check that
// cannot decide (linearize's Unknown verdict) makes the run INCONCLUSIVE,
// and so the result: it is never a pass, nor a broken guarantee.
func (s *suite) runHistory(html func() string) Result {
	cfg := s.history
	var out lockedBuffer
	cfg.Out = &out
	rec := torture.NewChecker(linearize.Options{HTML: html(), Timeout: 2 * time.Minute})
	cfg.Recorder = rec
	res := torture.Run(context.Background(), s.flavor, cfg)
	r := tortureResult("history", res, out.String())
	if s, ok := rec.(interface{ Summary() string }); ok && r.Status == Passed {
		r.Log += "; model check " + s.Summary()
	}
	return r
}

func (s *suite) corpusItems() []item {
	seeds := fuzz.Seeds()
	if len(seeds) == 0 {
		return []item{{part: Corpus, name: string(Corpus), run: func(*suite, func() string) Result {
			return Result{Status: Skipped, Message: "skipped: the fuzz corpus is empty"}
		}}}
	}
	items := make([]item, len(seeds))
	for i, seed := range seeds {
		items[i] = item{part: Corpus, name: seed.Name, run: func(s *suite, _ func() string) Result {
			return corpusResult(seed.Name, fuzz.RunSchedule(s.flavor, seed.Data))
		}}
	}
	return items
}

// corpusResult turns RunSchedule's verdict into a result naming the
// model's rule.
func corpusResult(name string, err error) Result {
	var f *fuzz.Failure
	switch {
	case err == nil:
		return Result{Status: Passed}
	case !errors.As(err, &f):
		return Result{Status: Failed, Message: fmt.Sprintf("corpus: schedule %s: %v", name, err)}
	case f.Kind == fuzz.Inconclusive:
		return Result{Status: Inconclusive, Message: fmt.Sprintf("the model check of schedule %s could not decide", name), Log: err.Error()}
	case f.Kind == fuzz.Hang:
		return Result{Status: Failed, Message: fmt.Sprintf("progress: schedule %s hung: operations never finished after everything was released (their goroutines are abandoned)", name), Log: err.Error()}
	case f.Kind == fuzz.OracleDisagreement:
		return Result{Status: Failed, Message: fmt.Sprintf("corpus: schedule %s: the two history checkers disagree, a bug of rcukit rather than of the implementation", name), Log: err.Error()}
	case f.Kind == fuzz.Panic:
		return Result{Status: Failed, Message: fmt.Sprintf("corpus: schedule %s: an operation of the implementation panicked", name), Log: err.Error()}
	case f.Rule == "":
		return Result{Status: Failed, Message: fmt.Sprintf("model: schedule %s: the history is illegal, with no single operation to blame", name), Log: err.Error()}
	}
	return Result{
		Status:  Failed,
		Message: fmt.Sprintf("model: schedule %s broke rule %s (%s)", name, f.Rule, f.Rule.Doc()),
		Log:     err.Error(),
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
