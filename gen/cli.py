"""Command line: generate, --check, explain.

    python3 -m gen generate [TARGET ...] [--check]
    python3 -m gen explain TARGET
    python3 -m gen list

Exit status: 0 done (or up to date), 1 --check found a difference,
2 a spec or template error (one line per problem: file: key: reason; nothing
written), 3 out/ could not be read or replaced (one line; out/ as it was).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import jinja2

from . import outdir, render, spec
from .model import Model

ROOT = Path(__file__).resolve().parent.parent
EXIT_DIFFERS, EXIT_SPEC, EXIT_OUTPUT = 1, 2, 3


def _say(line: str) -> None:
    # One line, whatever a hostile name holds.
    print("trampgen: " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in line), file=sys.stderr)


def _load(root: Path, names: list[str] | None) -> list[spec.Target] | None:
    try:
        return spec.load(root, names)
    except spec.SpecErrors as e:
        for err in e.errors:
            print(f"trampgen: {err}", file=sys.stderr)
        print(f"trampgen: {len(e.errors)} problem(s) in spec/; nothing was written",
              file=sys.stderr)
        return None


def _render(root: Path, targets: list[spec.Target]) -> dict[str, str] | None:
    try:
        return render.render_all(root, targets)
    except jinja2.TemplateNotFound as e:
        _say(f"templates/{e.name}: (file): missing; nothing was written")
    except jinja2.TemplateSyntaxError as e:
        _say(f"templates/{e.name}: line {e.lineno}: {e.message}; nothing was written")
    except (OSError, UnicodeDecodeError) as e:
        what = f"cannot read: {e.strerror}" if isinstance(e, OSError) else "not UTF-8 text"
        name = outdir.shown(root, getattr(e, "filename", None) or "templates")
        _say(f"{name}: (file): {what}; nothing was written")
    return None


def _stamp(root: Path, stamp: str) -> int:
    """The build system's own file, written only when asked and never inside out/ or spec/."""
    path = Path(os.path.abspath(stamp))
    for d in (outdir.OUT, outdir.STAGING, outdir.OLD, "spec", "templates", "gen", ".git"):
        if path == root / d or (root / d) in path.parents:
            _say(f"--stamp {stamp}: inside {d}/, which is not the build system's to write")
            return EXIT_OUTPUT
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("generated\n", encoding="utf-8")
    except OSError as e:
        _say(f"--stamp {stamp}: cannot write: {e.strerror}")
        return EXIT_OUTPUT
    return 0


def cmd_generate(args) -> int:
    root = args.root.resolve()
    targets = _load(root, args.targets or None)
    if targets is None:
        return EXIT_SPEC
    files = _render(root, targets)
    if files is None:
        return EXIT_SPEC
    all_targets = not args.targets
    try:
        if args.check:
            diffs = render.check(root, targets, files, all_targets)
            if diffs:
                sys.stdout.write("".join(diffs))
                _say(f"out/ differs from spec/ + templates/ in {len(diffs)} place(s); "
                     "run `python3 -m gen generate` and commit the result")
                return EXIT_DIFFERS
            print(f"trampgen: out/ is up to date ({len(files)} files, {len(targets)} targets)")
            return 0
        changed = render.write(root, targets, files, all_targets)
    except outdir.OutputError as e:
        _say(str(e))
        return EXIT_OUTPUT
    for rel in changed:
        print(f"trampgen: wrote {rel}")
    if not changed:
        print(f"trampgen: out/ already up to date ({len(files)} files)")
    if args.stamp:
        return _stamp(root, args.stamp)
    return 0


def cmd_explain(args) -> int:
    targets = _load(args.root.resolve(), [args.target])
    if targets is None:
        return EXIT_SPEC
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
    try:
        names = spec.target_names(args.root.resolve())
    except spec.SpecErrors as e:
        for err in e.errors:
            print(f"trampgen: {err}", file=sys.stderr)
        return EXIT_SPEC
    for n in names:
        print(n)
    return 0


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Under a Latin-1 or ASCII locale, a diff of UTF-8 output must still print.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
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
