#!/usr/bin/env bash
# Measures the aula binary of OLDREV against the one of the working tree
# (or NEWREV) side by side in one run, against the same references:
# register, status, echo and activation (bench/compare). Builds each
# revision from `git archive` in a temporary directory; needs wrk
# (make bench-deps).
#   scripts/bench-compare.sh OLDREV [NEWREV] [-- compare flags, e.g. -duration 6s]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OLDREV [NEWREV] [-- compare flags]" >&2; exit 2; }
old=$1; shift
new=
if [ $# -ge 1 ] && [ "$1" != "--" ]; then new=$1; shift; fi
[ "${1:-}" = "--" ] && shift
scripts/bench-deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() { # REV DIR OUT
  mkdir -p "$2"
  git archive "$1" | tar -x -C "$2"
  (cd "$2" && go build -o "$3" ./cmd/aula)
}
build "$old" "$tmp/old" "$tmp/aula-old"
if [ -n "$new" ]; then
  build "$new" "$tmp/new" "$tmp/aula-new"
else
  go build -o "$tmp/aula-new" ./cmd/aula
fi
go build -o "$tmp/compare" ./bench/compare
echo "== old: $old ($(git rev-parse --short "$old")), new: ${new:-working tree at $(git rev-parse --short HEAD)}"
"$tmp/compare" -old "$tmp/aula-old" -new "$tmp/aula-new" "$@"
