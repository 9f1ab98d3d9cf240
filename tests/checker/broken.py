"""Negative tests of trampgen_check: deliberately broken specs it must refuse.

    python3 tests/checker/broken.py --list
    python3 tests/checker/broken.py CASE --checker PATH [--cc CC] [--target TARGET]

Each case copies spec/, templates/ and gen/ to a temporary tree, renders a
target there unchanged (the *control*: the checker must pass it, so the
failure below is the edit's doing and not the set-up's), then edits the
target's spec, renders again with `python3 -m gen --root COPY generate
TARGET`, and runs the checker on the result. The case passes when the
generator accepted the broken spec (spec validation cannot see these
mistakes; that is why the checker exists), the checker exits 1, and its
output matches the expected message.

Nothing here names an ISA, a target or a register; all of them come from
the parsed specs (tests/abi_edits/specedit.py):

- The target: each case says what it needs of one (a property of its
  target, ABI, ISA and OS spec). Of the targets in spec/target/ that have
  it, the case takes one whose ISA the fewest earlier cases (in the order
  below) took, then whose OS the fewest took, then the first by name: so
  the cases spread over the ISAs and OSes the spec has, and follow it when
  it changes. --target runs a case on another target that has the property.
- The edit: a value of the parsed target or ISA file is replaced (TOML
  loaded, the value changed, the file written back); no literal text of a
  spec file is matched or patched. A register the edit puts in an idiom is
  chosen by its role (argument, return, callee-saved, reserved, kind,
  scratch, SP/PC/link register, or none).
- The expected message: the checker's message with the registers and
  symbols the roles name (regex-escaped), and the instruction it quotes
  matched as any text.

The cases, what each needs, and its edit:

  sigresume-lr        a link register (calls do not push the return address):
                      idioms.jump_register := idioms.call_register, so
                      sigresume's jump links; the message names the link
                      register, the call_register mnemonic and SP
  unsaved-store       callee-saved int registers: idioms.store.int stores
                      the return register (if it is neither an argument nor
                      preserved) or else the first register with no role,
                      in place of {reg}; the message names the first
                      callee-saved int register and the OS's dispatcher
  unsaved-preserved   callee-saved int registers: the last one dropped from
                      abi.callee_saved.int, with --preserved holding the
                      unedited set; the message names the dropped register
  not-restored        callee-saved vector registers, restored one by one
                      (load.vector, not load_pair):
                      idioms.load.vector loads the first vector register that
                      is not callee-saved, in place of {reg}; the message
                      names the first callee-saved vector register
  entry-writes        an OS with entries (each loads the kind with the
                      load_const idiom): idioms.load_const loads a register
                      that is no argument, not preserved, not SP/PC/link, not
                      reserved and not the kind (one with no role first), in
                      place of {reg}; the message names it and the first entry
  pair-swapped        a store_pair.int idiom: {reg} and {reg2} swapped in it
                      (load_pair unchanged), so each register of a pair is
                      restored from the other's slot; the message names the
                      first callee-saved int register
  stack-unbalanced    differing stack_alloc and stack_free idioms:
                      idioms.stack_free := idioms.stack_alloc
  misaligned-call     calls do not push the return address, and a word is
                      not a multiple of the stack alignment: {bytes} in
                      idioms.stack_alloc and stack_free becomes
                      ({bytes}+WORD), WORD the ISA's word_bytes; the message
                      names the ABI's stack alignment
  misaligned-call-push  the same where calls push the return address

`preserved` cases pass the checker a --preserved file holding the unbroken
spec's callee-saved set, standing in for the compiler-measured result of
tests/oracle/: the spec under test then no longer judges itself.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests" / "abi_edits"))
import specedit  # noqa: E402
from specedit import EditError, TargetSpec  # noqa: E402

INSN = r"`[^`]+`"        # the instruction a FAIL line quotes


@dataclass
class Edit:
    file: str            # "isa" (the target's ISA file) or "target" (its own file)
    key: str             # a dotted key of that file
    new: object


@dataclass
class Plan:
    edits: list[Edit]
    expect: str                          # regex the checker's output must match
    preserved: list[str] | None = None   # the --preserved set, if the case passes one


class Case(NamedTuple):
    what: str                            # what the case proves
    needs: str                           # what it needs of a target
    plan: Callable[[TargetSpec], Plan]   # raises EditError where the target lacks it


# ---- roles and idioms of a parsed target --------------------------------------------------

def idiom(t: TargetSpec, key: str, field: str | None = None) -> str:
    """idioms.<key> of t's ISA; with field, it must hold {field} (e.g. {reg})."""
    try:
        text = specedit.get(t.isa, f"idioms.{key}")
    except KeyError:
        raise EditError(f"{t.isa_rel} has no idioms.{key}") from None
    if not isinstance(text, str):
        raise EditError(f"{t.isa_rel}: idioms.{key} is not one instruction")
    if field and f"{{{field}}}" not in text:
        raise EditError(f"{t.isa_rel}: idioms.{key} {text!r} has no {{{field}}}")
    return text


def callee_saved(t: TargetSpec, cls: str) -> list[str]:
    return list(t.abi.get("callee_saved", {}).get(cls, []))


def dispatcher(t: TargetSpec) -> str:
    return t.os["os"]["dispatcher"]


def esc(name: str) -> str:
    return re.escape(name)


# ---- the cases -----------------------------------------------------------------------------

def sigresume_lr(t: TargetSpec) -> Plan:
    i = t.isa["isa"]
    link = i.get("link_register")
    if not link or i["call_pushes_return_address"]:
        raise EditError("its ISA has no link register: calls push the return address")
    call, jump = idiom(t, "call_register", "reg"), idiom(t, "jump_register", "reg")
    if call == jump:
        raise EditError(f"{t.isa_rel}: idioms.jump_register is idioms.call_register already")
    mnemonic = call.split()[0]
    return Plan([Edit("isa", "idioms.jump_register", call)],
                rf"FAIL trampgen_sigresume: line \d+ {INSN}: writes {esc(link)} \(implicitly: "
                rf"{esc(mnemonic)} writes it\), but sigresume may write only {esc(i['stack_pointer'])}")


def not_saved(t: TargetSpec, reg: str) -> str:
    """The checker's message for a preserved register sigtramp does not save before the dispatcher call."""
    return (rf"FAIL trampgen_sigtramp: line \d+ {INSN}: {esc(reg)} is not saved before the call to "
            rf"{esc(dispatcher(t))} \(sigtramp keeps every preserved register itself\)")


def unsaved_store(t: TargetSpec) -> Plan:
    saved = callee_saved(t, "int")
    if not saved:
        raise EditError("its ABI has no callee-saved int registers")
    store = idiom(t, "store.int", "reg")
    roles = set(t.abi["int_args"]) | set(t.callee_saved_all()) | set(t.special())
    if t.abi["return"] not in roles:
        other = t.abi["return"]
    else:
        free = t.free_int_registers()
        if not free:
            raise EditError("its return register is an argument or preserved, and no int register has no role")
        other = free[0]
    return Plan([Edit("isa", "idioms.store.int", store.replace("{reg}", other))], not_saved(t, saved[0]))


def unsaved_preserved(t: TargetSpec) -> Plan:
    saved = callee_saved(t, "int")
    if not saved:
        raise EditError("its ABI has no callee-saved int registers")
    return Plan([Edit("target", "abi.callee_saved.int", saved[:-1])], not_saved(t, saved[-1]),
                preserved=t.callee_saved_all())


def not_restored(t: TargetSpec) -> Plan:
    saved = callee_saved(t, "vector")
    if not saved:
        raise EditError("its ABI has no callee-saved vector registers")
    load = idiom(t, "load.vector", "reg")
    others = [r for r in t.isa["registers"]["vector"]["names"] if r not in saved]
    if not others:
        raise EditError("every vector register of its ISA is callee-saved")
    if "vector" in t.isa["idioms"].get("load_pair", {}):
        # sigtramp restores them with load_pair, whose {reg} and {reg2} the
        # generator requires: pair-swapped is that case.
        raise EditError("its ISA restores vector registers in pairs (idioms.load_pair.vector)")
    return Plan([Edit("isa", "idioms.load.vector", load.replace("{reg}", others[0]))],
                rf"FAIL trampgen_sigtramp: line \d+ {INSN}: {esc(saved[0])} is not restored on this path")


def entry_writes(t: TargetSpec) -> Plan:
    entries = t.os.get("entry", [])
    if not entries:
        raise EditError("its OS has no entries, so nothing loads the kind with load_const")
    load = idiom(t, "load_const", "reg")
    roles = (set(t.abi["int_args"]) | set(t.callee_saved_all()) | set(t.special())
             | set(t.abi.get("reserved", {})) | {t.resume["kind_register"]})
    free = t.free_int_registers()
    others = free + [r for r in t.int_registers() if r not in roles and r not in free]
    if not others:
        raise EditError("every int register of its ISA is an argument, preserved, reserved, special or the kind")
    return Plan([Edit("isa", "idioms.load_const", load.replace("{reg}", others[0]))],
                rf"FAIL trampgen_{esc(entries[0]['name'])}: line \d+ {INSN}: writes {esc(others[0])}, which is "
                rf"not an argument register free in the handler call")


def pair_swapped(t: TargetSpec) -> Plan:
    saved = callee_saved(t, "int")
    if len(saved) < 2:
        raise EditError("its ABI has fewer than two callee-saved int registers to pair")
    if "int" in t.isa["idioms"].get("push_list", {}):
        raise EditError("its ISA pushes the int registers as a list (idioms.push_list.int), not in pairs")
    store = idiom(t, "store_pair.int", "reg2")
    swapped = store.replace("{reg}", "\0").replace("{reg2}", "{reg}").replace("\0", "{reg2}")
    return Plan([Edit("isa", "idioms.store_pair.int", swapped)],
                rf"FAIL trampgen_sigtramp: line \d+ {INSN}: {esc(saved[0])} is not restored on this path")


def stack_unbalanced(t: TargetSpec) -> Plan:
    alloc, free = idiom(t, "stack_alloc", "bytes"), idiom(t, "stack_free", "bytes")
    if alloc == free:
        raise EditError(f"{t.isa_rel}: idioms.stack_free is idioms.stack_alloc already")
    return Plan([Edit("isa", "idioms.stack_free", alloc)],
                rf"FAIL trampgen_sigtramp: line \d+ {INSN}: returns with SP \d+ bytes below its entry value: "
                rf"the stack adjustments do not balance")


def misaligned(pushes: bool) -> Callable[[TargetSpec], Plan]:
    def plan(t: TargetSpec) -> Plan:
        i = t.isa["isa"]
        if i["call_pushes_return_address"] != pushes:
            raise EditError("its ISA's call " + ("does not push" if pushes else "pushes") + " the return address")
        word, align = i["word_bytes"], t.abi["stack_alignment"]
        if word % align == 0:
            raise EditError(f"a word ({word} bytes) is a multiple of its stack alignment ({align}): "
                            "a word more cannot misalign the call")
        edits = [Edit("isa", f"idioms.{k}", idiom(t, k, "bytes").replace("{bytes}", f"({{bytes}}+{word})"))
                 for k in ("stack_alloc", "stack_free")]
        return Plan(edits, rf"FAIL trampgen_sigtramp: line \d+ {INSN}: SP at the call is entry SP-\d+, \d+ bytes "
                           rf"off the {align}-byte alignment the ABI requires at a call")
    return plan


CASES = {
    "sigresume-lr": Case(
        "sigresume writes only SP: a jump_register idiom that links writes the link register",
        "its ISA has a link register (calls do not push the return address)", sigresume_lr),
    "unsaved-store": Case(
        "sigtramp saves every preserved register: a store idiom that stores the wrong register",
        "its ABI has callee-saved int registers", unsaved_store),
    "unsaved-preserved": Case(
        "the clobber model comes from --preserved: a callee-saved register dropped from the spec "
        "is still one the ABI (the override) preserves",
        "its ABI has callee-saved int registers", unsaved_preserved),
    "not-restored": Case(
        "sigtramp restores on every path to a return: a vector load idiom that loads the wrong register",
        "its ABI has callee-saved vector registers, and its ISA restores them one by one (load.vector)",
        not_restored),
    "entry-writes": Case(
        "entries write only free argument registers: a load_const idiom that loads another register",
        "its OS has entries (which load the kind with load_const)", entry_writes),
    "pair-swapped": Case(
        "a pair store saves each register where the pair load restores it: a store_pair idiom with "
        "its two registers swapped",
        "its ISA has a store_pair.int idiom (and no push_list.int) and its ABI two callee-saved int registers", pair_swapped),
    "stack-unbalanced": Case(
        "stack adjustments balance: a stack_free idiom that allocates",
        "its ISA's stack_alloc and stack_free idioms differ", stack_unbalanced),
    "misaligned-call": Case(
        "the frame is ABI-aligned at the call: frame idioms that add a word",
        "its ISA's call does not push the return address, and a word misaligns its stack",
        misaligned(pushes=False)),
    "misaligned-call-push": Case(
        "the same where calls push the return address (entry SP is a word past alignment)",
        "its ISA's call pushes the return address, and a word misaligns its stack",
        misaligned(pushes=True)),
}


# ---- choosing the targets ------------------------------------------------------------------

def target_names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "spec" / "target").glob("*.toml"))


def fits(case: Case, t: TargetSpec) -> str | None:
    """None if t has what case needs, else why not."""
    sem = f"spec/semantics/{t.data['isa']}.toml"
    if not (t.root / sem).exists():
        return f"there is no {sem}, so the checker cannot judge its ISA"
    try:
        case.plan(t)
    except EditError as e:
        return str(e)
    return None


def choose(root: Path) -> dict[str, tuple[str | None, dict[str, str | None]]]:
    """Each case's target (None if no target fits) and, per target, why it does not fit (None: it does)."""
    specs = {n: TargetSpec(root, n) for n in target_names(root)}
    isas, oses = Counter(), Counter()
    picks = {}
    for name, case in CASES.items():
        why = {n: fits(case, t) for n, t in specs.items()}
        ok = [n for n in specs if why[n] is None]
        pick = min(ok, key=lambda n: (isas[specs[n].data["isa"]], oses[specs[n].data["os"]], n)) if ok else None
        if pick:
            isas[specs[pick].data["isa"]] += 1
            oses[specs[pick].data["os"]] += 1
        picks[name] = (pick, why)
    return picks


# ---- running a case ------------------------------------------------------------------------

def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)


def check(copy: Path, target: str, checker: str, cc: str, preserved: Path | None) -> subprocess.CompletedProcess:
    gen = run([sys.executable, "-m", "gen", "--root", copy, "generate", target], cwd=copy)
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
        cmd += ["--preserved", preserved]
    return run(cmd)


def apply(t: TargetSpec, edits: list[Edit]) -> None:
    for e in edits:
        data, rel = (t.isa, t.isa_rel) if e.file == "isa" else (t.data, t.rel)
        old = specedit.put(data, e.key, e.new)
        print(f"  edit {rel} {e.key}: {old!r} -> {e.new!r}")
    if any(e.file == "isa" for e in edits):
        t.save_isa()
    if any(e.file == "target" for e in edits):
        t.save()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("case", nargs="?")
    p.add_argument("--list", action="store_true")
    p.add_argument("--checker")
    p.add_argument("--cc", default="cc")
    p.add_argument("--target", help="run the case on this target (it must have what the case needs)")
    a = p.parse_args()
    if a.list:
        print(";".join(CASES))          # a CMake list
        return 0
    if a.case not in CASES or not a.checker:
        p.error(f"need --checker and one of: {', '.join(CASES)}")
    case = CASES[a.case]
    print(f"broken.py {a.case}: {case.what}")
    if a.target:
        if a.target not in target_names(ROOT):
            p.error(f"no spec/target/{a.target}.toml")
        why = fits(case, TargetSpec(ROOT, a.target))
        if why:
            print(f"broken.py: {a.target} does not have what {a.case} needs ({case.needs}): {why}")
            return 1
        target, how = a.target, "given by --target"
    else:
        target, why = choose(ROOT)[a.case]
        if not target:
            print(f"broken.py: no target has what {a.case} needs ({case.needs}):")
            for n, w in why.items():
                print(f"  {n}: {w}")
            return 1
        ok = [n for n, w in why.items() if w is None]
        how = (f"of {', '.join(ok)}, the one whose ISA, then OS, the fewest earlier cases took, "
               f"then the first by name")
    print(f"  target {target}: {case.needs}; {how}")

    with tempfile.TemporaryDirectory(prefix=f"trampgen-broken-{a.case}-") as tmp:
        copy = Path(tmp)
        specedit.copy_tree(ROOT, copy)
        (copy / "out").mkdir()
        t = TargetSpec(copy, target)
        plan = case.plan(t)
        preserved = None
        if plan.preserved is not None:
            # The unbroken spec's preserved set, one name per line.
            preserved = copy / "preserved.txt"
            preserved.write_text("# stands in for tests/oracle's measured set\n" + "\n".join(plan.preserved) + "\n")

        control = check(copy, target, a.checker, a.cc, preserved)
        if control.returncode != 0:
            print(control.stdout)
            print("broken.py: the control (the unedited spec) does not pass; nothing is proven")
            return 1
        apply(t, plan.edits)
        r = check(copy, target, a.checker, a.cc, preserved)
        print(r.stdout)
        if r.returncode != 1:
            print(f"broken.py: expected the checker to fail (exit 1), it exited {r.returncode}")
            return 1
        if not re.search(plan.expect, r.stdout):
            print(f"broken.py: the checker failed, but not with the expected message /{plan.expect}/")
            return 1
        print(f"broken.py {a.case}: caught, as expected: /{plan.expect}/")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
