#!/usr/bin/env bash
# Runs every benchmark program under bench/*bench/ in turn. Each one runs its
# own reference (a bare net/http or TCP server) in the same run and prints a
# table with the ratio; paste the markdown tables into docs/BENCHMARKS.md.
set -euo pipefail
benchtime=${BENCHTIME:-3s}
mkdir -p bin
for dir in bench/*bench; do
  [ -f "$dir/main.go" ] || continue
  name=$(basename "$dir")
  go build -o "bin/$name" "./$dir"
  echo "== $name"
  "bin/$name" -duration "$benchtime"
  echo
done
