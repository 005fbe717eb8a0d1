package torture

// Main: the whole rcutorture command line, for any flavors. cmd/rcutorture
// is Main over the flavors of torture/flavors; an outside module builds
// its own rcutorture the same way.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/rcuops"
)

// Main is the rcutorture command for the given flavors. It parses the
// command line, runs the flavor it names, and ends the process with the
// run's exit status; it does not return. An outside module gets the whole
// command for its own RCU from a main of three lines,
//
//	package main
//
//	import (
//		"example.com/myrcu"
//		"github.com/rcukit/rcukit/torture"
//	)
//
//	func main() { torture.Main(myrcu.Flavors()...) }
//
// where myrcu.Flavor is the implementation's rcuops.Flavor; cmd/rcutorture
// is Main over the flavors of torture/flavors.
//
// The flags are Config's (Config.RegisterFlags, with DefaultConfig's
// values as defaults) and:
//
//	-flavor name   the flavor to run; the first of flavors by default
//	-list          list the flavors, correct ones first, and exit
//	-check         record the history and check it against the RCU model
//	               (NewChecker); the stutter period then defaults to 200ms
//	-check-html p  with -check: where to write the visualization of an
//	               illegal history (a directory or a file)
//
// SIGINT ends the run early, cleanly: final stats and a verdict. The exit
// status is 0 for SUCCESS, 1 for FAILURE, 3 for INCONCLUSIVE and 2 for a
// bad command line.
//
// Every reproduce command the run prints begins with the command that runs
// this same main again (Config.Program), taken from the binary's build
// information: "go run ./cmd/myrcutorture" for a main package at cmd/myrcutorture
// of the module it was built in (to run from that module's root), with
// -race and -tags as the binary was built and the flavor's Tags; or "go run
// example.com/mod/cmd/myrcutorture@v1.2.3" for a binary installed at a
// version. A binary whose build information cannot say (built from a list
// of files) prints what Config.Command prints without a Program.
//
// A flavor without a New function but with Tags is a flavor of another
// build (torture/flavors.Elsewhere): -list shows it under the tags that
// build it, and -flavor with its name exits with status 2, saying which
// command runs it.
//
// Main panics with a "torture: ..." message if flavors has no flavor that
// this build can run, or if a flavor lacks a Name, or lacks a New
// function without naming the Tags that build it, or two share a name.
func Main(flavors ...rcuops.Flavor) {
	checkFlavors(flavors)
	bi, _ := debug.ReadBuildInfo()
	c := command{name: filepath.Base(os.Args[0]), flavors: flavors, build: bi}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := c.run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func checkFlavors(flavors []rcuops.Flavor) {
	if len(flavors) == 0 {
		panic("torture: Main needs at least one flavor")
	}
	if !slices.ContainsFunc(flavors, runnable) {
		panic("torture: Main needs at least one flavor with a New function")
	}
	seen := map[string]bool{}
	for _, f := range flavors {
		switch {
		case f.Name == "" || (f.New == nil && f.Tags == ""):
			panic(fmt.Sprintf("torture: Main: flavor %q needs a Name and a New function (or, for a flavor of another build, its Tags)", f.Name))
		case seen[f.Name]:
			panic(fmt.Sprintf("torture: Main: two flavors are called %q", f.Name))
		}
		seen[f.Name] = true
	}
}

// runnable reports whether this build can run f: it is not a flavor of
// another build.
func runnable(f rcuops.Flavor) bool { return f.New != nil }

// command is the command line of Main.
type command struct {
	name    string // the program's name, for the usage and its messages
	flavors []rcuops.Flavor
	build   *debug.BuildInfo // the binary's, for Config.Program; nil: none
}

// checkStutter is the stutter period -check uses unless -stutter is given:
// each pause cuts the history into a segment that porcupine can check.
const checkStutter = 200 * time.Millisecond

// run is the whole command; it returns the exit status.
func (c *command) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := DefaultConfig()
	cfg.RegisterFlags(fs)
	flavor := fs.String("flavor", c.flavors[slices.IndexFunc(c.flavors, runnable)].Name, "the RCU flavor to torture (see -list)")
	list := fs.Bool("list", false, "list the flavors and exit")
	check := fs.Bool("check", false, "record the history and check it against the RCU model (linearize)")
	html := fs.String("check-html", os.TempDir(), "with -check: where to write the visualization of an illegal history (a directory or a file)")
	report := fs.String("html", "", "write a self-contained HTML report of the run to this file")
	jsonOut := fs.String("json", "", "write the run's JSON stream (schema "+JSONSchema+") to this file; - for standard output, the text report then going to standard error")
	var names []string
	for _, f := range c.flavors {
		if runnable(f) {
			names = append(names, f.Name)
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags]\n\nStresses an RCU flavor and ends with \"End of test: SUCCESS\" (exit status 0),\n\"End of test: FAILURE\" (1) or \"End of test: INCONCLUSIVE\" (3: the run could not judge).\nFlavors: %s\n\nFlags:\n",
			c.name, strings.Join(names, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %s\n", c.name, strings.Join(fs.Args(), " "))
		fs.Usage()
		return 2
	}
	if *list {
		listFlavors(stdout, c.flavors)
		return 0
	}
	i := slices.IndexFunc(c.flavors, func(f rcuops.Flavor) bool { return f.Name == *flavor })
	if i < 0 {
		msg := fmt.Sprintf("%s: unknown flavor %q", c.name, *flavor)
		if near := Nearest(*flavor, c.flavors); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		fmt.Fprintf(stderr, "%s; valid flavors: %s\n", msg, strings.Join(names, ", "))
		return 2
	}
	f := c.flavors[i]
	if !runnable(f) {
		fmt.Fprintf(stderr, "%s: flavor %q exists only in a build with -tags %s; run it with: %s\n",
			c.name, f.Name, f.Tags, strings.Join(append(strings.Fields(program(c.build, f.Tags)), "-flavor", f.Name), " "))
		return 2
	}
	if err := cfg.Validate(); err != nil {
		var ce *ConfigError
		msg := err.Error()
		if errors.As(err, &ce) {
			msg = fmt.Sprintf("-%s %s", ce.Flag, ce.Msg)
		}
		fmt.Fprintf(stderr, "%s: %s\n", c.name, msg)
		fs.Usage()
		fmt.Fprintf(stderr, "%s: %s\n", c.name, msg) // again, below the usage
		return 2
	}
	if set := setFlags(fs); set["check-html"] && !*check {
		fmt.Fprintf(stderr, "%s: -check-html needs -check\n", c.name)
		return 2
	}
	if *check {
		if !setFlags(fs)["stutter"] {
			cfg.Stutter = checkStutter
		}
		if cfg.Stutter == 0 {
			fmt.Fprintf(stderr, "%s: -check needs stutter pauses to cut the history at; -stutter 0 leaves none\n", c.name)
			return 2
		}
		cfg.Recorder = NewChecker(linearize.Options{HTML: *html})
	}
	cfg.Program = program(c.build, f.Tags)
	cfg.Out = stdout
	// Both files are made before the run, so that a path that cannot be
	// written is a bad command line, not a run lost at its end. The
	// report is written to a temporary file beside its path and renamed
	// into place when it is whole, so that a run that dies leaves an
	// earlier report as it was; the stream is written as it goes, for
	// whoever follows it.
	badOutput := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", c.name, err)
		fs.Usage()
		fmt.Fprintf(stderr, "%s: %v\n", c.name, err) // again, below the usage
		return 2
	}
	switch {
	case *report == "-":
		return badOutput(fmt.Errorf("-html -: the report needs a file (only -json takes - for standard output)"))
	case *report != "" && *jsonOut != "" && *jsonOut != "-" && filepath.Clean(*report) == filepath.Clean(*jsonOut):
		return badOutput(fmt.Errorf("-html and -json both name %s; give them different files", *report))
	}
	var reportTmp *os.File
	if *report != "" {
		var err error
		if reportTmp, err = createTemp("html", *report); err != nil {
			return badOutput(err)
		}
		defer func() {
			reportTmp.Close()
			os.Remove(reportTmp.Name()) // fails once renamed into place
		}()
	}
	var jsonFile *os.File
	var jw *errWriter
	switch *jsonOut {
	case "":
	case "-":
		cfg.JSON, cfg.Out = stdout, stderr
	default:
		if st, err := os.Stat(*jsonOut); err == nil && st.IsDir() {
			return badOutput(fmt.Errorf("-json %s: is a directory; give a file", *jsonOut))
		}
		f, err := os.Create(*jsonOut)
		if err != nil {
			return badOutput(fmt.Errorf("-json: %w", err))
		}
		defer f.Close()
		jsonFile, jw = f, &errWriter{w: f}
		cfg.JSON = jw
	}
	res := Run(ctx, f, cfg)
	code := exitStatus(res.Verdict)
	fail := func(err error) {
		fmt.Fprintf(stderr, "%s: %v\n", c.name, err)
		code = max(code, 1) // a report that was asked for and is missing is a failure of the command
	}
	if jsonFile != nil {
		err := jw.err
		if cerr := jsonFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fail(fmt.Errorf("-json: writing %s: %w", *jsonOut, err))
		}
	}
	if reportTmp != nil {
		err := res.WriteHTML(reportTmp)
		if cerr := reportTmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(reportTmp.Name(), *report)
		}
		if err != nil {
			fail(fmt.Errorf("-html: writing %s: %w", *report, err))
		}
	}
	return code
}

// createTemp makes the temporary file that flag -name's file is written
// to, beside path, after checking that path can be a file.
func createTemp(name, path string) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("-%s %s: is a directory; give a file", name, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("-%s %s: cannot create a file in %s: %w", name, path, filepath.Dir(path), errors.Unwrap(err))
	}
	if err := f.Chmod(0o644); err != nil { // a report is for reading, as os.Create would make it
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("-%s %s: %w", name, path, err)
	}
	return f, nil
}

// errWriter keeps the first error of its writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// setFlags returns the names of the flags the command line set.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// exitStatus is the exit status of a run that ended in v.
func exitStatus(v Verdict) int {
	switch v {
	case Success:
		return 0
	case Inconclusive:
		return 3
	}
	return 1
}

// listFlavors prints the flavors, the correct ones first, then the
// flavors of other builds under the tags that build them; ci/torture.sh
// reads this format.
func listFlavors(w io.Writer, flavors []rcuops.Flavor) {
	width := 16
	for _, f := range flavors {
		width = max(width, len(f.Name))
	}
	for _, group := range []struct {
		broken bool
		title  string
	}{
		{false, "correct flavors (must end in SUCCESS):"},
		{true, "broken flavors (negative controls, must end in FAILURE):"},
	} {
		in := func(f rcuops.Flavor) bool { return runnable(f) && f.Broken == group.broken }
		if !slices.ContainsFunc(flavors, in) {
			continue
		}
		fmt.Fprintln(w, group.title)
		for _, f := range flavors {
			if in(f) {
				fmt.Fprintf(w, "  %-*s %s\n", width, f.Name, f.Doc)
			}
		}
	}
	var tags []string
	for _, f := range flavors {
		if !runnable(f) && !slices.Contains(tags, f.Tags) {
			tags = append(tags, f.Tags)
		}
	}
	for _, t := range tags {
		fmt.Fprintf(w, "only in a build with -tags %s:\n", t)
		for _, f := range flavors {
			if !runnable(f) && f.Tags == t {
				fmt.Fprintf(w, "  %-*s %s\n", width, f.Name, f.Doc)
			}
		}
	}
}

// program returns the command that runs the binary that bi describes
// again (see Main), with the build tags it was built with and those of
// the flavor it runs, or "" when bi cannot say.
func program(bi *debug.BuildInfo, flavorTags string) string {
	if bi == nil {
		return ""
	}
	race, vcs := false, false
	var tags []string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "-race":
			race = s.Value == "true"
		case s.Key == "-tags":
			tags = splitTags(s.Value)
		case s.Key == "vcs":
			vcs = true
		}
	}
	var pkg string
	switch mod, v := bi.Main.Path, bi.Main.Version; {
	case bi.Path == "" || bi.Path == "command-line-arguments" || strings.HasSuffix(bi.Path, ".test") || mod == "":
		return "" // a list of files, or a test binary: no main package to name
	case v != "" && v != "(devel)" && !vcs && !strings.HasSuffix(v, "+dirty"):
		pkg = bi.Path + "@" + v // installed from the module cache at a version
	case bi.Path == mod:
		pkg = "."
	case strings.HasPrefix(bi.Path, mod+"/"):
		pkg = "./" + strings.TrimPrefix(bi.Path, mod+"/")
	default:
		return ""
	}
	for _, t := range splitTags(flavorTags) {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	cmd := []string{"go", "run"}
	if race {
		cmd = append(cmd, "-race")
	}
	if len(tags) > 0 {
		cmd = append(cmd, "-tags", strings.Join(tags, ","))
	}
	return strings.Join(append(cmd, pkg), " ")
}

// splitTags splits a list of build tags, comma- or space-separated.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// Nearest returns the name of the flavor closest to name by edit distance,
// within two edits, for "did you mean" hints; "" if none is that close.
func Nearest(name string, flavors []rcuops.Flavor) string {
	best, bestD := "", 3
	for _, f := range flavors {
		if d := editDistance(strings.ToLower(name), f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
