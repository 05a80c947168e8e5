#!/usr/bin/env bash
# Runs every go fuzz target in the tree for a short time ($FUZZTIME each).
# The seed corpora already run as plain tests in `go test`; this explores.
set -euo pipefail
fuzztime=${FUZZTIME:-8s}
count=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($fuzztime)"
    go test -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/aula-fuzz.log 2>&1 || { cat /tmp/aula-fuzz.log; exit 1; }
    count=$((count+1))
  done
done
echo "fuzz: $count targets ran clean"
