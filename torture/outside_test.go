package torture_test

import (
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/outside"
)

// TestOutsideModuleMain builds the rcutorture of an outside module
// (testdata/myrcu), whose main only calls Main with its flavors, runs its
// broken flavor to a FAILURE, and then the reproduce command the run
// printed, as printed, from the outside module's root: it names the
// outside main, and fails the same way.
func TestOutsideModuleMain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an outside module with go run")
	}
	m := outside.Copy(t)
	const run = "go run ./cmd/myrcutorture -flavor myrcu-nowait -duration 20s -stop-on-failure -payload=false -readers 2 -fakewriters 1 -stutter 500ms -shuffle 0 -fwd-progress 0 -seed 3"
	code, report := m.Run(".", run)
	if code != 1 || !strings.Contains(report, "\nEnd of test: FAILURE: ") {
		t.Fatalf("%s: exit %d; want 1 and a FAILURE:\n%s", run, code, report)
	}
	repro := reproduceLine(report)
	if want := "go run ./cmd/myrcutorture -flavor myrcu-nowait -duration 20s "; !strings.HasPrefix(repro, want) {
		t.Fatalf("reproduce command %q; want it to begin %q", repro, want)
	}
	code, again := m.Run(".", repro)
	if code != 1 || !strings.Contains(again, "\nEnd of test: FAILURE: ") || reproduceLine(again) != repro {
		t.Fatalf("%s: exit %d; want 1, a FAILURE and the same reproduce command:\n%s", repro, code, again)
	}
	t.Logf("reproduced: %s", repro)
	if code, list := m.Run(".", "go run ./cmd/myrcutorture -list"); code != 0 || !strings.Contains(list, "  myrcu-nowait ") {
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
