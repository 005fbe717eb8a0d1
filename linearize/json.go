package linearize

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rcukit/rcukit/model"
)

// The history file format: a JSON object
//
//	{"format": "rcukit-history", "version": 1, "events": [EVENT, ...]}
//
// where each EVENT is an object with the fields "client", "call",
// "return" and "op" (a model.Kind name such as "read-begin"), and those of
// "id", "version", "key", "key2", "keys", "ok" and "damaged" that the
// operation uses (see model.Op); unused fields are left out or zero.
// Unknown fields are errors. Save writes one event per line.
const (
	Format        = "rcukit-history"
	FormatVersion = 1
)

type jsonEvent struct {
	Client  *int     `json:"client"`
	Call    *int64   `json:"call"`
	Return  *int64   `json:"return"`
	Op      string   `json:"op"`
	ID      uint64   `json:"id,omitempty"`
	Version uint64   `json:"version,omitempty"`
	Key     uint64   `json:"key,omitempty"`
	Key2    uint64   `json:"key2,omitempty"`
	Keys    []uint64 `json:"keys,omitempty"`
	OK      bool     `json:"ok,omitempty"`
	Damaged bool     `json:"damaged,omitempty"`
}

// Encode writes h to w in the history file format.
func Encode(w io.Writer, h History) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\"format\":%q,\"version\":%d,\"events\":[", Format, FormatVersion)
	for i, e := range h {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		c, call, ret := e.Client, e.Call, e.Return
		b, err := json.Marshal(jsonEvent{
			Client: &c, Call: &call, Return: &ret, Op: e.Op.Kind.String(),
			ID: e.Op.ID, Version: e.Op.Version, Key: e.Op.Key, Key2: e.Op.Key2,
			Keys: e.Op.Keys, OK: e.Op.OK, Damaged: e.Op.Damaged,
		})
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// Save writes h to the file path in the history file format.
func Save(path string, h History) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Encode(f, h); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// Load reads a history file written by Save (or by hand) and validates it
// (History.Validate). Errors name the file and the position.
func Load(path string) (History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// A FileError is an error in a history file: where it is and what is
// wrong. Event is the index of the event at fault, or -1.
type FileError struct {
	File   string
	Offset int64 // byte offset
	Line   int   // from 1
	Column int   // in bytes, from 1
	Event  int
	Err    error
}

func (e *FileError) Error() string {
	if e.Event >= 0 {
		return fmt.Sprintf("%s:%d:%d: event %d: %v", e.File, e.Line, e.Column, e.Event, e.Err)
	}
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Decode parses data, the contents of the history file name, and
// validates the history. It never panics; its errors are *FileError.
func Decode(name string, data []byte) (History, error) {
	d := decoder{name: name, data: data}
	h, starts, ok := fastDecode(data)
	if ok {
		d.starts = starts
	} else {
		d.dec = json.NewDecoder(bytes.NewReader(data))
		d.dec.DisallowUnknownFields()
		var err error
		if h, err = d.file(); err != nil {
			return nil, err
		}
	}
	if err := h.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, d.errorAt(d.starts[ve.Event], ve.Event, errors.New(ve.Msg))
		}
		return nil, d.errorAt(0, -1, err)
	}
	return h, nil
}

type decoder struct {
	name   string
	data   []byte
	dec    *json.Decoder
	starts []int64 // byte offset of each event
}

func (d *decoder) errorAt(off int64, event int, err error) *FileError {
	off = max(0, min(off, int64(len(d.data))))
	line, col := 1, 1
	for _, c := range d.data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &FileError{File: d.name, Offset: off, Line: line, Column: col, Event: event, Err: err}
}

// jsonError turns an error of the json package into a FileError; start is
// where the value being decoded begins.
func (d *decoder) jsonError(err error, start int64, event int) *FileError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// The Decoder's offsets are approximate; Unmarshal's are exact,
		// and the first syntax error in the file is the one the Decoder
		// stopped at.
		if errors.As(json.Unmarshal(d.data, new(any)), &se) {
			return d.errorAt(se.Offset-1, event, se)
		}
		return d.errorAt(start, event, err)
	case errors.As(err, &te):
		return d.errorAt(start+te.Offset-1, event, err) // the value's last byte
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return d.errorAt(int64(len(d.data)), event, errors.New("unexpected end of file"))
	}
	return d.errorAt(start, event, err)
}

// skip returns the offset of the next token after off: past white space
// and one separator.
func (d *decoder) skip(off int64) int64 {
	for off < int64(len(d.data)) {
		switch d.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (d *decoder) delim(want json.Delim, what string) error {
	off := d.skip(d.dec.InputOffset())
	tok, err := d.dec.Token()
	if err != nil {
		return d.jsonError(err, off, -1)
	}
	if tok != want {
		return d.errorAt(off, -1, fmt.Errorf("expected %s", what))
	}
	return nil
}

func (d *decoder) file() (History, error) {
	if err := d.delim('{', "a JSON object"); err != nil {
		return nil, err
	}
	var h History
	seen := map[string]bool{}
	for d.dec.More() {
		off := d.skip(d.dec.InputOffset())
		tok, err := d.dec.Token()
		if err != nil {
			return nil, d.jsonError(err, off, -1)
		}
		field, _ := tok.(string)
		if seen[field] {
			return nil, d.errorAt(off, -1, fmt.Errorf("field %q appears twice", field))
		}
		seen[field] = true
		valOff := d.skip(d.dec.InputOffset())
		switch field {
		case "format":
			var f string
			if err := d.dec.Decode(&f); err != nil {
				return nil, d.jsonError(err, valOff, -1)
			}
			if f != Format {
				return nil, d.errorAt(valOff, -1, fmt.Errorf("format %q, want %q", f, Format))
			}
		case "version":
			var v int
			if err := d.dec.Decode(&v); err != nil {
				return nil, d.jsonError(err, valOff, -1)
			}
			if v != FormatVersion {
				return nil, d.errorAt(valOff, -1, fmt.Errorf("unsupported version %d (this reader knows version %d)", v, FormatVersion))
			}
		case "events":
			if h, err = d.events(); err != nil {
				return nil, err
			}
		default:
			return nil, d.errorAt(off, -1, fmt.Errorf("unknown field %q", field))
		}
	}
	if err := d.delim('}', "the end of the object"); err != nil {
		return nil, err
	}
	end := d.skip(d.dec.InputOffset())
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, d.errorAt(end, -1, errors.New("data after the history object"))
	}
	for _, f := range []string{"format", "version", "events"} {
		if !seen[f] {
			return nil, d.errorAt(0, -1, fmt.Errorf("no %q field", f))
		}
	}
	return h, nil
}

func (d *decoder) events() (History, error) {
	if err := d.delim('[', "an array of events"); err != nil {
		return nil, err
	}
	h := History{}
	for i := 0; d.dec.More(); i++ {
		start := d.skip(d.dec.InputOffset())
		d.starts = append(d.starts, start)
		var je jsonEvent
		if err := d.dec.Decode(&je); err != nil {
			return nil, d.jsonError(err, start, i)
		}
		e, err := je.event()
		if err != nil {
			return nil, d.errorAt(start, i, err)
		}
		h = append(h, e)
	}
	if err := d.delim(']', "the end of the events"); err != nil {
		return nil, err
	}
	return h, nil
}

func (je jsonEvent) event() (Event, error) {
	switch {
	case je.Op == "":
		return Event{}, errors.New(`no "op"`)
	case je.Client == nil:
		return Event{}, errors.New(`no "client"`)
	case je.Call == nil:
		return Event{}, errors.New(`no "call"`)
	case je.Return == nil:
		return Event{}, errors.New(`no "return"`)
	}
	k, ok := model.ParseKind(je.Op)
	if !ok {
		return Event{}, fmt.Errorf("unknown op %q", je.Op)
	}
	return Event{
		Client: *je.Client, Call: *je.Call, Return: *je.Return,
		Op: model.Op{Kind: k, ID: je.ID, Version: je.Version, Key: je.Key, Key2: je.Key2,
			Keys: je.Keys, OK: je.OK, Damaged: je.Damaged},
	}, nil
}
