"""Render a test template for one target into the build tree.

    python3 -m gen.testgen --target T --template tests/DIR/NAME.j2 --output FILE [--root DIR]

The tests' per-target code (register capture shims, conformance callers,
faulting instructions, checker vocabulary, ...) is not written per ISA: it is
rendered from templates under tests/ with the same validated spec model the
product templates see (`m`, `t`, `isa`, `os`, the filters of gen/render.py),
so a new target's tests come from its spec files alone. The output goes to the
build tree, never into the source tree; it is rewritten only when its text
changes (so a build does not redo work for an unchanged spec) and atomically
(a reader never sees half a file).

Exit status: 0 written or unchanged, 2 a spec or template error (one line,
naming the file), 3 the output could not be written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import jinja2

from . import render, spec
from .model import Model

ROOT = Path(__file__).resolve().parent.parent
EXIT_SPEC, EXIT_OUTPUT = 2, 3


def _say(line: str) -> None:
    print("trampgen-testgen: " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in line),
          file=sys.stderr)


def environment(root: Path) -> jinja2.Environment:
    """The product's environment, with templates addressed from the project root
    (tests/... and templates/...) so test templates can share macros."""
    env = render.environment(root)
    env.loader = jinja2.FileSystemLoader(str(root))
    env.add_extension("jinja2.ext.do")
    env.globals["refuse"] = _refuse
    return env


class Refused(Exception):
    """A test template found that the spec lacks a fact it needs."""


def _refuse(reason: str):
    raise Refused(reason)


def render_test(root: Path, target: spec.Target, template: str) -> str:
    env = environment(root)
    m = Model(target)
    header_source = f"{target.src.rel} and {template}"
    return env.get_template(template).render(m=m, t=target, isa=target.isa, os=target.os,
                                             generated_from=header_source)


def write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m gen.testgen", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=ROOT, help="project root (default: %(default)s)")
    p.add_argument("--target", required=True, help="spec target (spec/target/<name>.toml)")
    p.add_argument("--template", required=True, action="append",
                   help="template path relative to the root (repeatable, with as many --output)")
    p.add_argument("--output", required=True, action="append", type=Path,
                   help="file to write (in the build tree)")
    args = p.parse_args(argv)
    if len(args.template) != len(args.output):
        _say("--template and --output must come in pairs")
        return EXIT_SPEC
    root = args.root.resolve()
    for out in args.output:
        real = Path(os.path.realpath(out))
        for d in ("spec", "templates", "gen", "out", "tests", "runtime", ".git"):
            if real == root / d or (root / d) in real.parents:
                _say(f"--output {out}: inside {d}/ of the source tree; test code is generated "
                     "into the build tree")
                return EXIT_OUTPUT
    try:
        targets = spec.load(root, [args.target])
    except spec.SpecErrors as e:
        for err in e.errors:
            print(f"trampgen-testgen: {err}", file=sys.stderr)
        return EXIT_SPEC
    for template, out in zip(args.template, args.output):
        try:
            text = render_test(root, targets[0], template)
        except jinja2.TemplateNotFound as e:
            _say(f"{e.name}: (file): missing")
            return EXIT_SPEC
        except jinja2.TemplateSyntaxError as e:
            _say(f"{e.filename or e.name}: line {e.lineno}: {e.message}")
            return EXIT_SPEC
        except jinja2.UndefinedError as e:
            _say(f"{template}: {e.message} (a spec fact this test needs is missing)")
            return EXIT_SPEC
        except Refused as e:
            _say(f"{targets[0].src.rel}: {e} (needed by {template})")
            return EXIT_SPEC
        except spec.TemplateTextError as e:
            _say(f"{template}: {e}")
            return EXIT_SPEC
        try:
            write_if_changed(out, text)
        except OSError as e:
            _say(f"{out}: cannot write: {e.strerror}")
            return EXIT_OUTPUT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
