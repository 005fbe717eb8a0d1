package linearize_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	h := linearize.History{
		{Client: 0, Call: 1, Return: 2, Op: model.Op{Kind: model.Publish, Version: 7}},
		{Client: 1, Call: 3, Return: 4, Op: model.Op{Kind: model.ReadBegin, ID: 1, Version: 7}},
		{Client: 2, Call: 3, Return: 9, Op: model.Op{Kind: model.Insert, Key: 1 << 63}},
		{Client: 1, Call: 5, Return: 6, Op: model.Op{Kind: model.ReadEnd, ID: 1, Damaged: true}},
		{Client: 1, Call: 7, Return: 8, Op: model.Op{Kind: model.Replace, Key: 1 << 63, Key2: 3, OK: true}},
		{Client: 3, Call: 10, Return: 11, Op: model.Op{Kind: model.TraverseBegin, ID: 4}},
		{Client: 3, Call: 12, Return: 13, Op: model.Op{Kind: model.TraverseEnd, ID: 4, Keys: []uint64{3}}},
	}
	path := filepath.Join(t.TempDir(), "h.json")
	if err := linearize.Save(path, h); err != nil {
		t.Fatal(err)
	}
	got, err := linearize.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h) {
		t.Fatalf("round trip:\n got %v\nwant %v", got, h)
	}
}

func TestLoadErrorsNamePosition(t *testing.T) {
	const head = `{"format":"rcukit-history","version":1,"events":[` + "\n"
	for _, c := range []struct {
		name, data, want string
	}{
		{"empty", ``, "f.json:1:1: unexpected end of file"},
		{"not-object", `[]`, "f.json:1:1: expected a JSON object"},
		{"format", `{"format":"other","version":1,"events":[]}`, `f.json:1:11: format "other"`},
		{"version", `{"format":"rcukit-history","version":2,"events":[]}`, "f.json:1:38: unsupported version 2"},
		{"no-events", `{"format":"rcukit-history","version":1}`, `f.json:1:1: no "events" field`},
		{"unknown-field", `{"format":"rcukit-history","version":1,"events":[],"x":1}`, `f.json:1:52: unknown field "x"`},
		{"twice", `{"format":"rcukit-history","format":"x"}`, `f.json:1:28: field "format" appears twice`},
		{"trailing", `{"format":"rcukit-history","version":1,"events":[]} {}`, "f.json:1:53: data after the history object"},
		{"syntax", head + `{"client":0,"call":1,"return":2,"op":"publish","version":1},` + "\n" + `{"client":0,,}` + "\n]}",
			"f.json:3:13: event 1: invalid character ','"},
		{"type", head + `{"client":0,"call":"one","return":2,"op":"publish","version":1}` + "\n]}",
			"f.json:2:24: event 0: json: cannot unmarshal string"},
		{"negative-key", head + `{"client":0,"call":1,"return":2,"op":"insert","key":-1}` + "\n]}",
			"f.json:2:54: event 0: json: cannot unmarshal number -1"},
		{"unknown-op", head + `{"client":0,"call":1,"return":2,"op":"write"}` + "\n]}", `f.json:2:1: event 0: unknown op "write"`},
		{"unknown-event-field", head + `{"client":0,"call":1,"return":2,"op":"call","id":1,"colour":2}` + "\n]}",
			`f.json:2:1: event 0: json: unknown field "colour"`},
		{"missing-return", head + `{"client":0,"call":1,"op":"call","id":1}` + "\n]}", `f.json:2:1: event 0: no "return"`},
		{"unused-field", head + `{"client":0,"call":1,"return":2,"op":"call","id":1,"version":3}` + "\n]}",
			"f.json:2:1: event 0: call does not use version"},
		{"returns-early", head + `{"client":0,"call":5,"return":2,"op":"call","id":1}` + "\n]}",
			"f.json:2:1: event 0: returns at 2, before its call at 5"},
		{"end-before-begin", head +
			`{"client":0,"call":1,"return":2,"op":"read-begin","id":1},` + "\n" +
			`  {"client":0,"call":2,"return":3,"op":"read-end","id":1}` + "\n]}",
			"f.json:3:3: event 1: read-end r1 called at 2, but its read-begin (event 0) returned only at 2"},
		{"no-begin", head + `{"client":0,"call":1,"return":2,"op":"sync-end","id":4}` + "\n]}",
			"f.json:2:1: event 0: sync-end s4 without a sync-begin of id 4"},
		{"republished", head +
			`{"client":0,"call":1,"return":2,"op":"publish","version":1},` + "\n" +
			`{"client":0,"call":3,"return":4,"op":"publish","version":1}` + "\n]}",
			"f.json:3:1: event 1: version 1 published twice, already at event 0"},
		{"negative-client", head + `{"client":-1,"call":1,"return":2,"op":"call","id":1}` + "\n]}",
			"f.json:2:1: event 0: negative client -1"},
		{"negative-call", head + `{"client":0,"call":-3,"return":2,"op":"call","id":1}` + "\n]}",
			"f.json:2:1: event 0: negative call time -3"},
		{"first-of-two", head +
			`{"client":0,"call":1,"return":2,"op":"sync-end","id":9},` + "\n" +
			`{"client":0,"call":5,"return":2,"op":"call","id":1}` + "\n]}",
			"f.json:2:1: event 0: sync-end s9 without a sync-begin of id 9"},
		{"first-of-two-b", head +
			`{"client":0,"call":5,"return":2,"op":"call","id":1},` + "\n" +
			`{"client":0,"call":1,"return":2,"op":"sync-end","id":9}` + "\n]}",
			"f.json:2:1: event 0: returns at 2, before its call at 5"},
		{"truncated", head + `{"client":0,"call":1,"return":2,"op":"publish","version":1}`, "f.json:2:60: unexpected end of file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := linearize.Decode("f.json", []byte(c.data))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %q, want prefix %q", err, c.want)
			}
			var fe *linearize.FileError
			if !errors.As(err, &fe) || fe.File != "f.json" {
				t.Fatalf("error %T is not a *FileError", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := linearize.Load(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

// Decode never panics, and what it accepts it writes back and reads again
// unchanged.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/rules/*.json")
	for _, name := range files[:min(6, len(files))] {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := linearize.Decode("fuzz.json", data)
		if err != nil {
			var fe *linearize.FileError
			if !errors.As(err, &fe) || fe.Line < 1 || fe.Column < 1 || fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := linearize.Encode(&buf, h); err != nil {
			t.Fatal(err)
		}
		h2, err := linearize.Decode("again.json", buf.Bytes())
		if err != nil {
			t.Fatalf("cannot read back what Encode wrote: %v\n%s", err, buf.Bytes())
		}
		for i := range h {
			if len(h[i].Op.Keys) == 0 {
				h[i].Op.Keys = nil
			}
		}
		if !reflect.DeepEqual(h, h2) {
			t.Fatalf("round trip changed the history:\n%v\n%v", h, h2)
		}
		// Whatever loads can be checked without trouble.
		linearize.CheckDirect(h)
	})
}

// A Replace that failed put nothing in: its new key may be inserted
// later.
func TestFailedReplaceReservesNoKey(t *testing.T) {
	h := linearize.History{
		{Client: 0, Call: 1, Return: 2, Op: model.Op{Kind: model.Replace, Key: 1, Key2: 2}},
		{Client: 0, Call: 3, Return: 4, Op: model.Op{Kind: model.Insert, Key: 2}},
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if res := linearize.Check(h, linearize.Options{}); res.Verdict != linearize.Ok {
		t.Fatalf("Check: %s", res.Report())
	}
	h[0].Op.OK = true // now key 2 is put in twice, and 1 was never there
	if err := h.Validate(); err == nil {
		t.Fatal("Validate accepts key 2 inserted twice")
	}
}
