"""Write the plain-text target model (and ISA table) the re2c checker reads.

    python3 tests/checker/model.py [--root ROOT] TARGET [-o MODEL] [--table TABLE]

Everything here comes from spec/ through the gen package's loader and
validator (so a spec the generator refuses is refused here too); nothing
comes from gen's frame layout or templates, because the checker is meant to
judge what those produce. The model holds the target's facts (registers and
their roles); the table, rendered from spec/semantics/ISA.toml by
gen/semantics.py, says what the ISA's instructions do. The two are kept apart
on purpose: the semantics are written from the architecture manual, not from
spec/isa/'s idioms, since a wrong idiom is exactly what the checker must catch.

Exit 77 (with `skipped: ...`) when --table is asked for and the ISA has no
spec/semantics file: the checker cannot judge that ISA, and says so.

One fact per line, `key value...`, names separated by single spaces; the C
side splits on whitespace, so no value may contain a newline. Idioms go last
(`idiom NAME TEXT`, the text to the end of the line): the checker uses them
only to say which spec idiom an offending instruction probably came from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def load_target(root: Path, name: str):
    """The target as the gen package of the tree being checked loads it: a broken
    copy made by tests/checker/broken.py is judged by its own loader, not ours."""
    sys.path.insert(0, str(root))
    from gen import spec  # noqa: E402  (path set just above)

    (t,) = spec.load(root, [name])
    return t


def model_lines(t) -> list[str]:
    isa = t.isa
    word = isa.word_bytes
    # The dispatcher takes the handler's arguments and then the kind; those
    # beyond the argument registers go on the stack, above any shadow space.
    # That area belongs to the callee during the call (it may overwrite it),
    # so the checker refuses saved values there.
    n_params = len(t.os.handler_args) + 1
    outgoing = t.shadow_space + max(0, n_params - len(t.int_args)) * word
    preserved = [r for regs in t.callee_saved.values() for r in regs]

    out = [
        f"# trampgen checker model for {t.name}, from {t.src.rel} (tests/checker/model.py)",
        f"target {t.name}",
        f"isa {isa.name}",
        f"word {word}",
        f"sp {isa.stack_pointer}",
        f"pc {isa.program_counter}",
        f"lr {isa.link_register or '-'}",
        f"call_pushes {1 if isa.call_pushes_return_address else 0}",
        f"align {t.stack_alignment}",
        f"shadow {t.shadow_space}",
        f"outgoing {outgoing}",
        f"handler_pops {t.handler_callee_pops}",
        # SP holds the frame's address minus this (abi.stack_bias).
        f"stack_bias {t.stack_bias}",
        f"handler_args {len(t.os.handler_args)}",
        # What the assembler needs before a register operand ("-": registers are bare names).
        f"register_prefix {isa.asm.register_prefix or '-'}",
    ]
    classes: dict[str, list[str]] = {}
    for reg, cls in isa.reg_class.items():
        classes.setdefault(cls, []).append(reg)
    for cls, regs in classes.items():
        out.append(f"regs {cls} {isa.reg_width[regs[0]]} " + " ".join(regs))
    out += [
        "args " + " ".join(t.int_args),
        "preserved " + " ".join(preserved),
        "reserved " + " ".join(sorted(t.reserved or {})),
        "scratch " + " ".join(t.scratch),
        f"kind {t.kind_register}",
        # The register a function is entered with its own address in (an entry
        # moves it to sigtramp's address), or "-".
        f"entry_address {t.entry_address_register or '-'}",
        f"return {t.return_register}",
        f"dispatcher {t.os.dispatcher}",
    ]
    for e in t.os.entries:
        out.append(f"entry trampgen_{e.name} {e.value}")
    for key, text in sorted(isa.idioms.items()):
        out.append(f"idiom {key} {' '.join(text.split())}")
    return out


def table_text(t) -> str | None:
    """The ISA table for trampgen_check, or None when the target's ISA has no semantics file."""
    from gen import semantics  # noqa: E402  (load_target put the tree's gen on the path)

    return semantics.table_text(t.isa.semantics) if t.isa.semantics else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    p.add_argument("target")
    p.add_argument("-o", "--output", type=Path)
    p.add_argument("--table", type=Path, help="also write the ISA table here")
    a = p.parse_args(argv)
    root = a.root.resolve()
    try:
        target = load_target(root, a.target)
        lines = model_lines(target)
        table = table_text(target) if a.table else None
    except Exception as e:  # SpecErrors, or a target that does not exist
        print(f"model.py: {a.target}: {e}", file=sys.stderr)
        return 2
    if a.table and table is None:
        isa = next(l.split()[1] for l in lines if l.startswith("isa "))
        print(f"skipped: {a.target}: there is no spec/semantics/{isa}.toml, so the checker cannot judge "
              f"{isa} code (docs/new-target.md says how to write one)")
        return 77
    text = "\n".join(lines) + "\n"
    if a.output:
        a.output.parent.mkdir(parents=True, exist_ok=True)
        a.output.write_text(text)
    else:
        sys.stdout.write(text)
    if a.table:
        a.table.parent.mkdir(parents=True, exist_ok=True)
        a.table.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
