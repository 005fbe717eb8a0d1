// Package outside runs the outside module of testdata/myrcu, an RCU that
// lives in a module of its own as a user's would, for the tests that show
// rcukit's tools work on such a module: that it can be validated with
// rcutest.Test and tortured with its own torture.Main, and that every
// reproduce command printed for it runs as printed.
package outside

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A Module is a copy of testdata/myrcu in a temporary directory, whose
// replace directive points at this module's root.
type Module struct {
	t   testing.TB
	Dir string
	env []string
}

// Copy copies the module for a test; it skips the test when no go command
// is at hand or the module's dependencies are not in the module cache.
func Copy(t testing.TB) *Module {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	root := moduleRoot(t)
	src := filepath.Join(root, "testdata", "myrcu")
	dir := t.TempDir()
	err = filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "go.mod" {
			text = []byte(strings.Replace(string(text), "=> ../..", "=> "+root, 1))
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), text, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Offline: this module's dependencies are in the module cache, since
	// the test that calls Copy was built.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off",
		"PATH="+filepath.Dir(goTool)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return &Module{t: t, Dir: dir, env: env}
}

// Run runs command with sh in the module's directory (or in its
// directory dir below it) and returns its exit status and output.
func (m *Module) Run(dir, command string) (int, string) {
	m.t.Helper()
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir, cmd.Env = filepath.Join(m.Dir, dir), m.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		m.t.Fatalf("%s: %v", command, err)
	}
	if s := out.String(); strings.Contains(s, "GOPROXY=off") || strings.Contains(s, "module lookup disabled") {
		m.t.Skipf("the outside module's dependencies are not in the module cache:\n%s", s)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// moduleRoot is the root of this module: the nearest directory up from
// the test's that has a go.mod.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
