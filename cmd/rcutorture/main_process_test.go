package main

// rcutorture as a real process: the test binary doubles as the command
// (its main is torture.Main over the flavors of torture/flavors), so that
// SIGINT reaches a real process and the reproduce command it prints can be
// run as printed. The command line itself is tested in package torture.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
)

// The test binary runs as rcutorture itself when this variable is set.
const asMain = "RCUTORTURE_TEST_AS_MAIN"

func init() {
	if os.Getenv(asMain) == "1" {
		main()
	}
}

// start starts the test binary as rcutorture with args; out collects its
// output, and done receives its end.
func start(t *testing.T, args ...string) (cmd *exec.Cmd, out *bytes.Buffer, done <-chan error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd = exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asMain+"=1")
	out = new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return cmd, out, ch
}

// wait waits for a process to end, for up to d of progress time (a loaded
// machine does not fail it), and returns its exit status.
func wait(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, done <-chan error, d time.Duration) int {
	t.Helper()
	var err error
	ended := make(chan struct{})
	go func() { err = <-done; close(ended) }()
	clock := progress.Acquire()
	defer progress.Release(clock)
	if !clock.Within(ended, d) {
		cmd.Process.Kill()
		<-ended
		t.Fatalf("%s did not end within %v of progress time:\n%s", strings.Join(cmd.Args, " "), d, out.String())
	}
	if exit := (*exec.ExitError)(nil); err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode()
}

// mustSucceed holds a run of a correct flavor to exit status 0 and the
// SUCCESS verdict. A run that could not judge (exit status 3,
// INCONCLUSIVE: the machine starved it) is skipped with its verdict line:
// it is neither a pass nor a failure.
func mustSucceed(t *testing.T, code int, report string) {
	t.Helper()
	last := report[strings.LastIndex(strings.TrimRight(report, "\n"), "\n")+1:]
	if code == 3 && strings.HasPrefix(last, "End of test: INCONCLUSIVE: ") {
		t.Skipf("the run could not judge: %s", last)
	}
	if code != 0 || last != "End of test: SUCCESS\n" {
		t.Fatalf("exit %d:\n%s", code, report)
	}
}

// reproduce returns the report's reproduce command.
func reproduce(t *testing.T, report string) string {
	t.Helper()
	for _, l := range strings.Split(report, "\n") {
		if r, ok := strings.CutPrefix(l, "rcutorture: reproduce: "); ok {
			return r
		}
	}
	t.Fatalf("no reproduce command in the report:\n%s", report)
	return ""
}

// TestSIGINT runs rcutorture with -duration 0, sends it SIGINT, and
// expects the final stats and a verdict, exit status 0 (or 3,
// INCONCLUSIVE, if the machine starved it: then the test is skipped), and
// a reproduce command that names this command.
func TestSIGINT(t *testing.T) {
	cmd, out, done := start(t, "-flavor", "trivial", "-duration", "0", "-readers", "2", "-fakewriters", "1", "-shuffle", "0", "-fwd-progress", "0", "-stat-interval", "500ms")
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := wait(t, cmd, out, done, 60*time.Second)
	report := out.String()
	if !strings.Contains(report, "interrupted: ending the run") || !strings.Contains(report, "final stats:") {
		t.Fatalf("exit %d; report:\n%s", code, report)
	}
	if r := reproduce(t, report); !strings.HasPrefix(r, "go run ") || !strings.Contains(r, " ./cmd/rcutorture -flavor trivial -duration 0s ") {
		t.Errorf("the reproduce command %q does not name ./cmd/rcutorture", r)
	}
	mustSucceed(t, code, report)
}

// TestReproduceCommandRuns runs a broken flavor to its FAILURE, then the
// reproduce command it printed, as printed, from the module's root: it
// must build this command and end in FAILURE too.
func TestReproduceCommandRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rcutorture with go run")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd, out, done := start(t, "-flavor", "busted-barrier", "-duration", "20s", "-stop-on-failure", "-readers", "2", "-fakewriters", "1",
		"-stutter", "500ms", "-shuffle", "0", "-fwd-progress", "0", "-seed", "7")
	if code := wait(t, cmd, out, done, 60*time.Second); code != 1 {
		t.Fatalf("exit %d; want 1:\n%s", code, out.String())
	}
	repro := reproduce(t, out.String())
	sh := exec.Command("sh", "-c", repro)
	sh.Dir = filepath.Join("..", "..")
	sh.Env = append(os.Environ(), "PATH="+filepath.Dir(goTool)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var again bytes.Buffer
	sh.Stdout, sh.Stderr = &again, &again
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- sh.Wait() }()
	code := wait(t, sh, &again, ch, 5*time.Minute)
	// go run adds its own "exit status 1" line after the verdict.
	if code != 1 || !strings.Contains(again.String(), "\nEnd of test: FAILURE: barrier\n") {
		t.Fatalf("%s: exit %d; want 1 and a FAILURE:\n%s", repro, code, again.String())
	}
	if got := reproduce(t, again.String()); got != repro {
		t.Errorf("the reproduced run prints another reproduce command:\n\t%s\nwant\n\t%s", got, repro)
	}
}
