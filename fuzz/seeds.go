package fuzz

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// A Seed is one committed input of the schedule fuzzer.
type Seed struct {
	Name string
	Data []byte
}

//go:embed testdata/fuzz/FuzzSchedule
var corpus embed.FS

const corpusDir = "testdata/fuzz/FuzzSchedule"

// Seeds returns the committed corpus of FuzzSchedule, embedded with
// a go:embed directive from testdata/fuzz/FuzzSchedule (files in the
// "go test fuzz v1" format, decoded), in file name order. It includes the
// shrunk failures kept as regression inputs. A file that is not a valid corpus
// file with one []byte value makes Seeds panic: the corpus is part of the
// source.
func Seeds() []Seed {
	entries, err := fs.ReadDir(corpus, corpusDir)
	if err != nil {
		panic("fuzz: reading the embedded corpus: " + err.Error())
	}
	seeds := make([]Seed, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(corpus, path.Join(corpusDir, e.Name()))
		if err != nil {
			panic("fuzz: reading the embedded corpus: " + err.Error())
		}
		data, err := decodeCorpusFile(b)
		if err != nil {
			panic(fmt.Sprintf("fuzz: corpus file %s/%s: %v", corpusDir, e.Name(), err))
		}
		seeds = append(seeds, Seed{Name: e.Name(), Data: data})
	}
	return seeds
}

// decodeCorpusFile decodes a "go test fuzz v1" file holding one []byte
// value, written as a Go string literal: []byte("...") or []byte(`...`).
func decodeCorpusFile(b []byte) ([]byte, error) {
	const header = "go test fuzz v1"
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != header {
		return nil, fmt.Errorf("does not start with %q", header)
	}
	var values []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			values = append(values, l)
		}
	}
	if len(values) != 1 {
		return nil, fmt.Errorf("has %d values; want one []byte", len(values))
	}
	v := values[0]
	if !strings.HasPrefix(v, "[]byte(") || !strings.HasSuffix(v, ")") {
		return nil, fmt.Errorf("value %.40q is not a []byte", v)
	}
	s, err := strconv.Unquote(v[len("[]byte(") : len(v)-1])
	if err != nil {
		return nil, fmt.Errorf("value %.40q: %v", v, err)
	}
	return []byte(s), nil
}

// encodeCorpusFile is the inverse of decodeCorpusFile, as go test writes
// corpus files.
func encodeCorpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}
