package torture

// The command line of Main, through its run method. (cmd/rcutorture's
// tests run the real command as a process: SIGINT, and a reproduce command
// run as printed.)

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcuops"
)

// cliFlavors are the command's flavors in these tests: a correct one, a
// broken one, and starved, a correct one too slow to judge.
var cliFlavors = func() []rcuops.Flavor {
	b, ok := broken.Lookup("busted-barrier")
	if !ok {
		panic("no busted-barrier in internal/broken")
	}
	return []rcuops.Flavor{
		{Name: "trivial", Doc: "impl.Trivial", New: impl.Trivial},
		starved,
		b.Flavor(),
	}
}()

// starved is trivial with grace periods of a second each, one at a time,
// and Synchronize as the only way to wait for one: no element can be freed
// (that takes 9 of the writer's grace periods) in the runs below.
var starved = rcuops.Flavor{Name: "starved", Doc: "trivial, with grace periods of a second", New: func(env rcuops.Env) *rcuops.Ops {
	ops := impl.Trivial(env)
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

// mainIn is the build information of a main package at cmd/mytorture in
// module example.com/m, built in its working tree.
var mainIn = &debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: debug.Module{Path: "example.com/m", Version: "(devel)"}}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := command{name: "rcutorture", flavors: cliFlavors, build: mainIn}
	code = c.run(context.Background(), args, &out, &errOut)
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
	for v, want := range map[Verdict]int{Success: 0, Failed: 1, Inconclusive: 3} {
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
		{"-gomaxprocs", "-1"},
		{"-check-html", "/tmp"},
		{"stray"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "usage: rcutorture [flags]") && !strings.Contains(stderr, "needs -check") || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d, stderr %q; want 2, the usage and the flag's name", args, code, stderr)
		}
	}
	// A flag whose value Config rejects is named as a flag, below the
	// usage too, so that it does not scroll away.
	_, _, stderr := runCLI(t, "-duration", "-1s")
	if want := "rcutorture: -duration is -1s; it must not be negative\n"; !strings.HasSuffix(stderr, want) || !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr %q; want it to begin and end with %q", stderr, want)
	}
}

func TestHelpExitsZero(t *testing.T) {
	if code, _, stderr := runCLI(t, "-h"); code != 0 || !strings.Contains(stderr, "-flavor string") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}

func TestFlavorTypoListsValidNames(t *testing.T) {
	code, _, stderr := runCLI(t, "-flavor", "trival")
	if code != 2 {
		t.Fatalf("exit %d; want 2", code)
	}
	want := `rcutorture: unknown flavor "trival" (did you mean "trivial"?); valid flavors: trivial, starved, busted-barrier` + "\n"
	if stderr != want {
		t.Errorf("stderr %q; want %q", stderr, want)
	}
}

func TestList(t *testing.T) {
	code, stdout, _ := runCLI(t, "-list")
	want := "correct flavors (must end in SUCCESS):\n" +
		"  trivial          impl.Trivial\n" +
		"  starved          trivial, with grace periods of a second\n" +
		"broken flavors (negative controls, must end in FAILURE):\n" +
		"  busted-barrier   " + cliFlavors[2].Doc + "\n"
	if code != 0 || stdout != want {
		t.Errorf("-list: exit %d:\n%s\nwant:\n%s", code, stdout, want)
	}
	var out bytes.Buffer
	listFlavors(&out, cliFlavors[:1])
	if strings.Contains(out.String(), "broken") {
		t.Errorf("-list of correct flavors only prints a heading for broken ones:\n%s", out.String())
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
		if !strings.Contains(stdout, "rcutorture: seed 7\n") ||
			!strings.Contains(stdout, "\nrcutorture: reproduce: go run ./cmd/mytorture -flavor busted-barrier -duration 20s ") {
			t.Errorf("no seed or reproduce command:\n%s", stdout)
		}
	})
}

// TestInconclusiveExitsThree: a run that cannot judge, here because no
// element can be freed within -duration and -overtime, exits with status
// 3 after the INCONCLUSIVE verdict, the seed and the reproduce command.
func TestInconclusiveExitsThree(t *testing.T) {
	code, stdout, _ := runCLI(t, "-flavor", "starved", "-duration", "200ms", "-overtime", "300ms", "-readers", "2", "-fakewriters", "0",
		"-stutter", "0", "-shuffle", "0", "-seed", "7")
	if code != 3 || !strings.Contains(stdout, "\nEnd of test: INCONCLUSIVE: no element reached age 10 and was freed") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "rcutorture: seed 7\n") ||
		!strings.Contains(stdout, "\nrcutorture: reproduce: go run ./cmd/mytorture -flavor starved -duration 200ms -overtime 300ms ") {
		t.Errorf("no seed or reproduce command:\n%s", stdout)
	}
}

// TestProgram: the command that runs a main again, from its build
// information.
func TestProgram(t *testing.T) {
	set := func(bi debug.BuildInfo, kv ...string) *debug.BuildInfo {
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return &bi
	}
	mod := debug.Module{Path: "example.com/m", Version: "(devel)"}
	for _, c := range []struct {
		name string
		bi   *debug.BuildInfo
		tags string // the flavor's
		want string
	}{
		{"no build information", nil, "", ""},
		{"a main in its module", set(debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: mod}), "", "go run ./cmd/mytorture"},
		{"the module's root package", set(debug.BuildInfo{Path: "example.com/m", Main: mod}), "", "go run ."},
		{"this module's command", set(debug.BuildInfo{Path: "github.com/rcukit/rcukit/cmd/rcutorture", Main: debug.Module{Path: "github.com/rcukit/rcukit", Version: "(devel)"}}, "-buildmode", "exe"),
			"", "go run ./cmd/rcutorture"},
		{"race and tags", set(debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: mod}, "-race", "true", "-tags", "rcuinject,foo"), "", "go run -race -tags rcuinject,foo ./cmd/mytorture"},
		{"the flavor's tags", set(debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: mod}, "-tags", "foo"), "rcuinject foo", "go run -tags foo,rcuinject ./cmd/mytorture"},
		{"a stamped working tree", set(debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: debug.Module{Path: "example.com/m", Version: "v0.0.0-20260101000000-abcdefabcdef+dirty"}}, "vcs", "git"),
			"", "go run ./cmd/mytorture"},
		{"installed at a version", set(debug.BuildInfo{Path: "example.com/m/cmd/mytorture", Main: debug.Module{Path: "example.com/m", Version: "v1.2.3"}}), "", "go run example.com/m/cmd/mytorture@v1.2.3"},
		{"a list of files", set(debug.BuildInfo{Path: "command-line-arguments"}), "", ""},
		{"a test binary", set(debug.BuildInfo{Path: "example.com/m/pkg.test", Main: mod}), "", ""},
		{"a main outside its module", set(debug.BuildInfo{Path: "example.com/other/cmd/x", Main: mod}), "", ""},
	} {
		if got := program(c.bi, c.tags); got != c.want {
			t.Errorf("%s: program = %q; want %q", c.name, got, c.want)
		}
	}
}

func TestMainMisusePanics(t *testing.T) {
	ok := cliFlavors[0]
	for name, fs := range map[string][]rcuops.Flavor{
		"no flavors":     nil,
		"unnamed flavor": {ok, {New: ok.New}},
		"no New":         {ok, {Name: "x"}},
		"only elsewhere": {{Name: "x", Tags: "sometag"}},
		"a name twice":   {ok, ok},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "torture: Main") {
					t.Fatalf("panic %q; want a \"torture: Main ...\" message", s)
				}
			}()
			checkFlavors(fs)
		})
	}
}

func TestNearest(t *testing.T) {
	for in, want := range map[string]string{"trival": "trivial", "TRIVIAL": "trivial", "busted-barier": "busted-barrier", "zzzzzzzz": ""} {
		if got := Nearest(in, cliFlavors); got != want {
			t.Errorf("Nearest(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestReportFlags: -html and -json write the report and the stream of the
// run; -json - puts the stream on standard output and the text on standard
// error; a path that cannot be written is a bad command line, refused
// before the run.
func TestReportFlags(t *testing.T) {
	dir := t.TempDir()
	quick := []string{"-flavor", "trivial", "-duration", "1s", "-stat-interval", "500ms", "-readers", "2", "-fakewriters", "1",
		"-stutter", "0", "-shuffle", "0", "-fwd-progress", "0", "-seed", "7"}
	t.Run("files", func(t *testing.T) {
		page, stream := filepath.Join(dir, "run.html"), filepath.Join(dir, "run.jsonl")
		code, stdout, stderr := runCLI(t, append(quick, "-html", page, "-json", stream)...)
		if stderr != "" {
			t.Errorf("stderr: %s", stderr)
		}
		mustSucceed(t, code, stdout)
		b, err := os.ReadFile(page)
		if err != nil || !strings.Contains(string(b), `id="verdict">SUCCESS</span>`) {
			t.Errorf("report %s: %v\n%.500s", page, err, b)
		}
		if st, err := os.Stat(page); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("report %s: mode %v, %v; want -rw-r--r--", page, st.Mode(), err)
		}
		f, err := os.Open(stream)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if rep, err := ReadJSON(f); err != nil || rep.Verdict == nil || rep.Verdict.Verdict != "SUCCESS" || rep.Start.Seed != 7 {
			t.Errorf("stream %s: %+v, %v", stream, rep, err)
		}
	})
	t.Run("stdout", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, append(quick, "-json", "-")...)
		mustSucceed(t, code, stderr)
		if rep, err := ReadJSON(strings.NewReader(stdout)); err != nil || rep.Verdict == nil || len(rep.Intervals) < 2 {
			t.Errorf("standard output is not the stream: %v\n%s", err, stdout)
		}
	})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-html", dir}, "-html " + dir + ": is a directory"},
		{[]string{"-json", dir}, "-json " + dir + ": is a directory"},
		{[]string{"-html", filepath.Join(dir, "no", "such", "dir.html")}, "-html " + filepath.Join(dir, "no", "such", "dir.html") + ": cannot create a file in " + filepath.Join(dir, "no", "such") + ": no such file or directory"},
		{[]string{"-html", "-"}, "-html -: the report needs a file"},
		{[]string{"-html", filepath.Join(dir, "same"), "-json", filepath.Join(dir, ".", "same")}, "-html and -json both name"},
		{[]string{"-json", filepath.Join(dir, "no", "such", "dir.jsonl")}, "-json: open "},
	} {
		code, stdout, stderr := runCLI(t, append(quick, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 with %q before any run", c.args, code, stderr, stdout, c.want)
		}
	}
	t.Run("nothing lost", func(t *testing.T) {
		keep := t.TempDir()
		page := filepath.Join(keep, "old.html")
		os.WriteFile(page, []byte("an earlier report"), 0o644)
		code, _, _ := runCLI(t, append(quick, "-html", page, "-json", filepath.Join(keep, "no", "x.jsonl"))...)
		b, _ := os.ReadFile(page)
		ents, _ := os.ReadDir(keep)
		if code != 2 || string(b) != "an earlier report" || len(ents) != 1 {
			t.Errorf("exit %d; %s holds %q and the directory %d entries: a refused command line must leave files as they were", code, page, b, len(ents))
		}
	})
}

// TestFlavorOfAnotherBuild: a flavor without New but with Tags is listed
// under its tags, and asking for it exits 2 with the command that runs it;
// it is never the default.
func TestFlavorOfAnotherBuild(t *testing.T) {
	other := rcuops.Flavor{Name: "busted-other", Doc: "needs a tag", Broken: true, Tags: "sometag"}
	c := command{name: "rcutorture", flavors: append([]rcuops.Flavor{other}, cliFlavors...), build: mainIn}
	var out, errOut bytes.Buffer
	if code := c.run(context.Background(), []string{"-list"}, &out, &errOut); code != 0 ||
		!strings.HasSuffix(out.String(), "only in a build with -tags sometag:\n  busted-other     needs a tag\n") ||
		!strings.HasPrefix(out.String(), "correct flavors (must end in SUCCESS):\n  trivial ") {
		t.Errorf("-list: exit %d:\n%s", code, out.String())
	}
	out.Reset()
	code := c.run(context.Background(), []string{"-flavor", "busted-other"}, &out, &errOut)
	want := `rcutorture: flavor "busted-other" exists only in a build with -tags sometag; run it with: go run -tags sometag ./cmd/mytorture -flavor busted-other` + "\n"
	if code != 2 || errOut.String() != want || out.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut.String(), want)
	}
	errOut.Reset()
	code = c.run(context.Background(), []string{"-flavor", "busted-othr"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `(did you mean "busted-other"?)`) {
		t.Errorf("a typo of it: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	c.run(context.Background(), []string{"-h"}, &out, &errOut)
	if !strings.Contains(errOut.String(), `the RCU flavor to torture (see -list) (default "trivial")`) {
		t.Errorf("the default flavor is not the first runnable one:\n%s", errOut.String())
	}
}
