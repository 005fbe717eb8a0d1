package main

import (
	"bytes"
	"context"
	"errors"
	"github.com/rcukit/rcukit/rcuops"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

// The test binary doubles as rcutorture itself when this variable is set,
// so that TestSIGINT can signal a real process.
const asMain = "RCUTORTURE_TEST_AS_MAIN"

func init() {
	if os.Getenv(asMain) == "1" {
		main()
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustSucceed holds a run of a correct flavor to exit status 0 and the
// SUCCESS verdict. A run that could not judge (exit status 3,
// INCONCLUSIVE: the machine starved it) is skipped with its verdict line
// and the command that reproduces it: it is neither a pass nor a failure.
func mustSucceed(t *testing.T, code int, stdout string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if code == 3 && strings.HasPrefix(last, "End of test: INCONCLUSIVE: ") {
		var repro string
		for _, l := range lines {
			if r, ok := strings.CutPrefix(l, "rcutorture: reproduce: "); ok {
				repro = r
			}
		}
		t.Skipf("the run could not judge: %s; reproduce: %s", last, repro)
	}
	if code != 0 || last != "End of test: SUCCESS" {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
}

func TestExitStatusOfEachVerdict(t *testing.T) {
	for v, want := range map[torture.Verdict]int{torture.Success: 0, torture.Failure: 1, torture.Inconclusive: 3} {
		if got := exitStatus(v); got != want {
			t.Errorf("exitStatus(%v) = %d; want %d", v, got, want)
		}
	}
}

func TestBadFlagExitsTwoWithUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-readers", "many"},
		{"-readers", "0"},
		{"-inject", "2"},
		{"-overtime", "-1s"},
		{"stray"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "usage: rcutorture") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the usage", args, code, stderr)
		}
	}
}

func TestFlavorTypoListsValidNames(t *testing.T) {
	code, _, stderr := runCLI(t, "-flavor", "trival")
	if code != 2 {
		t.Fatalf("exit %d; want 2", code)
	}
	if !strings.Contains(stderr, `unknown flavor "trival" (did you mean "trivial"?)`) {
		t.Errorf("no hint in %q", stderr)
	}
	for _, name := range flavors.Names() {
		if !strings.Contains(stderr, name) {
			t.Errorf("valid flavor %q not listed in %q", name, stderr)
		}
	}
}

func TestList(t *testing.T) {
	code, stdout, _ := runCLI(t, "-list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	broken := strings.Index(stdout, "broken flavors")
	for _, f := range flavors.All() {
		i := strings.Index(stdout, "  "+f.Name+" ")
		if i < 0 {
			t.Errorf("-list lacks %q", f.Name)
		} else if f.Broken != (i > broken) {
			t.Errorf("%q is listed in the wrong group", f.Name)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Run("needs stutter", func(t *testing.T) {
		code, _, stderr := runCLI(t, "-check", "-stutter", "0")
		if code != 2 || !strings.Contains(stderr, "-check needs stutter pauses") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("flags a broken flavor", func(t *testing.T) {
		dir := t.TempDir()
		// A Barrier that does not wait is illegal in the history of the
		// write side alone, which is recorded in full.
		code, stdout, _ := runCLI(t, "-check", "-check-html", dir, "-flavor", "busted-barrier", "-duration", "1s",
			"-fwd-progress", "0", "-shuffle", "0", "-readers", "2")
		if code != 1 || !strings.Contains(stdout, "!!! FAILURE check: the history is illegal: rule barrier-early") ||
			!strings.Contains(stdout, "visualization: "+dir) {
			t.Fatalf("exit %d:\n%s", code, stdout)
		}
		if !strings.Contains(stdout, " -stutter 200ms ") || !strings.Contains(stdout, " -check -record-reads 64") {
			t.Errorf("the reproduce command lacks -check's settings:\n%s", stdout)
		}
	})
}

func TestExitStatus(t *testing.T) {
	common := []string{"-duration", "1500ms", "-readers", "2", "-fakewriters", "1", "-stutter", "500ms", "-shuffle", "0", "-fwd-progress", "0", "-seed", "7"}
	t.Run("success", func(t *testing.T) {
		code, stdout, _ := runCLI(t, append([]string{"-flavor", "trivial"}, common...)...)
		mustSucceed(t, code, stdout)
	})
	t.Run("failure", func(t *testing.T) {
		code, stdout, _ := runCLI(t, append([]string{"-flavor", "busted-barrier", "-stop-on-failure", "-duration", "20s"}, common[2:]...)...)
		if code != 1 || !strings.Contains(stdout, "End of test: FAILURE: barrier") {
			t.Fatalf("exit %d:\n%s", code, stdout)
		}
		want := "rcutorture: reproduce: go run "
		if !strings.Contains(stdout, "rcutorture: seed 7\n") || !strings.Contains(stdout, want) ||
			!strings.Contains(stdout, "./cmd/rcutorture -flavor busted-barrier -duration 20s") {
			t.Errorf("no seed or reproduce command:\n%s", stdout)
		}
	})
}

// starved is trivial with grace periods of a second each, one at a time,
// and Synchronize as the only way to wait for one: no element can be freed
// (that takes 9 of the writer's grace periods) in the runs below.
var starved = rcuops.Flavor{Name: "starved", Doc: "trivial, with grace periods of a second", New: func(env rcuops.Env) *rcuops.Ops {
	f, _ := flavors.Lookup("trivial")
	ops := f.New(env)
	var mu sync.Mutex
	gp := ops.Synchronize
	ops.Synchronize = func() {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(time.Second)
		gp()
	}
	ops.Call, ops.Barrier, ops.Snapshot, ops.Poll, ops.Pending = nil, nil, nil, nil, nil
	return ops
}}

// TestInconclusiveExitsThree: a run that cannot judge, here because no
// element can be freed within -duration and -overtime, exits with status
// 3 after the INCONCLUSIVE verdict, the seed and the reproduce command.
func TestInconclusiveExitsThree(t *testing.T) {
	lookup = func(name string) (rcuops.Flavor, bool) {
		if name == starved.Name {
			return starved, true
		}
		return flavors.Lookup(name)
	}
	t.Cleanup(func() { lookup = flavors.Lookup })
	code, stdout, _ := runCLI(t, "-flavor", "starved", "-duration", "200ms", "-overtime", "300ms", "-readers", "2", "-fakewriters", "0",
		"-stutter", "0", "-shuffle", "0", "-seed", "7")
	if code != 3 || !strings.Contains(stdout, "\nEnd of test: INCONCLUSIVE: no element reached age 10 and was freed") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "rcutorture: seed 7\n") || !strings.Contains(stdout, "rcutorture: reproduce: go run ") ||
		!strings.Contains(stdout, "./cmd/rcutorture -flavor starved -duration 200ms -overtime 300ms ") {
		t.Errorf("no seed or reproduce command:\n%s", stdout)
	}
}

// TestSIGINT runs rcutorture as a real process with -duration 0, sends it
// SIGINT, and expects the final stats and a verdict, exit status 0 (or 3,
// INCONCLUSIVE, if the machine starved it: then the test is skipped).
func TestSIGINT(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-flavor", "trivial", "-duration", "0", "-readers", "2", "-fakewriters", "1", "-shuffle", "0", "-fwd-progress", "0", "-stat-interval", "500ms")
	cmd.Env = append(os.Environ(), asMain+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { err = <-done; close(ended) }()
	clock := progress.Acquire() // progress time: a loaded machine does not fail it
	defer progress.Release(clock)
	if !clock.Within(ended, 60*time.Second) {
		cmd.Process.Kill()
		<-ended
		t.Fatalf("rcutorture did not end within 60s of progress time after SIGINT:\n%s", out.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	report := out.String()
	if !strings.Contains(report, "interrupted: ending the run") || !strings.Contains(report, "final stats:") {
		t.Fatalf("exit %d; report:\n%s", cmd.ProcessState.ExitCode(), report)
	}
	mustSucceed(t, cmd.ProcessState.ExitCode(), report)
}
