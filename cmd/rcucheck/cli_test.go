package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		args, files []string
		html        string
		q           bool
	}{
		{[]string{"a", "-html", "x", "b"}, []string{"a", "b"}, "x", false},
		{[]string{"a", "b", "-q"}, []string{"a", "b"}, "", true},
		{[]string{"-q", "a", "-html=x", "b", "c"}, []string{"a", "b", "c"}, "x", true},
		{[]string{"a", "--", "-html", "x"}, []string{"a", "-html", "x"}, "", false},
		{[]string{"a", "-q", "b", "--"}, []string{"a", "b"}, "", true},
		{[]string{"--", "--"}, []string{"--"}, "", false},
		{[]string{"-html", "--", "a"}, []string{"a"}, "--", false}, // a "--" that is a value
		{[]string{"-html", "--", "--", "-q"}, []string{"-q"}, "--", false},
		{[]string{"-html=--", "--", "-q"}, []string{"-q"}, "--", false},
		{[]string{"a", "-", "b"}, []string{"a", "-", "b"}, "", false},
		{nil, nil, "", false},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		html := fs.String("html", "", "")
		q := fs.Bool("q", false, "")
		files, err := parseArgs(fs, c.args)
		if err != nil || !slices.Equal(files, c.files) || *html != c.html || *q != c.q {
			t.Errorf("%q: files %q, -html %q, -q %t, error %v; want %q, %q, %t", c.args, files, *html, *q, err, c.files, c.html, c.q)
		}
	}
}

// Flags after a history file are flags, and -- ends them.
func TestFlagsAfterFiles(t *testing.T) {
	dir := t.TempDir()
	bad := copyHistories(t, dir, "sync-early-bad.json")[0]
	html := filepath.Join(t.TempDir(), "x.html")
	code, out, errOut := runCmd(t, bad, "-html", html)
	if code != 1 || !strings.Contains(out, "visualization: "+html+"\n") || errOut != "" {
		t.Fatalf("exit %d, want 1 with the visualization in %s\n%s%s", code, html, out, errOut)
	}
	if _, err := os.Stat(html); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "-html")); err == nil {
		t.Fatal("-html was taken for a file")
	}
	// After --, "-html" is a file name.
	code, _, errOut = runCmd(t, "-html", t.TempDir(), rules+"sync-early-ok.json", "--", "-html")
	if code != 2 || !strings.Contains(errOut, "open -html:") {
		t.Fatalf("exit %d, want 2 for the missing file -html; stderr %q", code, errOut)
	}
	// A bad flag after the files is still a bad flag.
	for _, args := range [][]string{{rules + "sync-early-ok.json", "-bogus"}, {rules + "sync-early-ok.json", "-timeout", "0s"}, {rules + "sync-early-ok.json", "-timeout"}} {
		code, out, errOut := runCmd(t, args...)
		name := strings.TrimPrefix(args[1], "-")
		if code != 2 || !strings.Contains(errOut, "usage: rcucheck") || !strings.Contains(errOut, "-"+name) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// The precedence of exit statuses is in -h and in the package doc.
func TestUsageStatesExitStatus(t *testing.T) {
	const want = "When histories differ, the first of 1, 2, 3 that applies wins: an illegal history and an unreadable file exit 1"
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	code, _, errOut := runCmd(t, "-h")
	if code != 0 || !strings.Contains(words(errOut), want) || !strings.Contains(errOut, "-generate N") {
		t.Errorf("-h: exit %d, output lacks %q:\n%s", code, want, errOut)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if doc := words(f.Doc.Text()); !strings.Contains(doc, want) {
		t.Errorf("the package doc lacks %q", want)
	}
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		illegal, bad, unknown bool
		want                  int
	}{
		{false, false, false, 0},
		{true, false, false, 1},
		{false, true, false, 2},
		{false, false, true, 3},
		{true, true, false, 1},
		{true, false, true, 1},
		{false, true, true, 2},
		{true, true, true, 1},
	} {
		if got := exitStatus(c.illegal, c.bad, c.unknown); got != c.want {
			t.Errorf("exitStatus(illegal %t, bad %t, unknown %t) = %d, want %d", c.illegal, c.bad, c.unknown, got, c.want)
		}
	}
}

// undecided writes a legal history that porcupine cannot decide, however
// fast the machine: a reader stays inside across more publications than
// a partition may hold, so there is no point to cut it at.
func undecided(t *testing.T) string {
	t.Helper()
	h := linearize.History{{Client: 0, Call: 0, Return: 1, Op: model.Op{Kind: model.ReadBegin, ID: 1}}}
	for v := range uint64(linearize.DefaultMaxPartition) {
		at := int64(2 + 2*v)
		h = append(h, linearize.Event{Client: 1, Call: at, Return: at + 1, Op: model.Op{Kind: model.Publish, Version: v + 1}})
	}
	at := h[len(h)-1].Return + 1
	h = append(h, linearize.Event{Client: 0, Call: at, Return: at + 1, Op: model.Op{Kind: model.ReadEnd, ID: 1}})
	path := filepath.Join(t.TempDir(), "undecided.json")
	if err := linearize.Save(path, h); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMixedExitStatus(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	und := undecided(t)
	if code, out, _ := runCmd(t, und); code != 3 || !strings.Contains(out, "unknown:") || !strings.Contains(out, "over the cap") {
		t.Fatalf("the undecided history alone: exit %d, want 3\n%s", code, out)
	}
	bad := copyHistories(t, t.TempDir(), "barrier-early-bad.json")[0]
	for _, c := range []struct {
		files []string
		want  int
	}{
		{[]string{bad, missing}, 1},
		{[]string{missing, bad}, 1},
		{[]string{missing, und}, 2},
		{[]string{und, missing}, 2},
		{[]string{und, bad}, 1},
		{[]string{und, rules + "sync-early-ok.json"}, 3},
	} {
		if code, out, errOut := runCmd(t, c.files...); code != c.want {
			t.Errorf("%q: exit %d, want %d\n%s%s", c.files, code, c.want, out, errOut)
		}
	}
}

func TestCombine(t *testing.T) {
	ok := linearize.Result{Verdict: linearize.Ok}
	unknown := linearize.Result{Verdict: linearize.Unknown, Reason: "timeout"}
	pIllegal := linearize.Result{Verdict: linearize.Illegal, Rule: model.SyncEarly, Detail: "p"}
	dIllegal := linearize.Result{Verdict: linearize.Illegal, Rule: model.SyncEarly, Detail: "d"}
	for _, c := range []struct {
		res, dir linearize.Result
		verdict  linearize.Verdict
		detail   string
	}{
		{ok, ok, linearize.Ok, ""},
		{unknown, ok, linearize.Unknown, ""},
		{pIllegal, dIllegal, linearize.Illegal, "p"},
		{pIllegal, ok, linearize.Illegal, "p (found by porcupine; the direct checker, which sees only what the times alone prove, found nothing)"},
		{ok, dIllegal, linearize.Illegal, "d (found by the direct checker; porcupine found a linearization, which is a bug in one of them)"},
		{unknown, dIllegal, linearize.Illegal, "d (found by the direct checker; porcupine: timeout)"},
	} {
		got := combine(c.res, c.dir)
		if got.Verdict != c.verdict || got.Detail != c.detail {
			t.Errorf("porcupine %s, direct %s: got %s %q, want %s %q", c.res.Verdict, c.dir.Verdict, got.Verdict, got.Detail, c.verdict, c.detail)
		}
	}
}

// runTerminal runs rcucheck as on a terminal, with a progress line for
// files of any size.
func runTerminal(t *testing.T, terminal bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = command{stdout: &out, stderr: &errOut, terminal: terminal, progressFrom: 0}.run(args)
	return code, out.String(), errOut.String()
}

var segmentsLine = regexp.MustCompile(`ok: \d+ events in (\d+) segments`)

func TestProgressLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.json")
	if err := linearize.Save(path, generate(5000, 3)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runTerminal(t, true, path)
	m := segmentsLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	final := fmt.Sprintf("%s: %s/%s segments checked, ", path, m[1], m[1])
	if !strings.HasPrefix(errOut, "\r"+path+": reading") || !strings.Contains(errOut, "\r"+path+": checking") ||
		!strings.Contains(errOut, "\r"+final) || !strings.HasSuffix(errOut, "\n") || strings.Count(errOut, "\n") != 1 ||
		!regexp.MustCompile(`segments checked, (\d+(\.\d)?[kM]?|-) events/s *\n$`).MatchString(errOut) {
		t.Fatalf("progress on stderr: %q; want it to end with %q and a newline", errOut, final)
	}
	// Off with -q, off when stderr is no terminal, off for small files.
	for _, c := range []struct {
		terminal bool
		args     []string
	}{{true, []string{"-q", path}}, {true, []string{path, "-q"}}, {false, []string{path}}} {
		if code, _, errOut := runTerminal(t, c.terminal, c.args...); code != 0 || errOut != "" {
			t.Errorf("terminal %t, %q: exit %d, stderr %q", c.terminal, c.args, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, path); code != 0 || errOut != "" {
		t.Errorf("not a terminal: exit %d, stderr %q", code, errOut)
	}
	var out2, errOut2 bytes.Buffer
	if code := (command{stdout: &out2, stderr: &errOut2, terminal: true, progressFrom: progressFrom}).run([]string{path}); code != 0 || errOut2.Len() != 0 {
		t.Errorf("a small file on a terminal: exit %d, stderr %q", code, errOut2.String())
	}
}

// The progress line blanks what is left of a longer line drawn before,
// always draws the last segment, and ends with a newline only if drawn.
func TestProgressLineDrawing(t *testing.T) {
	var b bytes.Buffer
	p := &progressLine{w: &b, name: "h"}
	p.show("a long line")
	p.show("short")
	report := p.report()
	report(linearize.Progress{Done: 3, Total: 3, Events: 30})
	p.end()
	want := regexp.MustCompile(`^\rh: a long line\rh: short      \rh: checking\rh: 3/3 segments checked, \S+ events/s *\n$`)
	if !want.MatchString(b.String()) {
		t.Fatalf("drew %q", b.String())
	}
	var nothing *progressLine
	nothing.show("x")
	nothing.end()
	if nothing.report() != nil {
		t.Fatal("a nil progress line reports")
	}
	b.Reset()
	(&progressLine{w: &b, name: "h"}).end()
	if b.Len() != 0 {
		t.Fatalf("a line never drawn ended with %q", b.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Fatal("a file or a buffer taken for a terminal")
	}
}
