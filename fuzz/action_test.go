package fuzz

import (
	"sync/atomic"
	"testing"

	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture/flavors"
)

// The tests of the actions that need more than the scenarios and the
// decoder's tests give them. (hold-at and hold-gp-at: see
// TestHoldsParkOnlyTheirTarget.)

// releasers is trivial with Readers that hold a slot until they are
// released, and panic when used after.
type releasers struct {
	made, released atomic.Int64
}

func (rs *releasers) flavor() rcuops.Flavor {
	return rcuops.Flavor{Name: "releasers", Doc: "trivial with Readers that must be released", New: func(env rcuops.Env) *rcuops.Ops {
		f, _ := flavors.Lookup("trivial")
		ops := f.New(env)
		reader := ops.Reader
		ops.Reader = func() rcuops.Reader {
			rs.made.Add(1)
			return &releaser{Reader: reader(), rs: rs}
		}
		return ops
	}}
}

type releaser struct {
	rcuops.Reader
	rs   *releasers
	gone bool
}

func (r *releaser) Lock() {
	if r.gone {
		panic("Lock of a released Reader")
	}
	r.Reader.Lock()
}

func (r *releaser) Release() {
	if r.gone {
		panic("a Reader released twice")
	}
	r.gone = true
	r.rs.released.Add(1)
}

// TestRenew checks the renew action and the release of every Reader at
// the end: each actor's Reader is released once, after its last section
// (the ones left open included); after a renew the next section runs on
// a fresh Reader; a renew inside a section is a no-op.
func TestRenew(t *testing.T) {
	for _, c := range []struct {
		name        string
		in          []byte
		made, noops int
	}{
		{"released-at-end", build(func(e *enc) { e.lockLoad(A).unlock(A) }), 1, 0},
		{"renewed", build(func(e *enc) { e.lockLoad(A).unlock(A).renew(A).lockLoad(A).unlock(A).lock(B) }), 3, 0},
		{"inside-a-section", build(func(e *enc) { e.renew(A).lockLoad(A).renew(A).unlock(A).renew(A).renew(A) }), 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rs releasers
			if err := RunSchedule(rs.flavor(), c.in); err != nil {
				t.Fatal(err)
			}
			if rs.made.Load() != int64(c.made) || rs.released.Load() != rs.made.Load() {
				t.Errorf("%d Readers made, %d released; want %d, all released", rs.made.Load(), rs.released.Load(), c.made)
			}
			noops := 0
			for _, st := range decode(c.in, newPoints(nil)).steps {
				if st.noop != "" {
					noops++
				}
			}
			if noops != c.noops {
				t.Errorf("%d no-ops; want %d:\n%s", noops, c.noops, decode(c.in, newPoints(nil)))
			}
		})
	}
}
