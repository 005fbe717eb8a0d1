package linearize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rcukit/rcukit/model"
)

// slowDecode is Decode's encoding/json path, without validation.
func slowDecode(data []byte) (History, []int64, error) {
	d := decoder{name: "f.json", data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	d.dec.DisallowUnknownFields()
	h, err := d.file()
	return h, d.starts, err
}

func fastSeeds(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*/*.json")
	var out [][]byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	var buf bytes.Buffer
	h := History{
		{Client: 0, Call: 1, Return: 2, Op: model.Op{Kind: model.Insert, Key: 18446744073709551615}},
		{Client: 3, Call: 3, Return: 9223372036854775807, Op: model.Op{Kind: model.TraverseEnd, ID: 7, Keys: []uint64{1, 0, 2}, Damaged: true}},
		{Client: 1, Call: 4, Return: 5, Op: model.Op{Kind: model.Replace, Key: 1, Key2: 2, OK: true}},
	}
	if err := Encode(&buf, h); err != nil {
		tb.Fatal(err)
	}
	return append(out, buf.Bytes())
}

// The fast path reads every file in testdata and what Encode writes, and
// gets what encoding/json gets.
func TestFastDecodeAcceptsTheUsualShape(t *testing.T) {
	for _, data := range fastSeeds(t) {
		h, starts, ok := fastDecode(data)
		if !ok {
			t.Fatalf("the fast path refused a file that Encode could have written:\n%s", data)
		}
		sh, sstarts, err := slowDecode(data)
		if err != nil || !reflect.DeepEqual(h, sh) || !reflect.DeepEqual(starts, sstarts) {
			t.Fatalf("fast and slow decoding differ (%v):\n%v %v\n%v %v", err, h, starts, sh, sstarts)
		}
	}
}

// What the fast path is not sure of, it leaves to encoding/json.
func TestFastDecodeRefusesTheUnusual(t *testing.T) {
	const head = `{"format":"rcukit-history","version":1,"events":[`
	for _, ev := range []string{
		`{"client":0,"call":1,"return":2,"op":"publish","version":1,"version":2}`,        // a field twice
		`{"Client":0,"call":1,"return":2,"op":"publish","version":1}`,                    // another case
		`{"client":-1,"call":1,"return":2,"op":"publish","version":1}`,                   // negative
		`{"client":0,"call":1.0,"return":2,"op":"publish","version":1}`,                  // fraction
		`{"client":0,"call":1e1,"return":2,"op":"publish","version":1}`,                  // exponent
		`{"client":0,"call":01,"return":2,"op":"publish","version":1}`,                   // leading zero
		`{"client":0,"call":1,"return":2,"op":"pub\u006cish","version":1}`,               // an escape
		`{"client":0,"call":1,"return":2,"op":"traverse-end","id":1,"keys":null}`,        // null
		`{"client":0,"call":1,"return":2,"op":"publish","version":18446744073709551616}`, // overflow
		`{"client":0,"call":9223372036854775808,"return":2,"op":"publish","version":1}`,  // overflow of int64
		`{"client":0,"call":1,"op":"publish","version":1}`,                               // no return
		`{"client":0,"call":1,"return":2,"op":"publish","extra":1}`,                      // unknown field
		`{"client":0,"call":1,"return":2,"op":"nothing"}`,                                // unknown op
	} {
		if _, _, ok := fastDecode([]byte(head + ev + "]}")); ok {
			t.Errorf("the fast path accepted %s", ev)
		}
	}
}

// Whatever the fast path accepts, encoding/json accepts too, with the
// same history and the same event offsets.
func FuzzFastDecode(f *testing.F) {
	for _, data := range fastSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, starts, ok := fastDecode(data)
		if !ok {
			return
		}
		sh, sstarts, err := slowDecode(data)
		if err != nil {
			t.Fatalf("the fast path accepted what encoding/json refuses (%v):\n%q", err, data)
		}
		if !reflect.DeepEqual(h, sh) || !reflect.DeepEqual(starts, sstarts) {
			t.Fatalf("fast and slow decoding differ:\n%v %v\n%v %v\n%q", h, starts, sh, sstarts, data)
		}
	})
}
