#!/bin/sh
# Does the reliability suite catch what the runtime got wrong before issue 8?
# Builds stress.c against runtime/ as it was at a given commit (default
# 91f46e9, the runtime before issue 8), adapting only what changed
# signature since (trampgen_detach returned void; trampgen_system_stack_min
# and TRAMPGEN_SYSTEM_STACK_DEFAULT did not exist), runs every scenario
# and prints how each ended. Not a CTest test: with that runtime every
# scenario is expected to fail, several by crashing.
#
#   tests/reliability/runtime/old_runtime.sh TARGET [COMMIT]   (the host's target: cc, run natively)
#   CC=<the target's cross gcc> RUN="<its qemu> -L <its sysroot>" \
#     tests/reliability/runtime/old_runtime.sh <target>   ([toolchain] in its spec)
set -eu
target=${1:?usage: $0 TARGET [COMMIT]}
commit=${2:-91f46e9}
cc=${CC:-cc}
run=${RUN:-}
src=$(cd "$(dirname "$0")/../../.." && pwd)
out="$src/out/$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/runtime"
for f in dispatch.c posix.c trampgen.h internal.h; do
  git -C "$src" show "$commit:runtime/$f" > "$work/runtime/$f"
done
cat > "$work/shim.h" <<'EOF'
#include <stddef.h>
#define TRAMPGEN_SYSTEM_STACK_DEFAULT ((size_t)64 * 1024)
static inline size_t trampgen_system_stack_min(void) { return 16384; }
EOF
sed 's/trampgen_detach()/(trampgen_detach(), 0)/g' "$src/tests/reliability/runtime/stress.c" > "$work/stress.c"
$cc -c "$out/trampolines.S" -I "$out" -o "$work/trampolines.o"
$cc -O2 -g -std=gnu11 -include "$work/shim.h" -I "$work/runtime" -I "$out" -o "$work/stress" \
  "$work/stress.c" "$work/runtime/dispatch.c" "$work/runtime/posix.c" "$out/context.c" \
  "$work/trampolines.o" -lpthread

for s in $($run "$work/stress"); do
  set +e
  timeout 120 $run "$work/stress" "$s" > "$work/$s.log" 2>&1
  rc=$?
  set -e
  case $rc in
    0) how="PASSED (not caught)" ;;
    1) how="failed: $(grep -c '^  FAIL' "$work/$s.log") checks; first: $(grep -m1 '^  FAIL' "$work/$s.log" | cut -c8-160)" ;;
    77) how="skipped" ;;
    124) how="hung (killed after 120 s)" ;;
    *) how="died (exit status $rc; signal $((rc - 128)) if above 128) after: $(grep -v -e '^  ok' -e 'Segmentation fault' -e 'core dumped' "$work/$s.log" | tail -n1 | cut -c1-120)" ;;
  esac
  echo "$s: $how"
done
