"""spec/semantics/NAME.toml: what an ISA's instructions do, for the checker.

The checker (tests/checker) judges the idioms of spec/isa/NAME.toml by these
semantics, so they come from the architecture manual and never from the
idioms: a wrong idiom is exactly what they must catch. The file is optional
for generation (out/ does not depend on it): an ISA without one generates,
and its checker tests say they are skipped and why. A file that exists but is
wrong is refused like any other spec file, with file, key and reason.

`table_text` renders the plain-text table trampgen_check reads (one fact per
line; the C side splits on whitespace): the checker stays a small C program
with no TOML parser, and the file a user edits is TOML like the rest of spec/.
"""

from __future__ import annotations

import dataclasses
import os
import re

from .schema import key_path

_RANGE = re.compile(r"(.*)\{(\d+)\.\.(\d+)(?:\.\.(\d+))?\}(.*)")
MAX_EXPANSION = 256     # names one pattern may stand for
MAX_DELAY_SLOT = 8      # instructions after a transfer that run before it (semantics.delay_slot)


@dataclasses.dataclass
class Semantics:
    rel: str                            # spec/semantics/NAME.toml
    data: dict                          # the parsed, validated file
    names: dict[str, tuple[str, bool]]  # alias or view name -> (model register, partial)


def expand(pattern: str) -> list[str] | None:
    """NAME{a..b[..step]}SUFFIX -> the names it stands for; a plain name -> itself; None if malformed."""
    m = _RANGE.fullmatch(pattern)
    if not m:
        return None if "{" in pattern or "}" in pattern else [pattern]
    pre, lo, hi, step, post = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4) or 1), m.group(5)
    if step < 1 or hi < lo or (hi - lo) // step + 1 > MAX_EXPANSION:
        return None
    return [f"{pre}{i}{post}" for i in range(lo, hi + 1, step)]


def load(ld, isa) -> Semantics | None:
    """isa's semantics file, checked against isa's registers; None when there is none or it is wrong."""
    rel = f"spec/semantics/{isa.name}.toml"
    if not os.path.lexists(ld.root / rel):
        return None
    src = ld.read("semantics", isa.name, None, "(file)", "semantics")
    if src is None:
        return None
    n = len(ld.errors)
    err = lambda key, reason: ld.error(src, key, reason)
    d = src.data
    regs = isa.reg_class
    isa_rel = isa.src.rel

    def model(key: str, reg: str) -> bool:
        if reg not in regs:
            err(key, f"{reg!r} is not a register of {isa_rel} (registers.*)")
            return False
        return True

    s = d["semantics"]
    for k in ("sp", "pc", "link"):
        if k in s:
            model(f"semantics.{k}", s[k])
    if s["sp"] != isa.stack_pointer:
        err("semantics.sp", f"{s['sp']!r}, but {isa_rel} isa.stack_pointer is {isa.stack_pointer!r}")

    prefix = getattr(getattr(isa, "asm", None), "register_prefix", None)

    def spelling(key: str, name: str) -> bool:
        """A name the assembler can read as a register: bare, or with the ISA's prefix where bare
        would not do (a number)."""
        if not name:
            err(key, "an empty name")
            return False
        if name[0] in "$%":
            if name[:1] != prefix:
                err(key, f"{name!r} starts with {name[0]!r}, but {isa_rel} asm.register_prefix is "
                    + (f"{prefix!r}" if prefix else "absent (registers are bare names)"))
                return False
            if name[1:] in regs or not name[1:]:
                err(key, f"{name!r}: every register takes the prefix {prefix!r}; name the register itself")
                return False
        elif name[:1].isdigit():
            err(key, f"{name!r} is a number, not a register name"
                + (f"; write the register's number with its prefix ({prefix}{name})" if prefix else ""))
            return False
        return True

    for k, z in enumerate(s.get("zero", [])):
        spelling(f"semantics.zero[{k}]", z)
    if "delay_slot" in s and s["delay_slot"] > MAX_DELAY_SLOT:
        err("semantics.delay_slot", f"{s['delay_slot']} instructions; an ISA's delay slots are at most "
            f"{MAX_DELAY_SLOT}")

    names: dict[str, tuple[str, bool]] = {}
    for table, partial in (("aliases", False), ("views", True)):
        for key, target in d.get(table, {}).items():
            path = key_path(table, key)
            froms, tos = expand(key), expand(target)
            if froms is None or tos is None:
                err(path, f"malformed NAME{{a..b}} pattern in {key!r} = {target!r}")
                continue
            if len(froms) != len(tos):
                err(path, f"{key!r} stands for {len(froms)} names but {target!r} for {len(tos)}")
                continue
            for f, t in zip(froms, tos):
                if not model(path, t) or not spelling(path, f):
                    break
                if f in regs:
                    err(path, f"{f!r} is already a register of {isa_rel}, not another name for {t!r}")
                    break
                if f in names:
                    err(path, f"{f!r} is given twice")
                    break
                names[f] = (t, partial)

    for mnem, forms in d["insn"].items():
        seen = set()
        for k, form in enumerate(forms):
            path = f"{key_path('insn', mnem)}[{k}]"
            nops = len(form["roles"])
            if nops > 6:
                err(f"{path}.roles", f"{nops} operands; an instruction here has at most 6")
            if nops in seen:
                err(f"{path}.roles", f"a second form with {nops} operand(s); the checker picks a form by "
                    "operand count")
            seen.add(nops)
            for key in ("reads", "writes", "clobbers"):
                for j, r in enumerate(form.get(key, [])):
                    model(f"{path}.{key}[{j}]", r)
            if "target" in form:
                if form.get("flow") not in ("jump", "call"):
                    err(f"{path}.target", "an implicit branch target needs flow = \"jump\" or \"call\"")
                if form["target"] != "stack":
                    model(f"{path}.target", form["target"])
                elif not s["call_pushes"]:
                    err(f"{path}.target", "\"stack\", but semantics.call_pushes is false: nothing pushed "
                        "a return address")
            if "pops" in form and not 1 <= form["pops"] <= nops:
                err(f"{path}.pops", f"operand {form['pops']}, but the form has {nops}")
            if "size" in form and form["size"] not in (1, 2, 4, 8, 16, 32, 64):
                err(f"{path}.size", f"{form['size']} is not a memory access size (1, 2, 4, ... 64 bytes)")
    if len(ld.errors) != n:
        return None
    return Semantics(rel, d, names)


def table_text(sem: Semantics) -> str:
    """The table trampgen_check reads (tests/checker/tables.c load_isa), rendered from the file."""
    s = sem.data["semantics"]
    out = [f"# {sem.rel}, rendered for trampgen_check by gen/semantics.py",
           f"source {sem.rel}", f"sp {s['sp']}", f"pc {s.get('pc', '-')}", f"link {s.get('link', '-')}",
           f"call_pushes {'yes' if s['call_pushes'] else 'no'}"]
    if s.get("zero"):
        out.append("zero " + " ".join(s["zero"]))
    if s.get("address_relocations"):
        out.append("address_relocations " + " ".join(s["address_relocations"]))
    # Expanded here, one name per line, so the C side needs no pattern syntax.
    for name, (reg, partial) in sem.names.items():
        out.append(f"alias {name} {reg}" + (" partial" if partial else ""))
    for mnem, forms in sem.data["insn"].items():
        for form in forms:
            words = ["insn", mnem, ",".join(form["roles"]) or "-"]
            for key in ("flow", "op", "stack", "target", "pops", "size"):
                if key in form:
                    words.append(f"{key}={form[key]}")
            for key in ("reads", "writes", "clobbers"):
                if form.get(key):
                    words.append(f"{key}=" + ",".join(form[key]))
            out.append(" ".join(words))
    return "\n".join(out) + "\n"
