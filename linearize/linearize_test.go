package linearize_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// Many clients record at once; the history has every event, sorted by
// call, each call before its return, distinct return times, and each
// client's operations in order: one's call after the previous one's return.
func TestRecorderConcurrent(t *testing.T) {
	const clients, per = 8, 500
	rec := linearize.NewRecorder()
	var wg sync.WaitGroup
	for range clients {
		c := rec.Client()
		wg.Go(func() {
			for i := range per {
				s := c.Start()
				c.Finish(s, model.Op{Kind: model.Call, ID: uint64(c.ID()*per + i + 1)})
			}
		})
	}
	wg.Wait()
	h := rec.History()
	if len(h) != clients*per {
		t.Fatalf("%d events, want %d", len(h), clients*per)
	}
	returns := map[int64]bool{}
	last := map[int]int64{}
	for i, e := range h {
		if i > 0 && h[i-1].Call > e.Call {
			t.Fatalf("not sorted by call at %d", i)
		}
		if e.Call >= e.Return || returns[e.Return] || e.Call <= last[e.Client] {
			t.Fatalf("bad times: %v (client's previous return %d)", e, last[e.Client])
		}
		returns[e.Return], last[e.Client] = true, e.Return
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Drain returns what was recorded since the last Drain; History, what
// has not been drained.
func TestRecorderDrain(t *testing.T) {
	rec := linearize.NewRecorder()
	c := rec.Client()
	record := func(n int) {
		for range n {
			c.Finish(c.Start(), model.Op{Kind: model.Publish, Version: 1})
		}
	}
	record(3000) // more than one buffer chunk
	if got := len(rec.Drain()); got != 3000 {
		t.Fatalf("first Drain: %d events", got)
	}
	record(5)
	if got := len(rec.History()); got != 5 {
		t.Fatalf("History after Drain: %d events", got)
	}
	d := rec.Drain()
	if len(d) != 5 || d[0].Call <= 6000 {
		t.Fatalf("second Drain: %v", d)
	}
	if got := len(rec.Drain()); got != 0 {
		t.Fatalf("third Drain: %d events", got)
	}
}

func TestRecorderMisuse(t *testing.T) {
	c := linearize.NewRecorder().Client()
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "linearize: ") {
			t.Fatalf("Finish with a made-up time: recovered %v", r)
		}
	}()
	c.Finish(42, model.Op{Kind: model.Call, ID: 1})
}

// A Stream fed a history in drains reaches the verdict Check reaches on
// the whole, and keeps only the events after its last cut.
func TestStreamMatchesCheck(t *testing.T) {
	s := seed(t)
	busted := broken.For(broken.Workload)[0]
	for _, b := range []struct {
		name string
		mk   func() target
	}{{"reference", reference}, {busted.Name, bug(busted)}} {
		t.Run(b.name, func(t *testing.T) {
			h := record(t, smallRun, s, b.mk)
			whole := linearize.Check(h, linearize.Options{})
			st := linearize.NewStream(linearize.Options{})
			// Feed in pieces split at gaps in time, as Drain would give.
			var batch linearize.History
			var maxRet int64
			for _, e := range h {
				if len(batch) > 700 && e.Call > maxRet {
					st.Feed(batch)
					batch = nil
				}
				batch = append(batch, e)
				maxRet = max(maxRet, e.Return)
			}
			mid := st.Feed(batch)
			if whole.Verdict == linearize.Ok && (mid.Verdict != linearize.Ok || mid.Events == 0 || mid.Events == len(h)) {
				t.Fatalf("before Close the stream should have checked some but not all events: %s", mid.Report())
			}
			got := st.Close()
			if got.Verdict != whole.Verdict {
				t.Fatalf("seed %d, history %s: stream %s, check %s", s, save(t, "history", h), got.Report(), whole.Report())
			}
			if whole.Verdict == linearize.Ok && got.Events != len(h) {
				t.Fatalf("stream checked %d of %d events", got.Events, len(h))
			}
		})
	}
}

func TestStreamFeedOutOfOrderPanics(t *testing.T) {
	st := linearize.NewStream(linearize.Options{})
	st.Feed(linearize.History{
		{Call: 1, Return: 2, Op: model.Op{Kind: model.Publish, Version: 1}},
		{Call: 3, Return: 4, Op: model.Op{Kind: model.Publish, Version: 2}},
	})
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "linearize: ") {
			t.Fatalf("recovered %v", r)
		}
	}()
	st.Feed(linearize.History{{Call: 1, Return: 5, Op: model.Op{Kind: model.Publish, Version: 3}}})
}

// A segment that cannot be cut below the cap is Unknown, never Ok.
func TestPartitionCapIsUnknown(t *testing.T) {
	// A reader open throughout: no quiescent point.
	h := linearize.History{{Call: 1, Return: 2, Op: model.Op{Kind: model.ReadBegin, ID: 1}}}
	for i := range 50 {
		at := int64(10 + 2*i)
		h = append(h, linearize.Event{Call: at, Return: at + 1, Op: model.Op{Kind: model.Call, ID: uint64(i + 1)}})
	}
	h = append(h, linearize.Event{Call: 200, Return: 201, Op: model.Op{Kind: model.ReadEnd, ID: 1}})
	res := linearize.Check(h, linearize.Options{MaxPartition: 20})
	if res.Verdict != linearize.Unknown || !strings.Contains(res.Reason, "over the cap of 20") {
		t.Fatalf("%s", res.Report())
	}
	if res := linearize.Check(h, linearize.Options{}); res.Verdict != linearize.Ok {
		t.Fatalf("without the cap: %s", res.Report())
	}
}

// A check that runs out of time is Unknown.
func TestTimeoutIsUnknown(t *testing.T) {
	h := record(t, smallRun, seed(t), reference)
	res := linearize.Check(h, linearize.Options{Timeout: time.Nanosecond})
	if res.Verdict != linearize.Unknown || !strings.Contains(res.Reason, "timeout") {
		t.Fatalf("%s", res.Report())
	}
}

func TestMalformedHistoryIsUnknown(t *testing.T) {
	h := linearize.History{{Call: 1, Return: 2, Op: model.Op{Kind: model.ReadEnd, ID: 1}}}
	for _, res := range []linearize.Result{linearize.Check(h, linearize.Options{}), linearize.CheckDirect(h)} {
		if res.Verdict != linearize.Unknown || !strings.Contains(res.Reason, "malformed history: event 0") {
			t.Fatalf("%s", res.Report())
		}
	}
	if (linearize.Result{}).Verdict != linearize.Unknown {
		t.Fatal("the zero Result is not Unknown")
	}
}

// Options.HTML may name a file.
func TestVisualizationFile(t *testing.T) {
	h, err := linearize.Load("testdata/rules/sync-early-bad.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.ArtifactDir(), "sync-early.html")
	res := linearize.Check(h, linearize.Options{HTML: path})
	if res.Visualization != path {
		t.Fatalf("visualization at %q, want %q", res.Visualization, path)
	}
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), "sync-end s1") {
		t.Fatalf("visualization: %v %.200s", err, data)
	}
	if !strings.Contains(res.Report(), "visualization: "+path) {
		t.Fatalf("report does not name the visualization:\n%s", res.Report())
	}
}

// A visualization that cannot be written leaves the verdict alone; the
// result says why, in VisualizationErr and in its report.
func TestVisualizationUnwritable(t *testing.T) {
	h, err := linearize.Load("testdata/rules/sync-early-bad.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "missing", "v.html")
	res := linearize.Check(h, linearize.Options{HTML: path})
	if res.Verdict != linearize.Illegal || res.Rule != model.SyncEarly || res.Visualization != "" || res.VisualizationErr == nil {
		t.Fatalf("%v %s, visualization %q, error %v", res.Verdict, res.Rule, res.Visualization, res.VisualizationErr)
	}
	if !strings.Contains(res.Report(), "visualization not written: ") || strings.Contains(res.Detail, "visualization") {
		t.Fatalf("the error is not in the report, or is in the detail:\n%s", res.Report())
	}
}
