package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const rules = "../../linearize/testdata/rules/"

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	noVisualizationsIn(t, rules)
	return code, out.String(), errOut.String()
}

// noVisualizationsIn fails the test if dir has an HTML file: the tests
// must not leave visualizations next to the histories of testdata (a
// history in testdata that is illegal is run with -html, or copied).
func noVisualizationsIn(t *testing.T, dir string) {
	t.Helper()
	if found, _ := filepath.Glob(filepath.Join(dir, "*.html")); len(found) > 0 {
		t.Fatalf("a visualization was written into %s: %v", dir, found)
	}
}

// copyHistories copies the histories of testdata/rules named into dir,
// and returns their paths there.
func copyHistories(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, name := range names {
		data, err := os.ReadFile(rules + name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

var vizLine = regexp.MustCompile(`visualization: (\S+\.html)`)

func TestLegal(t *testing.T) {
	code, out, errOut := runCmd(t, rules+"sync-early-ok.json", rules+"barrier-early-ok.json")
	if code != 0 || strings.Count(out, ": ok:") != 2 || errOut != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestIllegal(t *testing.T) {
	html := filepath.Join(t.ArtifactDir(), "out.html")
	code, out, _ := runCmd(t, "-html", html, rules+"callback-early-bad.json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"illegal: callback-early:", "-> t=[5,6] client 2: invoke k1", "read-begin r1", "visualization: " + html} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(html); err != nil {
		t.Fatal(err)
	}
}

// Without -html the visualization of an illegal history goes next to it,
// and a legal history gets none.
func TestIllegalDefaultVisualization(t *testing.T) {
	dir := t.TempDir()
	paths := copyHistories(t, dir, "poll-early-bad.json", "poll-early-ok.json")
	code, out, errOut := runCmd(t, paths...)
	want := filepath.Join(dir, "poll-early-bad.html")
	m := vizLine.FindStringSubmatch(out)
	if code != 1 || m == nil || m[1] != want || strings.Count(out, "visualization:") != 1 || errOut != "" {
		t.Fatalf("exit %d, want 1 and visualization %s\n%s%s", code, want, out, errOut)
	}
	if _, err := os.Stat(want); err != nil {
		t.Fatal(err)
	}
	if html, _ := filepath.Glob(filepath.Join(dir, "*.html")); len(html) != 1 {
		t.Fatalf("HTML files %v, want only %s", html, want)
	}
}

// -html DIR puts NAME.html in DIR, for illegal histories only; a path
// ending in a separator is made if it does not exist. Two histories of
// one name get a file each.
func TestVisualizationDirectory(t *testing.T) {
	src := t.TempDir()
	bad := copyHistories(t, src, "sync-early-bad.json")[0]
	other := filepath.Join(src, "other")
	if err := os.Mkdir(other, 0o777); err != nil {
		t.Fatal(err)
	}
	bad2 := copyHistories(t, other, "sync-early-bad.json")[0]
	ok := rules + "sync-early-ok.json"
	for _, c := range []struct{ name, flag string }{
		{"existing", t.TempDir()},
		{"made", filepath.Join(t.TempDir(), "new", "viz") + string(filepath.Separator)},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "-html", c.flag, ok, bad, bad2)
			if code != 1 || errOut != "" {
				t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
			}
			for _, f := range []string{"sync-early-bad.html", "sync-early-bad-2.html"} {
				if !strings.Contains(out, "visualization: "+filepath.Join(c.flag, f)+"\n") {
					t.Errorf("output lacks the visualization %s:\n%s", f, out)
				}
			}
			if html, _ := filepath.Glob(filepath.Join(c.flag, "*")); len(html) != 2 {
				t.Errorf("files in %s: %v, want the two visualizations only", c.flag, html)
			}
		})
	}
	noVisualizationsIn(t, src)
}

// A legal history leaves no file, whatever -html says.
func TestLegalLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "v.html")
	for _, args := range [][]string{{"-html", dir}, {"-html", file}, {copyHistories(t, dir, "read-stale-ok.json")[0]}} {
		if code, out, _ := runCmd(t, append(args, rules+"read-stale-ok.json")...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, out)
		}
	}
	if html, _ := filepath.Glob(filepath.Join(dir, "*.html")); len(html) != 0 {
		t.Fatalf("legal histories left %v", html)
	}
}

// A directory that -html made is removed again when no history was
// illegal.
func TestLegalLeavesNoDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "viz") + string(filepath.Separator)
	if code, out, _ := runCmd(t, "-html", dir, rules+"read-stale-ok.json"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("-html %s: the directory was left behind (%v)", dir, err)
	}
}

// -html takes a directory or an .html file, so that a shell glob after
// it (rcucheck -html runs/*.json) cannot write a visualization over a
// history: it is bad usage, and nothing is written.
func TestHTMLFlagRefusesAHistory(t *testing.T) {
	dir := t.TempDir()
	paths := copyHistories(t, dir, "sync-early-ok.json", "sync-early-bad.json")
	before, _ := os.ReadFile(paths[0])
	code, out, errOut := runCmd(t, append([]string{"-html"}, paths...)...)
	if code != 2 || !strings.Contains(errOut, "-html") || !strings.Contains(errOut, "usage:") {
		t.Fatalf("exit %d, want 2 with the flag's name and usage\n%s%s", code, out, errOut)
	}
	if after, _ := os.ReadFile(paths[0]); !bytes.Equal(before, after) {
		t.Fatalf("-html %s changed the history", paths[0])
	}
	noVisualizationsIn(t, dir)
}

// When the visualization cannot be written next to the history, stderr
// says so in one line, with how to choose a place; the verdict stands.
func TestVisualizationUnwritable(t *testing.T) {
	check := func(t *testing.T, bad string) {
		t.Helper()
		code, out, errOut := runCmd(t, bad)
		if code != 1 || !strings.Contains(out, "illegal: callback-early:") || strings.Contains(out, "visualization") {
			t.Fatalf("exit %d, want 1 with no visualization\n%s", code, out)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bad+": the visualization could not be written to "+strings.TrimSuffix(bad, ".json")+".html: ") || !strings.Contains(errOut, "-html DIR/") {
			t.Fatalf("stderr %q, want one line saying so and naming -html", errOut)
		}
	}
	// The file's name is taken by a directory.
	t.Run("taken", func(t *testing.T) {
		dir := t.TempDir()
		bad := copyHistories(t, dir, "callback-early-bad.json")[0]
		if err := os.Mkdir(filepath.Join(dir, "callback-early-bad.html"), 0o777); err != nil {
			t.Fatal(err)
		}
		check(t, bad)
	})
	// Porcupine's write fails: the stdout report does not carry the
	// error, stderr does.
	t.Run("explicit", func(t *testing.T) {
		bad := copyHistories(t, t.TempDir(), "callback-early-bad.json")[0]
		html := filepath.Join(t.TempDir(), "missing", "v.html")
		code, out, errOut := runCmd(t, "-html", html, bad)
		if code != 1 || !strings.Contains(out, "illegal: callback-early:") || strings.Contains(out, "visualization") {
			t.Fatalf("exit %d, want 1 with no visualization\n%s", code, out)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bad+": the visualization could not be written to "+html+": ") ||
			strings.Contains(errOut, "choose where") {
			t.Fatalf("stderr %q, want one line with the error", errOut)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("read-only directories work otherwise on Windows")
		}
		dir := t.TempDir()
		bad := copyHistories(t, dir, "callback-early-bad.json")[0]
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
			f.Close()
			t.Skip("the directory is writable even read-only (running as root?)")
		}
		check(t, bad)
	})
}

// With several histories, -html gets each history's name.
func TestSeveralVisualizations(t *testing.T) {
	dir := t.ArtifactDir()
	code, out, _ := runCmd(t, "-html", filepath.Join(dir, "v.html"), rules+"sync-early-bad.json", rules+"read-stale-bad.json")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, f := range []string{"v-sync-early-bad.html", "v-read-stale-bad.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestMalformedFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	data := `{"format":"rcukit-history","version":1,"events":[` + "\n" + `{"client":0,"call":1,"return":2,"op":"read-end","id":7}` + "\n]}"
	if err := os.WriteFile(bad, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, bad, rules+"sync-early-ok.json")
	want := bad + ":2:1: event 0: read-end r7 without a read-begin of id 7"
	if code != 2 || !strings.Contains(errOut, want) || !strings.Contains(out, ": ok:") {
		t.Fatalf("exit %d, stderr %q, want %q\n%s", code, errOut, want, out)
	}
	// An illegal history outranks a malformed one.
	if code, _, _ := runCmd(t, "-html", t.TempDir(), bad, rules+"sync-early-bad.json"); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
}

func TestUnreadableFile(t *testing.T) {
	code, _, errOut := runCmd(t, filepath.Join(t.TempDir(), "missing.json"))
	if code != 2 || !strings.Contains(errOut, "missing.json") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-bogus", "x.json"}, {"-timeout", "0s", rules + "sync-early-ok.json"}, {"-timeout", "soon", "x"}} {
		code, _, errOut := runCmd(t, args...)
		if code != 2 || !strings.Contains(errOut, "usage: rcucheck") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "-h"); code != 0 || !strings.Contains(errOut, "usage: rcucheck") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut)
	}
}

func TestTimeoutIsUnknown(t *testing.T) {
	code, out, _ := runCmd(t, "-timeout", "1ns", rules+"sync-early-ok.json")
	if code != 3 || !strings.Contains(out, "unknown: timeout") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// The built command, run as a process, exits with the documented codes.
func TestBuiltCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "rcucheck")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{rules + "sync-early-ok.json"}, 0},
		{[]string{"-html", filepath.Join(t.ArtifactDir(), "x.html"), rules + "sync-early-bad.json"}, 1},
		{[]string{}, 2},
		{[]string{"-timeout", "1ns", rules + "sync-early-ok.json"}, 3},
	} {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Errorf("rcucheck %q: exit %d, want %d\n%s", c.args, code, c.code, out)
		}
	}
}

// When porcupine runs out of time, the direct checker still decides what
// it can; and a malformed file outranks an undecided one.
func TestDirectCheckerDecidesOnTimeout(t *testing.T) {
	code, out, _ := runCmd(t, "-timeout", "1ns", "-html", t.TempDir(), rules+"sync-early-bad.json")
	if code != 1 || !strings.Contains(out, "found by the direct checker") {
		t.Fatalf("exit %d, want 1 with the direct checker's finding:\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "-timeout", "1ns", bad, rules+"sync-early-ok.json"); code != 2 {
		t.Fatalf("a malformed file and an undecided one: exit %d, want 2:\n%s", code, out)
	}
}
