package linearize

import (
	"math"

	"github.com/rcukit/rcukit/model"
)

// fastDecode parses the common shape of a history file, the one Encode
// writes, about ten times faster than encoding/json's reflection: an
// object with the fields format, version and events, each once, and
// events whose fields are the known names, each once, with unsigned
// decimal numbers, plain strings, booleans and arrays of numbers. It does
// not report errors: on anything else (an unknown or repeated field, a
// negative or fractional number, an escape, null, a syntax error) it
// returns false, and Decode parses the file again with encoding/json,
// which finds and places the error. What it accepts, it decodes exactly as
// that slower path would; FuzzFastDecode holds it to that.
func fastDecode(data []byte) (h History, starts []int64, ok bool) {
	p := scanner{data: data}
	if !p.byte('{') {
		return nil, nil, false
	}
	var seen [3]bool
	for i := 0; ; i++ {
		if i > 0 && !p.byte(',') {
			break
		}
		name, ok := p.str()
		if !ok || !p.byte(':') {
			return nil, nil, false
		}
		var f int
		switch name {
		case "format":
			v, ok := p.str()
			if !ok || v != Format {
				return nil, nil, false
			}
		case "version":
			f = 1
			v, ok := p.uint()
			if !ok || v != FormatVersion {
				return nil, nil, false
			}
		case "events":
			f = 2
			if h, starts, ok = p.events(); !ok {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
		if seen[f] {
			return nil, nil, false
		}
		seen[f] = true
	}
	if !p.byte('}') || !seen[0] || !seen[1] || !seen[2] {
		return nil, nil, false
	}
	p.space()
	return h, starts, p.off == len(p.data)
}

type scanner struct {
	data []byte
	off  int
}

func (p *scanner) space() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\r', '\n':
			p.off++
		default:
			return
		}
	}
}

// byte consumes c, after white space, if it comes next.
func (p *scanner) byte(c byte) bool {
	p.space()
	if p.off < len(p.data) && p.data[p.off] == c {
		p.off++
		return true
	}
	return false
}

func (p *scanner) peek() byte {
	p.space()
	if p.off < len(p.data) {
		return p.data[p.off]
	}
	return 0
}

// str reads a string without escapes or control characters, of ASCII
// (so that no UTF-8 question arises).
func (p *scanner) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.off
	for p.off < len(p.data) {
		c := p.data[p.off]
		switch {
		case c == '"':
			s := string(p.data[start:p.off])
			p.off++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
		p.off++
	}
	return "", false
}

// uint reads an unsigned decimal integer: no sign, fraction, exponent or
// leading zero, and no overflow of uint64.
func (p *scanner) uint() (uint64, bool) {
	p.space()
	start := p.off
	var v uint64
	for p.off < len(p.data) && p.data[p.off] >= '0' && p.data[p.off] <= '9' {
		d := uint64(p.data[p.off] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
		p.off++
	}
	n := p.off - start
	if n == 0 || n > 1 && p.data[start] == '0' {
		return 0, false
	}
	if p.off < len(p.data) {
		switch p.data[p.off] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

func (p *scanner) bool() (bool, bool) {
	p.space()
	for _, w := range [...]string{"true", "false"} {
		if len(p.data)-p.off >= len(w) && string(p.data[p.off:p.off+len(w)]) == w {
			p.off += len(w)
			return w == "true", true
		}
	}
	return false, false
}

func (p *scanner) events() (History, []int64, bool) {
	if !p.byte('[') {
		return nil, nil, false
	}
	h := History{}
	var starts []int64
	if p.peek() == ']' {
		p.off++
		return h, starts, true
	}
	for {
		p.space()
		starts = append(starts, int64(p.off))
		e, ok := p.event()
		if !ok {
			return nil, nil, false
		}
		h = append(h, e)
		if p.byte(']') {
			return h, starts, true
		}
		if !p.byte(',') {
			return nil, nil, false
		}
	}
}

// The fields of an event, as bits, to catch one given twice.
const (
	jClient = 1 << iota
	jCall
	jReturn
	jOp
	jID
	jVersion
	jKey
	jKey2
	jKeys
	jOK
	jDamaged
)

func (p *scanner) event() (Event, bool) {
	var e Event
	if !p.byte('{') {
		return e, false
	}
	var have int
	if p.peek() == '}' {
		return e, false // no op, client, call or return: an error for Decode to report
	}
	for {
		name, ok := p.str()
		if !ok || !p.byte(':') {
			return e, false
		}
		var bit int
		var u uint64
		switch name {
		case "client", "call", "return", "id", "version", "key", "key2":
			if u, ok = p.uint(); !ok {
				return e, false
			}
		}
		switch name {
		case "client":
			bit = jClient
			if u > math.MaxInt {
				return e, false
			}
			e.Client = int(u)
		case "call", "return":
			if u > math.MaxInt64 {
				return e, false
			}
			if bit = jCall; name == "call" {
				e.Call = int64(u)
			} else {
				bit = jReturn
				e.Return = int64(u)
			}
		case "op":
			bit = jOp
			s, ok := p.str()
			if !ok {
				return e, false
			}
			if e.Op.Kind, ok = model.ParseKind(s); !ok {
				return e, false
			}
		case "id":
			bit, e.Op.ID = jID, u
		case "version":
			bit, e.Op.Version = jVersion, u
		case "key":
			bit, e.Op.Key = jKey, u
		case "key2":
			bit, e.Op.Key2 = jKey2, u
		case "keys":
			bit = jKeys
			if e.Op.Keys, ok = p.uints(); !ok {
				return e, false
			}
		case "ok", "damaged":
			b, ok := p.bool()
			if !ok {
				return e, false
			}
			if bit = jOK; name == "ok" {
				e.Op.OK = b
			} else {
				bit = jDamaged
				e.Op.Damaged = b
			}
		default:
			return e, false
		}
		if have&bit != 0 {
			return e, false
		}
		have |= bit
		if p.byte('}') {
			break
		}
		if !p.byte(',') {
			return e, false
		}
	}
	const required = jClient | jCall | jReturn | jOp
	return e, have&required == required
}

func (p *scanner) uints() ([]uint64, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []uint64{}
	if p.peek() == ']' {
		p.off++
		return out, true
	}
	for {
		v, ok := p.uint()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.byte(']') {
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}
