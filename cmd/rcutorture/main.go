// Command rcutorture stresses an RCU implementation the way Linux's
// rcutorture does, and ends with a verdict.
//
// Usage:
//
//	rcutorture [flags]
//
// It runs readers, a writer, fake writers and the workers around them
// (barrier tester, callback floods, read-exit goroutines, stutter, shuffle)
// against one flavor for -duration, printing stats every -stat-interval,
// and ends, after the seed and the command that reproduces the
// configuration, with one of three verdicts:
//
//	End of test: SUCCESS                 exit status 0
//	End of test: FAILURE: <kinds>        exit status 1
//	End of test: INCONCLUSIVE: <why>     exit status 3
//
// Bad flags exit with status 2. INCONCLUSIVE means the run could not
// judge, which is neither a pass nor a bug in the flavor: the machine
// starved it so that it gathered too little evidence (no reader completed
// a section, or no element was freed) even after -overtime (default 30s)
// past -duration, or the -check model checker could not decide. The
// liveness checks (writer stalls, stuck workers, callback floods, grace
// period stall reports) measure their thresholds in progress time, the
// time the process actually had to run, so a loaded machine delays them
// rather than failing a correct flavor. SIGINT ends the run early,
// cleanly, with the final stats and a verdict; -duration 0 runs until
// interrupted. -list shows the flavors; broken flavors are negative
// controls that must end in FAILURE.
//
// -check also records the run's history (every write-side operation and
// one read section in -record-reads) and checks it against the RCU model
// with the linearize package, segment by segment, at every stutter pause.
// An illegal segment is a FAILURE that names the rule broken and the path
// of porcupine's HTML visualization (written to -check-html, a directory or
// a file). With -check the stutter period defaults to 200ms instead of 5s,
// so that segments stay small enough to check.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// checkStutter is the stutter period -check uses unless -stutter is given:
// each pause cuts the history into a segment that porcupine can check.
const checkStutter = 200 * time.Millisecond

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rcutorture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := torture.DefaultConfig()
	cfg.RegisterFlags(fs)
	flavor := fs.String("flavor", "rcu", "the RCU flavor to torture (see -list)")
	list := fs.Bool("list", false, "list the flavors and exit")
	check := fs.Bool("check", false, "record the history and check it against the RCU model (linearize)")
	html := fs.String("check-html", os.TempDir(), "with -check: where to write the visualization of an illegal history (a directory or a file)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: rcutorture [flags]\n\nStresses an RCU flavor and ends with \"End of test: SUCCESS\" (exit status 0),\n\"End of test: FAILURE\" (1) or \"End of test: INCONCLUSIVE\" (3: the run could not judge).\nFlavors: %s\n\nFlags:\n", strings.Join(flavors.Names(), ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rcutorture: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return 2
	}
	if *list {
		listFlavors(stdout)
		return 0
	}
	f, ok := lookup(*flavor)
	if !ok {
		msg := fmt.Sprintf("rcutorture: unknown flavor %q", *flavor)
		if near := flavors.Nearest(*flavor); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		fmt.Fprintf(stderr, "%s; valid flavors: %s\n", msg, strings.Join(flavors.Names(), ", "))
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "rcutorture: %v\n", err)
		fs.Usage()
		return 2
	}
	if *check {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["stutter"] {
			cfg.Stutter = checkStutter
		}
		if cfg.Stutter == 0 {
			fmt.Fprintln(stderr, "rcutorture: -check needs stutter pauses to cut the history at; -stutter 0 leaves none")
			return 2
		}
		cfg.Recorder = torture.NewChecker(linearize.Options{HTML: *html})
	}
	cfg.Out = stdout
	return exitStatus(torture.Run(ctx, f, cfg).Verdict)
}

// lookup finds a flavor by name; tests add their own flavors.
var lookup = flavors.Lookup

// exitStatus is the exit status of a run that ended in v.
func exitStatus(v torture.Verdict) int {
	switch v {
	case torture.Success:
		return 0
	case torture.Inconclusive:
		return 3
	}
	return 1
}

func listFlavors(w io.Writer) {
	fmt.Fprintln(w, "correct flavors (must end in SUCCESS):")
	for _, f := range flavors.All() {
		if !f.Broken {
			fmt.Fprintf(w, "  %-16s %s\n", f.Name, f.Doc)
		}
	}
	fmt.Fprintln(w, "broken flavors (negative controls, must end in FAILURE):")
	for _, f := range flavors.All() {
		if f.Broken {
			fmt.Fprintf(w, "  %-16s %s\n", f.Name, f.Doc)
		}
	}
}
