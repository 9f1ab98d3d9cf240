"""Turn the disassembly of a built trampolines object into text trampgen_check reads.

    python3 tests/checker/disasm.py [--root ROOT] TARGET OBJDUMP OBJECT -o FILE

The checker judges the generated assembly source; this lets it judge what
the assembler made of it as well (issue 9, item 2). OBJDUMP (the target's
own binutils) disassembles OBJECT (`-dr` with the symbol table); this
script writes one statement per instruction in the assembler syntax the
checker lexes, with nothing of the source:

  - each function symbol of the object becomes a label (`.globl` when the
    symbol is global), and only the bytes inside a function's size count:
    alignment padding between functions is not code anyone runs;
  - addresses, encodings and objdump's comments (the ISA's own comment
    tokens, asm.comment in spec/isa) go; hexadecimal numbers become decimal;
  - a branch to `ADDR <symbol+off>` becomes the relocation's symbol where the
    object has one (an unlinked call or jump), else a label at ADDR;
  - the ISA's [disassembly] facts undo what the assembler expanded
    (`fold`: a statement sequence back into the pseudo-instruction the
    source wrote) and drop encoding qualifiers objdump adds (`qualifiers`).

A relocation against a symbol spelt like one of the ISA's registers means
the source named a register that the assembler took for a memory operand
or an address (an AT&T register without its `%`, say): that is refused
here, naming the instruction, since no reading of the text can see it.
Exit 0, or 1 with one line per problem; 2 when the disassembly cannot be had.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

SYMLINE = re.compile(r"^([0-9a-f]+)\s+(\S+)\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+(\S+)$")
FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\t(.*)$")
RELOC = re.compile(r"^\s*([0-9a-f]+): (R_\S+)\s+(\S+)$")
TARGET = re.compile(r"\b([0-9a-f]+) <([^>]+)>")
HEX = re.compile(r"(?<![\w.])(-?)0x([0-9a-fA-F]+)\b")


def symbols(objdump: str, obj: Path) -> dict[int, tuple[str, int, bool]]:
    """address -> (name, size, global) of every function symbol in .text."""
    out = run([objdump, "-t", str(obj)])
    funcs = {}
    for line in out.splitlines():
        # "0000000000000002 g     F .text	000000000000000a trampgen_signaltramp"
        parts = line.split()
        if len(parts) < 5 or not re.fullmatch(r"[0-9a-f]+", parts[0]):
            continue
        flags = line[len(parts[0]) + 1:len(parts[0]) + 8]
        rest = line[len(parts[0]) + 8:].split()
        if "F" not in flags or len(rest) < 3 or rest[0] != ".text":
            continue
        funcs[int(parts[0], 16)] = (rest[-1], int(rest[1], 16), "g" in flags)
    return funcs


def run(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"disasm.py: cannot run {cmd[0]}: {e}")
    if p.returncode != 0:
        sys.exit(f"disasm.py: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


def strip_comment(text: str, tokens: tuple[str, ...]) -> str:
    cut = len(text)
    for tok in tokens:
        k = text.find(tok)
        if k >= 0:
            cut = min(cut, k)
    return text[:cut].rstrip()


def normalize(stmt: str) -> str:
    """One space after the mnemonic and after each comma, none elsewhere around commas."""
    mnem, _, ops = re.sub(r"\s+", " ", stmt.strip()).partition(" ")
    ops = re.sub(r"\s*,\s*", ", ", re.sub(r"\s+", " ", ops.strip()))
    return (mnem + " " + ops).strip()


def fold_pattern(stmt: str) -> re.Pattern:
    """A [disassembly] fold statement as a regex: {symbol} and {reg} capture."""
    rx = re.escape(normalize(stmt))
    rx = rx.replace(re.escape("{symbol}"), r"(?P<symbol>[A-Za-z_.$][\w.$]*)")
    rx = rx.replace(re.escape("{reg}"), r"(?P<reg>\w+)")
    return re.compile("^" + rx + "$")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    ap.add_argument("target")
    ap.add_argument("objdump")
    ap.add_argument("object", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args(argv)

    sys.path.insert(0, str(a.root.resolve()))
    from gen import spec  # noqa: E402  (the tree being checked)
    try:
        (t,) = spec.load(a.root.resolve(), [a.target])
    except spec.SpecErrors as e:
        print(f"disasm.py: {a.target}: {e}", file=sys.stderr)
        return 2
    isa = t.isa
    registers = set(isa.reg_class) | {n for r in isa.reg_whole.values() for n in [r[0]]}
    dis = isa.disassembly
    comments = tuple(isa.asm.comment)

    funcs = symbols(a.objdump, a.object)
    if not funcs:
        print(f"disasm.py: {a.object}: no function symbols in .text", file=sys.stderr)
        return 2
    ends = {addr: addr + size for addr, (name, size, g) in funcs.items()}

    # Pass 1: instructions and relocations, by address.
    insns: list[list] = []          # [addr, text, reloc symbol or None]
    in_text = False
    for line in run([a.objdump, "-dr", "--no-show-raw-insn", str(a.object)]).splitlines():
        if line.startswith("Disassembly of section "):
            in_text = line.rstrip(":").split()[-1] == ".text"
            continue
        if not in_text:
            continue
        m = RELOC.match(line)
        if m and insns:
            sym = re.sub(r"[+-]0x[0-9a-f]+$", "", m.group(3))
            if sym != "*ABS*" and not sym.startswith("*"):
                insns[-1][2] = sym
            continue
        m = INSN.match(line)
        if m:
            insns.append([int(m.group(1), 16), strip_comment(m.group(2).strip(), comments), None])

    # Keep what lies inside a function; note where branches land.
    starts = sorted(funcs)
    def owner(addr: int):
        for s in reversed(starts):
            if s <= addr:
                return s if addr < ends[s] else None
        return None
    insns = [i for i in insns if owner(i[0]) is not None]
    problems, labels, stmts = [], set(), []
    for addr, text, reloc in insns:
        if reloc and reloc in registers:
            problems.append(f"FAIL {funcs[owner(addr)][0]}+{addr - owner(addr)} `{text}`: refers to a "
                            f"symbol named {reloc}, which is a register of spec/isa/{isa.name}.toml: the "
                            "source's register operand was assembled as a memory operand or an address")
        def target(m: re.Match) -> str:
            if reloc:
                return reloc
            dest = int(m.group(1), 16)
            if dest in funcs and dest not in labels:
                return funcs[dest][0]
            labels.add(dest)
            return f".Ltg{dest:x}"
        text = TARGET.sub(target, text)
        if reloc in registers:
            reloc = None                # leave the number: it is not the register the source meant
        if reloc and not TARGET.search(text):
            # A relocated field printed as a number (an unlinked address or
            # offset): the relocation's symbol is what the source wrote.
            text = re.sub(r"(?<![\w.])0x0\b", reloc, text, count=1)
        text = HEX.sub(lambda m: m.group(1) + str(int(m.group(2), 16)), text)
        mnem, _, ops = re.sub(r"\s+", " ", text).partition(" ")
        for q in dis.get("qualifiers", []):
            if mnem.endswith(q):
                mnem = mnem[: -len(q)]
        stmts.append((addr, normalize(mnem + " " + ops)))

    # Fold expansions back into the pseudo-instruction the source wrote.
    folds = [([fold_pattern(s) for s in f["from"]], f["to"]) for f in dis.get("fold", [])]
    out_stmts: list[tuple[int, str]] = []
    i = 0
    while i < len(stmts):
        for pats, to in folds:
            if i + len(pats) > len(stmts):
                continue
            seen: dict[str, str] = {}
            ok = True
            for k, rx in enumerate(pats):
                m = rx.match(stmts[i + k][1])
                if not m or any(seen.setdefault(n, v) != v for n, v in m.groupdict().items()):
                    ok = False
                    break
            if ok:
                text = to
                for n, v in seen.items():
                    text = text.replace("{" + n + "}", v)
                out_stmts.append((stmts[i][0], text))
                i += len(pats)
                break
        else:
            out_stmts.append(stmts[i])
            i += 1

    lines = [f"// {a.object.name} as {a.objdump} disassembles it (tests/checker/disasm.py). DO NOT EDIT.",
             "\t.text"]
    for addr, text in out_stmts:
        if addr in funcs:
            name, size, glob = funcs[addr]
            if glob:
                lines.append(f"\t.globl {name}")
            lines.append(f"{name}:")
        if addr in labels:
            lines.append(f".Ltg{addr:x}:")
        lines.append(f"\t{text}")
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text("\n".join(lines) + "\n")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
