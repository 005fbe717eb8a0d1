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
	return code, out.String(), errOut.String()
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

// Without -html the visualization goes to a temporary file, which is kept
// for illegal histories only.
func TestIllegalDefaultVisualization(t *testing.T) {
	code, out, _ := runCmd(t, rules+"poll-early-bad.json", rules+"poll-early-ok.json")
	m := vizLine.FindStringSubmatch(out)
	if code != 1 || m == nil || strings.Count(out, "visualization:") != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	defer os.Remove(m[1])
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatal(err)
	}
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
	if code, _, _ := runCmd(t, bad, rules+"sync-early-bad.json"); code != 1 {
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
	code, out, _ := runCmd(t, "-timeout", "1ns", rules+"sync-early-bad.json")
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
