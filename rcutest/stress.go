package rcutest

// The Torture, History and Corpus parts: the torture engine, the model
// checker and the schedule fuzzer's corpus, reused as they are.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
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
			panic("rcutest: TortureConfig: " + err.Error())
		}
	}
	return tort, hist
}

// seeded returns c with -rcutest.seed's seed, if it was given.
func seeded(c torture.Config) torture.Config {
	if *seed != 0 {
		c.Seed = *seed
	}
	return c
}

func (s *suite) runTorture(env runEnv) Result {
	cfg := seeded(s.torture)
	var out bytes.Buffer // the engine serializes its lines; read once Run returns
	cfg.Out = &out
	res := torture.Run(context.Background(), s.flavor, cfg)
	return s.tortureResult(env, "torture", res, out.String())
}

// tortureResult turns a torture verdict into a result: a failure names the
// guarantee of its first kind of failure.
func (s *suite) tortureResult(env runEnv, part string, res *torture.Result, report string) Result {
	seedFlag := fmt.Sprintf("-rcutest.seed %d", res.Seed)
	switch res.Verdict {
	case torture.Success:
		return Result{Status: Passed, Log: fmt.Sprintf("SUCCESS: %d reads, %d versions, %d grace periods, %d callbacks, %d near misses in %v; seed %d",
			res.Reads, res.Versions, res.GPs, res.Callbacks, res.NearMisses, res.Elapsed.Round(time.Millisecond), res.Seed)}
	case torture.Inconclusive:
		return Result{
			Status:    Inconclusive,
			Message:   fmt.Sprintf("%s: the run could not judge: %s; seed %d", part, strings.Join(res.Inconclusive, "; "), res.Seed),
			Reproduce: s.reproduce(env, res.Command, seedFlag),
			Log:       report,
		}
	}
	fs := make([]string, len(res.Failures))
	for i, f := range res.Failures {
		fs[i] = f.Rule().Property().String() + ": " + f.String()
	}
	return Result{
		Status:    Failed,
		Rule:      res.Failures[0].Rule(),
		Message:   fmt.Sprintf("%s: the run ended in FAILURE after %.2fs: %s; seed %d", part, res.FirstFailure.Seconds(), strings.Join(fs, "; "), res.Seed),
		Reproduce: s.reproduce(env, res.Command, seedFlag),
		Log:       report,
	}
}

func (s *suite) runHistory(env runEnv) Result {
	cfg := seeded(s.history)
	var out bytes.Buffer
	cfg.Out = &out
	cfg.Recorder = torture.NewChecker(linearize.Options{HTML: env.html, Timeout: 2 * time.Minute})
	res := torture.Run(context.Background(), s.flavor, cfg)
	r := s.tortureResult(env, "history", res, out.String())
	if r.Status == Failed && env.path != "" && !keepsArtifacts() {
		r.Message += " (go test deletes the visualization with the test's artifact directory when the test ends; run go test with -artifacts to keep it)"
	}
	return r
}

func (s *suite) corpusItems() []item {
	seeds := fuzz.Seeds()
	if len(seeds) == 0 {
		return []item{{part: Corpus, name: string(Corpus), run: func(*suite, runEnv) Result {
			return Result{Status: Skipped, Message: "skipped: the fuzz corpus is empty"}
		}}}
	}
	items := make([]item, len(seeds))
	for i, sd := range seeds {
		items[i] = item{part: Corpus, name: sd.Name, run: func(s *suite, env runEnv) Result {
			err := fuzz.RunSchedule(s.flavor, sd.Data)
			reproduce := s.reproduce(env, fmt.Sprintf("fuzz.RunSchedule(flavor, the seed %q of fuzz.Seeds())", sd.Name))
			var f *fuzz.Failure
			if errors.As(err, &f) {
				f.Command = reproduce // the fuzzer's own replays this module's flavors only
			}
			res := corpusResult(sd.Name, err)
			if res.Status == Failed || res.Status == Inconclusive {
				res.Reproduce = reproduce
			}
			return res
		}}
	}
	return items
}

// corpusResult turns RunSchedule's verdict into a result naming the rule
// of model.Guarantees the schedule found broken.
func corpusResult(name string, err error) Result {
	var f *fuzz.Failure
	switch {
	case err == nil:
		return Result{Status: Passed}
	case !errors.As(err, &f):
		return Result{Status: Failed, Message: fmt.Sprintf("corpus: schedule %s: %v", name, err)}
	}
	res := Result{Status: Failed, Rule: f.Rule, Log: err.Error()}
	switch {
	case f.Kind == fuzz.Inconclusive:
		res.Status, res.Rule, res.Message = Inconclusive, "", fmt.Sprintf("the model check of schedule %s could not decide", name)
	case f.Kind == fuzz.Hang:
		res.Message = fmt.Sprintf("progress: schedule %s hung: operations never finished after everything was released (their goroutines are abandoned)", name)
	case f.Kind == fuzz.OracleDisagreement:
		res.Message = fmt.Sprintf("corpus: schedule %s: the two history checkers disagree, a bug of rcukit rather than of the implementation", name)
	case f.Kind == fuzz.Panic:
		res.Message = fmt.Sprintf("corpus: schedule %s: an operation of the implementation panicked", name)
	case f.Rule == "":
		res.Message = fmt.Sprintf("corpus: schedule %s: the history is illegal, with no single operation to blame", name)
	default:
		res.Message = fmt.Sprintf("%s: schedule %s broke rule %s (%s)", f.Rule.Property(), name, f.Rule, f.Rule.Doc())
	}
	return res
}

// keepsArtifacts reports whether go test was run with -artifacts, which
// keeps t.ArtifactDir.
func keepsArtifacts() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}
