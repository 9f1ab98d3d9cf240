"""Negative tests of trampgen_check: deliberately broken specs it must refuse.

    python3 tests/checker/broken.py --list
    python3 tests/checker/broken.py CASE --checker PATH [--cc CC]

Each case copies spec/, templates/ and gen/ to a temporary tree, renders the
target there unchanged (the *control*: the checker must pass it, so the
failure below is the edit's doing and not the set-up's), then applies one
edit to one spec file, renders again with `python3 -m gen --root COPY
generate TARGET`, and runs the checker on the result. The case passes when
the generator accepted the broken spec (spec validation cannot see these
mistakes; that is why the checker exists), the checker exits 1, and its
output matches the expected message.

`preserved` cases pass the checker a --preserved file holding the unbroken
spec's callee-saved set, standing in for the compiler-measured result of
tests/oracle/: the spec under test then no longer judges itself.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# name: (what it proves, target, [(spec file, old text, new text)], preserved override?, expected regex)
CASES = {
    "sigresume-lr": (
        "sigresume writes only SP: a jump_register idiom that links (blr) writes x30",
        "linux-arm64",
        [("spec/isa/aarch64.toml", 'jump_register = "br {reg}"', 'jump_register = "blr {reg}"')],
        False,
        r"FAIL trampgen_sigresume: line \d+ `blr x17`: writes x30 \(implicitly: blr writes it\), "
        r"but sigresume may write only sp",
    ),
    "unsaved-store": (
        "sigtramp saves every preserved register: a store idiom that stores the wrong register",
        "linux-amd64",
        [("spec/isa/x86_64.toml", 'store.int = "movq %{reg}, {offset}(%rsp)"',
          'store.int = "movq %rax, {offset}(%rsp)"')],
        False,
        r"FAIL trampgen_sigtramp: line \d+ `call trampgen_posix_dispatch`: rbx is not saved before "
        r"the call to trampgen_posix_dispatch",
    ),
    "unsaved-preserved": (
        "the clobber model comes from --preserved: a callee-saved register dropped from the spec "
        "is still one the ABI (the override) preserves",
        "linux-riscv64",
        [("spec/target/linux-riscv64.toml", '"s10", "s11"]', '"s10"]')],
        True,
        r"FAIL trampgen_sigtramp: line \d+ `call trampgen_posix_dispatch`: s11 is not saved before "
        r"the call to trampgen_posix_dispatch \(sigtramp keeps every preserved register itself\)",
    ),
    "not-restored": (
        "sigtramp restores on every path to a return: a vector load idiom that loads the wrong register",
        "linux-arm64",
        [("spec/isa/aarch64.toml", 'load.vector = "ldr {reg}, [sp, #{offset}]"',
          'load.vector = "ldr d0, [sp, #{offset}]"')],
        False,
        r"FAIL trampgen_sigtramp: line \d+ `ret`: d8 is not restored on this path",
    ),
    "entry-writes": (
        "entries write only free argument registers: a load_const idiom that loads rax instead",
        "windows-amd64",
        [("spec/isa/x86_64.toml", 'load_const = "movq ${value}, %{reg}"',
          'load_const = "movq ${value}, %rax"')],
        False,
        r"FAIL trampgen_exceptiontramp: line \d+ `movq \$0, %rax`: writes rax, which is not an "
        r"argument register free in the handler call",
    ),
    "stack-unbalanced": (
        "stack adjustments balance: a stack_free idiom that subtracts",
        "linux-amd64",
        [("spec/isa/x86_64.toml", 'stack_free = "addq ${bytes}, %rsp"',
          'stack_free = "subq ${bytes}, %rsp"')],
        False,
        r"FAIL trampgen_sigtramp: line \d+ `ret`: returns with SP 112 bytes below its entry value: "
        r"the stack adjustments do not balance",
    ),
    "misaligned-call": (
        "the frame is ABI-aligned at the call: frame idioms that add 8 bytes",
        "linux-arm64",
        [("spec/isa/aarch64.toml", 'stack_alloc = "sub sp, sp, #{bytes}"',
          'stack_alloc = "sub sp, sp, #{bytes}+8"'),
         ("spec/isa/aarch64.toml", 'stack_free = "add sp, sp, #{bytes}"',
          'stack_free = "add sp, sp, #{bytes}+8"')],
        False,
        r"FAIL trampgen_sigtramp: line \d+ `bl trampgen_posix_dispatch`: SP at the call is entry "
        r"SP-168, 8 bytes off the 16-byte alignment the ABI requires at a call",
    ),
    "misaligned-call-push": (
        "the same where calls push the return address (entry SP is a word past alignment)",
        "linux-386",
        [("spec/isa/x86.toml", 'stack_alloc = "subl ${bytes}, %esp"',
          'stack_alloc = "subl ${bytes}+4, %esp"'),
         ("spec/isa/x86.toml", 'stack_free = "addl ${bytes}, %esp"',
          'stack_free = "addl ${bytes}+4, %esp"')],
        False,
        r"FAIL trampgen_sigtramp: line \d+ `call trampgen_posix_dispatch`: SP at the call is entry "
        r"SP-48, 12 bytes off the 16-byte alignment the ABI requires at a call",
    ),
}


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def check(copy: Path, target: str, checker: str, cc: str, preserved: Path | None) -> subprocess.CompletedProcess:
    gen = run([sys.executable, "-m", "gen", "--root", str(copy), "generate", target], cwd=copy)
    if gen.returncode != 0:
        sys.exit(f"broken.py: the generator refused the spec, so this case tests spec validation, "
                 f"not the checker:\n{gen.stdout}")
    model, table = copy / "model.txt", copy / "table.txt"
    m = run([sys.executable, str(HERE / "model.py"), "--root", str(copy), target, "-o", str(model),
             "--table", str(table)])
    if m.returncode != 0:
        sys.exit(f"broken.py: model.py failed:\n{m.stdout}")
    cmd = [checker, str(model), str(copy / "out" / target / "trampolines.S"), "--table", str(table), "--cpp", cc]
    if preserved:
        cmd += ["--preserved", str(preserved)]
    return run(cmd)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("case", nargs="?")
    p.add_argument("--list", action="store_true")
    p.add_argument("--checker")
    p.add_argument("--cc", default="cc")
    a = p.parse_args()
    if a.list:
        print(";".join(CASES))          # a CMake list
        return 0
    if a.case not in CASES or not a.checker:
        p.error(f"need --checker and one of: {', '.join(CASES)}")
    what, target, edits, use_override, expect = CASES[a.case]
    print(f"broken.py {a.case}: {what} ({target})")
    with tempfile.TemporaryDirectory(prefix=f"trampgen-broken-{a.case}-") as tmp:
        copy = Path(tmp)
        for d in ("spec", "templates", "gen"):
            shutil.copytree(ROOT / d, copy / d, ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "out").mkdir()
        preserved = None
        if use_override:
            # The unbroken spec's preserved set, one name per line.
            model = run([sys.executable, str(HERE / "model.py"), "--root", str(ROOT), target]).stdout
            names = next(l.split()[1:] for l in model.splitlines() if l.startswith("preserved "))
            preserved = copy / "preserved.txt"
            preserved.write_text("# stands in for tests/oracle's measured set\n" + "\n".join(names) + "\n")

        control = check(copy, target, a.checker, a.cc, preserved)
        if control.returncode != 0:
            print(control.stdout)
            print("broken.py: the control (the unedited spec) does not pass; nothing is proven")
            return 1
        for rel, old, new in edits:
            path = copy / rel
            text = path.read_text()
            if text.count(old) != 1:
                print(f"broken.py: {rel} no longer holds {old!r} exactly once; update this case")
                return 1
            path.write_text(text.replace(old, new))
            print(f"  edit {rel}: {old}  ->  {new}")
        r = check(copy, target, a.checker, a.cc, preserved)
        print(r.stdout)
        if r.returncode != 1:
            print(f"broken.py: expected the checker to fail (exit 1), it exited {r.returncode}")
            return 1
        if not re.search(expect, r.stdout):
            print(f"broken.py: the checker failed, but not with the expected message /{expect}/")
            return 1
        print(f"broken.py {a.case}: caught, as expected: /{expect}/")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
