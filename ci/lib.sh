# Shared settings for the ci/ scripts. Source it; do not run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# The build tag that compiles in the injection points and faults of rcu.
INJECT_TAGS=rcuinject

step() { printf '\n== %s\n' "$*"; }
