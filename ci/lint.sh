#!/usr/bin/env bash
# make lint: gofmt, go vet and staticcheck over both builds, and
# actionlint over the CI workflow.
source "$(dirname "$0")/lib.sh"

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-ed:"; echo "$unformatted"; exit 1
fi
step "go vet"
go vet ./...
go vet -tags "$INJECT_TAGS" ./...
step "staticcheck"
go run "$STATICCHECK" ./...
go run "$STATICCHECK" -tags "$INJECT_TAGS" ./...
step "actionlint"
go run "$ACTIONLINT" .github/workflows/*.yml
echo; echo "make lint: PASS"
