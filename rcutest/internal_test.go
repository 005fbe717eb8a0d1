package rcutest

import (
	"strings"
	"testing"

	"github.com/rcukit/rcukit/model"
)

// TestChecksFollowTheTable: every check is named after a guarantee of
// model.Guarantees that the table says the kit checks, and every such
// guarantee has a check named after it.
func TestChecksFollowTheTable(t *testing.T) {
	checked := map[model.Rule]bool{}
	names := map[string]bool{}
	for _, c := range checks {
		g, ok := c.rule.Guarantee()
		if !ok || g.Checked&model.ByKit == 0 {
			t.Errorf("check %s is named after rule %q, which the table does not say the kit checks", c.name, c.rule)
		}
		if names[c.name] {
			t.Errorf("two checks named %s", c.name)
		}
		names[c.name] = true
		checked[c.rule] = true
	}
	for _, g := range model.Guarantees() {
		if g.Checked&model.ByKit != 0 && !checked[g.Rule] {
			t.Errorf("the table says the kit checks %s, but no check is named after it", g.Rule)
		}
	}
}

func TestTestCommand(t *testing.T) {
	got := testCommand("TestX/guarantees/Check.Name", "-rcutest.seed 7")
	want := "-run '^TestX$/^guarantees$/^Check\\.Name$' -rcutest.seed 7 ."
	if !strings.HasPrefix(got, "go test -count=1 ") || !strings.HasSuffix(got, want) {
		t.Errorf("testCommand = %q; want go test -count=1 ... %s", got, want)
	}
}
