package torture_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
)

// TestKindsCoverTheTorturedGuarantees holds the kinds to the model's table
// of guarantees: every Kind's rule is a row checked ByTorture, and every
// row checked ByTorture has a Kind.
func TestKindsCoverTheTorturedGuarantees(t *testing.T) {
	covered := map[model.Rule]bool{}
	for _, k := range torture.Kinds() {
		r := k.Rule()
		if k == torture.KindCheck {
			if r != "" {
				t.Errorf("KindCheck has the fixed rule %q; its failures take the history check's", r)
			}
			continue
		}
		g, ok := r.Guarantee()
		switch {
		case !ok:
			t.Errorf("kind %v breaks %q, which is not in model.Guarantees", k, r)
		case g.Checked&model.ByTorture == 0:
			t.Errorf("kind %v breaks %q, whose row in model.Guarantees is not checked ByTorture", k, r)
		}
		covered[r] = true
	}
	for _, g := range model.Guarantees() {
		if g.Checked&model.ByTorture != 0 && !covered[g.Rule] {
			t.Errorf("model.Guarantees says torture checks %q, but no Kind breaks it", g.Rule)
		}
	}
}

func TestKindNames(t *testing.T) {
	want := []string{"pipe", "freed", "uninitialized", "reused", "sync-gp", "callback-gp", "poll-gp", "poll-in-reader",
		"poll-after-sync", "barrier", "writer-stall", "fwd-progress", "gp-stall", "quiesce", "stuck", "check"}
	var got []string
	for _, k := range torture.Kinds() {
		got = append(got, k.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("the kinds are %q; want %q", got, want)
	}
	if s, r := torture.Kind(0).String(), torture.Kind(0).Rule(); s != "Kind(0)" || r != "" {
		t.Errorf("Kind(0) is %q, rule %q; want Kind(0) and no rule", s, r)
	}
}

func TestFailure(t *testing.T) {
	pipe := torture.Failure{Kind: torture.KindPipe, Count: 3, First: "reader 1 saw element v9 at age 2\nmore", At: time.Second}
	if got, want := pipe.String(), "pipe x3: reader 1 saw element v9 at age 2"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if pipe.Rule() != model.ReclaimWhileHeld {
		t.Errorf("a pipe failure's rule is %q", pipe.Rule())
	}
	check := torture.Failure{Kind: torture.KindCheck, Count: 1, First: "the history is illegal",
		Check: &linearize.Result{Verdict: linearize.Illegal, Rule: model.BarrierEarly}}
	if check.Rule() != model.BarrierEarly {
		t.Errorf("a check failure's rule is %q; want its result's", check.Rule())
	}
	check.Check = nil
	if check.Rule() != "" {
		t.Errorf("a check failure without a result has the rule %q", check.Rule())
	}
}

func TestCheckError(t *testing.T) {
	illegal := &torture.CheckError{Result: linearize.Result{Verdict: linearize.Illegal, Rule: model.SyncEarly, Detail: "reader 3 was inside", Visualization: "/tmp/v.html"}}
	if errors.Is(illegal, torture.ErrInconclusive) {
		t.Errorf("an Illegal CheckError wraps ErrInconclusive")
	}
	first, _, _ := strings.Cut(illegal.Error(), "\n")
	if want := "the history is illegal: rule sync-early (" + model.SyncEarly.Doc() + "): reader 3 was inside; visualization: /tmp/v.html"; first != want {
		t.Errorf("Error() begins %q; want %q", first, want)
	}
	unknown := &torture.CheckError{Result: linearize.Result{Verdict: linearize.Unknown, Reason: "timeout"}}
	var err error = fmt.Errorf("segment 2: %w", unknown)
	if !errors.Is(err, torture.ErrInconclusive) {
		t.Errorf("an Unknown CheckError does not wrap ErrInconclusive")
	}
	if ce, ok := errors.AsType[*torture.CheckError](err); !ok || ce.Result.Reason != "timeout" {
		t.Errorf("errors.As does not find the CheckError")
	}
	if got := unknown.Error(); got != "the history check could not decide: timeout" {
		t.Errorf("Error() = %q", got)
	}
}

// releaser counts the Readers of Ops.Reader and their releases, and checks
// that each is released once, on the goroutine that used it, after its
// last section, and used no more.
type releaser struct {
	made, released atomic.Int64
	mu             sync.Mutex
	bad            []string
}

func (r *releaser) complain(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) < 10 {
		r.bad = append(r.bad, fmt.Sprintf(format, args...))
	}
}

type countedReader struct {
	rcuops.Reader
	r        *releaser
	g        uint64 // the goroutine that took it
	depth    int
	released bool
}

// goid is the calling goroutine's number, from its stack's header line
// ("goroutine 7 [running]:").
func goid() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := strings.Fields(string(buf))
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}

func (c *countedReader) use(what string) {
	if g := goid(); g != c.g {
		c.r.complain("%s on goroutine %d; the Reader was taken on goroutine %d", what, g, c.g)
	}
	if c.released {
		c.r.complain("%s after Release", what)
	}
}

func (c *countedReader) Lock() {
	c.use("Lock")
	c.depth++
	c.Reader.Lock()
}

func (c *countedReader) Unlock() {
	c.use("Unlock")
	c.depth--
	c.Reader.Unlock()
}

func (c *countedReader) Release() {
	c.use("Release")
	if c.depth != 0 {
		c.r.complain("Release inside a section (depth %d)", c.depth)
	}
	c.released = true
	c.r.released.Add(1)
}

// TestReaderReleaseHook: the engine releases every Reader it took from
// Ops.Reader (reader goroutines and read-exit goroutines alike) once, on
// the goroutine that used it, once that goroutine is done with it.
func TestReaderReleaseHook(t *testing.T) {
	rel := new(releaser)
	f := trivial("trivial-release", func(_ rcuops.Env, o *rcuops.Ops) {
		reader := o.Reader
		o.Reader = func() rcuops.Reader {
			rel.made.Add(1)
			return &countedReader{Reader: reader(), r: rel, g: goid()}
		}
	})
	c := quick(1200 * time.Millisecond)
	c.Readers = 4 // 2 registered, 2 token readers
	c.ReadExit = 4
	res, report := run(t, context.Background(), f, c)
	mustSucceed(t, res, report)
	made, released := rel.made.Load(), rel.released.Load()
	if made < 2+2 { // the token readers, and at least one read-exit burst's
		t.Errorf("only %d Readers were taken from Ops.Reader", made)
	}
	if released != made {
		t.Errorf("%d Readers taken from Ops.Reader, %d released", made, released)
	}
	for _, b := range rel.bad {
		t.Error(b)
	}
}
