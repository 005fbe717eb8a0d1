package impl_test

import (
	"testing"

	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcuops"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestImplementations: each builds a usable ops table whose one read
// section and one grace period work, and closes without leaving a
// goroutine behind (goleak checks at the end).
func TestImplementations(t *testing.T) {
	for name, mk := range map[string]func(rcuops.Env) *rcuops.Ops{
		"reference":                          func(env rcuops.Env) *rcuops.Ops { ops, _ := impl.Reference(env); return ops },
		"trivial":                            impl.Trivial,
		"classic":                            impl.Classic,
		"classic without the straggler wait": impl.ClassicWithoutStragglerWait,
	} {
		t.Run(name, func(t *testing.T) {
			ops := mk(rcuops.Env{})
			if err := ops.Validate(); err != nil {
				t.Fatal(err)
			}
			r := ops.Reader()
			r.Lock()
			//lint:ignore SA2001 one empty section is the point
			r.Unlock()
			rcuops.Release(r)
			ops.Synchronize()
			if ops.Close != nil {
				ops.Close()
			}
		})
	}
}
