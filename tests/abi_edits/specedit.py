"""Data-level edits of a copy of the spec: parse with tomllib, change values, write TOML back.

No edit here matches or patches literal text of a spec or a generated file:
every register an edit uses is chosen from the parsed spec by its role
(argument, return, callee-saved, reserved, kind, scratch, SP/PC/LR), so the
edits follow whatever the spec says today. Shared by tests/abi_edits/run.py,
tests/conformance/mutate.py and tests/checker/broken.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path


class EditError(Exception):
    """The spec does not allow the edit asked for (said in one line)."""


# ---- a small TOML emitter ------------------------------------------------------------
# The spec files use tables, strings, ints, bools, arrays and inline tables only.

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        # JSON's escapes (\" \\ \n \t \uXXXX) are all TOML basic-string escapes.
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__} in a spec file")


def _is_table(v) -> bool:
    """Emitted as a [header] table: a non-empty dict holding at least one dict."""
    return isinstance(v, dict) and any(isinstance(x, dict) and x for x in v.values())


def dumps(data: dict) -> str:
    lines: list[str] = []

    def table(d: dict, path: list[str]) -> None:
        # Top-level tables always get a [header]; deeper ones when they hold tables.
        table_like = (lambda v: isinstance(v, dict)) if not path else _is_table
        plain = {k: v for k, v in d.items() if not table_like(v)}
        sub = {k: v for k, v in d.items() if table_like(v)}
        if path and (plain or not sub):
            lines.append("")
            lines.append("[" + ".".join(_key(p) for p in path) + "]")
        for k, v in plain.items():
            lines.append(f"{_key(k)} = {_value(v)}")
        for k, v in sub.items():
            table(v, path + [k])

    table(data, [])
    text = "\n".join(lines).lstrip("\n") + "\n"
    if tomllib.loads(text) != data:
        raise AssertionError("specedit.dumps: the emitted TOML does not parse back to the same data")
    return text


def load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def save(path: Path, data: dict) -> None:
    path.write_text(dumps(data), encoding="utf-8")


def get(data: dict, key: str):
    """The value at a dotted key of parsed TOML ("idioms.store.int"); KeyError if it has none."""
    for k in key.split("."):
        if not isinstance(data, dict) or k not in data:
            raise KeyError(key)
        data = data[k]
    return data


def put(data: dict, key: str, value):
    """Set the value at a dotted key of parsed TOML, which must have one already; returns the old value."""
    *outer, last = key.split(".")
    table = get(data, ".".join(outer)) if outer else data
    if not isinstance(table, dict) or last not in table:
        raise KeyError(key)
    old, table[last] = table[last], value
    return old


# ---- a spec copy ------------------------------------------------------------------------

def copy_tree(src: Path, dest: Path, dirs=("spec", "templates", "gen")) -> None:
    """dest/<d> = a fresh copy of src/<d> for each d (out/ is never copied: the copy generates its own)."""
    dest.mkdir(parents=True, exist_ok=True)
    for d in dirs:
        shutil.rmtree(dest / d, ignore_errors=True)
        shutil.copytree(src / d, dest / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


class TargetSpec:
    """One target file of a spec tree, parsed, with its ISA and OS, and the role of every register."""

    def __init__(self, root: Path, target: str):
        self.root, self.name = root, target
        self.path = root / "spec" / "target" / f"{target}.toml"
        self.rel = f"spec/target/{target}.toml"
        self.data = load(self.path)
        self.isa_rel = f"spec/isa/{self.data['isa']}.toml"
        self.isa_path = root / self.isa_rel
        self.isa = load(self.isa_path)
        self.os = load(root / "spec" / "os" / f"{self.data['os']}.toml")

    def save(self) -> None:
        save(self.path, self.data)

    def save_isa(self) -> None:
        """Write self.isa back to the ISA file (every target of that ISA in the tree sees the edit)."""
        save(self.isa_path, self.isa)

    # roles
    @property
    def abi(self) -> dict:
        return self.data["abi"]

    @property
    def resume(self) -> dict:
        return self.data["resume"]

    @property
    def fields(self) -> dict:
        return self.data["context"]["fields"]

    def int_registers(self) -> list[str]:
        return list(self.isa["registers"]["int"]["names"])

    def special(self) -> list[str]:
        i = self.isa["isa"]
        npc = i.get("next_pc", {}).get("register")
        return [r for r in (i["stack_pointer"], i["program_counter"], i.get("link_register"), npc) if r]

    def callee_saved_all(self) -> list[str]:
        return [r for regs in self.abi.get("callee_saved", {}).values() for r in regs]

    def busy(self) -> set[str]:
        """Every register with a role a resume scratch register may not take (or that it has now)."""
        return (set(self.special()) | set(self.abi["int_args"]) | {self.abi["return"]}
                | set(self.callee_saved_all()) | set(self.abi.get("reserved", {}))
                | {self.resume["kind_register"]} | set(self.resume["scratch"]))

    def free_int_registers(self) -> list[str]:
        """Int registers with no role at all, in the ISA's order."""
        busy = self.busy()
        return [r for r in self.int_registers() if r not in busy]

    # context fields
    def ensure_fields(self, regs: list[str], cc: list[str]) -> list[str]:
        """Give each register in regs a context.fields entry if it has none; returns the ones added.

        The field designator follows the pattern every int register field of
        this target already has (e.g. a member named after the register); the
        offset is measured with the target's C compiler from the OS's own
        header, as docs/spec.md says to measure offsets (and the generated
        context.c static-asserts it again)."""
        missing = [r for r in regs if r not in self.fields]
        if not missing:
            return []
        template = self._field_template()
        designators = {r: template(r) for r in missing}
        offsets = self._measure({**designators, **{r: f["field"] for r, f in self.fields.items()}}, cc)
        for r, f in self.fields.items():
            if offsets[r] != f["offset"]:
                raise EditError(f"{self.rel}: context.fields.{r}: measured offset {offsets[r]} but the spec "
                                f"says {f['offset']}: the measurement cannot be trusted")
        for r in missing:
            self.fields[r] = {"field": designators[r], "offset": offsets[r]}
        return missing

    def _field_template(self):
        ints = [r for r in self.fields if r in self.int_registers()]
        for spell in (str.upper, str.lower, str.capitalize, lambda s: s):
            forms = set()
            for r in ints:
                f = self.fields[r]["field"]
                if f.count(spell(r)) != 1:
                    break
                forms.add(f.replace(spell(r), "\0"))
            else:
                if len(forms) == 1:
                    form = forms.pop()
                    return lambda reg, form=form, spell=spell: form.replace("\0", spell(reg))
        raise EditError(f"{self.rel}: context.fields: the fields do not follow one pattern naming the "
                        "register, so no field can be derived for another register")

    def _measure(self, designators: dict[str, str], cc: list[str]) -> dict[str, int]:
        ctx = self.os["context"]
        lines = [f"#define {d}" if "=" not in d else "#define " + d.replace("=", " ", 1)
                 for d in ctx["defines"]]
        lines += [f"#include <{h}>" for h in ctx["headers"]] + ["#include <stddef.h>", "#include <stdio.h>",
                                                                 "int main(void) {"]
        for r, d in designators.items():
            lines.append(f'\tprintf("%s %zu\\n", "{r}", offsetof({ctx["type"]}, {d}));')
        lines += ["\treturn 0;", "}", ""]
        with tempfile.TemporaryDirectory() as tmp:
            c, exe = Path(tmp) / "probe.c", Path(tmp) / "probe"
            c.write_text("\n".join(lines))
            p = subprocess.run([*cc, str(c), "-o", str(exe)], capture_output=True, text=True)
            if p.returncode:
                raise EditError(f"{self.rel}: context.fields: cannot measure {', '.join(designators.values())} "
                                f"with {' '.join(cc)}: {p.stderr.strip().splitlines()[-1:]}")
            out = subprocess.run([str(exe)], capture_output=True, text=True, check=True, timeout=30).stdout
        return {r: int(o) for r, o in (line.split() for line in out.splitlines())}


# ---- the edits --------------------------------------------------------------------------

def new_scratch_pair(t: TargetSpec) -> list[str]:
    """Two int registers other than the current pair that sigresume may destroy.

    First choice: registers with no role at all. Only if there are fewer than
    two of those: argument registers the handler call does not use, that are
    not inject-call's argument (int_args[0]) and not the kind register (dead
    when sigresume runs, which is why linux specs use some of them today).
    Within each, registers the context record already names come first."""
    free = t.free_int_registers()
    nargs = len(t.os["handler"]["args"])
    spare_args = [r for r in t.abi["int_args"][max(1, nargs):]
                  if r not in t.busy() - set(t.abi["int_args"]) and r != t.resume["kind_register"]
                  and r not in t.resume["scratch"]]
    pick = []
    for tier in (free, spare_args):
        pick += [r for r in tier if r in t.fields] + [r for r in tier if r not in t.fields]
    pick = pick[:2]
    if len(pick) < 2:
        raise EditError(f"{t.rel}: resume.scratch: {t.data['isa']} has fewer than two int registers "
                        f"that could replace the scratch pair (free: {free}, spare arguments: {spare_args})")
    return pick
