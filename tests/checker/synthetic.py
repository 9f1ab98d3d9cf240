"""trampgen_check on a made-up target: how it reads a register prefix, relocations and GOT calls.

    python3 tests/checker/synthetic.py --checker PATH [--cc CC]

No spec/ file is involved: the model, the ISA table and the assembly are
written here, for an ISA with registers g0-g7, sp, lr whose assembler
needs `$` before every register (model `register_prefix $`). Each case
is an edit of one good program and the checker's expected verdict: the
good program passes (names, numbers through a table alias, a prefixed
zero name); a bare register name fails as the symbol the assembler would
take it for; an unknown prefixed name fails; and without a prefix in the
model the same program with bare names passes as before. Relocation
operators (`%hi(sym)`) and symbol differences are link-time immediates; a
register loaded through one of the table's address_relocations holds the
symbol's address, so a call through it calls the symbol (another
relocation's load does not); an entry may write the model's
`entry_address` register, and only then, and never an argument register
that is callee-saved as well.
Exit 0 when every case gives its verdict, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

MODEL = """\
target toy-os
isa toy
word 8
sp sp
pc pc
lr lr
call_pushes 0
align 16
shadow 0
outgoing 0
handler_pops 0
handler_args 3
register_prefix $
regs int 64 g0 g1 g2 g3 g4 g5 g6 g7 sp lr pc
args g0 g1 g2 g3
preserved g6 g7
reserved
scratch g4 g5
kind g3
return g0
dispatcher toy_dispatch
entry trampgen_toytramp 1
"""

TABLE = """\
source synthetic/toy.toml
sp sp
pc -
link lr
call_pushes no
zero gz $0
address_relocations got
alias $4 g4
alias $5 g5
insn li w,i
insn mv w,r op=move
insn addi w,r,i op=add
insn sd r,w op=move
insn ld w,r op=move
insn jal t flow=call writes=lr
insn jalr t flow=call writes=lr
insn b t flow=jump
insn jr t flow=jump
"""

GOOD = """\
\t.text
\t.globl trampgen_toytramp
trampgen_toytramp:
\tli $g3, 1
\tb trampgen_sigtramp
\t.globl trampgen_sigtramp
trampgen_sigtramp:
\taddi $sp, $sp, -32
\tsd $g6, 0($sp)
\tsd $g7, 8($sp)
\tsd $lr, 16($sp)
\tmv $g2, $0
\tjal toy_dispatch
\tld $g6, 0($sp)
\tld $g7, 8($sp)
\tld $lr, 16($sp)
\taddi $sp, $sp, 32
\tjr $lr
\t.globl trampgen_sigresume
trampgen_sigresume:
\tmv $sp, $4
\tjr $5
"""

# (name, model edit, program edit, expected: None to pass, else a line of the output)
CASES = [
    ("prefixed names, numbers and zero", None, None, None),
    ("a bare register name is a symbol", None, ("sd $g7, 8($sp)", "sd g7, 8($sp)"),
     "g7 is a register written without the prefix $: the assembler reads it as a symbol"),
    ("a bare base register too", None, ("ld $g6, 0($sp)", "ld $g6, 0(sp)"),
     "sp is a register written without the prefix $"),
    ("a bare jump target is a jump to a symbol", None, ("jr $5", "jr g5"),
     "g5 is a register written without the prefix $"),
    ("an unknown prefixed name", None, ("mv $g2, $0", "mv $g2, $q9"),
     "$q9 is not a register of the model (spec/) or the ISA table"),
    ("a number no alias names", None, ("jr $5", "jr $6"), "$6 is not a register of the model"),
    ("no prefix: bare names are registers", ("register_prefix $", "register_prefix -"),
     "bare", None),
    ("a relocation operator is a link-time value", None,
     ("mv $g2, $0", "li $g2, %hi(%neg(%gp_rel(trampgen_sigtramp)))"), None),
    ("so is a symbol difference", None, ("mv $g2, $0", "li $g2, trampgen_sigtramp - trampgen_toytramp"), None),
    ("an entry moves the entry address register to sigtramp's address", ("kind g3\n", "kind g3\nentry_address g5\n"),
     ("li $g3, 1\n", "li $g3, 1\n\taddi $g5, $g5, trampgen_sigtramp - trampgen_toytramp\n"), None),
    ("a call through a register loaded from the GOT calls the symbol", None,
     ("jal toy_dispatch", "ld $g5, %got(toy_dispatch)($g1)\n\tjalr $g5"), None),
    ("a load through another relocation is not an address", None,
     ("jal toy_dispatch", "ld $g5, %lo(toy_dispatch)($g1)\n\tjalr $g5"),
     "calls through a register; sigtramp calls only the dispatcher toy_dispatch"),
    ("an argument register that is callee-saved is not an entry's to write", ("args g0 g1 g2 g3\n", "args g0 g1 g2 g3 g6\n"),
     ("li $g3, 1\n", "li $g3, 1\n\tli $g6, 2\n"),
     "writes g6, which is not an argument register free in the handler call"),
    ("without an entry address register, an entry may not write it", None,
     ("li $g3, 1\n", "li $g3, 1\n\taddi $g5, $g5, trampgen_sigtramp - trampgen_toytramp\n"),
     "writes g5, which is not an argument register free in the handler call"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checker", required=True)
    ap.add_argument("--cc", default="cc")
    a = ap.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="trampgen-synthetic-") as tmp:
        d = Path(tmp)
        (d / "toy.tab").write_text(TABLE)
        for name, medit, pedit, want in CASES:
            model = MODEL.replace(*medit) if medit else MODEL
            if pedit == "bare":
                prog = GOOD.replace("$0", "gz").replace("$4", "g4").replace("$5", "g5").replace("$", "")
            elif pedit:
                assert GOOD.count(pedit[0]) == 1, pedit
                prog = GOOD.replace(*pedit)
            else:
                prog = GOOD
            (d / "toy.model").write_text(model)
            (d / "toy.S").write_text(prog)
            r = subprocess.run([a.checker, str(d / "toy.model"), str(d / "toy.S"), "--table", str(d / "toy.tab"),
                                "--cpp", a.cc], capture_output=True, text=True)
            out = r.stdout + r.stderr
            ok = r.returncode == 0 if want is None else r.returncode == 1 and want in out
            print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if want is None else f": {want}"))
            if not ok:
                failed += 1
                print(out)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
