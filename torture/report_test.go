package torture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
)

// reportRun runs f for a second with stats lines every 300ms, the JSON
// stream going to a buffer.
func reportRun(t *testing.T, f rcuops.Flavor) (*torture.Result, string, []byte) {
	t.Helper()
	c := quick(time.Second)
	c.StatInterval = 300 * time.Millisecond
	var js bytes.Buffer
	c.JSON = &js
	res, report := run(t, context.Background(), f, c)
	return res, report, js.Bytes()
}

func bustedBarrier(t *testing.T) rcuops.Flavor {
	b, ok := broken.Lookup("busted-barrier")
	if !ok {
		t.Fatal("no busted-barrier in internal/broken")
	}
	return b.Flavor()
}

// TestJSONStreamRoundTrip: the stream of a run parses back (ReadJSON,
// strictly: no field unknown to the schema), re-encodes to the very same
// lines, and says what the Result says: the intervals tile the run and
// add up to its totals, and the verdict is the Result's.
func TestJSONStreamRoundTrip(t *testing.T) {
	for _, f := range []rcuops.Flavor{trivial("trivial", nil), bustedBarrier(t)} {
		t.Run(f.Name, func(t *testing.T) {
			res, report, stream := reportRun(t, f)
			rep, err := torture.ReadJSON(bytes.NewReader(stream))
			if err != nil {
				t.Fatalf("ReadJSON: %v\n%s", err, stream)
			}
			var again bytes.Buffer
			enc := json.NewEncoder(&again)
			enc.SetEscapeHTML(true)
			enc.Encode(rep.Start)
			for _, iv := range rep.Intervals {
				enc.Encode(iv)
			}
			enc.Encode(rep.Verdict)
			if !bytes.Equal(again.Bytes(), stream) {
				t.Errorf("the stream does not re-encode to itself:\n%s\nagain:\n%s", stream, again.Bytes())
			}

			if s := rep.Start; s.Schema != torture.JSONSchema || s.Flavor != f.Name || s.Broken != f.Broken || s.Seed != res.Seed || s.Command != res.Command ||
				s.Flags["seed"] != fmt.Sprint(res.Seed) || s.Flags["stat-interval"] != "300ms" || s.Flags["check"] != "false" {
				t.Errorf("start object %+v does not match the run (seed %d, command %q)", s, res.Seed, res.Command)
			}
			if len(rep.Intervals) < 2 {
				t.Fatalf("%d intervals in a 1s run with stats every 300ms", len(rep.Intervals))
			}
			var reads, versions, syncs, gps uint64
			end := 0.0
			for i, iv := range rep.Intervals {
				if iv.GPs != nil {
					gps += *iv.GPs
				}
				if iv.Start != end || iv.End < iv.Start {
					t.Errorf("interval %d spans %v..%v; the previous one ended at %v", i, iv.Start, iv.End, end)
				}
				end = iv.End
				reads, versions, syncs = reads+iv.Reads, versions+iv.Versions, syncs+iv.Syncs
				if iv.SyncLatencyN > 0 && !(iv.SyncLatencyP50 > 0 && iv.SyncLatencyP50 <= iv.SyncLatencyP99) {
					t.Errorf("interval %d: %d Synchronize calls with latency p50 %dns, p99 %dns", i, iv.SyncLatencyN, iv.SyncLatencyP50, iv.SyncLatencyP99)
				}
			}
			if math.Abs(end-res.Elapsed.Seconds()) > 1e-9 || reads != res.Reads || versions != res.Versions || syncs == 0 {
				t.Errorf("the intervals end at %vs with %d reads, %d versions and %d syncs; the run took %v with %d reads and %d versions",
					end, reads, versions, syncs, res.Elapsed, res.Reads, res.Versions)
			}
			v := rep.Verdict
			if v == nil {
				t.Fatal("no verdict object")
			}
			if v.GPs == nil || *v.GPs != gps || gps != res.GPs {
				t.Errorf("the intervals count %d grace periods; the verdict %v, the run %d", gps, v.GPs, res.GPs)
			}
			if v.Verdict != res.Verdict.String() || v.Seed != res.Seed || v.Command != res.Command || v.Reads != res.Reads || len(v.Failures) != len(res.Failures) {
				t.Fatalf("verdict object %+v; the Result is %v with %d failures", v, res.Verdict, len(res.Failures))
			}
			for i, jf := range v.Failures {
				rf := res.Failures[i]
				if jf.Kind != rf.Kind.String() || jf.Rule != string(rf.Rule()) || jf.Count != rf.Count || jf.First != rf.First || jf.At != rf.At.Seconds() {
					t.Errorf("failure %d: %+v; the Result's is %+v", i, jf, rf)
				}
			}
			if !strings.HasSuffix(report, "End of test: "+res.Verdict.String()+map[bool]string{true: ": barrier\n", false: "\n"}[f.Broken]) {
				t.Errorf("the text report does not end with the verdict:\n%s", report)
			}
		})
	}
}

// TestReadJSONRejects: each malformed stream is an error that names its
// line; an object of an unknown type is skipped.
func TestReadJSONRejects(t *testing.T) {
	start := `{"schema":"rcukit.torture/v1","type":"start","flavor":"x","doc":"","broken":false,"seed":1,"command":"c","flags":{},"start":"2026-12-02T00:00:00Z"}`
	verdict := `{"schema":"rcukit.torture/v1","type":"verdict","verdict":"SUCCESS","failures":[],"inconclusive":[],"seed":1,"command":"c","elapsed_s":1,"overtime_s":0,"interrupted":false,"not_judged":0,"reads":1,"versions":1,"callbacks":0,"near_misses":0,"reader_pipe":[1],"circulation":[1]}`
	for _, c := range []struct{ name, stream, want string }{
		{"not json", start + "\n{nope\n", "line 2: "},
		{"other schema", start + "\n" + strings.Replace(verdict, "v1", "v0", 1) + "\n", `line 2: schema "rcukit.torture/v0"`},
		{"unknown field", start + "\n" + strings.Replace(verdict, `"seed"`, `"sead"`, 1) + "\n", `line 2: verdict object: json: unknown field "sead"`},
		{"no start", verdict + "\n", `line 1: a "verdict" object; the stream must begin with a "start" object`},
		{"two starts", start + "\n" + start + "\n", `line 2: a second "start" object`},
		{"after the verdict", start + "\n" + verdict + "\n" + verdict + "\n", `line 3: a "verdict" object after the verdict`},
		{"empty", "", "empty stream"},
	} {
		if _, err := torture.ReadJSON(strings.NewReader(c.stream)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ReadJSON error %v; want one with %q", c.name, err, c.want)
		}
	}
	rep, err := torture.ReadJSON(strings.NewReader(start + "\n" + `{"schema":"rcukit.torture/v1","type":"future"}` + "\n" + verdict + "\n"))
	if err != nil || rep.Verdict == nil || rep.Verdict.Reads != 1 || len(rep.Intervals) != 0 {
		t.Errorf("a stream with an object of an unknown type: %+v, %v", rep, err)
	}
}

// TestSamplesTileTheRun: Result.Samples cover the run without gaps and add
// up to its totals.
func TestSamplesTileTheRun(t *testing.T) {
	res, _, _ := reportRun(t, trivial("trivial", nil))
	if len(res.Samples) < 5 {
		t.Fatalf("%d samples in a 1s run with stats every 300ms (samples every 100ms)", len(res.Samples))
	}
	var at time.Duration
	var reads, versions uint64
	for i, s := range res.Samples {
		if s.Start != at || s.End < s.Start {
			t.Fatalf("sample %d spans %v..%v; the previous one ended at %v", i, s.Start, s.End, at)
		}
		at = s.End
		reads, versions = reads+s.Reads, versions+s.Versions
	}
	if at != res.Elapsed || reads != res.Reads || versions != res.Versions {
		t.Errorf("the samples end at %v with %d reads and %d versions; the run: %v, %d, %d", at, reads, versions, res.Elapsed, res.Reads, res.Versions)
	}
}

// TestHTMLReport: the page has the verdict, every plot and histogram, a
// row and a time-axis mark for each failure, the reproduce command, the
// configuration, and the data its script reads; and text from a flavor
// or a failure is escaped, never markup.
func TestHTMLReport(t *testing.T) {
	f := bustedBarrier(t)
	f.Doc = `<script>alert("doc")</script> & more`
	res, report, _ := reportRun(t, f)
	mustFail(t, res, report, torture.KindBarrier)
	res.Failures[0].First = "</pre><script>alert(1)</script>"
	var b bytes.Buffer
	if err := res.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	count := func(re string) int { return len(regexp.MustCompile(re).FindAllString(page, -1)) }
	plots := 6 // reads, versions, gps, latency, pending, misses
	for _, c := range []struct {
		what string
		n    int
		re   string
	}{
		{"verdict", 1, `<span class="verdict failure" id="verdict">FAILURE</span>`},
		{"plots", plots, `<figure class="plot" `},
		{"histograms", 3, `<figure class="hist" `},
		{"failure rows", len(res.Failures), `<tr class="failure">`},
		{"failure marks", plots * len(res.Failures), `<line class="failure" `},
		{"scripts", 0, `<script>alert`},
		{"reproduce", 1, regexp.QuoteMeta(`<pre id="command">` + html.EscapeString(res.Command) + `</pre>`)},
		{"seed row", 1, regexp.QuoteMeta(fmt.Sprintf(`<tr><th>-seed</th><td>%d</td></tr>`, res.Seed))},
		{"escaped doc", 1, regexp.QuoteMeta(`&lt;script&gt;alert(&#34;doc&#34;)&lt;/script&gt; &amp; more`)},
		{"escaped message", 1, regexp.QuoteMeta(`<pre>&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;</pre>`)},
		{"external resources", 0, `(src|href)=`},
		{"uncaught warning", 0, `id="uncaught"`},
	} {
		if got := count(c.re); got != c.n {
			t.Errorf("%s: %d matches of %s; want %d", c.what, got, c.re, c.n)
		}
	}
	uncaught := *res
	uncaught.Verdict, uncaught.Failures = torture.Success, nil
	var ub bytes.Buffer
	if err := uncaught.WriteHTML(&ub); err != nil || !strings.Contains(ub.String(), `id="uncaught"`) {
		t.Errorf("a broken flavor's SUCCESS report does not warn that the negative control was not caught (%v)", err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="rcukit-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no #rcukit-data")
	}
	var data struct {
		Schema string
		T      []float64
		Plots  map[string]struct {
			Series map[string][]float64
		}
	}
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatalf("#rcukit-data: %v", err)
	}
	if data.Schema != torture.JSONSchema || len(data.T) != len(res.Samples) || len(data.Plots) != plots ||
		len(data.Plots["reads"].Series["reads/s"]) != len(res.Samples) {
		t.Errorf("#rcukit-data has schema %q, %d times and %d plots; the run has %d samples", data.Schema, len(data.T), len(data.Plots), len(res.Samples))
	}
}
