#!/usr/bin/env bash
# Keeps the package graph honest: what each package may import (outside its
# tests). A package that does not exist yet is skipped.
source "$(dirname "$0")/lib.sh"

mod=$(go list -m)
fail=0

# nonstd PKG: the non-standard-library packages PKG depends on, in the
# plain build and in the build with injection points.
nonstd() {
	for tags in "" "$INJECT_TAGS"; do
		go list -tags "$tags" -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$1"
	done | grep -v "^$1\$" | sort -u || true
}

# allow PKG PATTERN...: every non-standard dependency of PKG must match one
# of the extended regular expressions.
allow() {
	local pkg=$mod/$1; shift
	[ -d "${pkg#"$mod"/}" ] || return 0
	local re
	re="^($(IFS='|'; echo "$*"))\$"
	local bad
	bad=$(nonstd "$pkg" | grep -Ev "$re" || true)
	if [ -n "$bad" ]; then
		echo "$pkg must not import:"; echo "$bad" | sed 's/^/	/'
		fail=1
	fi
}

allow internal/engine                      # the write side every flavor shares: standard library only
allow rcu "$mod/internal/engine"           # the reference: its own write side, nothing else
allow internal/front "$mod/rcu" "$mod/internal/engine"
allow rcu/qsbr "$mod/rcu" "$mod/internal/engine" "$mod/internal/front"
allow rcu/registered "$mod/rcu" "$mod/internal/engine" "$mod/internal/front"
allow rcuops                               # the contract: standard library only, nothing of ours
allow model                                # standard library only: the spec stays independent
allow internal/progress                    # standard library only
allow linearize "$mod/model" 'github.com/anishathalye/porcupine'
allow torture "$mod/rcuops" "$mod/model" "$mod/linearize" "$mod/internal/progress" 'github.com/anishathalye/porcupine' # never rcu nor the kit: it judges any implementation
allow fuzz "$mod/rcuops" "$mod/model" "$mod/linearize" "$mod/internal/progress" 'github.com/anishathalye/porcupine' # judges outside implementations: never rcu nor torture/flavors
allow rcutest "$mod/rcuops" "$mod/fuzz" "$mod/model" "$mod/linearize" "$mod/torture" "$mod/internal/progress" 'github.com/anishathalye/porcupine' # the kit: never rcu nor torture/flavors
[ $fail = 0 ] && echo "import direction: ok"
exit $fail
