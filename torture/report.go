package torture

// The HTML report (Result.WriteHTML, rcutorture -html): one self-contained
// page, inline SVG and a few lines of inline script, nothing fetched, so
// that it opens from a CI artifact as it is.

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// WriteHTML writes r as a self-contained HTML page: the configuration
// and the reproduce command; the verdict, with each failure's kind, rule,
// count and first message; plots over time of reads/s, versions/s, grace
// periods/s, Synchronize latency (p50 and p99 per interval), pending
// callbacks, and near misses with Reader Pipe errors, every failure marked
// on the time axis; and the final Reader Pipe, Reader Batch and
// Free-Block Circulation histograms. The page loads nothing: its plots
// are inline SVG, and its script (a readout of the values under the
// pointer) is inline too.
func (r *Result) WriteHTML(w io.Writer) error {
	data, err := json.Marshal(r.reportData())
	if err != nil {
		return err
	}
	return reportPage.Execute(w, reportView{
		R:       r,
		Title:   fmt.Sprintf("rcutorture %s: %s", r.Flavor.Name, r.Verdict),
		Verdict: r.Verdict.String(),
		Class:   strings.ToLower(r.Verdict.String()),
		Flags:   r.flagRows(),
		Plots:   r.plots(),
		Hists:   r.hists(),
		Data:    template.JS(data), // json.Marshal escapes <, > and &: safe in a script element
		Schema:  JSONSchema,
		Failures: func() []failureRow {
			rows := make([]failureRow, len(r.Failures))
			for i, f := range r.Failures {
				rows[i] = failureRow{Kind: f.Kind.String(), Rule: string(f.Rule()), Count: f.Count, At: fmt.Sprintf("%.2fs", f.At.Seconds()), First: f.First}
			}
			return rows
		}(),
	})
}

type reportView struct {
	R        *Result
	Title    string
	Verdict  string
	Class    string
	Flags    [][2]string
	Plots    []template.HTML
	Hists    []template.HTML
	Data     template.JS
	Failures []failureRow
	Schema   string
}

type failureRow struct {
	Kind, Rule string
	Count      uint64
	At, First  string
}

func (r *Result) flagRows() [][2]string {
	m := r.Config.flagValues()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	rows := make([][2]string, len(names))
	for i, k := range names {
		rows[i] = [2]string{"-" + k, m[k]}
	}
	return rows
}

// reportData is what the page's script reads for its readout: per plot,
// the sample times and each series' values.
func (r *Result) reportData() map[string]any {
	ends := make([]float64, len(r.Samples))
	for i, s := range r.Samples {
		ends[i] = s.End.Seconds()
	}
	plots := map[string]any{}
	for _, p := range r.plotSpecs() {
		vals := map[string][]float64{}
		for _, sr := range p.series {
			vals[sr.name] = sr.values
		}
		plots[p.id] = map[string]any{"unit": p.unit, "series": vals}
	}
	return map[string]any{"schema": JSONSchema, "t": ends, "plots": plots}
}

type plotSeries struct {
	name   string
	color  string
	values []float64 // one per sample
}

type plotSpec struct {
	id, title, unit string
	series          []plotSeries
}

func (r *Result) plotSpecs() []plotSpec {
	col := func(f func(Sample) float64) []float64 {
		v := make([]float64, len(r.Samples))
		for i, s := range r.Samples {
			v[i] = f(s)
		}
		return v
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	specs := []plotSpec{
		{"reads", "Reads per second", "/s", []plotSeries{{"reads/s", "#1f77b4", col(func(s Sample) float64 { return s.PerSecond(s.Reads) })}}},
		{"versions", "Versions per second", "/s", []plotSeries{{"versions/s", "#2ca02c", col(func(s Sample) float64 { return s.PerSecond(s.Versions) })}}},
	}
	if r.CountsGPs {
		specs = append(specs, plotSpec{"gps", "Grace periods per second", "/s", []plotSeries{{"gps/s", "#9467bd", col(func(s Sample) float64 { return s.PerSecond(s.GPs) })}}})
	}
	specs = append(specs,
		plotSpec{"latency", "Synchronize latency per interval", "ms", []plotSeries{
			{"p50", "#17becf", col(func(s Sample) float64 { return ms(s.SyncLatencyP50) })},
			{"p99", "#ff7f0e", col(func(s Sample) float64 { return ms(s.SyncLatencyP99) })},
		}},
		plotSpec{"pending", "Pending callbacks", "", append([]plotSeries{
			{"engine", "#8c564b", col(func(s Sample) float64 { return float64(s.PendingCallbacks) })},
		}, r.flavorPendingSeries(col)...)},
		plotSpec{"misses", "Near misses and errors per interval", "", []plotSeries{
			{"near misses", "#bcbd22", col(func(s Sample) float64 { return float64(s.NearMisses) })},
			{"pipe errors", "#d62728", col(func(s Sample) float64 { return float64(s.PipeErrors) })},
			{"failures", "#e377c2", col(func(s Sample) float64 { return float64(s.Errors) })},
		}},
	)
	return specs
}

func (r *Result) flavorPendingSeries(col func(func(Sample) float64) []float64) []plotSeries {
	if len(r.Samples) == 0 || r.Samples[0].FlavorPending < 0 {
		return nil
	}
	return []plotSeries{{"flavor", "#7f7f7f", col(func(s Sample) float64 { return float64(max(s.FlavorPending, 0)) })}}
}

// Plot geometry, in SVG units.
const (
	plotW, plotH                       = 720, 210
	padLeft, padRight, padTop, padBott = 64, 16, 28, 30
)

func (r *Result) plots() []template.HTML {
	var out []template.HTML
	for _, p := range r.plotSpecs() {
		out = append(out, r.linePlot(p))
	}
	return out
}

// linePlot draws one plot: its series against the samples' end times,
// with every failure's first occurrence marked by a vertical line.
func (r *Result) linePlot(p plotSpec) template.HTML {
	var b strings.Builder
	end := max(r.Elapsed.Seconds(), 1e-3)
	top := 0.0
	for _, s := range p.series {
		for _, v := range s.values {
			top = max(top, v)
		}
	}
	step, ticks := niceTicks(top)
	ymax := step * float64(ticks)
	x := func(t float64) float64 { return padLeft + t/end*(plotW-padLeft-padRight) }
	y := func(v float64) float64 { return plotH - padBott - v/ymax*(plotH-padTop-padBott) }
	esc := template.HTMLEscapeString

	fmt.Fprintf(&b, `<figure class="plot" id="plot-%s" data-plot="%s"><svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		p.id, p.id, plotW, plotH, plotW, plotH, esc(p.title))
	fmt.Fprintf(&b, `<text class="title" x="%d" y="18">%s</text>`, padLeft, esc(p.title))
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padLeft, plotW-padRight, y(v), y(v), padLeft-6, y(v)+4, esc(shortNumber(v)+p.unit))
	}
	xstep, xticks := niceTicks(end)
	for i := 0; i <= xticks; i++ {
		t := xstep * float64(i)
		if t > end*1.001 {
			break
		}
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%ss</text>`, x(t), plotH-padBott+16, esc(shortNumber(t)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, padLeft, plotW-padRight, plotH-padBott, plotH-padBott)
	for i, f := range r.Failures {
		fx := x(f.At.Seconds())
		fmt.Fprintf(&b, `<line class="failure" x1="%.1f" x2="%.1f" y1="%d" y2="%d"><title>%s</title></line>`,
			fx, fx, padTop, plotH-padBott, esc(fmt.Sprintf("first %s failure at %.2fs", f.Kind, f.At.Seconds())))
		fmt.Fprintf(&b, `<text class="failure-label" x="%.1f" y="%d">%s</text>`, fx+3, padTop+10+11*(i%8), esc(f.Kind.String()))
	}
	for li, s := range p.series {
		var pts []string
		for i, v := range s.values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Samples[i].End.Seconds()), y(v)))
		}
		fmt.Fprintf(&b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="1.6" points="%s"/>`,
			esc(s.name), s.color, strings.Join(pts, " "))
		if len(pts) < 3 { // too few to see as a line: mark each point
			for _, pt := range pts {
				cx, cy, _ := strings.Cut(pt, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, cx, cy, s.color)
			}
		}
		lx := plotW - padRight - 110*(len(p.series)-li)
		fmt.Fprintf(&b, `<rect x="%d" y="8" width="10" height="10" fill="%s"/><text class="legend" x="%d" y="17">%s</text>`,
			lx, s.color, lx+14, esc(s.name))
	}
	fmt.Fprintf(&b, `<line class="cursor" x1="0" x2="0" y1="%d" y2="%d" visibility="hidden"/>`, padTop, plotH-padBott)
	b.WriteString(`</svg><figcaption><output></output></figcaption></figure>`)
	return template.HTML(b.String())
}

// hists draws the final histograms as bar charts on a logarithmic scale;
// a Reader Pipe bar at age 2 or more is a failure, drawn in red.
func (r *Result) hists() []template.HTML {
	out := []template.HTML{histPlot("pipe", "Reader Pipe: reads by the age of their element at the end of the section", r.Pipe[:], 2)}
	if r.CountsGPs {
		out = append(out, histPlot("batch", "Reader Batch: reads by the grace periods that ended inside the section", r.Batch[:], -1))
	}
	return append(out, histPlot("circulation", "Free-Block Circulation: elements that reached each age", r.Circulation[:], -1))
}

func histPlot(id, title string, h []uint64, badFrom int) template.HTML {
	var b strings.Builder
	const w, hgt, left, bottom, top = 720, 190, 64, 34, 28
	esc := template.HTMLEscapeString
	peak := 0.0
	for _, v := range h {
		peak = max(peak, math.Log10(1+float64(v)))
	}
	peak = math.Max(math.Ceil(peak), 1)
	barW := float64(w-left-16) / float64(len(h))
	fmt.Fprintf(&b, `<figure class="hist" id="hist-%s"><svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, id, w, hgt, w, hgt, esc(title))
	fmt.Fprintf(&b, `<text class="title" x="%d" y="18">%s</text>`, left, esc(title))
	for e := 0; e <= int(peak); e++ {
		yy := float64(hgt-bottom) - float64(e)/peak*float64(hgt-top-bottom)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			left, w-16, yy, yy, left-6, yy+4, esc(shortNumber(math.Pow(10, float64(e)))))
	}
	for i, v := range h {
		bh := math.Log10(1+float64(v)) / peak * float64(hgt-top-bottom)
		class := "bar"
		if badFrom >= 0 && i >= badFrom && v > 0 {
			class = "bar bad"
		}
		bx := float64(left) + float64(i)*barW
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d: %d</title></rect>`,
			class, bx+2, float64(hgt-bottom)-bh, barW-4, bh, i, v)
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%d</text><text class="count" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			bx+barW/2, hgt-bottom+14, i, bx+barW/2, hgt-bottom+28, esc(shortNumber(float64(v))))
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

// niceTicks splits [0, top] into a few ticks of a round step: 1, 2 or 5
// times a power of ten.
func niceTicks(top float64) (step float64, n int) {
	if !(top > 0) || math.IsInf(top, 0) {
		return 1, 1
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	return step, int(math.Ceil(top/step - 1e-9))
}

// shortNumber formats v with a k, M or G suffix and at most three
// significant digits.
func shortNumber(v float64) string {
	a := math.Abs(v)
	for _, u := range []struct {
		div float64
		suf string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.div {
			return trimFloat(v/u.div) + u.suf
		}
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 780px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: bold; color: #fff; }
.verdict.success { background: #2a7d2a; }
.verdict.failure { background: #c62828; }
.verdict.inconclusive { background: #b26a00; }
.warning { color: #c62828; }
pre { background: #f5f5f5; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; }
td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
td pre { margin: 0; }
figure { margin: 12px 0; }
svg { display: block; max-width: 100%; height: auto; }
svg .title { font-size: 13px; font-weight: bold; fill: #222; }
svg .tick, svg .legend, svg .count { font-size: 11px; fill: #555; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #999; }
svg .failure { stroke: #c62828; stroke-dasharray: 4 3; stroke-width: 1.5; }
svg .failure-label { font-size: 10px; fill: #c62828; }
svg .cursor { stroke: #888; }
svg .bar { fill: #1f77b4; }
svg .bar.bad { fill: #c62828; }
figcaption output { font-size: 12px; color: #555; min-height: 1.4em; display: block; }
</style>
</head>
<body>
<h1>rcutorture: {{.R.Flavor.Name}} <span class="verdict {{.Class}}" id="verdict">{{.Verdict}}</span></h1>
<p>{{.R.Flavor.Doc}}{{if .R.Flavor.Broken}} (a broken flavor: a negative control, which must fail){{end}}</p>
{{if and .R.Flavor.Broken (eq .Verdict "SUCCESS")}}<p class="warning" id="uncaught"><strong>This negative control was not caught:</strong> a broken flavor ended in SUCCESS, so this run's checks missed its bug.</p>{{end}}
<table class="summary">
<tr><th>seed</th><td>{{.R.Seed}}</td></tr>
<tr><th>elapsed</th><td>{{printf "%.2f" .R.Elapsed.Seconds}}s{{if .R.Overtime}} ({{printf "%.2f" .R.Overtime.Seconds}}s of overtime){{end}}{{if .R.Interrupted}}, interrupted{{end}}</td></tr>
<tr><th>reads</th><td>{{.R.Reads}} ({{printf "%.0f" .R.ReadsPerSecond}}/s)</td></tr>
<tr><th>versions</th><td>{{.R.Versions}}</td></tr>
<tr><th>grace periods</th><td>{{.R.GPs}}</td></tr>
<tr><th>callbacks</th><td>{{.R.Callbacks}}</td></tr>
<tr><th>near misses</th><td>{{.R.NearMisses}}</td></tr>
{{if .R.NotJudged}}<tr><th>not judged</th><td>{{.R.NotJudged}} liveness checks (the process was starved)</td></tr>{{end}}
</table>
<h2>Reproduce</h2>
<pre id="command">{{.R.Command}}</pre>
{{if .Failures}}<h2>Failures</h2>
<table id="failures">
<tr><th>kind</th><th>rule</th><th>count</th><th>first at</th><th>first message</th></tr>
{{range .Failures}}<tr class="failure"><td>{{.Kind}}</td><td>{{.Rule}}</td><td>{{.Count}}</td><td>{{.At}}</td><td><pre>{{.First}}</pre></td></tr>
{{end}}</table>{{end}}
{{if .R.Inconclusive}}<h2>Why the run could not judge</h2>
<ul id="inconclusive">{{range .R.Inconclusive}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Over time</h2>
{{range .Plots}}{{.}}
{{end}}
<h2>Histograms at the end</h2>
{{range .Hists}}{{.}}
{{end}}
<h2>Configuration</h2>
<table id="config">
{{range .Flags}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
<p><small>Written by rcutorture; the data behind the plots is in the element #rcukit-data (schema {{.Schema}}).</small></p>
<script type="application/json" id="rcukit-data">{{.Data}}</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rcukit-data").textContent);
  var t = data.t;
  var W = 720, left = 64, right = 16;
  function fmt(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toPrecision(3) + "G";
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + "M";
    if (a >= 1e3) return (v / 1e3).toPrecision(3) + "k";
    return String(Math.round(v * 1000) / 1000);
  }
  document.querySelectorAll("figure.plot").forEach(function (fig) {
    var spec = data.plots[fig.dataset.plot];
    var svg = fig.querySelector("svg");
    var cursor = svg.querySelector(".cursor");
    var out = fig.querySelector("output");
    if (!spec || t.length === 0) return;
    var end = t[t.length - 1] || 1;
    svg.addEventListener("mousemove", function (ev) {
      var box = svg.getBoundingClientRect();
      var sx = (ev.clientX - box.left) * W / box.width;
      var at = (sx - left) / (W - left - right) * end;
      var i = 0;
      for (var j = 0; j < t.length; j++) { if (Math.abs(t[j] - at) < Math.abs(t[i] - at)) i = j; }
      var x = left + t[i] / end * (W - left - right);
      cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
      cursor.setAttribute("visibility", "visible");
      var parts = [];
      Object.keys(spec.series).forEach(function (name) { parts.push(name + " " + fmt(spec.series[name][i]) + spec.unit); });
      out.textContent = "at " + t[i].toFixed(2) + "s: " + parts.join(", ");
    });
    svg.addEventListener("mouseleave", function () { cursor.setAttribute("visibility", "hidden"); });
  });
  document.body.dataset.ready = String(document.querySelectorAll("figure.plot").length);
})();
</script>
</body>
</html>
`))
