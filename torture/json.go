package torture

// The JSON stream (Config.JSON, rcutorture -json): JSON Lines, one object
// per line, each with the schema's name and its type.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// JSONSchema names the schema of the JSON stream: its version. A change
// that removes or renames a field, or changes a field's meaning or unit,
// gets a new version; new fields do not.
const JSONSchema = "rcukit.torture/v1"

// The JSON stream of a run (Config.JSON) is JSON Lines: one object per
// line, in this order:
//
//   - one JSONStart, when the run begins;
//   - one JSONInterval at every stats line (every Config.StatInterval),
//     and a last one from the last stats line to the end of the run;
//   - one JSONVerdict, when the run ends.
//
// Every object has "schema" (JSONSchema) and "type" ("start",
// "interval", "verdict"). A reader should skip objects of a type it does
// not know. Times are seconds (float), latencies nanoseconds, and counts
// plain integers; a count that the flavor cannot give (a GP counter, a
// pending-callback count) is absent. ReadJSON parses a stream back.

// JSONStart begins the stream.
type JSONStart struct {
	Schema  string `json:"schema"`
	Type    string `json:"type"`   // "start"
	Flavor  string `json:"flavor"` // the flavor's name
	Doc     string `json:"doc"`    // what the flavor is
	Broken  bool   `json:"broken"` // a negative control: it must fail
	Seed    uint64 `json:"seed"`
	Command string `json:"command"` // the command that reproduces the run
	// Flags are the run's configuration, as the command line's flags:
	// every flag of Config.RegisterFlags, by name without the dash.
	Flags map[string]string `json:"flags"`
	Start time.Time         `json:"start"` // wall-clock time the run began (RFC 3339)
}

// JSONInterval is one interval of the run: a Sample, with rates. Its
// counts (reads, versions, gps, syncs, callbacks, near misses, pipe
// errors, errors) are of the interval alone, unlike the running totals of
// the text report's stats lines; pending_callbacks, flavor_pending,
// errors_total, gomaxprocs and the histograms are levels at its end. The
// latency quantiles are the upper bounds of the histogram buckets that
// hold them, within 1/16 of the true value.
type JSONInterval struct {
	Schema string  `json:"schema"`
	Type   string  `json:"type"`    // "interval"
	Start  float64 `json:"start_s"` // since the run began
	End    float64 `json:"end_s"`

	Reads          uint64  `json:"reads"`
	ReadsPerSec    float64 `json:"reads_per_s"`
	Versions       uint64  `json:"versions"`
	VersionsPerSec float64 `json:"versions_per_s"`
	GPs            *uint64 `json:"gps,omitempty"` // absent without a GP counter
	GPsPerSec      float64 `json:"gps_per_s"`
	Syncs          uint64  `json:"syncs"`
	Callbacks      uint64  `json:"callbacks"`

	SyncLatencyN   uint64 `json:"sync_latency_n"`
	SyncLatencyP50 int64  `json:"sync_latency_p50_ns"`
	SyncLatencyP99 int64  `json:"sync_latency_p99_ns"`

	PendingCallbacks uint64 `json:"pending_callbacks"`
	FlavorPending    *int64 `json:"flavor_pending,omitempty"` // absent without Ops.Pending

	NearMisses  uint64 `json:"near_misses"`
	PipeErrors  uint64 `json:"pipe_errors"`
	Errors      uint64 `json:"errors"`
	ErrorsTotal uint64 `json:"errors_total"`
	GOMAXPROCS  int    `json:"gomaxprocs"`

	// The histograms so far (not of the interval alone): Reader Pipe,
	// Reader Batch (absent without a GP counter), Free-Block Circulation.
	ReaderPipe  []uint64 `json:"reader_pipe"`
	ReaderBatch []uint64 `json:"reader_batch,omitempty"`
	Circulation []uint64 `json:"circulation"`
}

// JSONVerdict ends the stream: Result, as JSON.
type JSONVerdict struct {
	Schema       string        `json:"schema"`
	Type         string        `json:"type"`    // "verdict"
	Verdict      string        `json:"verdict"` // "SUCCESS", "FAILURE" or "INCONCLUSIVE"
	Failures     []JSONFailure `json:"failures"`
	Inconclusive []string      `json:"inconclusive"` // why the run could not judge
	Seed         uint64        `json:"seed"`
	Command      string        `json:"command"`
	Elapsed      float64       `json:"elapsed_s"`
	Overtime     float64       `json:"overtime_s"`
	FirstFailure *float64      `json:"first_failure_s,omitempty"` // absent without a failure
	Interrupted  bool          `json:"interrupted"`
	NotJudged    uint64        `json:"not_judged"`

	Reads       uint64   `json:"reads"`
	Versions    uint64   `json:"versions"`
	GPs         *uint64  `json:"gps,omitempty"`
	Callbacks   uint64   `json:"callbacks"`
	NearMisses  uint64   `json:"near_misses"`
	ReaderPipe  []uint64 `json:"reader_pipe"`
	ReaderBatch []uint64 `json:"reader_batch,omitempty"`
	Circulation []uint64 `json:"circulation"`
}

// JSONFailure is one Failure.
type JSONFailure struct {
	Kind  string  `json:"kind"`  // Kind.String: "pipe", "sync-gp", ...
	Rule  string  `json:"rule"`  // the guarantee broken (Failure.Rule); "" if none was named
	Count uint64  `json:"count"` // how many times
	First string  `json:"first"` // the first message, whole
	At    float64 `json:"at_s"`  // when the first one happened, since the run began
}

// JSONReport is a whole stream, parsed back by ReadJSON.
type JSONReport struct {
	Start     JSONStart
	Intervals []JSONInterval
	Verdict   *JSONVerdict // nil for a stream cut short before the verdict
}

// ReadJSON parses a JSON stream of a run (see JSONSchema). It rejects a
// line that is not a JSON object of the schema, a stream that does not
// begin with a start object, and anything after the verdict; each error
// names the line. Objects of an unknown type are skipped.
func ReadJSON(r io.Reader) (*JSONReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var rep JSONReport
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		var head struct{ Schema, Type string }
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if head.Schema != JSONSchema {
			return nil, fmt.Errorf("line %d: schema %q, want %q", line, head.Schema, JSONSchema)
		}
		if rep.Verdict != nil {
			return nil, fmt.Errorf("line %d: a %q object after the verdict", line, head.Type)
		}
		if line == 1 && head.Type != "start" {
			return nil, fmt.Errorf("line 1: a %q object; the stream must begin with a \"start\" object", head.Type)
		}
		var err error
		switch head.Type {
		case "start":
			if line != 1 {
				return nil, fmt.Errorf("line %d: a second \"start\" object", line)
			}
			err = strictUnmarshal(b, &rep.Start)
		case "interval":
			var iv JSONInterval
			err = strictUnmarshal(b, &iv)
			rep.Intervals = append(rep.Intervals, iv)
		case "verdict":
			rep.Verdict = new(JSONVerdict)
			err = strictUnmarshal(b, rep.Verdict)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s object: %v", line, head.Type, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", line+1, err)
	}
	if line == 0 {
		return nil, errors.New("empty stream: no \"start\" object")
	}
	return &rep, nil
}

// strictUnmarshal decodes b into v; a field v does not have is an error
// in a known type of this schema version.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// jsonStream writes a run's JSON stream.
type jsonStream struct {
	w   io.Writer
	err error // the first write error; the rest of the stream is dropped
}

func (j *jsonStream) write(v any) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = j.w.Write(append(b, '\n'))
	}
	j.err = err
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// flagValues is c as the command line's flags, by name.
func (c Config) flagValues() map[string]string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	c.RegisterFlags(fs) // binds to this copy, with its values as defaults
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.DefValue })
	m["check"] = fmt.Sprint(c.Recorder != nil) // Main's -check installs the Recorder
	return m
}

func (e *engine) jsonStart(command string) {
	if e.json == nil {
		return
	}
	e.json.write(JSONStart{
		Schema: JSONSchema, Type: "start",
		Flavor: e.flavor.Name, Doc: e.flavor.Doc, Broken: e.flavor.Broken,
		Seed: e.cfg.Seed, Command: command, Flags: e.cfg.flagValues(),
		Start: e.start.UTC(),
	})
}

// jsonInterval writes the interval from snapshot prev to s.
func (e *engine) jsonInterval(prev, s snapshot) {
	if e.json == nil {
		return
	}
	smp := e.sample(prev, s)
	iv := JSONInterval{
		Schema: JSONSchema, Type: "interval",
		Start: seconds(smp.Start), End: seconds(smp.End),
		Reads: smp.Reads, ReadsPerSec: smp.PerSecond(smp.Reads),
		Versions: smp.Versions, VersionsPerSec: smp.PerSecond(smp.Versions),
		Syncs: smp.Syncs, Callbacks: smp.Callbacks,
		SyncLatencyN: smp.SyncLatencyN, SyncLatencyP50: int64(smp.SyncLatencyP50), SyncLatencyP99: int64(smp.SyncLatencyP99),
		PendingCallbacks: smp.PendingCallbacks,
		NearMisses:       smp.NearMisses, PipeErrors: smp.PipeErrors,
		Errors: smp.Errors, ErrorsTotal: smp.ErrorsTotal, GOMAXPROCS: smp.GOMAXPROCS,
		ReaderPipe: s.pipe[:], Circulation: s.circ[:],
	}
	if e.ops.GPs != nil {
		g := smp.GPs
		iv.GPs, iv.GPsPerSec = &g, smp.PerSecond(g)
		iv.ReaderBatch = s.batch[:]
	}
	if smp.FlavorPending >= 0 {
		p := smp.FlavorPending
		iv.FlavorPending = &p
	}
	e.json.write(iv)
}

func (e *engine) jsonVerdict(res *Result) {
	if e.json == nil {
		return
	}
	v := JSONVerdict{
		Schema: JSONSchema, Type: "verdict", Verdict: res.Verdict.String(),
		Failures: []JSONFailure{}, Inconclusive: append([]string{}, res.Inconclusive...),
		Seed: res.Seed, Command: res.Command,
		Elapsed: seconds(res.Elapsed), Overtime: seconds(res.Overtime),
		Interrupted: res.Interrupted, NotJudged: res.NotJudged,
		Reads: res.Reads, Versions: res.Versions, Callbacks: res.Callbacks, NearMisses: res.NearMisses,
		ReaderPipe: res.Pipe[:], Circulation: res.Circulation[:],
	}
	for _, f := range res.Failures {
		v.Failures = append(v.Failures, JSONFailure{Kind: f.Kind.String(), Rule: string(f.Rule()), Count: f.Count, First: f.First, At: seconds(f.At)})
	}
	if len(res.Failures) > 0 {
		t := seconds(res.FirstFailure)
		v.FirstFailure = &t
	}
	if e.ops.GPs != nil {
		g := res.GPs
		v.GPs = &g
		v.ReaderBatch = res.Batch[:]
	}
	e.json.write(v)
}
