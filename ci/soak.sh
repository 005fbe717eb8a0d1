#!/usr/bin/env bash
# make soak: ci/torture.sh with the race detector, longer: every scenario on
# every correct flavor for DURATION each (default 60s, about 30 minutes in
# all). A correct flavor must never fail, and the race detector must see no
# data race (readers read a plain payload that the writer rewrites only when
# it recycles an element, so a premature reuse is also a race). A run the
# machine starved is INCONCLUSIVE, counted apart: exit status 1 if any run
# failed, else 3 if any was inconclusive, else 0. The broken flavors are
# not run: their premature reuse is a data race by design.
source "$(dirname "$0")/lib.sh"

export RACE=1 CONTROLS=0 DURATION=${DURATION:-60s}
exec ci/torture.sh
