package fuzz

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
	"pgregory.net/rapid"
)

// The broken lists are internal/broken's: the list is not in the ops
// table.
func newSkipFirst(d *rcu.Domain, reclaim func(uint64)) list {
	return broken.NewListSkipFirst(d, reclaim)
}

func newReclaimNow(d *rcu.Domain, reclaim func(uint64)) list {
	return broken.NewListReclaimNow(d, reclaim)
}

// failTB is a rapid.TB that records failures instead of failing the test,
// so that a test can assert that a property fails.
type failTB struct {
	name   string
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (f *failTB) Helper()                         {}
func (f *failTB) Name() string                    { return f.name }
func (f *failTB) Logf(format string, args ...any) {}
func (f *failTB) Log(args ...any)                 {}
func (f *failTB) Skipf(format string, args ...any) {
	panic("failTB: Skipf: " + fmt.Sprintf(format, args...))
}
func (f *failTB) Skip(args ...any) { panic(fmt.Sprint("failTB: Skip: ", args)) }
func (f *failTB) SkipNow()         { panic("failTB: SkipNow") }
func (f *failTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *failTB) Error(args ...any)                 { f.Errorf("%s", fmt.Sprint(args...)) }
func (f *failTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *failTB) Fatal(args ...any)                 { f.Error(args...) }
func (f *failTB) FailNow()                          {}
func (f *failTB) Fail()                             { f.Errorf("failed") }
func (f *failTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// expectFailure runs prop with rapid and returns what rapid reported; it
// fails t if rapid found nothing in up to 1000 cases. Fail files are not
// written and shrinking is brief. Some bugs show only when no grace
// period is in flight, which timing decides, so rapid may call a failure
// flaky when it cannot replay it: that still counts. The state machines
// take rapidSteps actions on average, with or without -short (which
// would halve them, and let a bug that needs a longer run go unseen).
func expectFailure(t *testing.T, prop func(*rapid.T)) string {
	t.Helper()
	steps := rapidSteps
	if testing.Short() {
		steps *= 2
	}
	for name, value := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "2s", "rapid.seed": "1", "rapid.checks": "1000",
		"rapid.steps": fmt.Sprint(steps)} {
		old := flag.Lookup(name).Value.String()
		if err := flag.Set(name, value); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { flag.Set(name, old) })
	}
	tb := &failTB{name: t.Name()}
	rapid.Check(tb, prop)
	if !tb.Failed() {
		t.Fatalf("rapid found no failure; reproduce: go test -run '^%s$' ./fuzz", t.Name())
	}
	return strings.Join(tb.msgs, "\n")
}

// TestMachinesCatchBrokenImplementations shows that the machines fail on
// implementations that break a guarantee, naming a rule the bug explains:
// the domain machine and the concurrent plans on every bug of
// internal/broken meant for them, the list machine and its plans on the
// list's broken doubles. Every failure rapid met, shrinking included,
// must be explained.
func TestMachinesCatchBrokenImplementations(t *testing.T) {
	type control struct {
		name   string
		prop   func(*caughtRules) func(*rapid.T)
		breaks []model.Rule
	}
	var cases []control
	for _, bug := range broken.For(broken.Machines) {
		cases = append(cases,
			control{"domain/" + bug.Name, func(c *caughtRules) func(*rapid.T) { return domainProperty(brokenDomain(bug), c) }, bug.Breaks},
			control{"domain-plan/" + bug.Name, func(c *caughtRules) func(*rapid.T) { return domainPlanProperty(bug.Flavor(), c) }, bug.Breaks})
	}
	skipFirstBreaks := []model.Rule{model.ListTraverseMissed, model.ListLookup}
	reclaimNowBreaks := []model.Rule{model.ListReclaimWhileHeld} // and its consequence, list-read-reclaimed
	cases = append(cases,
		control{"list/skip-first", func(c *caughtRules) func(*rapid.T) { return listProperty(newSkipFirst, c) }, skipFirstBreaks},
		control{"list/reclaim-now", func(c *caughtRules) func(*rapid.T) { return listProperty(newReclaimNow, c) }, reclaimNowBreaks},
		control{"list-plan/skip-first", func(c *caughtRules) func(*rapid.T) { return listPlanProperty(newSkipFirst, c) }, skipFirstBreaks},
		control{"list-plan/reclaim-now", func(c *caughtRules) func(*rapid.T) { return listPlanProperty(newReclaimNow, c) }, reclaimNowBreaks})
	if len(cases) < 8 {
		t.Fatalf("%d negative controls: internal/broken has too few bugs for the machines", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var caught caughtRules
			msg := expectFailure(t, c.prop(&caught))
			rules := caught.get()
			if len(rules) == 0 {
				t.Errorf("the failures name no rule:\n%s", msg)
			}
			for _, r := range rules {
				if !model.Explains(c.breaks, r) {
					t.Errorf("a failure broke rule %q, which a bug that breaks %v does not explain:\n%s", r, c.breaks, msg)
					break
				}
			}
			t.Logf("rules %v; %s", slices.Compact(slices.Sorted(slices.Values(rules))), msg[:min(len(msg), 300)])
		})
	}
}
