package fuzz

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"os"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/torture/flavors"
)

// defaultFlavor is FuzzSchedule's flavor: classic has its injection
// points in every build.
const defaultFlavor = "classic"

// lookup returns the flavor called name: one of torture/flavors, or a
// broken one of internal/broken. (flavorEnv names the flavor FuzzSchedule
// runs, for bug-hunting runs against broken flavors:
// RCUKIT_FUZZ_FLAVOR=busted-flip go test -fuzz ..., and the flavor
// TestReplay replays an input on.)
func lookup(tb testing.TB, name string) rcuops.Flavor {
	tb.Helper()
	f, ok := flavors.Lookup(name)
	if b, isBug := broken.Lookup(name); !ok && isBug {
		f, ok = b.Flavor(), true
	}
	if !ok {
		msg := fmt.Sprintf("no flavor %q (flavors: %s)", name, strings.Join(flavors.Names(), ", "))
		if near := flavors.Nearest(name); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		tb.Fatal(msg)
	}
	return f
}

// reproduce returns the command that replays data on flavor f through
// target, besides the Failure's own (TestReplay). A corpus entry is named by its file name, which t.Name() ends
// with; while fuzzing, t.Name() is the target's alone, and go test -fuzz
// saves a failing input under the name computed here, as it does: the
// first 16 hex digits of the SHA-256 of the file.
func reproduce(t *testing.T, target string, f rcuops.Flavor, env bool, data []byte) string {
	var cmd strings.Builder
	if env {
		fmt.Fprintf(&cmd, "%s=%s ", flavorEnv, f.Name)
	}
	cmd.WriteString("go test")
	if f.Tags != "" {
		fmt.Fprintf(&cmd, " -tags %s", f.Tags)
	}
	if _, name, ok := strings.Cut(t.Name(), "/"); ok {
		return fmt.Sprintf("or through the target: %s -run '^%s$/^%s$' ./fuzz", cmd.String(), target, name)
	}
	file := fmt.Sprintf("%x", sha256.Sum256(encodeCorpusFile(data)))[:16]
	return fmt.Sprintf("or through the target: %s -run '^%s$/^%s$' ./fuzz\n  (go test -fuzz saves this input as testdata/fuzz/%s/%s; a failing seed corpus entry keeps its own name, which go test prints)",
		cmd.String(), target, file, target, file)
}

// replays is how many times a failing input is run again, to tell a
// failure whose holds build its interleaving (it fails every time) from
// one that needed the scheduler's help (it fails only sometimes).
const replays = 5

// replayed runs data on f replays more times and says how many failed.
func replayed(f rcuops.Flavor, data []byte) string {
	n := 0
	for range replays {
		if RunSchedule(f, data) != nil {
			n++
		}
	}
	msg := fmt.Sprintf("replayed %d more times: failed %d", replays, n)
	if n < replays {
		msg += " (the failure depends on timing; replay it with -count 20)"
	}
	return msg
}

// judgeInput fails t for a failing schedule, with more (the replays and
// the reproduce command), except that a check that could not decide
// (porcupine out of time on a starved machine) is a skip: it is neither a
// pass nor a failure of the flavor.
func judgeInput(t *testing.T, err error, more func() string) {
	t.Helper()
	if err == nil {
		return
	}
	var fl *Failure
	if errors.As(err, &fl) && fl.Kind == Inconclusive {
		t.Skipf("inconclusive, not a pass: %v", err)
	}
	t.Fatalf("%s\n%s", strings.TrimRight(err.Error(), "\n"), more())
}

// FuzzSchedule runs schedules on the classic flavor, whose injection
// points exist in every build, or on the flavor RCUKIT_FUZZ_FLAVOR names.
func FuzzSchedule(f *testing.F) {
	name, env := os.LookupEnv(flavorEnv)
	if !env || name == "" {
		name, env = defaultFlavor, false
	}
	fl := lookup(f, name)
	f.Fuzz(func(t *testing.T, data []byte) {
		judgeInput(t, RunSchedule(fl, data), func() string {
			return replayed(fl, data) + "\n" + reproduce(t, "FuzzSchedule", fl, env, data)
		})
	})
}

// FuzzReferenceSchedule runs schedules on the reference rcu.Domain. Built
// with -tags rcuinject it has the reference's injection points; without,
// only the fuzzer's own (inside publication and callbacks), and the
// fuzzer explores interleavings of whole API calls.
func FuzzReferenceSchedule(f *testing.F) {
	fl := lookup(f, "rcu")
	for _, s := range Seeds() {
		f.Add(s.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		judgeInput(t, RunSchedule(fl, data), func() string {
			return replayed(fl, data) + "\n" + reproduce(t, "FuzzReferenceSchedule", fl, false, data)
		})
	})
}

// replayFromEnv returns the flavor and the input that flavorEnv and
// inputEnv name, as a Failure's Command sets them; ok is false when
// inputEnv is not set.
func replayFromEnv(t *testing.T) (f rcuops.Flavor, data []byte, ok bool) {
	in, ok := os.LookupEnv(inputEnv)
	if !ok {
		return rcuops.Flavor{}, nil, false
	}
	data, err := hex.DecodeString(in)
	if err != nil {
		t.Fatalf("%s=%s: %v", inputEnv, in, err)
	}
	return lookup(t, os.Getenv(flavorEnv)), data, true
}

// TestReplay replays one input on one flavor, as the command a Failure
// prints says: RCUKIT_FUZZ_FLAVOR names the flavor, RCUKIT_FUZZ_INPUT the
// input in hex. Without them it has nothing to replay.
func TestReplay(t *testing.T) {
	f, data, ok := replayFromEnv(t)
	if !ok {
		t.Skipf("nothing to replay: %s (hex) and %s name the input and the flavor", inputEnv, flavorEnv)
	}
	judgeInput(t, RunSchedule(f, data), func() string { return replayed(f, data) })
}
