package broken_test

import (
	"testing"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestBugsAreWellFormed: every bug has a unique name, a doc, rules of the
// table, and tools that must catch it, and builds a usable ops table that
// closes.
func TestBugsAreWellFormed(t *testing.T) {
	defer broken.ReleaseStuck()
	seen := map[string]bool{}
	for _, b := range broken.All() {
		if b.Name == "" || b.Doc == "" || b.For == 0 || b.New == nil || len(b.Breaks) == 0 || seen[b.Name] {
			t.Errorf("bug %+v: want a unique name, a doc, tools, New and rules", b)
		}
		seen[b.Name] = true
		for _, r := range b.Breaks {
			if _, ok := r.Guarantee(); !ok {
				t.Errorf("bug %s breaks %q, which is not in model.Guarantees", b.Name, r)
			}
		}
		if got, ok := broken.Lookup(b.Name); !ok || got.Name != b.Name {
			t.Errorf("Lookup(%q) = %v, %v", b.Name, got.Name, ok)
		}
		f := b.Flavor()
		if !f.Broken || f.Name != b.Name {
			t.Errorf("%s.Flavor() = %+v", b.Name, f)
		}
		ops := f.New(rcuops.Env{})
		if err := ops.Validate(); err != nil {
			t.Errorf("%s: %v", b.Name, err)
		}
		if ops.Close != nil {
			ops.Close()
		}
	}
	if _, ok := broken.Lookup("no such bug"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	for _, tool := range []broken.Tool{broken.Torture, broken.History, broken.Fuzz, broken.Kit, broken.Workload, broken.Machines} {
		if len(broken.For(tool)) == 0 {
			t.Errorf("no bug for tool %d: its negative controls would test nothing", tool)
		}
	}
	if !model.Explains([]model.Rule{model.SyncEarly}, model.ReclaimWhileHeld) {
		t.Error("an early grace period does not explain a reclaim under a reader")
	}
}
