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
    source wrote, matching the statements' relocations where the printed
    operands do not show the symbol) and drop encoding qualifiers objdump
    adds (`qualifiers`);
  - where the ISA has delay slots (semantics.delay_slot in spec/semantics),
    the slot instructions objdump prints after a control transfer are
    written before it: they run before the transfer takes effect, which is
    how the source (whose slots the assembler filled) reads. A slot that
    the reordering would change the meaning of is refused: one that writes
    a register the transfer reads, or touches one it writes, is a branch
    target, is itself a transfer, or lies outside the function;
  - where the assembler needs a prefix before every register
    (asm.register_prefix), objdump's bare register names get it, so the
    output reads in the source's syntax.

A relocation against a symbol spelt like one of the ISA's registers means
the source named a register that the assembler took for a memory operand
or an address (an AT&T register without its `%`, say): that is refused
here, naming the instruction, since no reading of the text can see it.
Exit 0, or 1 with one line per problem; 2 when the disassembly cannot be had.
"""

from __future__ import annotations

import argparse
import dataclasses
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


RELOC_TYPE = re.compile(r"R_\S+")
# A register spelling in operand text: a name or, after a prefix, a number.
REG_TOKEN = re.compile(r"(?<![\w.$%])([$%]?)([A-Za-z_][\w.]*|(?<=[$%])\d+)(?![\w.$])")


@dataclasses.dataclass
class Facts:
    """What the conversion knows of the ISA: spec/isa (syntax, [disassembly]) and spec/semantics."""

    name: str
    comments: tuple[str, ...]
    registers: set[str]                       # register names of the ISA spec
    prefix: str | None = None                 # asm.register_prefix
    folds: list = dataclasses.field(default_factory=list)
    qualifiers: list = dataclasses.field(default_factory=list)
    delay_slot: int = 0                       # semantics.delay_slot
    forms: dict = dataclasses.field(default_factory=dict)       # semantics insn: mnemonic -> forms
    names: dict = dataclasses.field(default_factory=dict)       # spelling -> register (aliases, views)
    zero: set = dataclasses.field(default_factory=set)          # semantics.zero

    def reg(self, spelt: str) -> str | None:
        """The register a spelling names (prefix included or not), or None."""
        for name in (spelt, spelt[1:] if spelt[:1] in "$%" else None):
            if name is None:
                continue
            if name in self.registers:
                return name
            if name in self.names:
                return self.names[name]
        return None

    def bare_spellings(self) -> set[str]:
        return {n for n in self.registers | set(self.names) | self.zero if n[:1] not in "$%"}


def facts_of(isa) -> Facts:
    """The Facts of a loaded spec ISA (gen.spec.Isa, its semantics attached)."""
    registers = set(isa.reg_class) | {r[0] for r in isa.reg_whole.values()}
    dis = isa.disassembly
    sem = isa.semantics
    s = sem.data["semantics"] if sem else {}
    return Facts(name=isa.name, comments=tuple(isa.asm.comment), registers=registers,
                 prefix=isa.asm.register_prefix, folds=dis.get("fold", []), qualifiers=dis.get("qualifiers", []),
                 delay_slot=s.get("delay_slot", 0), forms=sem.data["insn"] if sem else {},
                 names={k: v[0] for k, v in sem.names.items()} if sem else {}, zero=set(s.get("zero", [])))


def symbols_of(text: str) -> dict[int, tuple[str, int, bool]]:
    """address -> (name, size, global) of every function symbol in .text, from `objdump -t`."""
    funcs = {}
    for line in text.splitlines():
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
    rx = rx.replace(re.escape("{reg}"), r"(?P<reg>[$%]?\w+)")
    return re.compile("^" + rx + "$")


def operands(text: str) -> tuple[str, list[str]]:
    """mnemonic, operands split at commas outside brackets."""
    mnem, _, rest = text.partition(" ")
    ops, depth, cur = [], 0, ""
    for ch in rest:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            ops.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        ops.append(cur.strip())
    return mnem, ops


def form_of(facts: Facts, text: str) -> dict | None:
    """The semantics form of a statement (by mnemonic and operand count), or None."""
    mnem, ops = operands(text)
    for form in facts.forms.get(mnem.lower(), []):
        if len(form["roles"]) == len(ops):
            return form
    return None


def effects(facts: Facts, text: str) -> tuple[set[str], set[str]]:
    """(registers read, registers written) by a statement, conservatively: an operand in a
    written role that is a register is written, every other register named is read. A
    statement the semantics do not know writes every register it names."""
    mnem, ops = operands(text)
    form = form_of(facts, text)
    reads, writes = set(), set()
    for k, op in enumerate(ops):
        named = {r for m in REG_TOKEN.finditer(op) if (r := facts.reg(m.group(1) + m.group(2)))}
        role = form["roles"][k] if form else "w"
        if "w" in role and len(named) == 1 and facts.reg(op) is not None:
            writes |= named
            if "r" in role:
                reads |= named
        else:
            reads |= named
    if form:
        reads |= set(form.get("reads", []))
        writes |= set(form.get("writes", [])) | set(form.get("clobbers", []))
        if form.get("target") not in (None, "stack"):
            reads.add(form["target"])
    return reads, writes


def convert(sym_text: str, dis_text: str, facts: Facts) -> tuple[list[tuple[int, str]], set[int], dict, list[str]]:
    """objdump -t and -dr output -> (statements as (address, text), label addresses, functions, problems)."""
    funcs = symbols_of(sym_text)
    ends = {addr: addr + size for addr, (name, size, g) in funcs.items()}
    registers = facts.registers

    # Pass 1: instructions and relocations, by address.
    insns: list[list] = []          # [addr, text, reloc symbol or None, [(type, symbol), ...]]
    in_text = False
    for line in dis_text.splitlines():
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
                insns[-1][3].append((m.group(2), sym))
            continue
        m = INSN.match(line)
        if m:
            insns.append([int(m.group(1), 16), strip_comment(m.group(2).strip(), facts.comments), None, []])

    # Keep what lies inside a function; note where branches land.
    starts = sorted(funcs)
    def owner(addr: int):
        for s in reversed(starts):
            if s <= addr:
                return s if addr < ends[s] else None
        return None
    insns = [i for i in insns if owner(i[0]) is not None]
    problems, labels, stmts = [], set(), []
    where = lambda addr, text: f"{funcs[owner(addr)][0]}+{addr - owner(addr)} `{text}`"
    for addr, text, reloc, relocs in insns:
        if reloc and reloc in registers:
            problems.append(f"FAIL {where(addr, text)}: refers to a "
                            f"symbol named {reloc}, which is a register of spec/isa/{facts.name}.toml: the "
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
        for q in facts.qualifiers:
            if mnem.endswith(q):
                mnem = mnem[: -len(q)]
        stmts.append((addr, normalize(mnem + " " + ops), relocs))

    # Fold expansions back into the pseudo-instruction the source wrote.
    folds = [([fold_pattern(s) for s in f["from"]], f.get("reloc") or [""] * len(f["from"]), f["to"])
             for f in facts.folds]
    folded: list[tuple[int, str]] = []
    i = 0
    while i < len(stmts):
        for pats, rels, to in folds:
            if i + len(pats) > len(stmts):
                continue
            seen: dict[str, str] = {}
            ok = True
            for k, rx in enumerate(pats):
                m = rx.match(stmts[i + k][1])
                got = dict(m.groupdict()) if m else {}
                if m and rels[k]:
                    rtype, _, want = rels[k].partition(" ")
                    syms = [sym for t, sym in stmts[i + k][2] if t == rtype]
                    if not syms:
                        m = None
                    elif want:
                        got["symbol"] = syms[0]
                if not m or any(seen.setdefault(n, v) != v for n, v in got.items()):
                    ok = False
                    break
            if ok:
                text = to
                for n, v in seen.items():
                    text = text.replace("{" + n + "}", v)
                folded.append((stmts[i][0], text))
                i += len(pats)
                break
        else:
            folded.append(stmts[i][:2])
            i += 1

    # Delay slots: what runs before a transfer takes effect is written before it.
    out: list[tuple[int, str]] = []
    i, n = 0, facts.delay_slot
    while i < len(folded):
        addr, text = folded[i]
        form = form_of(facts, text) if n else None
        if not form or "flow" not in form:
            out.append(folded[i])
            i += 1
            continue
        slots = folded[i + 1:i + 1 + n]
        why = None
        if len(slots) < n or any(owner(a) != owner(addr) for a, _ in slots):
            why = f"has {n} delay slot(s), but the function ends before them"
        reads, writes = effects(facts, text)
        for a, t in slots:
            if why:
                break
            f = form_of(facts, t)
            r, w = effects(facts, t)
            if a in labels or a in funcs:
                why = f"has its delay slot `{t}` at a branch target, which the reordering would move"
            elif f and "flow" in f:
                why = f"has a control transfer `{t}` in its delay slot"
            elif w & reads or (r | w) & writes:
                both = sorted((w & reads) | ((r | w) & writes))
                why = (f"has `{t}` in its delay slot, which touches {', '.join(both)} that the transfer "
                       "uses: run before the transfer it would not do what it does after it")
        if why:
            problems.append(f"FAIL {where(addr, text)}: {why}")
            out.append(folded[i])
            i += 1
            continue
        # The group keeps the transfer's address (its labels); the transfer goes last.
        out += [(addr, slots[0][1])] + [(slots[k - 1][0], slots[k][1]) for k in range(1, n)]
        out.append((slots[-1][0], text))
        i += 1 + n

    # The register prefix, where objdump leaves it out.
    if facts.prefix:
        bare = facts.bare_spellings()
        def pre(m: re.Match) -> str:
            return facts.prefix + m.group(2) if not m.group(1) and m.group(2) in bare else m.group(0)
        out = [(a, (lambda mn, ops: (mn + " " + REG_TOKEN.sub(pre, ops)).strip())(*t.partition(" ")[::2]))
               for a, t in out]
    return out, labels, funcs, problems


def render(out, labels, funcs, header: str) -> list[str]:
    lines = [header, "\t.text"]
    for addr, text in out:
        if addr in funcs:
            name, size, glob = funcs[addr]
            if glob:
                lines.append(f"\t.globl {name}")
            lines.append(f"{name}:")
        if addr in labels:
            lines.append(f".Ltg{addr:x}:")
        lines.append(f"\t{text}")
    return lines


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
    facts = facts_of(t.isa)
    sym_text = run([a.objdump, "-t", str(a.object)])
    if not symbols_of(sym_text):
        print(f"disasm.py: {a.object}: no function symbols in .text", file=sys.stderr)
        return 2
    out, labels, funcs, problems = convert(sym_text, run([a.objdump, "-dr", "--no-show-raw-insn", str(a.object)]),
                                           facts)
    lines = render(out, labels, funcs,
                   f"// {a.object.name} as {a.objdump} disassembles it (tests/checker/disasm.py). DO NOT EDIT.")
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text("\n".join(lines) + "\n")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
