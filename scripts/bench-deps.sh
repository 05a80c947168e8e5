#!/usr/bin/env bash
# Installs what `make bench` needs beside Go, from Debian's packages, when
# it is missing: wrk, the independent HTTP load driver (bench/wrk). Like
# scripts/deps.sh: apt-get update once, then apt-get install.
set -euo pipefail
need=()
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -eq 0 ]; then
  echo "bench-deps: all present"
  exit 0
fi
echo "bench-deps: installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bench-deps: not root; install these Debian packages first: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
