"""Render every artifact of every target in memory, then write or compare.

Nothing touches out/ until every target has validated and rendered: a run
either replaces the whole set or leaves out/ exactly as it was (outdir.py
stages the new out/ beside the old one and swaps them in one step).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import jinja2

from . import outdir
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


def plan(tree: outdir.Tree, targets: list[Target], files: dict[str, str],
         all_targets: bool) -> dict[str, tuple[bytes, int | None]]:
    """The complete new out/: rendered files (an unchanged one keeps its mtime), and, when only
    some targets are generated, every other file of out/ exactly as it is."""
    new: dict[str, tuple[bytes, int | None]] = {}
    for rel, text in files.items():
        data = text.encode("utf-8")
        old = tree.files.get(rel)
        new[rel] = (data, old[1] if old is not None and old[0] == data else None)
    if not all_targets:
        generated = {t.name for t in targets}
        for rel, old in tree.files.items():
            parts = rel.split("/")
            if not (len(parts) >= 3 and parts[1] in generated):
                new[rel] = old
    return new


def _dirs_of(rels) -> set[str]:
    dirs = {outdir.OUT}
    for rel in rels:
        parts = rel.split("/")
        dirs |= {"/".join(parts[:i]) for i in range(1, len(parts))}
    return dirs


def _in_scope(rel: str, targets: list[Target], all_targets: bool) -> bool:
    parts = rel.split("/")
    return all_targets or len(parts) >= 2 and parts[1] in {t.name for t in targets}


def check(root: Path, targets: list[Target], files: dict[str, str], all_targets: bool = True) -> list[str]:
    """Unified diffs between out/ and what spec/ and templates/ produce (empty: up to date).

    With every target, anything in out/ that no spec produces (a deleted target's
    directory, a stray file, a link) is a difference too."""
    with outdir.Lock(root, exclusive=False):
        try:
            tree = outdir.read_tree(root)
        except OSError as e:
            raise outdir.OutputError(f"{outdir.shown(root, e.filename)}: cannot read: {e.strerror}")
    diffs = []
    for rel, what in sorted(tree.odd.items()):
        if rel == outdir.OUT or _in_scope(rel, targets, all_targets):
            diffs.append(f"--- a/{rel}\n+++ b/{rel}\n(is {what}; the generator makes only directories and regular files)\n")
    for rel in sorted(files):
        old = tree.files.get(rel, (b"", 0))[0].decode("utf-8", errors="replace")
        if old != files[rel] or rel not in tree.files:
            diffs.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), files[rel].splitlines(keepends=True),
                f"a/{rel}", f"b/{rel}")) or f"--- a/{rel}\n+++ b/{rel}\n")
    for rel in sorted(set(tree.files) - set(files)):
        if _in_scope(rel, targets, all_targets):
            diffs.append(f"--- a/{rel}\n+++ /dev/null\n(not generated from spec/: would be removed)\n")
    if all_targets:
        for d in sorted(set(tree.dirs) - _dirs_of(files) - _dirs_of(tree.files)):
            diffs.append(f"--- a/{d}/\n+++ /dev/null\n(an empty directory no spec produces: would be removed)\n")
    return diffs


def write(root: Path, targets: list[Target], files: dict[str, str], all_targets: bool = True) -> list[str]:
    """Replace out/ with the rendered set, all-or-nothing. Returns what changed (empty: nothing
    was touched). outdir.OutputError on any failure, with out/ as it was."""
    with outdir.Lock(root, exclusive=True):
        outdir.recover(root)
        try:
            tree = outdir.read_tree(root)
        except OSError as e:
            raise outdir.OutputError(f"{outdir.shown(root, e.filename)}: cannot read: "
                                     f"{e.strerror}; out/ is unchanged")
        outdir.refuse_odd(tree)
        for t in targets:
            rel = f"{outdir.OUT}/{t.name}"
            if rel in tree.files:
                raise outdir.OutputError(f"{rel}: is a regular file where the directory of target "
                                         f"{t.name} belongs; trampgen never replaces it: remove it yourself")
        new = plan(tree, targets, files, all_targets)
        changed = [rel for rel in sorted(new) if tree.files.get(rel, (None,))[0] != new[rel][0]]
        changed += [rel + " (removed)" for rel in sorted(set(tree.files) - set(new))]
        stray_dirs = set(tree.dirs) - _dirs_of(new)
        changed += [d + "/ (removed)" for d in sorted(stray_dirs)]
        if not changed and tree.exists:
            return []
        outdir.replace(root, tree, new)
        return changed
