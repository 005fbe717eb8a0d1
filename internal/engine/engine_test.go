package engine

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tableReaders is a Readers over one Table, as the flavors with registered
// readers have.
type tableReaders struct {
	t   Table
	ctl *atomic.Uint64
}

func (r *tableReaders) Wait(gp *GP) { r.t.Wait(gp, r.ctl, "test") }

func start(t *testing.T, cfg Config) (*Engine, *tableReaders) {
	var ctl atomic.Uint64
	ctl.Store(GenOne)
	r := &tableReaders{ctl: &ctl}
	e := new(Engine)
	e.Start(cfg, "test domain", &ctl, r)
	t.Cleanup(e.Close)
	return e, r
}

// TestTableWaitsForOlderGenerations: a grace period waits for a reader
// whose word carries an older generation, not for one that has seen the
// new generation or holds nothing, and names the holder in its stall
// report.
func TestTableWaitsForOlderGenerations(t *testing.T) {
	stalls := make(chan Stall, 1)
	cfg := Defaults
	cfg.StallTimeout = 10 * time.Millisecond
	cfg.StallHandler = func(s Stall) {
		select {
		case stalls <- s:
		default:
		}
	}
	e, r := start(t, cfg)
	var idle, holder Slot
	r.t.Register(&idle, false, 0)
	r.t.Register(&holder, true, 0)
	holder.Ctr.Store(Word(r.ctl.Load()))
	done := make(chan struct{})
	go func() {
		e.Wait(t.Context(), e.Next(), false)
		close(done)
	}()
	s := <-stalls
	if s.Readers != 1 || !strings.Contains(s.Reader, "test reader 2") || !strings.Contains(s.Stack, "TestTableWaitsForOlderGenerations") {
		t.Fatalf("stall report %+v: want reader 2 alone, with its registration stack", s)
	}
	if !strings.Contains(s.String(), "test reader 2") {
		t.Fatalf("the report's text does not name the reader:\n%s", s)
	}
	holder.Ctr.Store(Word(r.ctl.Load())) // has seen the new generation
	<-done
	if r.t.Len() != 2 {
		t.Fatalf("Len %d, want 2", r.t.Len())
	}
	r.t.Unregister(&holder)
	r.t.Unregister(&idle)
	if r.t.Len() != 0 {
		t.Fatalf("Len %d after Unregister, want 0", r.t.Len())
	}
}

// TestWordIsNeverZero: a reader's word is never the "holds nothing" value.
func TestWordIsNeverZero(t *testing.T) {
	for _, ctl := range []uint64{0, FlagYield | FlagClosed, GenOne, ^uint64(0)} {
		if Word(ctl) == 0 {
			t.Fatalf("Word(%#x) = 0", ctl)
		}
	}
}
