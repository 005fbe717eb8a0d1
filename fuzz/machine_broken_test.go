package fuzz

import (
	"flag"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/rcukit/rcukit/rcu"
	"pgregory.net/rapid"
)

// Broken domains: the reference with one guarantee broken, each a bug the
// domain machine must catch.
type (
	syncNoWait    struct{ *rcu.Domain }
	callNow       struct{ *rcu.Domain }
	barrierNoWait struct{ *rcu.Domain }
	pollEarly     struct{ *rcu.Domain }
)

func (syncNoWait) Synchronize()          {}
func (syncNoWait) SynchronizeExpedited() {}
func (callNow) Call(f func())            { f() }
func (barrierNoWait) Barrier()           {}
func (d pollEarly) Poll(c rcu.Cookie) bool {
	return d.Domain.Poll(c - 1)
}

// Broken lists.
type (
	// skipFirst's traversals miss the first element.
	skipFirst struct{ *rcu.List[uint64] }
	// reclaimNow reclaims what Remove and Replace take out at once.
	reclaimNow struct {
		*rcu.List[uint64]
		reclaim func(uint64)
	}
)

func (l skipFirst) All() iter.Seq[*rcu.Element[uint64]] {
	return func(yield func(*rcu.Element[uint64]) bool) {
		first := true
		for e := range l.List.All() {
			if !first && !yield(e) {
				return
			}
			first = false
		}
	}
}

func (l reclaimNow) Remove(e *rcu.Element[uint64]) bool {
	ok := l.List.Remove(e)
	if ok {
		l.reclaim(e.Value)
	}
	return ok
}

func (l reclaimNow) Replace(e *rcu.Element[uint64], v uint64) (*rcu.Element[uint64], bool) {
	e2, ok := l.List.Replace(e, v)
	if ok {
		l.reclaim(e.Value)
	}
	return e2, ok
}

func newSkipFirst(d *rcu.Domain, reclaim func(uint64)) list {
	return skipFirst{rcu.NewList(d, reclaim)}
}

func newReclaimNow(d *rcu.Domain, reclaim func(uint64)) list {
	return reclaimNow{rcu.NewList[uint64](d, nil), reclaim}
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
// flaky when it cannot replay it: that still counts.
func expectFailure(t *testing.T, prop func(*rapid.T)) string {
	t.Helper()
	for name, value := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "2s", "rapid.seed": "1", "rapid.checks": "1000"} {
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
// implementations that break a guarantee, naming the rule broken.
func TestMachinesCatchBrokenImplementations(t *testing.T) {
	for _, c := range []struct {
		name  string
		prop  func(*rapid.T)
		rules []string
	}{
		{"domain/sync-no-wait", domainProperty(func(*rapid.T) domain { return syncNoWait{rcu.New()} }), append([]string{"sync-early"}, earlyRules...)},
		{"domain/call-now", domainProperty(func(*rapid.T) domain { return callNow{rcu.New()} }), append([]string{"callback-early"}, earlyRules...)},
		{"domain/barrier-no-wait", domainProperty(func(*rapid.T) domain { return barrierNoWait{rcu.New()} }), []string{"barrier-early"}},
		{"domain/poll-early", domainProperty(func(*rapid.T) domain { return pollEarly{rcu.New()} }), append([]string{"poll-early"}, earlyRules...)},
		{"list/skip-first", listProperty(newSkipFirst), []string{"list-traverse-missed", "list-lookup"}},
		{"list/reclaim-now", listProperty(newReclaimNow), []string{"list-reclaim-while-held", "list-read-reclaimed"}},
		{"domain-plan/busted-sync", domainPlanProperty("busted-sync"), brokenRules["busted-sync"]},
		{"domain-plan/busted-call", domainPlanProperty("busted-call"), brokenRules["busted-call"]},
		{"list-plan/skip-first", listPlanProperty(newSkipFirst), []string{"list-traverse-missed", "list-lookup"}},
		{"list-plan/reclaim-now", listPlanProperty(newReclaimNow), []string{"list-reclaim-while-held", "list-read-reclaimed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := expectFailure(t, c.prop)
			found := false
			for _, r := range c.rules {
				found = found || strings.Contains(msg, "model: "+r+": ") || strings.Contains(msg, "rule "+r+": ") ||
					strings.Contains(msg, "fuzz: flavor "+c.name[strings.IndexByte(c.name, '/')+1:]+": "+r+"\n")
			}
			if !found {
				t.Errorf("the failure names none of the rules %v:\n%s", c.rules, msg)
			}
			t.Log(msg[:min(len(msg), 300)])
		})
	}
}
