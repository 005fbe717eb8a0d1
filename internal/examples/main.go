// Command examples runs the module's testable examples as programs and
// shows what each prints: make examples. go test runs examples too, but
// shows only PASS or FAIL; this prints every example's output under its
// name, and checks it against the example's Output comment as go test
// does (line order ignored for "Unordered output").
//
// Usage:
//
//	go run ./internal/examples [package directory ...]
//
// With no arguments it runs the examples of every package of the module.
// Each example becomes the whole program that go/doc derives from it (the
// program pkg.go.dev's Run button runs), written to a temporary directory
// inside the module and run with go run. An example that go/doc cannot
// make into a program (it uses unexported test helpers) is run by go test
// instead, and its output is not shown. The exit status is 1 if any
// example's output differs from its Output comment, or if one fails to
// run.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/doc"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	dirs := os.Args[1:]
	if len(dirs) == 0 {
		out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "./...").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "examples: go list:", err)
			os.Exit(1)
		}
		dirs = strings.Fields(string(out))
	}
	scratch, err := os.MkdirTemp("internal/examples", ".run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "examples: run it from the module's root:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(scratch)
	ran, bad := 0, 0
	for _, dir := range dirs {
		n, b := runPackage(os.Stdout, dir, scratch)
		ran, bad = ran+n, bad+b
	}
	fmt.Printf("\n%d examples, %d with output that differs or that did not run\n", ran, bad)
	if bad > 0 {
		os.RemoveAll(scratch)
		os.Exit(1)
	}
}

// runPackage runs the examples of the package in dir; it returns how many
// it ran and how many were wrong.
func runPackage(w io.Writer, dir, scratch string) (ran, bad int) {
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "examples: %s: %v\n", dir, err)
		return 0, 1
	}
	var files []*ast.File
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			fmt.Fprintf(os.Stderr, "examples: %v\n", err)
			return 0, 1
		}
		files = append(files, f)
	}
	exs := doc.Examples(files...)
	slices.SortFunc(exs, func(a, b *doc.Example) int { return strings.Compare(a.Name, b.Name) })
	rel, err := filepath.Rel(mustGetwd(), dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = dir
	} else {
		rel = "./" + rel
	}
	for _, ex := range exs {
		if ex.Output == "" && !ex.EmptyOutput {
			continue // compiled, never run: go test does the same
		}
		ran++
		name := "Example" + ex.Name
		if ex.Suffix != "" {
			name += "_" + ex.Suffix
		}
		fmt.Fprintf(w, "\n=== %s (%s)\n", name, rel)
		if ex.Play == nil {
			cmd := exec.Command("go", "test", "-count=1", "-run", "^"+name+"$", rel)
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(w, "%s--- FAIL: go test says so above\n", out)
				bad++
			} else {
				fmt.Fprintln(w, "(not a whole program on its own: go test ran it and it passed; its output is not shown)")
			}
			continue
		}
		got, err := runPlay(fset, ex.Play, scratch)
		fmt.Fprint(w, got)
		switch {
		case err != nil:
			fmt.Fprintf(w, "--- FAIL: %v\n", err)
			bad++
		case !sameOutput(got, ex.Output, ex.Unordered):
			fmt.Fprintf(w, "--- DIFFERS from its Output comment, which says:\n%s", ex.Output)
			bad++
		default:
			fmt.Fprintln(w, "--- ok: as its Output comment says")
		}
	}
	return ran, bad
}

// runPlay writes the program to the scratch directory and runs it.
func runPlay(fset *token.FileSet, f *ast.File, scratch string) (string, error) {
	var src bytes.Buffer
	if err := format.Node(&src, fset, f); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(scratch, "ex-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "main.go")
	if err := os.WriteFile(file, src.Bytes(), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "run", file)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%v\n%s", err, errOut.String())
	}
	return out.String(), nil
}

// sameOutput compares as go test does: surrounding space trimmed, and
// for unordered output the lines sorted.
func sameOutput(got, want string, unordered bool) bool {
	g, w := strings.TrimSpace(got), strings.TrimSpace(want)
	if !unordered {
		return g == w
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	slices.Sort(gl)
	slices.Sort(wl)
	return slices.Equal(gl, wl)
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}
