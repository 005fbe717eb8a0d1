package fuzz

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/rcuops"
	"pgregory.net/rapid"
)

// The meaning of the committed corpus, pinned.
//
// testdata/corpus.golden holds what every committed input means: for each
// seed of FuzzSchedule, its decoded schedule over each kind of flavor (by
// the injection points it has); for each seed of the rapid targets, the
// plan rapid draws from it, or the actions the state machine takes and
// what it drew for them. TestCorpusMeaning checks that every committed
// input still means exactly that, so that a change of the encoding, the
// decoder or the machines that would silently re-mean a seed (a found-*
// regression input most of all) fails.
//
// The file was recorded once, from the decoder and machines as they were
// before the action table and the escape-extended encoding. An entry is
// never rewritten: with -update-corpus-meaning the test adds the entries of
// new seeds and drops those of deleted ones, and fails if an existing
// entry would change.

var updateMeaning = flag.Bool("update-corpus-meaning", false, "add the entries of new seeds to testdata/corpus.golden (existing entries never change)")

const meaningFile = "testdata/corpus.golden"

// meaningPoints are the kinds of flavor a FuzzSchedule seed is decoded
// for: which of the injection points a schedule names they have decides
// which holds are no-ops. The lists are written out, not taken from the
// flavors, so that the file does not depend on the build.
var meaningPoints = []struct {
	name string
	pts  []rcuops.Point
}{
	{"classic", []rcuops.Point{"read-sampled", "gp-start", "gp-flipped", "gp-end"}},
	{"rcuinject", []rcuops.Point{"read-sampled", "gp-start", "gp-flipped", "gp-end", "invoke"}},
	{"none", nil},
	{"own-points", []rcuops.Point{"own-a", "read-sampled", "own-b"}},
}

// rapidSteps is the average number of actions rapid's Repeat draws, with
// which the state machines' entries were recorded: rapid's default, and
// half of it under -short, so those entries are checked only with it.
const rapidSteps = 30

// rapidMeanings says, for each rapid target, what an input means: the
// lines it appends to log when rapid runs it on the input.
var rapidMeanings = map[string]func(log *[]string) func(*rapid.T){
	"FuzzDomainStateMachine": func(log *[]string) func(*rapid.T) {
		return func(t *rapid.T) {
			m := newDomainMachine(t, referenceDomain(t), nil)
			t.Repeat(traced(m.actions(), log, m.state))
			m.finish(t)
		}
	},
	"FuzzListStateMachine": func(log *[]string) func(*rapid.T) {
		return func(t *rapid.T) {
			m := newListMachine(t, referenceList, nil)
			t.Repeat(traced(m.actions(), log, m.state))
			m.finish(t)
		}
	},
	"FuzzDomainConcurrentPlans": func(log *[]string) func(*rapid.T) {
		return func(t *rapid.T) {
			for _, st := range drawPlan(t).steps {
				*log = append(*log, fmt.Sprintf("%s  yields %d", st, st.yields))
			}
		}
	},
	"FuzzListConcurrentPlans": func(log *[]string) func(*rapid.T) {
		return func(t *rapid.T) {
			for g, ops := range drawListPlan(t) {
				for _, op := range ops {
					*log = append(*log, fmt.Sprintf("%d: %s yields %d", g, op, op.yields))
				}
			}
		}
	},
}

// traced wraps each action of a state machine so that it logs its name
// and then state(): what the action drew shows in the state it leaves.
func traced(actions map[string]func(*rapid.T), log *[]string, state func() string) map[string]func(*rapid.T) {
	out := make(map[string]func(*rapid.T), len(actions))
	for name, f := range actions {
		if name == "" {
			out[name] = f
			continue
		}
		out[name] = func(t *rapid.T) {
			f(t)
			*log = append(*log, name+" -> "+state())
		}
	}
	return out
}

// state is what the domain machine's later draws depend on: its open
// sections (by the ids of their loads), the ids and versions handed out,
// and its cookie.
func (m *domainMachine) state() string {
	var b strings.Builder
	for _, s := range m.sections {
		b.WriteByte('[')
		for i, l := range s.loads {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprint(&b, l.id)
		}
		b.WriteByte(']')
	}
	fmt.Fprintf(&b, " ids %d vers %d", m.ids, m.vers)
	if m.cookie != nil {
		fmt.Fprintf(&b, " cookie %d", m.cookie.id)
	}
	return b.String()
}

// state is what the list machine's later draws depend on.
func (m *listMachine) state() string {
	var b strings.Builder
	fmt.Fprintf(&b, "keys %d elems %d travs", m.keys, len(m.elems))
	for _, tr := range m.travs {
		fmt.Fprintf(&b, " %d", tr.id)
	}
	return b.String()
}

// A meaning is one entry of the file: the input it is about, and what it
// means.
type meaning struct {
	key  string // "FuzzSchedule/straggler [classic rcuinject]", "FuzzListStateMachine/random-0"
	body string
}

// scheduleMeanings decodes a FuzzSchedule seed for each kind of flavor,
// one entry per distinct schedule.
func scheduleMeanings(s Seed) []meaning {
	var out []meaning
	kinds := map[string][]string{}
	var order []string
	for _, p := range meaningPoints {
		body := decode(s.Data, newPoints(p.pts)).String()
		if body == "" {
			body = "(no steps)\n"
		}
		if _, ok := kinds[body]; !ok {
			order = append(order, body)
		}
		kinds[body] = append(kinds[body], p.name)
	}
	for _, body := range order {
		out = append(out, meaning{fmt.Sprintf("FuzzSchedule/%s %v", s.Name, kinds[body]), body})
	}
	return out
}

// rapidMeaning runs target's meaning on a seed.
func rapidMeaning(t *testing.T, target, name string, data []byte) meaning {
	var log []string
	t.Run(target+"/"+name, func(t *testing.T) {
		rapid.MakeFuzz(rapidMeanings[target](&log))(t, data)
	})
	return meaning{target + "/" + name, strings.Join(log, "\n") + "\n"}
}

func parseMeanings(b []byte) (map[string]string, []string, error) {
	m := map[string]string{}
	var order []string
	key := ""
	var body strings.Builder
	flush := func() {
		if key != "" {
			m[key] = body.String()
			order = append(order, key)
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "#") && key == "":
		case strings.HasPrefix(line, "== "):
			flush()
			key = strings.TrimSpace(strings.TrimPrefix(line, "== "))
			if _, dup := m[key]; dup {
				return nil, nil, fmt.Errorf("entry %q twice", key)
			}
		case key == "":
			return nil, nil, fmt.Errorf("line %q outside an entry", line)
		default:
			body.WriteString(line)
		}
	}
	flush()
	return m, order, nil
}

// TestCorpusMeaning checks that every committed input of every fuzz
// target means what testdata/corpus.golden says it meant.
func TestCorpusMeaning(t *testing.T) {
	if !slices.Equal(slices.Sorted(maps.Keys(rapidMeanings)), slices.Sorted(maps.Keys(rapidTargets))) {
		t.Fatalf("rapidMeanings covers %v; the rapid targets are %v", slices.Sorted(maps.Keys(rapidMeanings)), slices.Sorted(maps.Keys(rapidTargets)))
	}
	var got []meaning
	for _, s := range Seeds() {
		got = append(got, scheduleMeanings(s)...)
	}
	machines := !testing.Short() && flag.Lookup("rapid.steps").Value.String() == fmt.Sprint(rapidSteps)
	for _, target := range slices.Sorted(maps.Keys(rapidTargets)) {
		if strings.HasSuffix(target, "StateMachine") && !machines {
			t.Logf("%s: not checked: its entries hold with -rapid.steps %d and without -short", target, rapidSteps)
			continue
		}
		files, err := filepath.Glob(filepath.Join("testdata/fuzz", target, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			data, err := decodeCorpusFile(b)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got = append(got, rapidMeaning(t, target, filepath.Base(file), data))
		}
	}

	b, err := os.ReadFile(meaningFile)
	if err != nil && !(*updateMeaning && os.IsNotExist(err)) {
		t.Fatalf("%v; go test ./fuzz -run '^TestCorpusMeaning$' -update-corpus-meaning adds the entries of new seeds", err)
	}
	want, _, err := parseMeanings(b)
	if err != nil {
		t.Fatalf("%s: %v", meaningFile, err)
	}
	seen := map[string]bool{}
	missing := 0
	for _, m := range got {
		seen[m.key] = true
		w, ok := want[m.key]
		switch {
		case !ok:
			missing++
			if !*updateMeaning {
				t.Errorf("%s: no entry for %s; go test ./fuzz -run '^TestCorpusMeaning$' -update-corpus-meaning adds it", meaningFile, m.key)
			}
		case w != m.body:
			t.Errorf("%s no longer means what it meant: a change re-means a committed input.\ngot:\n%swant:\n%s", m.key, m.body, w)
		}
	}
	stale := 0
	for key := range want {
		if !seen[key] && (machines || !strings.Contains(key, "StateMachine/")) {
			stale++
			if !*updateMeaning {
				t.Errorf("%s: entry %s has no committed input (or means something else now); -update-corpus-meaning drops it", meaningFile, key)
			}
		}
	}
	if !*updateMeaning || t.Failed() || missing+stale == 0 {
		return
	}
	if !machines {
		t.Fatal("-update-corpus-meaning needs the default -rapid.steps and no -short")
	}
	var out bytes.Buffer
	out.WriteString("# What every committed input of the fuzz targets means; see meaning_test.go.\n")
	out.WriteString("# Entries are never rewritten: go test ./fuzz -run '^TestCorpusMeaning$' -update-corpus-meaning\n")
	out.WriteString("# adds those of new seeds and drops those of deleted ones.\n")
	for _, m := range got {
		fmt.Fprintf(&out, "== %s\n%s", m.key, m.body)
	}
	if err := os.WriteFile(meaningFile, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d entries added, %d dropped", meaningFile, missing, stale)
}
