package linearize_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// rounds returns a legal history of n rounds, each a Publish and a read
// section that sees it, one after the other: every round boundary is a
// quiescent point, so Check cuts it into many segments.
func rounds(n int) linearize.History {
	var h linearize.History
	t := int64(0)
	add := func(client int, op model.Op) {
		h = append(h, linearize.Event{Client: client, Call: t, Return: t + 1, Op: op})
		t += 2
	}
	for i := range uint64(n) {
		add(0, model.Op{Kind: model.Publish, Version: i + 1})
		add(1+int(i%3), model.Op{Kind: model.ReadBegin, ID: i + 1, Version: i + 1})
		add(1+int(i%3), model.Op{Kind: model.ReadEnd, ID: i + 1})
	}
	return h
}

// progressLog records the calls of an Options.Progress, and counts those
// that came while another was running.
type progressLog struct {
	t        *testing.T
	inside   atomic.Bool
	overlaps atomic.Int64
	mu       sync.Mutex
	calls    []linearize.Progress
}

func (l *progressLog) report(p linearize.Progress) {
	if l.inside.Swap(true) {
		l.overlaps.Add(1)
	}
	l.mu.Lock()
	l.calls = append(l.calls, p)
	l.mu.Unlock()
	runtime.Gosched() // give an overlapping call its chance
	l.inside.Store(false)
}

// check checks the calls so far and returns the last: none overlapped,
// Done grows by one with each, Total never shrinks and never falls below
// Done, and Events grows.
func (l *progressLog) check() linearize.Progress {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.overlaps.Load(); n > 0 {
		l.t.Errorf("%d calls of Progress overlapped another", n)
	}
	var prev linearize.Progress
	for _, p := range l.calls {
		if p.Done != prev.Done+1 || p.Total < prev.Total || p.Done > p.Total || p.Events <= prev.Events {
			l.t.Fatalf("progress %+v after %+v", p, prev)
		}
		prev = p
	}
	return prev
}

func TestProgressReachesTotal(t *testing.T) {
	h := rounds(2000) // 6000 events, segments of at least 512
	for _, workers := range []int{1, 2, 4} {
		log := &progressLog{t: t}
		res := linearize.Check(h, linearize.Options{Workers: workers, Progress: log.report})
		if res.Verdict != linearize.Ok || res.Segments < 5 {
			t.Fatalf("want ok in several segments: %s", res.Report())
		}
		last := log.check()
		if len(log.calls) != res.Segments || last.Done != res.Segments || last.Total != res.Segments || last.Events != len(h) {
			t.Fatalf("workers %d: %d calls, last %+v; result %s", workers, len(log.calls), last, res)
		}
	}
}

// An Illegal history still counts every segment: those after the
// illegal one are skipped, and done.
func TestProgressIllegal(t *testing.T) {
	h := rounds(2000)
	h[len(h)/2+1].Op.Version = 0 // a read-begin that sees a replaced version
	if h[len(h)/2+1].Op.Kind != model.ReadBegin {
		t.Fatalf("event %d is %v", len(h)/2+1, h[len(h)/2+1])
	}
	log := &progressLog{t: t}
	res := linearize.Check(h, linearize.Options{Workers: 2, Progress: log.report})
	if res.Verdict != linearize.Illegal {
		t.Fatalf("want illegal: %s", res.Report())
	}
	if last := log.check(); last.Done != last.Total || last.Total != res.Segments {
		t.Fatalf("last progress %+v; result %s", last, res)
	}
}

// A Stream counts from its first Feed; each Feed ends with every segment
// it found complete done.
func TestProgressStream(t *testing.T) {
	h := rounds(3000)
	log := &progressLog{t: t}
	s := linearize.NewStream(linearize.Options{Workers: 2, Progress: log.report})
	var prev linearize.Progress
	for i := 0; i < len(h); i += 1500 {
		res := s.Feed(h[i:min(i+1500, len(h))])
		prev = log.check()
		if prev.Done != prev.Total || prev.Done != res.Segments || prev.Events != res.Events {
			t.Fatalf("after a Feed: progress %+v, result %s", prev, res)
		}
	}
	res := s.Close()
	last := log.check()
	if res.Verdict != linearize.Ok || last.Done != res.Segments || last.Total != res.Segments || last.Events != len(h) || last.Done <= prev.Done {
		t.Fatalf("after Close: progress %+v, result %s", last, res)
	}
}

// A check without a Progress makes no calls and the same verdict.
func TestProgressOptional(t *testing.T) {
	h := rounds(500)
	if res := linearize.Check(h, linearize.Options{}); res.Verdict != linearize.Ok {
		t.Fatal(res.Report())
	}
}
