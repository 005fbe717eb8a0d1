// Command rcucheck checks recorded RCU histories against the model.
//
// Usage:
//
//	rcucheck [-timeout D] [-html out.html] history.json...
//
// Each history is checked by porcupine against the sequential model, and
// by the direct checker, which finds definite violations by interval
// arithmetic. A history is illegal if either finds it so; it is legal if
// porcupine finds a legal linearization (and the direct checker finds
// nothing); otherwise it is unknown.
//
// For an illegal history rcucheck prints the rule broken, the operations
// involved and the path of porcupine's HTML visualization: -html names the
// file (with several histories, each gets the file name with the
// history's name inserted before the extension); by default it goes to a
// new file in the system's temporary directory.
//
// Exit status: 0 if every history is legal; 1 if a history is illegal; 2
// for bad usage or a file that cannot be read or parsed (the message
// names the file and the position); 3 if a history could not be decided
// (timeout, or no point to cut it at). When histories differ, the first
// of 1, 2, 3 that applies wins.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// run is the command: it checks the histories args names, writes reports
// to stdout and errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rcucheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", linearize.DefaultTimeout, "give up on a history after `D`, and call it unknown")
	html := fs.String("html", "", "write the visualization of an illegal history to `out.html` (default: a new temporary file)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: rcucheck [-timeout D] [-html out.html] history.json...\n\n")
		fmt.Fprintf(fs.Output(), "Checks recorded RCU histories. Exit status: 0 all legal, 1 one illegal,\n2 bad usage or unreadable file, 3 undecided.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 || *timeout <= 0 {
		if *timeout <= 0 {
			fmt.Fprintf(stderr, "rcucheck: -timeout must be positive\n")
		}
		fs.Usage()
		return exitUsage
	}
	illegal, bad, unknown := false, false, false
	for _, path := range fs.Args() {
		h, err := linearize.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "rcucheck: %v\n", err)
			bad = true
			continue
		}
		dest, err := htmlFor(*html, path, fs.NArg())
		if err != nil {
			fmt.Fprintf(stderr, "rcucheck: %s: %v\n", path, err)
			bad = true
			continue
		}
		res := check(h, *timeout, dest)
		if res.Verdict != linearize.Illegal && dest != *html {
			os.Remove(dest) // the temporary file was not needed
		}
		fmt.Fprintf(stdout, "%s: %s", path, res.Report())
		switch res.Verdict {
		case linearize.Illegal:
			illegal = true
		case linearize.Unknown:
			unknown = true
		}
	}
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

// check runs both oracles. The direct checker only finds definite
// violations, so its Illegal stands even when porcupine is undecided.
func check(h linearize.History, timeout time.Duration, html string) linearize.Result {
	res := linearize.Check(h, linearize.Options{Timeout: timeout, HTML: html})
	if res.Verdict == linearize.Illegal {
		return res
	}
	dir := linearize.CheckDirect(h)
	switch {
	case dir.Verdict == linearize.Illegal && res.Verdict == linearize.Ok:
		dir.Detail += " (found by the direct checker; porcupine found a linearization, which is a bug in one of them)"
		return dir
	case dir.Verdict == linearize.Illegal:
		dir.Detail += " (found by the direct checker; porcupine: " + res.Reason + ")"
		return dir
	}
	return res
}

// htmlFor returns where the visualization of the history at path goes.
func htmlFor(flagValue, path string, n int) (string, error) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if flagValue == "" {
		f, err := os.CreateTemp("", "rcucheck-"+base+"-*.html")
		if err != nil {
			return "", err
		}
		f.Close()
		return f.Name(), nil
	}
	if fi, err := os.Stat(flagValue); n == 1 || err == nil && fi.IsDir() {
		return flagValue, nil
	}
	ext := filepath.Ext(flagValue)
	return strings.TrimSuffix(flagValue, ext) + "-" + base + ext, nil
}
