"""The compiler as ABI oracle: which registers does a target's own C compiler preserve?

    oracle.py TARGET ROOT RESULT [--spec-root DIR] -- CC [FLAGS...]

For every register of spec/isa/<isa>.toml (every class), compile with the
target's own compiler (CC FLAGS..., as CMake knows them)

    void f(void) { __asm__ volatile("" ::: "<reg>"); }

and read the prologue/epilogue. The asm body is empty, so any mention of the
register in the code the compiler emitted (beyond what it emits for an asm
with no clobbers) is a save or a restore: the compiler considers it
callee-saved. No mention: caller-saved (volatile). A compile error or
warning (-Werror): the compiler will not let code name it ("refused": the
stack pointer, the program counter, registers it does not know). Then compare with spec/target/TARGET.toml and
print a table; exit 1 naming the target and each register that differs,
0 when they agree, 2 on a usage or setup error.

RESULT FILE (written on every run, agreeing or not; for other tests, e.g. a
register-preservation harness that needs "what must be preserved"):
one line per register of the ISA, in the ISA's order, plain ASCII:

    <reg> preserved <bits>    a callee saves and restores the low <bits> bits
    <reg> volatile            a callee may change it
    <reg> refused             the compiler will not let code name it
    # ...                     a comment: ignore (the header, and the ISA's
                              stack pointer, program counter and link
                              register, which the call/return discipline
                              governs, not the save set; see RULES)

<reg> is the spec's name. Nothing else appears; blank lines do not occur.
A register the compiler never allocates (a fixed register, such as a global
pointer) usually reads "volatile": the compiler ignores its clobber. That it
must never be touched is the spec's to say (abi.reserved), not the compiler's.

RULES (what "agree" means):
- The ISA's stack pointer, program counter and link register are not
  compared. A compiler saves the link register when an asm clobbers it only
  because it needs it to return, and a caller's value of it is destroyed by
  the call itself; the stack pointer and program counter it must refuse
  or ignore.
- A register in abi.callee_saved.CLASS must be "preserved", with <bits>
  equal to the spec's width of CLASS. Where the spec's name is a view of a
  wider register (a 64-bit view of a 128-bit vector register), the clobber
  names the whole register (oracle.clobber in spec/isa/<isa>.toml), so the
  bits measured are what the compiler really keeps of it.
- abi.global_pointer's register, where abi.callee_saved does not list it,
  must not be "preserved"; the compiler may refuse it (its PIC register).
- A register in abi.reserved must not be "preserved": the compiler may
  refuse it, or accept and ignore it (GCC and clang ignore clobbers of fixed
  registers: a platform register, a global or thread pointer).
- Any other register must be "volatile". A "refused" register that is not
  special or reserved is a difference: the spec does not say why it is unusable.
- A clobber that changes the code without any spelling of the register in
  the change is not read at all: the oracle stops (exit 2) and asks for the
  spelling in spec/isa/<isa>.toml [oracle], rather than call it "volatile".
- The frame pointer. With -fomit-frame-pointer most compilers treat it as an
  ordinary callee-saved register and save it when clobbered. Some (GCC 12
  for one target here) silently ignore a clobber of it instead, though
  the ABI makes it callee-saved and the compiler itself saves it in every
  frame that uses it. So a
  register that comes out "volatile" is re-examined: if it is the register
  the compiler sets up as the frame pointer (it appears in a non-leaf
  function compiled with -fno-omit-frame-pointer and not in the same
  function compiled with -fomit-frame-pointer), it is "preserved", with the
  width of that save, and the table says why.
- The global pointer. A compiler for PIC code refuses a clobber of the
  register it keeps its GOT pointer in (GCC: "PIC register clobbered"), yet where the ABI makes it callee-saved every function that
  sets it up keeps the caller's value. So a register that comes out
  "refused" is re-examined in the non-leaf function: if two of its lines
  name the register and the stack pointer with the same operands and
  different mnemonics (a store to a stack slot and the load back from it),
  it is "preserved", with the width of that save, and the table says why.
  Where the caller restores it instead, no such pair appears and
  it stays "refused".

Per-ISA spellings (the clobber-list name when it differs from the spec's, the
names an assembly listing may print, save widths written in the mnemonic),
and flags the measurement needs (GCC's -mflat, so that a clobber shows as a
save rather than as a register window that hides every register), are data in spec/isa/<isa>.toml [oracle] (docs/spec.md), read through the
generator's loader (gen.spec.load), never code here.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
from pathlib import Path


# -S to read the code; -O2 so nothing is spilled that need not be; no unwind
# tables (their directives are filtered anyway, but less to read); the frame
# pointer omitted so it is an ordinary register wherever the compiler allows;
# -Werror so that a warning about naming a register (GCC: "listing the stack
# pointer register in a clobber list is deprecated") counts as a refusal.
BASE_FLAGS = ["-O2", "-S", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-Werror"]
LEAF = 'void f(void) { __asm__ volatile("" ::: %s); }\n'
# A function that needs a frame and really calls: the frame pointer probe.
NONLEAF = "void g(char *); void f(void) { char b[16]; g(b); }\n"


def special_registers(isa) -> dict[str, str]:
    """The registers the call/return discipline governs, not the save set: name -> what it is."""
    special = {isa.stack_pointer: "stack pointer", isa.program_counter: "program counter"}
    if isa.next_pc:
        special[isa.next_pc["register"]] = "next program counter"
    if isa.link_register:
        special[isa.link_register] = "link register"
    return special


def setup_error(msg: str):
    # Exit 2, not 1: nothing was compared, so no register "differs".
    print(f"abi-oracle: {msg}", file=sys.stderr)
    sys.exit(2)


def compile_c(cc: list[str], source: str, extra: list[str]) -> tuple[bool, list[str], str]:
    """Compile source from stdin; return (ok, instruction lines, diagnostics)."""
    # LC_ALL=C: plain ASCII diagnostics, quoted in the table.
    p = subprocess.run(cc + BASE_FLAGS + extra + ["-x", "c", "-o", "-", "-"],
                       input=source, capture_output=True, text=True,
                       env={**os.environ, "LC_ALL": "C"})
    if p.returncode != 0:
        return False, [], p.stderr.strip()
    return True, instructions(p.stdout), p.stderr


def instructions(asm: str) -> list[str]:
    """The instruction lines of an assembly listing.

    GCC and clang indent instructions and write labels at column 0; whole-line
    comments and directives start with one of . # @ / ; (per assembler)."""
    out = []
    for line in asm.splitlines():
        if not line[:1].isspace():
            continue
        line = line.split("//", 1)[0].strip()
        if line and line[0] not in ".#@/;":
            out.append(line)
    return out


def token(name: str) -> re.Pattern:
    # A register name as a whole operand: not part of a longer name (a name
    # that is a prefix of another) nor of a suffix (the .64 of a mnemonic),
    # whatever prefix the syntax uses (%).
    return re.compile(r"(?<![\w.])" + re.escape(name) + r"(?![\w])")


class Spellings:
    """How the ISA's compilers spell its registers: spec/isa/<isa>.toml [oracle],
    as the generator's loader expands it (gen/spec.py IsaOracle)."""

    def __init__(self, isa):
        self.oracle = isa.oracle

    def clobber(self, reg: str) -> str:
        return self.oracle.clobber[reg]

    def views(self, reg: str) -> list[tuple[str, int]]:
        """(spelling, bits) pairs an assembly listing may use for reg, its own name first."""
        return list(self.oracle.spellings[reg].items())

    def saved_bits(self, lines: list[str], views: list[tuple[str, int]]) -> int | None:
        """Bits of the register the lines save or restore; None if they do not mention it."""
        best = None
        for line in lines:
            for name, bits in views:
                if token(name).search(line):
                    # A store whose mnemonic says the width (oracle.save_width).
                    bits = self.oracle.save_width.get(line.split()[0], bits)
                    best = bits if best is None else max(best, bits)
                    break
        return best


def frame_pointer(isa, data: Spellings, on, off) -> tuple[str | None, list[str]]:
    """The register a frame-pointer build of the same function sets up, and its lines.

    It is the one register, other than the stack pointer, program counter and
    link register, that the -fno-omit-frame-pointer build names on a line
    together with the stack pointer (the frame set-up) and the
    -fomit-frame-pointer build never names. A scratch register that merely
    moves from stack- to frame-pointer addressing is named by both builds, so
    it is not taken; with no single such register, there is no frame-pointer
    rule to apply."""
    (on_ok, on_lines, _), (off_ok, off_lines, _) = on, off
    if not (on_ok and off_ok):
        return None, []
    special = special_registers(isa)
    stack = [token(v) for v, _ in data.views(isa.stack_pointer)]
    found = []
    for r in isa.reg_class:
        if r in special:
            continue
        names = [token(v) for v, _ in data.views(r)]
        named = lambda line: any(n.search(line) for n in names)
        if any(named(l) for l in off_lines):
            continue
        if any(named(l) and any(s.search(l) for s in stack) for l in on_lines):
            found.append(r)
    if len(found) != 1:
        return None, []
    return found[0], [l for l in on_lines if l not in set(off_lines)]


def kept_in_frame(isa, data: Spellings, lines: list[str], reg: str) -> int | None:
    """Bits of reg a function saves to a stack slot and loads back from it, or None.

    A save and its restore are two lines with the same operands, naming reg
    and the stack pointer, under different mnemonics (`sd $28,16($sp)` and
    `ld $28,16($sp)`)."""
    names = [token(v) for v, _ in data.views(reg)]
    stack = [token(v) for v, _ in data.views(isa.stack_pointer)]
    slots = {}
    def split(line):
        mnemonic, *rest = line.split(None, 1)
        return mnemonic, "".join("".join(rest).split())
    for line in lines:
        mnemonic, operands = split(line)
        if any(n.search(operands) for n in names) and any(t.search(operands) for t in stack):
            slots.setdefault(operands, set()).add(mnemonic)
    pairs = {ops for ops, mnemonics in slots.items() if len(mnemonics) >= 2}
    if not pairs:
        return None
    return data.saved_bits([l for l in lines if split(l)[1] in pairs], data.views(reg))


def observe(cc: list[str], isa, data: Spellings) -> tuple[dict, dict]:
    """Compile one clobber per register; return ({reg: (verdict, bits)}, {reg: note})."""
    regs = list(isa.reg_class)
    # The ISA's own measurement flags (spec/isa [oracle] flags), on every compile.
    cc = cc + list(isa.oracle.flags)
    omit = ["-fomit-frame-pointer"]
    # The baseline first, alone: a compiler that does not run fails once, here.
    try:
        ok, baseline, diag = compile_c(cc, LEAF % "", omit)
    except OSError as e:
        setup_error(f"cannot run {cc[0]}: {e}")
    if not ok:
        setup_error(f"the compiler cannot compile an empty asm statement:\n{diag}")
    jobs = {}
    for r in regs:
        jobs[r] = (LEAF % f'"{data.clobber(r)}"', omit)
    jobs["frame-on"] = (NONLEAF, ["-fno-omit-frame-pointer", "-fno-optimize-sibling-calls"])
    jobs["frame-off"] = (NONLEAF, ["-fomit-frame-pointer", "-fno-optimize-sibling-calls"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        futs = {k: pool.submit(compile_c, cc, src, extra) for k, (src, extra) in jobs.items()}
        res = {k: f.result() for k, f in futs.items()}
    # A compiler for another ISA knows none of these names: say so once,
    # rather than report every register as a difference.
    if all(not res[r][0] for r in regs):
        setup_error(f"the compiler accepts none of spec/isa/{isa.name}.toml's registers in a "
                    f"clobber list: is it this target's compiler?\n{res[regs[0]][2]}")
    base = set(baseline)
    special = special_registers(isa)
    unread = []
    frame_reg, frame_lines = frame_pointer(isa, data, res["frame-on"], res["frame-off"])
    observed, notes = {}, {}
    for r in regs:
        ok, lines, diag = res[r]
        views = data.views(r)
        if not ok:
            first = next((l for l in diag.splitlines() if "error" in l), diag.splitlines()[0] if diag else "")
            why = first.split("error:", 1)[-1].strip()
            kept = (kept_in_frame(isa, data, res["frame-off"][1], r)
                    if r not in special and res["frame-off"][0] else None)
            if kept is not None:
                observed[r] = ("preserved", kept)
                notes[r] = f"{why}; but a function that calls saves it and loads it back"
            else:
                observed[r] = ("refused", None)
                notes[r] = why
            continue
        changed = [l for l in lines if l not in base]
        bits = data.saved_bits(changed, views)
        if bits is not None:
            observed[r] = ("preserved", bits)
            continue
        frame_bits = data.saved_bits(frame_lines, views) if r == frame_reg else None
        if frame_bits is not None:
            observed[r] = ("preserved", frame_bits)
            notes[r] = "frame pointer: the clobber is ignored, but every frame that uses it saves it"
        else:
            observed[r] = ("volatile", None)
            if changed and r not in special:
                unread.append(f"  {r} (clobbered as {data.clobber(r)!r}): " + "; ".join(changed))
    # The clobber changed the code, yet no spelling of the register is in the
    # change: the listing names it some way the spec does not know. Calling
    # it "volatile" could be wrong; say what is missing instead.
    if unread:
        setup_error(f"the compiler's code for these clobbers changed without naming the register "
                    f"by any spelling spec/isa/{isa.name}.toml knows (its own name, "
                    f"oracle.aliases, oracle.views): add the spelling there\n" + "\n".join(unread))
    return observed, notes


def load_target(code_root: Path, spec_root: Path, name: str):
    sys.path.insert(0, str(code_root))
    from gen import spec  # the project's own loader and validation
    try:
        return spec.load(spec_root, [name])[0]
    except spec.SpecErrors as e:
        setup_error(f"{name}: the spec does not load:\n{e}")


def compare(t, observed: dict) -> tuple[list, list]:
    """Rows (reg, class, compiler, spec, verdict) and the differences (reg, reason)."""
    isa = t.isa
    special = special_registers(isa)
    saved = {r: cls for cls, regs in t.callee_saved.items() for r in regs}
    rows, diffs = [], []
    for r, (verdict, bits) in observed.items():
        cls = isa.reg_class[r]
        says = f"preserved {bits}" if verdict == "preserved" else verdict
        want_bits = isa.reg_width[r]
        if r in special:
            spec_says, problem = f"special ({special[r]})", None
        elif r in saved:
            spec_says = f"callee-saved {want_bits}"
            if verdict != "preserved":
                problem = (f"spec/target/{t.name}.toml abi.callee_saved.{cls} lists it, "
                           f"but the compiler says {verdict}")
            elif bits != want_bits:
                problem = (f"the compiler preserves {bits} bits of it, but the spec's "
                           f"{cls} registers are {want_bits} bits (spec/isa/{isa.name}.toml "
                           f"registers.{cls}.width)")
            else:
                problem = None
        elif t.global_pointer and r == t.global_pointer["register"]:
            # Not callee-saved (each caller reloads its own): the
            # compiler refuses a clobber of its PIC register, and must not keep it.
            spec_says = "global pointer"
            problem = (f"the compiler saves it ({bits} bits), but spec/target/{t.name}.toml "
                       f"abi.callee_saved.{cls} does not list it" if verdict == "preserved" else None)
        elif r in (t.reserved or {}):
            spec_says = "reserved"
            problem = (f"abi.reserved lists it, but the compiler allocates and saves it ({bits} bits)"
                       if verdict == "preserved" else None)
        else:
            spec_says = "volatile"
            if verdict == "preserved":
                problem = (f"the compiler saves it ({bits} bits), but spec/target/{t.name}.toml "
                           f"abi.callee_saved.{cls} does not list it")
            elif verdict == "refused":
                problem = ("the compiler refuses to name it, but the spec neither reserves it "
                           "(abi.reserved) nor makes it the stack pointer, program counter or link register")
            else:
                problem = None
        rows.append((r, cls, says, spec_says, "DIFFERS" if problem else "ok"))
        if problem:
            diffs.append((r, problem))
    return rows, diffs


def write_result(path: Path, t, cc: list[str], observed: dict) -> None:
    isa = t.isa
    special = special_registers(isa)
    lines = [f"# abi-oracle result for {t.name} (spec/isa/{isa.name}.toml registers), "
             f"from: {' '.join(cc)}",
             "# format: '<reg> preserved <bits>' | '<reg> volatile' | '<reg> refused'; '#' lines are comments"]
    for r, (verdict, bits) in observed.items():
        text = f"{r} preserved {bits}" if verdict == "preserved" else f"{r} {verdict}"
        lines.append(f"# {text} (special: not an ABI save-set register)" if r in special else text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    i = argv.index("--")
    ap = argparse.ArgumentParser(prog="oracle.py")
    ap.add_argument("target")
    ap.add_argument("root", type=Path, help="the trampgen source tree")
    ap.add_argument("result", type=Path, help="where to write the result file")
    ap.add_argument("--spec-root", type=Path, help="read spec/ from this tree instead of ROOT")
    args = ap.parse_args(argv[:i])
    cc = argv[i + 1:]
    if not cc:
        ap.error("no compiler after --")
    t = load_target(args.root.resolve(), (args.spec_root or args.root).resolve(), args.target)
    observed, notes = observe(cc, t.isa, Spellings(t.isa))
    write_result(args.result, t, cc, observed)
    rows, diffs = compare(t, observed)

    print(f"abi-oracle: {t.name}: {' '.join(cc)}")
    head = ("register", "class", "compiler says", "spec says", "")
    w = [max(len(str(x[k])) for x in rows + [head]) for k in range(4)]
    for row in [head] + rows:
        line = "  ".join(str(row[k]).ljust(w[k]) for k in range(4)) + "  " + row[4]
        note = notes.get(row[0]) if row is not head else None
        print((line + (f"  ({note})" if note else "")).rstrip())
    print(f"abi-oracle: result file {args.result}")
    if diffs:
        for r, why in diffs:
            print(f"abi-oracle: DIFFERENCE {t.name} {r}: {why}")
        print(f"abi-oracle: {t.name}: {len(diffs)} register(s) differ from the spec")
        return 1
    print(f"abi-oracle: {t.name}: the compiler and the spec agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
