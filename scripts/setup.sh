#!/usr/bin/env bash
# Installs everything trampgen's build and tests need on a Debian bookworm machine.
# Idempotent; run as root (or with sudo available).
#
# wine32 needs Debian's i386 multiarch, whose package index has at times been
# out of sync with amd64: adding the architecture can make `apt-get update`
# exit non-zero and the wine32 install fail. Neither is fatal here: the reason
# is written to build-env/wine32.skip and the windows-386 wine test reports it
# as its skip reason (the emulated-OS harness under qemu-i386 covers that
# target without wine32).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$here/build-env"
mkdir -p "$state"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { $SUDO apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

packages=(
  # build
  cmake ninja-build make gcc g++ re2c python3 python3-jinja2
  # Windows targets: mingw-w64 for x86, clang + lld for arm/arm64 (mingw headers give CONTEXT)
  gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 mingw-w64-common clang lld llvm
  # runners: wine64 for windows-amd64, qemu-user for every foreign ISA
  wine64 qemu-user
  # Linux cross targets (gcc + libc for the sysroot qemu-user uses)
  gcc-i686-linux-gnu libc6-dev-i386-cross
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt_get update || echo "setup: apt-get update exited non-zero; trying the install with the lists we have"
  apt_get install --no-install-recommends "${missing[@]}"
fi

# wine32 (optional): i386 multiarch. Every failure here becomes a recorded skip reason.
rm -f "$state/wine32.skip"
if ! dpkg-query -W -f='${Status}' wine32 2>/dev/null | grep -q 'install ok installed'; then
  reason=""
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386 || reason="dpkg --add-architecture i386 failed"
  fi
  if [ -z "$reason" ]; then
    if ! apt_get update >"$state/wine32-update.log" 2>&1; then
      echo "setup: apt-get update failed after adding i386 (see build-env/wine32-update.log); continuing"
    fi
    if ! apt_get install --no-install-recommends wine32 >"$state/wine32-install.log" 2>&1; then
      reason="wine32 did not install from Debian's i386 multiarch (index out of sync with amd64?): $(grep -m1 -E '^E:' "$state/wine32-install.log" || tail -n1 "$state/wine32-install.log")"
    fi
  fi
  if [ -n "$reason" ]; then
    printf '%s\n' "$reason" >"$state/wine32.skip"
    echo "setup: windows-386 under wine32 will be skipped: $reason"
  fi
fi
echo "setup: done"
