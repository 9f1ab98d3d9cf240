"""The proof that reading the built object catches what reading the source cannot.

    python3 tests/checker/broken_disasm.py TARGET --checker PATH --cc CC --objdump OBJDUMP

A copy of spec/, templates/ and gen/ gets one broken idiom in TARGET's ISA
spec: the register operand of `jump_register` loses the syntax prefix the
ISA writes registers with (the characters right before `{reg}`, `%` in AT&T
syntax). The assembler takes the bare name for a symbol, and sigresume's
jump through its PC scratch register becomes a jump through memory at
that symbol: it assembles without a word (the build's fatal warnings see
nothing), and the source still reads as a jump through the register. The
case passes when all of that holds and the disassembly check fails naming
the register.

The edit is made on the parsed spec (tests/abi_edits/specedit.py). An ISA
whose jump_register has no prefix before {reg} cannot be broken this way:
the case is then skipped (exit 77) with that reason.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "abi_edits"))
import specedit  # noqa: E402


def run(cmd, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--checker", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--objdump", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="trampgen-broken-disasm-") as tmp:
        copy = Path(tmp) / "copy"
        specedit.copy_tree(ROOT, copy)
        t = specedit.TargetSpec(copy, a.target)
        isa_name, isa = t.data["isa"], t.isa
        old = isa["idioms"]["jump_register"]
        m = re.search(r"([^\w\s,(\[{*]+)\{reg\}", old)
        if not m:
            print(f"skipped: spec/isa/{isa_name}.toml idioms.jump_register {old!r} writes {{reg}} with no "
                  "prefix, so it cannot lose one")
            return 77
        new = old[:m.start(1)] + old[m.end(1):]
        isa["idioms"]["jump_register"] = new
        t.save_isa()
        print(f"broken_disasm.py: spec/isa/{isa_name}.toml idioms.jump_register {old!r} -> {new!r}")

        g = run([sys.executable, "-m", "gen", "--root", copy, "generate", a.target], cwd=copy)
        if g.returncode != 0:
            sys.exit(f"the generator refused the edit, so this proves nothing about the checker:\n{g.stdout}")
        out = copy / "out" / a.target
        model, table = Path(tmp) / "model", Path(tmp) / "table"
        m = run([sys.executable, ROOT / "tests/checker/model.py", "--root", copy, a.target, "-o", model,
                 "--table", table])
        if m.returncode == 77:
            print(m.stdout, end="")
            return 77
        if m.returncode:
            sys.exit(f"model.py failed:\n{m.stdout}")
        src = run([a.checker, model, out / "trampolines.S", "--table", table, "--cpp", a.cc])
        if src.returncode != 0:
            sys.exit(f"the checker already refuses the source, so this case does not show what reading the "
                     f"object adds:\n{src.stdout}")
        print("the source check passes it, as it must (the text still reads as a register jump)")
        obj = Path(tmp) / "trampolines.o"
        asm = run([a.cc, "-c", "-Wa,--fatal-warnings", "-x", "assembler-with-cpp", "-I", out,
                   out / "trampolines.S", "-o", obj])
        if asm.returncode != 0:
            sys.exit(f"the assembler refused the broken idiom, so it is not silent:\n{asm.stdout}")
        print("the assembler accepts it without a warning")
        dis = run([sys.executable, ROOT / "tests/checker/disasm.py", "--root", copy, a.target, a.objdump, obj,
                   "-o", Path(tmp) / "dis.s"])
        print(dis.stdout, end="")
        reg = t.data["resume"]["scratch"][1]
        want = rf"FAIL trampgen_sigresume\+\d+ .*refers to a symbol named {re.escape(reg)}, which is a register"
        if dis.returncode != 1 or not re.search(want, dis.stdout):
            sys.exit(f"the disassembly check did not fail naming {reg} (exit {dis.returncode})")
        chk = run([a.checker, model, Path(tmp) / "dis.s", "--table", table, "--cpp", a.cc])
        print(chk.stdout, end="")
        if chk.returncode != 1 or "FAIL trampgen_sigresume" not in chk.stdout:
            sys.exit(f"the checker passed the disassembly of a sigresume that jumps through memory (exit {chk.returncode})")
        print(f"failed as it must: sigresume jumps through memory at symbol {reg}, not through register {reg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
