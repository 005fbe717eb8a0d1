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
