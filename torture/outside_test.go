package torture_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The files of an outside module, example.com/outside, that tortures its
// own RCU with a main of three lines. myrcu-nowait is its broken flavor.
var outside = map[string]string{
	"go.mod": `module example.com/outside

go 1.26

require github.com/rcukit/rcukit v0.0.0

replace github.com/rcukit/rcukit => RCUKIT
`,
	"myrcu/myrcu.go": `// Package myrcu is an RCU on a sync.RWMutex.
package myrcu

import (
	"sync"

	"github.com/rcukit/rcukit/rcuops"
)

func newOps(wait bool) func(rcuops.Env) *rcuops.Ops {
	return func(rcuops.Env) *rcuops.Ops {
		var mu sync.RWMutex
		return &rcuops.Ops{
			Reader: func() rcuops.Reader { return &reader{mu: &mu} },
			Synchronize: func() {
				if wait {
					mu.Lock()
					mu.Unlock()
				}
			},
		}
	}
}

var (
	Flavor = rcuops.Flavor{Name: "myrcu", Doc: "readers hold a sync.RWMutex", New: newOps(true)}
	NoWait = rcuops.Flavor{Name: "myrcu-nowait", Doc: "Synchronize does not wait", Broken: true, New: newOps(false)}
)

type reader struct {
	mu    *sync.RWMutex
	depth int
}

func (r *reader) Lock() {
	if r.depth == 0 {
		r.mu.RLock()
	}
	r.depth++
}

func (r *reader) Unlock() {
	if r.depth--; r.depth == 0 {
		r.mu.RUnlock()
	}
}
`,
	"cmd/mytorture/main.go": `package main

import (
	"example.com/outside/myrcu"
	"github.com/rcukit/rcukit/torture"
)

func main() { torture.Main(myrcu.Flavor, myrcu.NoWait) }
`,
}

// TestOutsideModuleMain builds the rcutorture of an outside module, whose
// main only calls Main with its flavors, runs its broken flavor to a
// FAILURE, and then the reproduce command the run printed, as printed,
// from the outside module's root: it names the outside main, and fails
// the same way.
func TestOutsideModuleMain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an outside module with go run")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, text := range outside {
		text = strings.ReplaceAll(text, "RCUKIT", root)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	// Offline: this module's dependencies are in the module cache, since
	// this test was built.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off",
		"PATH="+filepath.Dir(goTool)+string(os.PathListSeparator)+os.Getenv("PATH"))
	sh := func(command string) (int, string) {
		t.Helper()
		cmd := exec.Command("sh", "-c", command)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Fatalf("%s: %v", command, err)
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}
	const run = "go run ./cmd/mytorture -flavor myrcu-nowait -duration 20s -stop-on-failure -payload=false -readers 2 -fakewriters 1 -stutter 500ms -shuffle 0 -fwd-progress 0 -seed 3"
	code, report := sh(run)
	if strings.Contains(report, "GOPROXY=off") || strings.Contains(report, "module lookup disabled") {
		t.Skipf("the outside module's dependencies are not in the module cache:\n%s", report)
	}
	if code != 1 || !strings.Contains(report, "\nEnd of test: FAILURE: ") {
		t.Fatalf("%s: exit %d; want 1 and a FAILURE:\n%s", run, code, report)
	}
	repro := reproduceLine(report)
	if want := "go run ./cmd/mytorture -flavor myrcu-nowait -duration 20s "; !strings.HasPrefix(repro, want) {
		t.Fatalf("reproduce command %q; want it to begin %q", repro, want)
	}
	code, again := sh(repro)
	if code != 1 || !strings.Contains(again, "\nEnd of test: FAILURE: ") || reproduceLine(again) != repro {
		t.Fatalf("%s: exit %d; want 1, a FAILURE and the same reproduce command:\n%s", repro, code, again)
	}
	t.Logf("reproduced: %s", repro)
	if code, list := sh("go run ./cmd/mytorture -list"); code != 0 || !strings.Contains(list, "  myrcu-nowait     Synchronize does not wait\n") {
		t.Errorf("-list: exit %d:\n%s", code, list)
	}
}

func reproduceLine(report string) string {
	for _, l := range strings.Split(report, "\n") {
		if r, ok := strings.CutPrefix(l, "rcutorture: reproduce: "); ok {
			return r
		}
	}
	return ""
}
