#!/usr/bin/env bash
# Installs the real peers the tests talk to, from Debian's packages, when
# they are missing: OpenSSH (sshd, ssh-keygen), rsync, openssl, python3, and
# the argon2 reference tool (cross-checks our password hashes).
set -euo pipefail
need=()
command -v rsync >/dev/null || need+=(rsync)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
command -v argon2 >/dev/null || need+=(argon2)
# bubblewrap: the console module's jail (mount, PID, network namespaces).
command -v bwrap >/dev/null || need+=(bubblewrap)
# wrk: bench/wrk's test runs the register script the benchmarks drive.
command -v wrk >/dev/null || need+=(wrk)
# sshd refuses to start without its privilege-separation directory, which
# a package install inside a container does not always create.
mkdir -p /run/sshd 2>/dev/null || true
if [ ${#need[@]} -eq 0 ]; then
  echo "deps: all test peers present"
  exit 0
fi
echo "deps: installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; install these Debian packages first: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
mkdir -p /run/sshd
