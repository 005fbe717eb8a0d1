// Command rcucheck checks recorded RCU histories against the model.
//
// Usage:
//
//	rcucheck [-q] [-timeout D] [-html DIR/|FILE.html] history.json...
//	rcucheck -generate N [-seed S] >history.json
//
// Flags may come before, between or after the files; -- ends the flags.
//
// Each history is checked by two oracles at once: porcupine against the
// sequential model, and the direct checker, which finds definite
// violations by interval arithmetic. A history is illegal if either finds
// it so; it is legal if porcupine finds a legal linearization (and the
// direct checker finds nothing); otherwise it is unknown. The report says
// which oracle found a violation, and says so when the two disagree.
//
// For an illegal history rcucheck prints the rule broken, the operations
// involved and the path of porcupine's HTML visualization. Only illegal
// histories get one, and only when porcupine found the violation: one
// that the direct checker alone found (porcupine timed out) has no
// visualization. By default the file goes next to the history, with .html
// for .json (runs/a.json: runs/a.html); -html DIR/ (an existing
// directory, or a path ending in a separator, made if needed) puts it in
// DIR as NAME.html for NAME.json; -html FILE.html names the file (with
// several histories, each gets the file name with the history's name
// inserted before the extension: FILE-NAME.html). Histories that would
// share a file get one each, the later ones with -2, -3, ... before the
// extension (dir1/h.json, dir2/h.json: DIR/h.html, DIR/h-2.html). If
// the visualization cannot be written (a read-only directory), rcucheck
// says so on stderr and the verdict and exit status stand. Any other value
// of -html is bad usage, so that a shell glob after it (-html runs/*.json)
// cannot write over a history; a directory that -html made and no
// visualization went into is removed again.
//
// For a history file of 4 MiB or more, when stderr is a terminal,
// rcucheck shows the progress of the check on stderr: segments checked
// out of the total, and events checked per second, on one line redrawn in
// place. -q turns it off.
//
// -generate N writes to stdout, in the history file format, a legal
// history of about N events generated from the seed -seed S (default 1),
// the same for the same N and S, and checks nothing. It is a sequential
// run of the model on six clients doing every kind of operation, with
// neighbouring operations overlapping in time and a quiescent point about
// every 1,000 events, for measuring the checkers at scale:
//
//	rcucheck -generate 1000000 >big.json && rcucheck big.json
//
// Exit status: 0 if every history is legal; 1 if a history is illegal; 2
// for bad usage or a file that cannot be read or parsed (the message
// names the file and the position), or, with -generate, a history that
// cannot be written; 3 if a history could not be decided (timeout, or no
// point to cut it at). When histories differ, the first of 1, 2, 3 that
// applies wins: an illegal history and an unreadable file exit 1; an
// unreadable file and an undecided history exit 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcukit/rcukit/linearize"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit statuses.
const (
	exitOK      = 0
	exitIllegal = 1
	exitUsage   = 2
	exitUnknown = 3
)

// exitStatus is the exit status of a run in which some history was
// illegal, some file could not be read or parsed, or some history could
// not be decided: the first of 1, 2, 3 that applies, or 0.
func exitStatus(illegal, bad, unknown bool) int {
	switch {
	case illegal:
		return exitIllegal
	case bad:
		return exitUsage
	case unknown:
		return exitUnknown
	}
	return exitOK
}

// progressFrom is the size of the smallest history file, in bytes, whose
// check shows a progress line.
const progressFrom = 4 << 20

// run is the command: it runs the arguments args, writes reports to stdout
// and errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	c := command{stdout: stdout, stderr: stderr, terminal: isTerminal(stderr), progressFrom: progressFrom}
	return c.run(args)
}

// A command is one run of rcucheck with what it takes from its
// surroundings, which tests set as they need.
type command struct {
	stdout, stderr io.Writer
	terminal       bool  // stderr is a terminal, where a progress line can be drawn
	progressFrom   int64 // the smallest history file, in bytes, that gets a progress line
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const usageText = `usage: rcucheck [-q] [-timeout D] [-html DIR/|FILE.html] history.json...
       rcucheck -generate N [-seed S] >history.json

Checks recorded RCU histories with two oracles: porcupine against the
sequential model, and the direct checker. Flags may come before or after
the files; -- ends the flags. The visualization of an illegal history is
written next to it (a.json: a.html), or where -html says.

Exit status: 0 every history legal; 1 a history illegal; 2 bad usage, or
a file that cannot be read or parsed; 3 a history undecided (timeout, or
no point to cut it at). When histories differ, the first of 1, 2, 3 that
applies wins: an illegal history and an unreadable file exit 1, an
unreadable file and an undecided history exit 2.

Flags:
`

func (c command) run(args []string) int {
	fs := flag.NewFlagSet("rcucheck", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	timeout := fs.Duration("timeout", linearize.DefaultTimeout, "give up on a history after `D`, and call it unknown")
	html := fs.String("html", "", "write the visualization of an illegal history to `DIR/|FILE.html`: into a directory\n(existing, or ending in a separator and made if needed) as NAME.html for NAME.json;\nto a file name as it is, or, with several histories, as FILE-NAME.html\n(default: next to the history, NAME.html for NAME.json)")
	quiet := fs.Bool("q", false, "show no progress line (shown on a terminal for history files of 4 MiB or more)")
	generateN := fs.Int("generate", 0, "write a generated legal history of about `N` events to stdout, and check nothing")
	seed := fs.Uint64("seed", 1, "the seed `S` of -generate")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	usage := func(format string, args ...any) int {
		fmt.Fprintf(c.stderr, "rcucheck: "+format+"\n", args...)
		fs.Usage()
		return exitUsage
	}
	switch {
	case set["generate"] && *generateN <= 0:
		return usage("-generate must be positive")
	case set["generate"] && len(files) > 0:
		return usage("-generate writes a history and checks none, but history files were given")
	case set["seed"] && !set["generate"]:
		return usage("-seed goes with -generate")
	case set["generate"]:
		if err := linearize.Encode(c.stdout, generate(*generateN, *seed)); err != nil {
			fmt.Fprintf(c.stderr, "rcucheck: -generate: %v\n", err)
			return exitUsage
		}
		return exitOK
	case *timeout <= 0:
		return usage("-timeout must be positive")
	case len(files) == 0:
		fs.Usage()
		return exitUsage
	}
	if err := checkHTMLFlag(*html); err != nil {
		return usage("-html: %v", err)
	}
	dest, err := newHTMLDest(*html, len(files))
	if err != nil {
		fmt.Fprintf(c.stderr, "rcucheck: -html: %v\n", err)
		return exitUsage
	}
	defer dest.tidy()
	illegal, bad, unknown := false, false, false
	for _, path := range files {
		var prog *progressLine
		if fi, err := os.Stat(path); err == nil && !*quiet && c.terminal && fi.Size() >= c.progressFrom {
			prog = &progressLine{w: c.stderr, name: path}
			prog.show("reading")
		}
		h, err := linearize.Load(path)
		if err != nil {
			prog.end()
			fmt.Fprintf(c.stderr, "rcucheck: %v\n", err)
			bad = true
			continue
		}
		file := dest.file(path)
		res, vizErr := check(h, *timeout, file, prog.report())
		prog.end()
		fmt.Fprintf(c.stdout, "%s: %s", path, res.Report())
		if vizErr != "" {
			how := ""
			if *html == "" {
				how = "; choose where with -html DIR/ or -html FILE.html"
			}
			fmt.Fprintf(c.stderr, "rcucheck: %s: the visualization could not be written to %s: %s%s\n", path, file, vizErr, how)
		}
		switch res.Verdict {
		case linearize.Illegal:
			illegal = true
		case linearize.Unknown:
			unknown = true
		}
	}
	return exitStatus(illegal, bad, unknown)
}

// parseArgs parses the flags in args wherever they are, and returns the
// other arguments in order. The flag package stops at the first argument
// that is not a flag, so it parses again after each; an argument "--"
// that is not a flag's value ends the flags, and what follows it is
// returned as it is.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if endedByDashes(fs, args, len(args)-len(left)) {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// endedByDashes reports whether fs.Parse(args) stopped because of a "--",
// having taken the first n arguments: it took the "--" if the "--" is
// the last of them and not the value of a flag before it.
func endedByDashes(fs *flag.FlagSet, args []string, n int) bool {
	if n == 0 || args[n-1] != "--" {
		return false
	}
	// The arguments taken are flags and their values. Walk them as the
	// flag package does to see what the "--" was.
	for i := 0; i < n; i++ {
		name := strings.TrimLeft(args[i], "-")
		if args[i] == "--" {
			return i == n-1
		}
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBool(f) {
			i++ // its value
		}
	}
	return false
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// check runs both oracles at once and combines their results. If
// porcupine was to write a visualization and could not, vizErr says why
// (and the result, which goes to stdout, does not).
func check(h linearize.History, timeout time.Duration, html string, progress func(linearize.Progress)) (res linearize.Result, vizErr string) {
	// Check would make a new file inside a directory of that name.
	taken := false
	if fi, err := os.Stat(html); html != "" && err == nil && fi.IsDir() {
		html, taken = "", true
	}
	var dir linearize.Result
	var wg sync.WaitGroup
	wg.Go(func() { dir = linearize.CheckDirect(h) })
	res = linearize.Check(h, linearize.Options{Timeout: timeout, HTML: html, Progress: progress})
	wg.Wait()
	switch {
	case res.Verdict != linearize.Illegal:
	case taken:
		vizErr = "a directory has its name"
	case res.VisualizationErr != nil:
		vizErr, res.VisualizationErr = res.VisualizationErr.Error(), nil
	}
	return combine(res, dir), vizErr
}

// combine returns the verdict of porcupine's result res and the direct
// checker's dir, saying which found a violation when they disagree. The
// direct checker only finds definite violations, so its Illegal stands
// even when porcupine is undecided; and it may miss a violation that
// porcupine finds.
func combine(res, dir linearize.Result) linearize.Result {
	switch {
	case res.Verdict == linearize.Illegal && dir.Verdict == linearize.Ok:
		res.Detail += " (found by porcupine; the direct checker, which sees only what the times alone prove, found nothing)"
	case res.Verdict == linearize.Illegal:
	case dir.Verdict == linearize.Illegal && res.Verdict == linearize.Ok:
		dir.Detail += " (found by the direct checker; porcupine found a linearization, which is a bug in one of them)"
		return dir
	case dir.Verdict == linearize.Illegal:
		dir.Detail += " (found by the direct checker; porcupine: " + res.Reason + ")"
		return dir
	}
	return res
}

// checkHTMLFlag refuses a value of -html that names neither a directory
// nor an .html file: rcucheck -html runs/*.json would otherwise write a
// visualization over the first history.
func checkHTMLFlag(v string) error {
	if v == "" || os.IsPathSeparator(v[len(v)-1]) {
		return nil
	}
	if fi, err := os.Stat(v); err == nil && fi.IsDir() {
		return nil
	}
	if ext := strings.ToLower(filepath.Ext(v)); ext != ".html" && ext != ".htm" {
		return fmt.Errorf("%q is neither a directory nor a file name ending in .html (a directory may end in %c to be made)", v, filepath.Separator)
	}
	return nil
}

// An htmlDest says where the visualizations of one run go.
type htmlDest struct {
	flag string            // the value of -html
	made bool              // the directory it names was made by this run
	dir  bool              // it names a directory
	n    int               // histories in the run
	used map[string]string // each file handed out, and the history it is for
}

// newHTMLDest returns where the visualizations go for -html flagValue
// and n histories; it makes the directory that flagValue names if it
// ends in a separator.
func newHTMLDest(flagValue string, n int) (*htmlDest, error) {
	d := &htmlDest{flag: flagValue, n: n, used: map[string]string{}}
	switch fi, err := os.Stat(flagValue); {
	case flagValue == "":
	case err == nil && fi.IsDir():
		d.dir = true
	case os.IsPathSeparator(flagValue[len(flagValue)-1]):
		if err := os.MkdirAll(flagValue, 0o777); err != nil {
			return nil, err
		}
		d.dir, d.made = true, true
	}
	return d, nil
}

// tidy removes the directory the run made if it stayed empty: no
// history was illegal.
func (d *htmlDest) tidy() {
	if d.made {
		os.Remove(d.flag) // fails, as it should, unless it is empty
	}
}

// file returns where the visualization of the history at path goes.
func (d *htmlDest) file(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var f string
	switch {
	case d.flag == "":
		f = strings.TrimSuffix(path, ".json") + ".html"
	case d.dir:
		f = filepath.Join(d.flag, base+".html")
	case d.n == 1:
		f = d.flag
	default:
		ext := filepath.Ext(d.flag)
		f = strings.TrimSuffix(d.flag, ext) + "-" + base + ext
	}
	// Histories of one name in different directories get a file each.
	ext := filepath.Ext(f)
	name := f
	for i := 2; d.used[name] != "" && d.used[name] != path; i++ {
		name = strings.TrimSuffix(f, ext) + "-" + strconv.Itoa(i) + ext
	}
	d.used[name] = path
	return name
}

// progressEvery is how often the progress line is redrawn at most.
const progressEvery = 100 * time.Millisecond

// A progressLine shows how far the check of one history has got, on one
// line of a terminal that it redraws in place. A nil *progressLine shows
// nothing.
type progressLine struct {
	w     io.Writer
	name  string
	mu    sync.Mutex
	start time.Time // when the check began
	drawn time.Time // when the line was last drawn
	width int       // the length of the line drawn last; 0 if none
}

// show draws the line with text.
func (p *progressLine) show(text string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(text)
}

func (p *progressLine) draw(text string) {
	line := p.name + ": " + text
	pad := max(0, p.width-len(line)) // blank what is left of a longer line
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.width = len(line)
	p.drawn = time.Now()
}

// report returns the function for linearize.Options.Progress, or nil,
// and starts the clock.
func (p *progressLine) report() func(linearize.Progress) {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.start = time.Now()
	p.draw("checking")
	p.mu.Unlock()
	return p.update
}

func (p *progressLine) update(pr linearize.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if pr.Done < pr.Total && now.Sub(p.drawn) < progressEvery {
		return
	}
	p.draw(fmt.Sprintf("%d/%d segments checked, %s events/s", pr.Done, pr.Total, rate(pr.Events, now.Sub(p.start))))
}

// rate formats n events in d per second, briefly.
func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	r := float64(n) / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// end ends the line, if one was drawn, with a newline.
func (p *progressLine) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}
