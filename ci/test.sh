#!/usr/bin/env bash
# make test: formatting, vet, the import-direction check, and every
# package's tests with the race detector, in both builds of rcu (plain, and
# with the injection points of -tags rcuinject).
source "$(dirname "$0")/lib.sh"

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-ed:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...
go vet -tags "$INJECT_TAGS" ./...

step "import direction"
ci/deps.sh

step "chromium, for the HTML report's browser test"
ci/browser.sh install

step "go test -race"
go test -race -count=1 ./...

step "go test -race -tags $INJECT_TAGS"
go test -race -count=1 -tags "$INJECT_TAGS" ./...

echo; echo "make test: PASS"
