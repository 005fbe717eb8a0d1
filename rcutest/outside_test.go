package rcutest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/outside"
)

// TestOutsideModule validates the RCU of an outside module (testdata/myrcu)
// as its own tests do, with rcutest.Test: the correct flavor passes; the
// one with the counter-flip bug fails at the straggler check, which its
// injection point lets the kit build; and the reproduce command printed
// for that failure, run as printed in the package's directory, fails that
// check again, alone.
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in an outside module")
	}
	m := outside.Copy(t)
	if code, out := m.Run(".", "go test -count=1 -run '^TestConformance$' ."); code != 0 {
		t.Fatalf("the correct flavor of the outside module failed its conformance test (exit %d):\n%s", code, out)
	}
	failsAndReproduces(t, m, "TestNoStragglerWait", "guarantees/SynchronizeWaitsForStragglers",
		"grace period: Synchronize returned while a straggler was inside",
		"--- PASS: TestNoStragglerWait/guarantees/SynchronizeWaitsForPreexistingReaders")
}

// TestOutsideModuleCorpus replays the fuzzer's committed corpus against
// the outside module's broken flavor: a seed fails with the rule the bug
// breaks, the failure names the kit's own reproduce command (not the
// fuzzer's, which knows only the flavors of this module), and that
// command, run as printed, fails that seed again, alone.
//
// A seed holds its interleaving on nearly every run, not every one (the
// fuzzer's controller waits for a bounded time; under load about 1.5% of
// runs of the straggler seed miss it): so the first run may fail at any
// seed, and the reproduce command gets up to five runs to fail again.
func TestOutsideModuleCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in an outside module")
	}
	m := outside.Copy(t)
	const test = "TestNoStragglerWaitCorpus"
	code, out := m.Run(".", "go test -count=1 -v -run '^"+test+"$' .")
	failed := regexp.MustCompile(`--- FAIL: ` + test + `/corpus/(\S+) `).FindStringSubmatch(out)
	if code == 0 || failed == nil || !strings.Contains(out, "rule sync-early") {
		t.Fatalf("the broken flavor did not fail a corpus seed with rule sync-early (exit %d):\n%s", code, out)
	}
	if strings.Contains(out, "RCUKIT_FUZZ_INPUT") || strings.Contains(out, "./fuzz") {
		t.Fatalf("the failure names the fuzzer's reproduce command, which does not run in an outside module:\n%s", out)
	}
	seed, cmd := failed[1], reproduceCommand(t, out)
	for run := 1; ; run++ {
		code, again := m.Run(".", cmd+" -v")
		ran := regexp.MustCompile(test+`/corpus/(\S+) `).FindAllStringSubmatch(again, -1)
		for _, r := range ran {
			if r[1] != seed {
				t.Fatalf("the reproduce command %q ran seed %s too:\n%s", cmd, r[1], again)
			}
		}
		switch {
		case code != 0 && strings.Contains(again, "--- FAIL: "+test+"/corpus/"+seed+" "):
			t.Logf("reproduced on run %d: %s", run, cmd)
			return
		case code != 0 || len(ran) == 0 || run == 5:
			t.Fatalf("the reproduce command %q did not fail seed %s (run %d, exit %d):\n%s", cmd, seed, run, code, again)
		}
	}
}

// failsAndReproduces runs the outside module's test, which must fail at
// its subtest check saying say; then the reproduce command it printed, as
// printed, which must fail that check again and not run the check named
// other.
func failsAndReproduces(t *testing.T, m *outside.Module, test, check, say, other string) {
	t.Helper()
	failed := "--- FAIL: " + test + "/" + check + " "
	code, out := m.Run(".", "go test -count=1 -v -run '^"+test+"$' .")
	if code == 0 || !strings.Contains(out, failed) || !strings.Contains(out, say) {
		t.Fatalf("the broken flavor did not fail at %s/%s saying %q (exit %d):\n%s", test, check, say, code, out)
	}
	cmd := reproduceCommand(t, out)
	code, again := m.Run(".", cmd+" -v")
	if code == 0 || !strings.Contains(again, failed) || strings.Contains(again, other) {
		t.Fatalf("the reproduce command %q did not fail %s alone (exit %d):\n%s", cmd, check, code, again)
	}
	t.Logf("reproduced: %s", cmd)
}

// reproduceCommand is the first reproduce command in out.
func reproduceCommand(t *testing.T, out string) string {
	t.Helper()
	_, cmd, ok := strings.Cut(out, "reproduce: ")
	cmd, _, _ = strings.Cut(cmd, " (in the test's package directory)")
	if !ok || !strings.HasPrefix(cmd, "go test ") {
		t.Fatalf("no reproduce command in:\n%s", out)
	}
	return cmd
}
