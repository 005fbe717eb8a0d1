package outside_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/outside"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCopy: the copy is a module of its own whose replace directive points
// at this module's root, and commands run in it.
func TestCopy(t *testing.T) {
	m := outside.Copy(t)
	mod, err := os.ReadFile(filepath.Join(m.Dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	if !strings.Contains(string(mod), "module example.com/myrcu") || !strings.Contains(string(mod), "=> "+root+"\n") {
		t.Errorf("go.mod of the copy:\n%s", mod)
	}
	if code, out := m.Run("cmd", "pwd"); code != 0 || strings.TrimSpace(out) != filepath.Join(m.Dir, "cmd") {
		t.Errorf("pwd in cmd: exit %d, %q", code, out)
	}
}
