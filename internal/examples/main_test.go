package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunPackage: an example whose output matches its Output comment is
// shown and passes; one whose output differs, or that does not run, is
// shown and counted wrong.
func TestRunPackage(t *testing.T) {
	dir := t.TempDir()
	src := `package x_test

import (
	"fmt"
	"os"
)

func ExampleGood() {
	fmt.Println("b")
	fmt.Println("a")
	// Unordered output:
	// a
	// b
}

func ExampleWrong() {
	fmt.Println("printed")
	// Output: promised
}

func ExampleDies() {
	fmt.Println("before")
	os.Exit(3)
	// Output: before
}

func ExampleNotRun() {
	fmt.Println("never")
}
`
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o644)
	var out bytes.Buffer
	ran, bad := runPackage(&out, dir, t.TempDir())
	s := out.String()
	if ran != 3 || bad != 2 {
		t.Errorf("ran %d, %d wrong; want 3 and 2:\n%s", ran, bad, s)
	}
	for _, want := range []string{
		"=== ExampleGood (" + dir + ")\nb\na\n--- ok: as its Output comment says\n",
		"=== ExampleWrong (" + dir + ")\nprinted\n--- DIFFERS from its Output comment, which says:\npromised\n",
		"=== ExampleDies (" + dir + ")\nbefore\n--- FAIL: ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "ExampleNotRun") {
		t.Errorf("an example without an Output comment was run:\n%s", s)
	}
}
