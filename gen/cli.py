"""Command line: generate, --check, explain.

    python3 -m gen generate [TARGET ...] [--check]
    python3 -m gen explain TARGET
    python3 -m gen list

Exit status: 0 done (or up to date), 1 --check found a difference,
2 a spec error (one line per problem: file: key: reason; nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import render, spec
from .model import Model

ROOT = Path(__file__).resolve().parent.parent


def _load(root: Path, names: list[str] | None) -> list[spec.Target] | None:
    try:
        return spec.load(root, names)
    except spec.SpecErrors as e:
        for err in e.errors:
            print(f"trampgen: {err}", file=sys.stderr)
        print(f"trampgen: {len(e.errors)} problem(s) in spec/; nothing was written",
              file=sys.stderr)
        return None


def cmd_generate(args) -> int:
    targets = _load(args.root, args.targets or None)
    if targets is None:
        return 2
    files = render.render_all(args.root, targets)
    if args.check:
        diffs = render.check(args.root, targets, files)
        if diffs:
            sys.stdout.write("".join(diffs))
            print(f"trampgen: out/ differs from spec/ + templates/ in {len(diffs)} file(s); "
                  "run `python3 -m gen generate` and commit the result", file=sys.stderr)
            return 1
        print(f"trampgen: out/ is up to date ({len(files)} files, {len(targets)} targets)")
        return 0
    changed = render.write(args.root, targets, files)
    for rel in changed:
        print(f"trampgen: wrote {rel}")
    if not changed:
        print(f"trampgen: out/ already up to date ({len(files)} files)")
    if args.stamp:
        Path(args.stamp).parent.mkdir(parents=True, exist_ok=True)
        Path(args.stamp).write_text("generated\n")
    return 0


def cmd_explain(args) -> int:
    targets = _load(args.root, [args.target])
    if targets is None:
        return 2
    m = Model(targets[0])
    t = m.t
    print(f"{t.name}: {t.isa.name} on {t.os.name}, from {t.src.rel}")
    print(f"entries: " + ", ".join(f"trampgen_{e.name} (kind {e.kind}={e.value})"
                                  for e in t.os.entries))
    print(f"dispatcher: {t.os.dispatcher}(" + ", ".join(
        f"{a.name} in {a.register or f'stack slot sp+{a.outgoing}'}" for a in m.args) + ")")
    f = m.frame
    print(f"sigtramp frame: {f.size} bytes (outgoing area {f.outgoing_bytes}, entry SP "
          f"misaligned by {f.entry_misalign}, stack alignment {t.stack_alignment})")
    print(f"inject-call: red zone {t.red_zone}, outgoing area {m.inject_out_bytes}, argument in "
          + (m.inject_arg_register or f"stack slot sp+{m.inject_arg_offset}"))
    print()
    width = max(len(r) for r, _, _ in m.roles())
    print(f"{'register':<{width}}  {'class':<6}  role")
    for reg, cls, roles in m.roles():
        print(f"{reg:<{width}}  {cls:<6}  {'; '.join(roles)}")
    return 0


def cmd_list(args) -> int:
    for n in spec.target_names(args.root):
        print(n)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m gen", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=ROOT, help="project root (default: %(default)s)")
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="render out/ from spec/ and templates/")
    g.add_argument("targets", nargs="*", help="targets to generate (default: all)")
    g.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a unified diff if out/ is stale")
    g.add_argument("--stamp", help="touch this file after a successful generate (for build systems)")
    g.set_defaults(fn=cmd_generate)
    e = sub.add_parser("explain", help="every register's role in a target")
    e.add_argument("target")
    e.set_defaults(fn=cmd_explain)
    l = sub.add_parser("list", help="the targets spec/ defines")
    l.set_defaults(fn=cmd_list)
    args = p.parse_args(argv)
    return args.fn(args)
