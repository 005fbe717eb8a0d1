package fuzz

// The ClusterFuzzLite build (.clusterfuzzlite/build.sh) cannot run here: it
// needs OSS-Fuzz's builder image. This checks what can be checked without
// it: that the script builds every fuzz target of the module, and only
// those, and that compile_native_go_fuzzer_v2 can find each one.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/impl"
)

const modulePath = "github.com/rcukit/rcukit"

// A cfliteTarget is one compile_native_go_fuzzer line of build.sh.
type cfliteTarget struct {
	pkg, fn, name string // "github.com/rcukit/rcukit/fuzz", "FuzzSchedule", "fuzz_schedule"
	line          int
}

var compileLine = regexp.MustCompile(`^compile_native_go_fuzzer_v2\s+(\S+)\s+(Fuzz\w*)\s+([a-z0-9_]+)\s*$`)

// parseBuildScript returns the targets of a build.sh. A line that calls
// compile_native_go_fuzzer in any other shape is an error, as is a binary
// name or a target given twice.
func parseBuildScript(script string) ([]cfliteTarget, error) {
	var ts []cfliteTarget
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(script))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "compile_native_go_fuzzer") {
			continue
		}
		m := compileLine.FindStringSubmatch(l)
		if m == nil {
			errs = append(errs, fmt.Errorf("build.sh:%d: not compile_native_go_fuzzer_v2 $module/PKG FuzzX binary_name: %q", n, l))
			continue
		}
		t := cfliteTarget{pkg: strings.Replace(m[1], "$module", modulePath, 1), fn: m[2], name: m[3], line: n}
		for _, o := range ts {
			if o.name == t.name || (o.pkg == t.pkg && o.fn == t.fn) {
				errs = append(errs, fmt.Errorf("build.sh:%d: %s %s (%s) again; line %d has it", n, t.pkg, t.fn, t.name, o.line))
			}
		}
		ts = append(ts, t)
	}
	return ts, errors.Join(errs...)
}

// parseTestList returns package -> fuzz targets from the output of
// go test -list '^Fuzz' ./...: each package's names, then its "ok" line.
func parseTestList(out string) map[string][]string {
	got := map[string][]string{}
	var names []string
	for _, l := range strings.Split(out, "\n") {
		switch f := strings.Fields(l); {
		case len(f) >= 2 && f[0] == "ok":
			if len(names) > 0 {
				got[f[1]] = names
			}
			names = nil
		case len(f) == 1 && strings.HasPrefix(f[0], "Fuzz"):
			names = append(names, f[0])
		}
	}
	return got
}

// compareTargets reports every fuzz target that build.sh lacks, and every
// target of build.sh that is not a fuzz target of its package.
func compareTargets(script []cfliteTarget, listed map[string][]string) error {
	var errs []error
	for pkg, fns := range listed {
		for _, fn := range fns {
			if !slices.ContainsFunc(script, func(t cfliteTarget) bool { return t.pkg == pkg && t.fn == fn }) {
				errs = append(errs, fmt.Errorf("build.sh does not build %s %s: add a compile_native_go_fuzzer line for it", pkg, fn))
			}
		}
	}
	for _, t := range script {
		if !slices.Contains(listed[t.pkg], t.fn) {
			errs = append(errs, fmt.Errorf("build.sh:%d builds %s %s, which go test -list does not list", t.line, t.pkg, t.fn))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// findableByOSSFuzz applies compile_native_go_fuzzer_v2's rule for finding
// target fn in the package directory dir: of the Go files under dir that
// mention fn, exactly one line may declare "func fn" with a *testing.F.
func findableByOSSFuzz(dir, fn string) error {
	var decls []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), fn) {
			return err
		}
		for i, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "func "+fn) && strings.Contains(l, "testing.F") {
				decls = append(decls, fmt.Sprintf("%s:%d: %s", path, i+1, strings.TrimSpace(l)))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(decls) != 1 {
		return fmt.Errorf("compile_native_go_fuzzer_v2 cannot tell which function is %s: %d declarations match \"func %s\" with testing.F%s",
			fn, len(decls), fn, "\n\t"+strings.Join(decls, "\n\t"))
	}
	return nil
}

func moduleRoot(t *testing.T) string {
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod in %s: %v", dir, err)
	}
	return dir
}

// TestClusterFuzzLiteBuildsEveryTarget compares the targets of
// .clusterfuzzlite/build.sh with those of go test -list '^Fuzz' ./...
// (built as this test was, with -race and the tags, so that its packages
// come from the build cache), and holds each to compile_native_go_fuzzer's
// rule for finding it.
func TestClusterFuzzLiteBuildsEveryTarget(t *testing.T) {
	root := moduleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := parseBuildScript(string(b))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"test"}
	if raceBuild {
		args = append(args, "-race")
	}
	if impl.InjectTags != "" {
		args = append(args, "-tags", impl.InjectTags)
	}
	args = append(args, "-list", "^Fuzz", "./...")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to list the fuzz targets with: %v", err)
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	listed := parseTestList(string(out))
	if len(listed) == 0 {
		t.Fatalf("go %s listed no fuzz target:\n%s", strings.Join(args, " "), out)
	}
	if err := compareTargets(script, listed); err != nil {
		t.Error(err)
	}
	for _, tg := range script {
		if err := findableByOSSFuzz(filepath.Join(root, strings.TrimPrefix(tg.pkg, modulePath+"/")), tg.fn); err != nil {
			t.Errorf("build.sh:%d: %v", tg.line, err)
		}
	}
}

// TestClusterFuzzLiteCheckFails: the checks above catch a build.sh that
// lacks a target, builds one that does not exist or has a malformed line,
// and a target whose name begins another's.
func TestClusterFuzzLiteCheckFails(t *testing.T) {
	listed := map[string][]string{modulePath + "/fuzz": {"FuzzSchedule", "FuzzReferenceSchedule"}}
	script, err := parseBuildScript("compile_native_go_fuzzer_v2 $module/fuzz FuzzSchedule fuzz_schedule\n" +
		"compile_native_go_fuzzer_v2 $module/fuzz FuzzGone fuzz_gone\n")
	if err != nil {
		t.Fatal(err)
	}
	err = compareTargets(script, listed)
	if err == nil || !strings.Contains(err.Error(), "does not build "+modulePath+"/fuzz FuzzReferenceSchedule") ||
		!strings.Contains(err.Error(), "build.sh:2 builds "+modulePath+"/fuzz FuzzGone, which go test -list does not list") {
		t.Errorf("compareTargets: %v", err)
	}
	for _, bad := range []string{
		"compile_native_go_fuzzer_v2 $module/fuzz FuzzSchedule\n",
		"compile_native_go_fuzzer_v2 $module/fuzz FuzzA a\ncompile_native_go_fuzzer_v2 $module/fuzz FuzzB a\n",
	} {
		if _, err := parseBuildScript(bad); err == nil {
			t.Errorf("parseBuildScript(%q) accepted it", bad)
		}
	}
	if got := parseTestList("FuzzA\nFuzzB\nok  \tm/a\t0.01s\nok  \tm/b\t0.01s\n"); !slices.Equal(got["m/a"], []string{"FuzzA", "FuzzB"}) || len(got) != 1 {
		t.Errorf("parseTestList: %v", got)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\nfunc FuzzX(f *testing.F) {}\nfunc FuzzXY(f *testing.F) {}\n"), 0o644)
	if err := findableByOSSFuzz(dir, "FuzzX"); err == nil || !strings.Contains(err.Error(), "2 declarations") {
		t.Errorf("a target whose name begins another's: %v", err)
	}
	if err := findableByOSSFuzz(dir, "FuzzXY"); err != nil {
		t.Errorf("FuzzXY: %v", err)
	}
}
