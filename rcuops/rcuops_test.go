package rcuops_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/rcuops"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTokenReaderNestsLIFOWithoutAllocating(t *testing.T) {
	var next int
	var order []int
	r := rcuops.TokenReader(func() int { next++; return next }, func(v int) { order = append(order, v) })
	nest(r, 3)
	if !reflect.DeepEqual(order, []int{3, 2, 1}) {
		t.Fatalf("tokens ended in order %v; want 3 2 1", order)
	}
	type token struct{ a, b, c uintptr } // the size of rcu.Token
	tr := rcuops.TokenReader(func() token { return token{1, 2, 3} }, func(token) {})
	if n := testing.AllocsPerRun(100, func() { nest(tr, 3) }); n != 0 {
		t.Errorf("nested sections allocate %v times", n)
	}
}

// nest runs depth nested sections on r.
func nest(r rcuops.Reader, depth int) {
	r.Lock()
	if depth > 1 {
		nest(r, depth-1)
	}
	r.Unlock()
}

func TestMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"TokenReader nil": func() { rcuops.TokenReader[int](nil, nil) },
		"unbalanced Unlock": func() {
			r := rcuops.TokenReader(func() int { return 1 }, func(int) {})
			r.Unlock()
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "rcuops: ") {
					t.Fatalf("panic %q; want an \"rcuops: \" message", s)
				}
			}()
			f()
		})
	}
}

func TestValidate(t *testing.T) {
	ok := func() *rcuops.Ops {
		return &rcuops.Ops{Reader: func() rcuops.Reader { return nil }, Synchronize: func() {}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("a minimal table: %v", err)
	}
	for want, edit := range map[string]func(*rcuops.Ops){
		"Ops.Reader is required":                   func(o *rcuops.Ops) { o.Reader = nil },
		"Ops.Synchronize is required":              func(o *rcuops.Ops) { o.Synchronize = nil },
		"Ops.Barrier needs Ops.Call":               func(o *rcuops.Ops) { o.Barrier = func() {} },
		"Ops.Snapshot and Ops.Poll come together":  func(o *rcuops.Ops) { o.Poll = func(uint64) bool { return true } },
		`injection point "x" is empty or repeated`: func(o *rcuops.Ops) { o.Injection = []rcuops.Point{"x", "x"} },
		`injection point "" is empty or repeated`:  func(o *rcuops.Ops) { o.Injection = []rcuops.Point{""} },
	} {
		o := ok()
		edit(o)
		if err := o.Validate(); err == nil || err.Error() != want {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
	var none *rcuops.Ops
	if err := none.Validate(); err == nil {
		t.Error("Validate of a nil table passed")
	}
	o := ok()
	o.Injection = []rcuops.Point{rcuops.PointReadSampled}
	if !o.HasPoint(rcuops.PointReadSampled) || o.HasPoint(rcuops.PointGPEnd) {
		t.Error("HasPoint does not report the declared points")
	}
}

type releasing struct {
	rcuops.Reader
	released *bool
}

func (r releasing) Release() { *r.released = true }

func TestRelease(t *testing.T) {
	var released bool
	rcuops.Release(releasing{rcuops.TokenReader(func() int { return 0 }, func(int) {}), &released})
	if !released {
		t.Error("Release did not release a Releaser")
	}
	rcuops.Release(rcuops.TokenReader(func() int { return 0 }, func(int) {})) // not a Releaser: nothing to do
}
