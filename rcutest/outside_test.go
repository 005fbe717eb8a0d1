package rcutest_test

import (
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
	const failed = "TestNoStragglerWait/guarantees/SynchronizeWaitsForStragglers"
	code, out := m.Run(".", "go test -count=1 -v -run '^TestNoStragglerWait$' .")
	if code == 0 || !strings.Contains(out, "--- FAIL: "+failed) || !strings.Contains(out, "grace period: Synchronize returned while a straggler was inside") {
		t.Fatalf("the broken flavor did not fail at %s (exit %d):\n%s", failed, code, out)
	}
	_, cmd, ok := strings.Cut(out, "reproduce: ")
	cmd, _, _ = strings.Cut(cmd, " (in the test's package directory)")
	if !ok || !strings.HasPrefix(cmd, "go test ") {
		t.Fatalf("no reproduce command in:\n%s", out)
	}
	code, again := m.Run(".", cmd+" -v")
	if code == 0 || !strings.Contains(again, "--- FAIL: "+failed) || strings.Contains(again, "--- PASS: TestNoStragglerWait/guarantees/SynchronizeWaitsForPreexistingReaders") {
		t.Fatalf("the reproduce command %q did not fail that check alone (exit %d):\n%s", cmd, code, again)
	}
	t.Logf("reproduced: %s", cmd)
}

// TestOutsideModuleCorpus replays the fuzzer's committed corpus against
// the outside module's broken flavor: the straggler seed fails, the
// failure names the kit's own reproduce command (not the fuzzer's, which
// knows only the flavors of this module), and that command, run as
// printed, fails that seed again.
func TestOutsideModuleCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in an outside module")
	}
	m := outside.Copy(t)
	const failed = "TestNoStragglerWaitCorpus/corpus/straggler"
	code, out := m.Run(".", "go test -count=1 -v -run '^TestNoStragglerWaitCorpus$' .")
	if code == 0 || !strings.Contains(out, "--- FAIL: "+failed+" ") || !strings.Contains(out, "rule sync-early") {
		t.Fatalf("the broken flavor did not fail at %s (exit %d):\n%s", failed, code, out)
	}
	if strings.Contains(out, "RCUKIT_FUZZ_INPUT") || strings.Contains(out, "./fuzz") {
		t.Fatalf("the failure names the fuzzer's reproduce command, which does not run in an outside module:\n%s", out)
	}
	_, cmd, ok := strings.Cut(out, "reproduce: ")
	cmd, _, _ = strings.Cut(cmd, " (in the test's package directory)")
	if !ok || !strings.HasPrefix(cmd, "go test ") {
		t.Fatalf("no reproduce command in:\n%s", out)
	}
	code, again := m.Run(".", cmd+" -v")
	if code == 0 || !strings.Contains(again, "--- FAIL: "+failed+" ") || strings.Contains(again, "corpus/straggler-call") {
		t.Fatalf("the reproduce command %q did not fail that seed alone (exit %d):\n%s", cmd, code, again)
	}
	t.Logf("reproduced: %s", cmd)
}
