package torture

import (
	"flag"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config sets up one run. DefaultConfig gives the defaults of the command
// line (Main, and cmd/rcutorture); RegisterFlags binds a Config to a
// FlagSet under those same names, and Args renders a Config back into
// flags, so that every run can print the exact command that reproduces its
// configuration (Command).
//
// Duration and Overtime are wall-clock time: they bound how long a run
// takes. The thresholds of the liveness checks (StatInterval for a writer
// stall, StallTimeout for everything else) are progress time, the time the
// process actually had to run (see package internal/progress), so that a
// slow or loaded machine stretches them instead of tripping them.
type Config struct {
	Duration         time.Duration // how long to run; 0 runs until the context is done
	Overtime         time.Duration // how much longer to run, at most, while the health criteria are unmet; 0: no overtime
	Readers          int           // reader goroutines
	FakeWriters      int           // goroutines that only wait for grace periods
	Nest             int           // maximum nesting depth of read sections (1: no nesting)
	StatInterval     time.Duration // between stats lines; also the writer-stall threshold, in progress time
	Seed             uint64        // seeds every worker's random source; 0 picks one
	Stutter          time.Duration // run this long, then pause everything briefly; 0: never pause
	Shuffle          time.Duration // change GOMAXPROCS this often; 0: never
	BarrierCallbacks int           // callbacks per barrier-tester round; 0: no barrier tester
	FwdProgress      time.Duration // between forward-progress callback floods; 0: no floods
	FwdBound         int           // pending flood callbacks beyond this are a FAILURE
	ReadExit         int           // goroutines per read-exit burst (each reads once and exits); 0: none
	Inject           float64       // probability that an injection-point hit delays the goroutine; 0: no injection
	StallTimeout     time.Duration // how long, in progress time, a worker may be stuck in one operation
	GOMAXPROCS       int           // set GOMAXPROCS for the run; 0 leaves it
	Payload          bool          // readers also read a plain (non-atomic) payload, for the race detector
	StopOnFailure    bool          // end the run at its first failure
	RecordReads      int           // with a Recorder, record one read section in this many

	// Program is the command that runs a main built with Main, as a
	// shell command: "go run ./cmd/myrcutorture", run from the root of its
	// module. Every reproduce command begins with it (see Command). Main
	// sets it; a run started with Run directly has none unless its
	// caller sets one, and its reproduce command then says how to get
	// one.
	Program string

	// Out receives the run's report; nil means standard output. Run
	// writes it one whole line at a time, under a lock of its own, and
	// never after Run returns: Out need not be safe for concurrent use,
	// and a caller that reads it only after Run has returned (a
	// bytes.Buffer) needs no lock.
	Out io.Writer

	// Recorder, when not nil, receives the run's history for a model
	// checker: -check installs one.
	Recorder Recorder

	// JSON, when not nil, receives the run's JSON stream (see
	// JSONSchema): a start object, one object per stats interval and the
	// verdict, a line each, from the goroutine that prints the stats and
	// the one that runs Run, never both at once and never after Run
	// returns. After a write error the rest of the stream is dropped.
	JSON io.Writer
}

// DefaultConfig returns the defaults of cmd/rcutorture: a run of about 30 s
// that exercises every worker.
func DefaultConfig() Config {
	return Config{
		Duration:         30 * time.Second,
		Overtime:         30 * time.Second,
		Readers:          2 * runtime.NumCPU(),
		FakeWriters:      2,
		Nest:             3,
		StatInterval:     5 * time.Second,
		Stutter:          5 * time.Second,
		Shuffle:          3 * time.Second,
		BarrierCallbacks: 64,
		FwdProgress:      10 * time.Second,
		FwdBound:         1 << 20,
		ReadExit:         8,
		Inject:           1.0 / 256,
		StallTimeout:     10 * time.Second,
		Payload:          true,
		RecordReads:      64,
	}
}

// RegisterFlags defines one flag per field of c (except Program, Out,
// Recorder and JSON), with c's current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long to run (0: until interrupted)")
	fs.DurationVar(&c.Overtime, "overtime", c.Overtime, "run on for up to this long after -duration while the run has not gathered enough evidence to judge (0: never)")
	fs.IntVar(&c.Readers, "readers", c.Readers, "reader goroutines")
	fs.IntVar(&c.FakeWriters, "fakewriters", c.FakeWriters, "goroutines that wait for grace periods in random ways")
	fs.IntVar(&c.Nest, "nest", c.Nest, "maximum nesting depth of read sections")
	fs.DurationVar(&c.StatInterval, "stat-interval", c.StatInterval, "between stats lines; a writer with no new version for this long (in progress time) is a FAILURE")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed (0: pick one)")
	fs.DurationVar(&c.Stutter, "stutter", c.Stutter, "run this long between pauses of every worker (0: never pause; with -check the default is 200ms)")
	fs.DurationVar(&c.Shuffle, "shuffle", c.Shuffle, "change GOMAXPROCS this often (0: never)")
	fs.IntVar(&c.BarrierCallbacks, "barrier-cbs", c.BarrierCallbacks, "callbacks per barrier-tester round (0: no barrier tester)")
	fs.DurationVar(&c.FwdProgress, "fwd-progress", c.FwdProgress, "between forward-progress callback floods (0: none)")
	fs.IntVar(&c.FwdBound, "fwd-bound", c.FwdBound, "pending flood callbacks beyond this are a FAILURE")
	fs.IntVar(&c.ReadExit, "read-exit", c.ReadExit, "goroutines per read-exit burst (0: none)")
	fs.Float64Var(&c.Inject, "inject", c.Inject, "probability that an injection-point hit delays the goroutine (0: none)")
	fs.DurationVar(&c.StallTimeout, "stall-timeout", c.StallTimeout, "how long (in progress time) a worker may be stuck in one operation")
	fs.IntVar(&c.GOMAXPROCS, "gomaxprocs", c.GOMAXPROCS, "GOMAXPROCS for the run (0: leave it)")
	fs.BoolVar(&c.Payload, "payload", c.Payload, "readers also read a plain payload, so that -race sees premature reuse")
	fs.BoolVar(&c.StopOnFailure, "stop-on-failure", c.StopOnFailure, "end the run at its first failure")
	fs.IntVar(&c.RecordReads, "record-reads", c.RecordReads, "with -check, record one read section in this many")
}

// Args renders c as the command line's flags (those of RegisterFlags, and
// -check for a Recorder), every flag explicit, so that the command does
// not depend on the defaults of the binary that runs it.
func (c Config) Args() []string {
	d := func(v time.Duration) string { return v.String() }
	args := []string{
		"-duration", d(c.Duration),
		"-overtime", d(c.Overtime),
		"-readers", strconv.Itoa(c.Readers),
		"-fakewriters", strconv.Itoa(c.FakeWriters),
		"-nest", strconv.Itoa(c.Nest),
		"-stat-interval", d(c.StatInterval),
		"-seed", strconv.FormatUint(c.Seed, 10),
		"-stutter", d(c.Stutter),
		"-shuffle", d(c.Shuffle),
		"-barrier-cbs", strconv.Itoa(c.BarrierCallbacks),
		"-fwd-progress", d(c.FwdProgress),
		"-fwd-bound", strconv.Itoa(c.FwdBound),
		"-read-exit", strconv.Itoa(c.ReadExit),
		"-inject", strconv.FormatFloat(c.Inject, 'g', -1, 64),
		"-stall-timeout", d(c.StallTimeout),
		"-gomaxprocs", strconv.Itoa(c.GOMAXPROCS),
		"-payload=" + strconv.FormatBool(c.Payload),
		"-stop-on-failure=" + strconv.FormatBool(c.StopOnFailure),
	}
	if c.Recorder != nil {
		args = append(args, "-check", "-record-reads", strconv.Itoa(c.RecordReads))
	}
	return args
}

// Command returns the command that reproduces a run of flavor f with
// configuration c: c.Program, then -flavor and every flag (Args), as in
//
//	go run ./cmd/myrcutorture -flavor myrcu -duration 30s ... -seed 42 ...
//
// Without a Program (Run called directly, not through Main), it says how
// to get one: the main to build, the build flags the flavor needs (its
// Tags, and -race when this binary has the race detector), and the flags:
//
//	a main that calls torture.Main with flavor "myrcu", run as: <main> -flavor myrcu -duration 30s ...
func (c Config) Command(f rcuops.Flavor) string {
	flags := strings.Join(append([]string{"-flavor", f.Name}, c.Args()...), " ")
	if c.Program != "" {
		return c.Program + " " + flags
	}
	var build []string
	if raceEnabled {
		build = append(build, "-race")
	}
	if f.Tags != "" {
		build = append(build, "-tags", f.Tags)
	}
	built := ""
	if len(build) > 0 {
		built = " (built with " + strings.Join(build, " ") + ")"
	}
	return fmt.Sprintf("a main that calls torture.Main with flavor %q%s, run as: <main> %s", f.Name, built, flags)
}

// Validate reports why c cannot run, or nil. Run panics with the same
// message.
func (c Config) Validate() error {
	for _, p := range []struct {
		bad         bool
		field, flag string
		value       any
		want        string
	}{
		{c.Duration < 0, "Duration", "duration", c.Duration, "must not be negative"},
		{c.Overtime < 0, "Overtime", "overtime", c.Overtime, "must not be negative"},
		{c.Readers < 1, "Readers", "readers", c.Readers, "must be at least 1"},
		{c.FakeWriters < 0, "FakeWriters", "fakewriters", c.FakeWriters, "must not be negative"},
		{c.Nest < 1, "Nest", "nest", c.Nest, "must be at least 1"},
		{c.StatInterval <= 0, "StatInterval", "stat-interval", c.StatInterval, "must be positive"},
		{c.Stutter < 0, "Stutter", "stutter", c.Stutter, "must not be negative"},
		{c.Shuffle < 0, "Shuffle", "shuffle", c.Shuffle, "must not be negative"},
		{c.BarrierCallbacks < 0, "BarrierCallbacks", "barrier-cbs", c.BarrierCallbacks, "must not be negative"},
		{c.FwdProgress < 0, "FwdProgress", "fwd-progress", c.FwdProgress, "must not be negative"},
		{c.FwdProgress > 0 && c.FwdBound < 1, "FwdBound", "fwd-bound", c.FwdBound, "must be positive when floods are on"},
		{c.ReadExit < 0, "ReadExit", "read-exit", c.ReadExit, "must not be negative"},
		{!(c.Inject >= 0 && c.Inject <= 1), "Inject", "inject", c.Inject, "must be a probability, from 0 to 1"},
		{c.StallTimeout <= 0, "StallTimeout", "stall-timeout", c.StallTimeout, "must be positive"},
		{c.GOMAXPROCS < 0, "GOMAXPROCS", "gomaxprocs", c.GOMAXPROCS, "must not be negative"},
		{c.RecordReads < 1, "RecordReads", "record-reads", c.RecordReads, "must be at least 1"},
	} {
		if p.bad {
			return &ConfigError{Field: p.field, Flag: p.flag, Msg: fmt.Sprintf("is %v; it %s", p.value, p.want)}
		}
	}
	return nil
}

// A ConfigError says which field of a Config, set by which flag of Main's
// command line, makes it unusable.
type ConfigError struct {
	Field string // "Duration"
	Flag  string // "duration"
	Msg   string // "is -1s; it must not be negative"
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("torture: Config.%s (-%s) %s", e.Field, e.Flag, e.Msg)
}
