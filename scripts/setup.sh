#!/usr/bin/env bash
# Installs everything trampgen's build and tests need on a Debian bookworm machine.
# Idempotent; run as root (or with sudo available).
#
# What to install comes from spec/ (`python3 -m gen.builds packages`, run with
# the system python3: tomllib, no Jinja2 needed): every target's
# toolchain.packages, and each optional runner package (toolchain.runner.package)
# with the Debian multiarch it comes from (toolchain.runner.multiarch), or
# the Debian release it is unpacked from (toolchain.runner.suite: a newer
# runner than this release's, downloaded with apt-get download from that
# release's own list and unpacked into build-env/SUITE/PACKAGE/, never
# installed; the system's lists and sources are left as they were).
#
# A foreign multiarch's package index has at times been out of sync with the
# native one: adding the architecture can make `apt-get update` exit non-zero
# and the optional install fail. Neither is fatal here: the reason is written
# to build-env/PACKAGE.skip and the tests that need that runner report it as
# their skip reason (the emulated-OS harness under qemu covers those targets
# without it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$here/build-env"
mkdir -p "$state"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { $SUDO apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

# What the generator and the build need before spec/ can be read.
base=(cmake ninja-build make gcc g++ re2c python3 python3-jinja2)

updated=0
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$updated" -eq 0 ]; then
      apt_get update || echo "setup: apt-get update exited non-zero; trying the install with the lists we have"
      updated=1
    fi
    apt_get install --no-install-recommends "${missing[@]}"
  fi
}
install_missing "${base[@]}"

py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! plan=$(cd "$here" && "$py" -m gen.builds packages); then
  echo "setup: spec/ does not say what to install (the lines above name the file and key)" >&2
  exit 1
fi
packages=()
optional=()
fetch=()
while read -r kind pkg rest; do
  case "$kind" in
    required) packages+=("$pkg") ;;
    optional) optional+=("$pkg $rest") ;;
    fetch) fetch+=("$pkg $rest") ;;
  esac
done <<<"$plan"
install_missing "${packages[@]}"

# Optional runner packages, from a multiarch when the spec names one. Every
# failure here becomes a recorded skip reason, never a failed setup.
native_arch=$(dpkg --print-architecture)
for entry in "${optional[@]}"; do
  read -r pkg arch targets <<<"$entry"
  rm -f "$state/$pkg.skip"
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    continue
  fi
  reason=""
  from="Debian"
  if [ "$arch" != "-" ]; then
    from="Debian's $arch multiarch"
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      $SUDO dpkg --add-architecture "$arch" || reason="dpkg --add-architecture $arch failed"
    fi
  fi
  if [ -z "$reason" ]; then
    if ! apt_get update >"$state/$pkg-update.log" 2>&1; then
      echo "setup: apt-get update failed after adding $arch (see build-env/$pkg-update.log); continuing"
    fi
    if ! apt_get install --no-install-recommends "$pkg" >"$state/$pkg-install.log" 2>&1; then
      reason="$pkg did not install from $from (index out of sync with $native_arch?): $(grep -m1 -E '^E:' "$state/$pkg-install.log" || tail -n1 "$state/$pkg-install.log")"
    fi
  fi
  if [ -n "$reason" ]; then
    printf '%s\n' "$reason" >"$state/$pkg.skip"
    echo "setup: ${targets//,/, } under $pkg will be skipped: $reason"
  fi
done
# Runners unpacked from another Debian release. Its list is read from a file
# of our own (not sources.list.d) into apt's usual list directory without
# cleaning it, so the system's lists stay as they were. Every failure is a
# recorded skip reason, never a failed setup.
for entry in "${fetch[@]}"; do
  read -r pkg suite targets <<<"$entry"
  dest="$state/$suite/$pkg"
  skip="$state/$pkg-$suite.skip"
  rm -f "$skip"
  [ -f "$dest/.unpacked" ] && continue
  reason=""
  src="$state/$suite.list"
  echo "deb http://deb.debian.org/debian $suite main" >"$src"
  opts=(-o "Dir::Etc::sourcelist=$src" -o "Dir::Etc::sourceparts=-" -o "APT::Get::List-Cleanup=0")
  work="$state/$suite/download"
  rm -rf "$work" "$dest" && mkdir -p "$work"
  if ! apt_get "${opts[@]}" update >"$state/$pkg-$suite-update.log" 2>&1; then
    reason="apt-get update of Debian $suite failed (see build-env/$pkg-$suite-update.log)"
  elif ! (cd "$work" && apt_get "${opts[@]}" download "$pkg/$suite") >"$state/$pkg-$suite-download.log" 2>&1; then
    reason="$pkg did not download from Debian $suite: $(grep -m1 -E '^E:' "$state/$pkg-$suite-download.log" || tail -n1 "$state/$pkg-$suite-download.log")"
  elif ! dpkg-deb -x "$work"/"$pkg"_*.deb "$dest" 2>"$state/$pkg-$suite-unpack.log"; then
    reason="$pkg from Debian $suite did not unpack (see build-env/$pkg-$suite-unpack.log)"
  else
    touch "$dest/.unpacked"
  fi
  rm -rf "$work"
  if [ -n "$reason" ]; then
    printf '%s\n' "$reason" >"$skip"
    echo "setup: ${targets//,/, } will have no runner: $reason"
  fi
done
echo "setup: done"
