"""Render every artifact of every target in memory, then write or compare.

Nothing touches out/ until every target has validated and rendered: a run
either replaces the whole set or leaves out/ exactly as it was. Each file is
written to a temporary file beside it and renamed over the old one.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

import jinja2

from .model import Model
from .spec import Target

# template -> output file name, per target. out/<target>/ mirrors spec/target/<target>.toml.
ARTIFACTS = {
    "trampolines.S.j2": "trampolines.S",
    "context.c.j2": "context.c",
    "trampgen_target.h.j2": "trampgen_target.h",
}
COMMENT_COLUMN = 40


def _line(instr: str, comment: str = "") -> str:
    """One instruction with its reason in a comment column, as hand-written assembly reads."""
    if not comment:
        return instr
    return f"{instr:<{COMMENT_COLUMN - 8}} // {comment}"


def _c_param(arg: dict) -> str:
    t = arg["type"]
    return f"{t}{'' if t.endswith('*') else ' '}{arg['name']}"


def environment(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["line"] = _line
    env.filters["c_param"] = _c_param
    return env


def render_target(env: jinja2.Environment, t: Target) -> dict[str, str]:
    m = Model(t)
    out = {}
    for tmpl, name in ARTIFACTS.items():
        text = env.get_template(tmpl).render(m=m, t=t, isa=t.isa, os=t.os)
        out[f"out/{t.name}/{name}"] = text
    return out


def render_all(root: Path, targets: list[Target]) -> dict[str, str]:
    env = environment(root)
    files: dict[str, str] = {}
    for t in targets:
        files.update(render_target(env, t))
    return files


def _existing(root: Path, targets: list[Target]) -> set[str]:
    """Files now under out/<target>/ for the targets being generated."""
    found = set()
    for t in targets:
        d = root / "out" / t.name
        if d.is_dir():
            found |= {p.relative_to(root).as_posix() for p in d.rglob("*") if p.is_file()}
    return found


def check(root: Path, targets: list[Target], files: dict[str, str]) -> list[str]:
    """Unified diffs between out/ and what spec/ and templates/ produce (empty: up to date)."""
    diffs = []
    for rel in sorted(files):
        path = root / rel
        old = path.read_text() if path.is_file() else ""
        if old != files[rel]:
            diffs.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), files[rel].splitlines(keepends=True),
                f"a/{rel}", f"b/{rel}")) or f"--- a/{rel}\n+++ b/{rel}\n")
    for rel in sorted(_existing(root, targets) - set(files)):
        diffs.append(f"--- a/{rel}\n+++ /dev/null\n(not generated from spec/: would be removed)\n")
    return diffs


def write(root: Path, targets: list[Target], files: dict[str, str]) -> list[str]:
    """Write changed files atomically; remove files no template produces. Returns what changed."""
    changed = []
    for rel in sorted(files):
        path = root / rel
        data = files[rel].encode()
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        changed.append(rel)
    for rel in sorted(_existing(root, targets) - set(files)):
        (root / rel).unlink()
        changed.append(rel + " (removed)")
    return changed
