"""Load the spec/ tree and validate it.

A target (spec/target/NAME.toml) names an ISA (spec/isa/) and an OS
(spec/os/); the OS names object formats (spec/format/). Loading reads every
file a target needs; validation answers a fixed list of questions about it
and reports every unanswered or contradictory one as a SpecError naming the
file, the key and the reason. Nothing is rendered while any error stands.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class SpecError:
    path: str
    key: str
    reason: str

    def __str__(self) -> str:
        # One line per problem, whatever control characters a hostile key or value holds.
        line = f"{self.path}: {self.key}: {self.reason}"
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


class SpecErrors(Exception):
    def __init__(self, errors: list[SpecError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclasses.dataclass
class Source:
    """One parsed spec file and its path relative to the project root."""

    rel: str
    data: dict


# Idioms every ISA must give, with the placeholders each may use.
REQUIRED_IDIOMS = {
    "move": {"src", "dst"},
    "load_const": {"reg", "value"},
    "call": {"symbol"},
    "tail_jump": {"symbol"},
    "jump_register": {"reg"},
    "return": set(),
    "stack_alloc": {"bytes"},
    "stack_free": {"bytes"},
}
CLASS_IDIOMS = {"store": {"reg", "offset"}, "load": {"reg", "offset"}}
OPTIONAL_IDIOMS = {"return_pop": {"bytes"}}


class Loader:
    """Reads spec files once each and collects every problem found."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[SpecError] = []
        self._cache: dict[Path, Source | None] = {}
        self._loaded: dict[tuple, object] = {}

    def once(self, key: tuple, load):
        """Load an ISA, OS or format once; later targets get the same result, failure included."""
        if key not in self._loaded:
            self._loaded[key] = load()
        return self._loaded[key]

    def error(self, src: Source | str, key: str, reason: str) -> None:
        rel = src.rel if isinstance(src, Source) else src
        self.errors.append(SpecError(rel, key, reason))

    def read(self, rel: str, referrer: Source | None, key: str, what: str) -> Source | None:
        path = self.root / rel
        if path in self._cache:
            return self._cache[path]
        src = None
        if not path.is_file():
            if referrer is not None:
                self.error(referrer, key, f"unknown {what}: there is no {rel}")
            else:
                self.error(rel, key, f"no such spec file")
        else:
            try:
                with path.open("rb") as f:
                    data = tomllib.load(f)
                if _depth(data) > MAX_DEPTH:
                    raise RecursionError
                src = Source(rel, data)
            except tomllib.TOMLDecodeError as e:
                self.error(rel, "(file)", f"not valid TOML: {e}")
            except UnicodeDecodeError as e:
                # tomllib decodes before it parses: a binary file fails here.
                self.error(rel, "(file)", f"not UTF-8 text: byte {e.object[e.start]:#04x} at offset {e.start}")
            except RecursionError:
                # Deep nesting exhausts tomllib's recursion at a depth that depends
                # on the caller's stack; refuse it the same way at any depth.
                self.error(rel, "(file)", f"values nested more than {MAX_DEPTH} deep; a spec needs a few levels")
        self._cache[path] = src
        return src


MAX_DEPTH = 32
# No size, offset, alignment or kind value comes near 2 GiB; a larger (or
# negative) number is a typo, and would not fit the immediates and C ints it
# becomes.
MAX_INT = 2**31 - 1
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A C member designator, as offsetof takes it: a.b[REG_X + 1].c
FIELD = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[[\w +*-]+\])*")


def _depth(node) -> int:
    """How deeply tables and arrays nest in parsed TOML (iterative: the input may be hostile)."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def _get(ld: Loader, src: Source, dotted: str, kind, default=dataclasses.MISSING, of=None):
    """Fetch a dotted key from a spec file, checking its type (and a list's items' type: of)."""
    node = src.data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is dataclasses.MISSING:
                ld.error(src, dotted, "missing")
            return None if default is dataclasses.MISSING else default
        node = node[part]
    if kind is int and isinstance(node, bool):
        ld.error(src, dotted, f"must be an integer, not {node!r}")
        return None
    if not isinstance(node, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        ld.error(src, dotted, f"must be a {names}, not {type(node).__name__}")
        return None
    if kind is int and not 0 <= node <= MAX_INT:
        ld.error(src, dotted, f"{node} is out of range (0 to {MAX_INT})")
        return None
    if kind is str and not node.isprintable():
        ld.error(src, dotted, f"{node!r} must be one line of printable text")
        return None
    for i, item in enumerate(node if of is not None else []):
        if not isinstance(item, of) or (of is str and not item.isprintable()):
            ld.error(src, f"{dotted}[{i}]", f"must be a {of.__name__} (one line of text), not {item!r}"[:200])
            return None
    return node


def _check_placeholders(ld: Loader, src: Source, key: str, text: str, allowed: set[str]) -> None:
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as e:
        ld.error(src, key, f"malformed idiom {text!r}: {e}")
        return
    unknown = used - allowed
    if unknown:
        ld.error(src, key, f"idiom {text!r} uses {{{sorted(unknown)[0]}}}; it may use only "
                 + ", ".join("{%s}" % a for a in sorted(allowed)))


@dataclasses.dataclass
class Isa:
    src: Source
    name: str
    word_bytes: int
    stack_pointer: str
    program_counter: str
    link_register: str | None
    call_pushes_return_address: bool
    code_address_tag: int
    pc_write_clears: dict | None     # {register, mask}: state bits to clear when the PC moves
    function_alignment_log2: int
    file_directives: list[str]
    function_directives: list[str]
    reg_class: dict[str, str]        # register name -> class ("int", "vector")
    reg_width: dict[str, int]        # register name -> bits
    idioms: dict[str, str]           # "store.int", "move", ...


@dataclasses.dataclass
class Format:
    src: Source
    name: str
    detect: str
    function_begin: list[str]
    function_end: list[str]
    file_end: list[str]


@dataclasses.dataclass
class Entry:
    name: str
    kind: str
    value: int
    doc: str


@dataclasses.dataclass
class Os:
    src: Source
    name: str
    format: Format
    harness_formats: list[Format]
    dispatcher: str
    handler_returns: str
    handler_args: list[dict]
    entries: list[Entry]
    context_type: str
    context_headers: list[str]
    context_defines: list[str]
    context_detect: str


@dataclasses.dataclass
class ContextField:
    register: str
    field: str
    offset: int


@dataclasses.dataclass
class Target:
    src: Source
    name: str
    isa: Isa
    os: Os
    int_args: list[str]
    return_register: str
    callee_saved: dict[str, list[str]]   # class -> registers in save order
    reserved: dict[str, str]             # register -> reason
    stack_alignment: int
    shadow_space: int
    red_zone: int
    handler_callee_pops: int
    c_attribute: str
    handler_c_attribute: str
    scratch: list[str]
    kind_register: str
    context_size: int
    context_fields: dict[str, ContextField]

    @property
    def formats(self) -> list[Format]:
        return [self.os.format] + self.os.harness_formats


def load_isa(ld: Loader, name: str, referrer: Source) -> Isa | None:
    src = ld.read(f"spec/isa/{name}.toml", referrer, "isa", "ISA")
    if src is None:
        return None
    n = len(ld.errors)
    reg_class: dict[str, str] = {}
    reg_width: dict[str, int] = {}
    classes = _get(ld, src, "registers", dict) or {}
    for cls, body in classes.items():
        if not isinstance(body, dict):
            ld.error(src, f"registers.{cls}", "must be a table with width and names")
            continue
        width = _get(ld, src, f"registers.{cls}.width", int)
        if width is not None and (width == 0 or width % 8):
            ld.error(src, f"registers.{cls}.width", f"{width} is not a whole number of bytes")
        names = _get(ld, src, f"registers.{cls}.names", list, of=str) or []
        for r in names:
            if not IDENTIFIER.fullmatch(r):
                # Names become C macro names (CTX_<REG>) and assembler operands.
                ld.error(src, f"registers.{cls}.names", f"register name {r!r} is not an identifier")
            if r in reg_class:
                ld.error(src, f"registers.{cls}.names", f"register {r} is listed twice")
            reg_class[r] = cls
            reg_width[r] = width or 0
    idioms: dict[str, str] = {}
    raw = _get(ld, src, "idioms", dict) or {}
    for key, val in raw.items():
        if isinstance(val, dict):
            for cls, text in val.items():
                idioms[f"{key}.{cls}"] = text
        else:
            idioms[key] = val
    for key, text in idioms.items():
        base = key.split(".")[0]
        allowed = {**REQUIRED_IDIOMS, **CLASS_IDIOMS, **OPTIONAL_IDIOMS}.get(base)
        if allowed is None:
            ld.error(src, f"idioms.{key}", "unknown idiom (known: "
                     + ", ".join(sorted({*REQUIRED_IDIOMS, *CLASS_IDIOMS, *OPTIONAL_IDIOMS})) + ")")
            continue
        if not isinstance(text, str):
            ld.error(src, f"idioms.{key}", "must be a string")
            continue
        _check_placeholders(ld, src, f"idioms.{key}", text, allowed)
    for key in REQUIRED_IDIOMS:
        if key not in idioms:
            ld.error(src, f"idioms.{key}", "missing: the templates need this instruction")
    word = _get(ld, src, "isa.word_bytes", int)
    if word is not None and word not in (4, 8):
        ld.error(src, "isa.word_bytes", f"{word} is not 4 or 8")
    isa = Isa(
        src=src,
        name=_get(ld, src, "isa.name", str),
        word_bytes=word,
        stack_pointer=_get(ld, src, "isa.stack_pointer", str),
        program_counter=_get(ld, src, "isa.program_counter", str),
        link_register=_get(ld, src, "isa.link_register", str, None),
        call_pushes_return_address=_get(ld, src, "isa.call_pushes_return_address", bool),
        code_address_tag=_get(ld, src, "isa.code_address_tag", int, 0),
        pc_write_clears=_get(ld, src, "isa.pc_write_clears", dict, None),
        function_alignment_log2=_get(ld, src, "isa.function_alignment_log2", int),
        file_directives=_get(ld, src, "isa.file_directives", list, of=str),
        function_directives=_get(ld, src, "isa.function_directives", list, of=str),
        reg_class=reg_class,
        reg_width=reg_width,
        idioms=idioms,
    )
    if (isa.function_alignment_log2 or 0) > 12:
        ld.error(src, "isa.function_alignment_log2", f"{isa.function_alignment_log2} aligns each "
                 "function to more than a 4 KiB page")
    for key in ("stack_pointer", "program_counter", "link_register"):
        reg = getattr(isa, key)
        if reg is not None and reg not in reg_class:
            ld.error(src, f"isa.{key}", f"unknown register {reg}: not in any registers.* list")
    pwc = isa.pc_write_clears
    if pwc is not None:
        mask = pwc.get("mask")
        if (set(pwc) != {"register", "mask"} or not isinstance(pwc["register"], str)
                or not isinstance(mask, int) or isinstance(mask, bool) or not 0 <= mask < 2**64):
            ld.error(src, "isa.pc_write_clears", "needs exactly register and an integer mask")
        elif pwc["register"] not in reg_class:
            ld.error(src, "isa.pc_write_clears.register", f"unknown register {pwc['register']}")
    if isa.name is not None and isa.name != name:
        ld.error(src, "isa.name", f"is {isa.name!r} but the file is {name}.toml")
    if isa.call_pushes_return_address is False and isa.link_register is None:
        ld.error(src, "isa.link_register", "missing: calls do not push a return address, so "
                 "the ISA must name the register that receives it")
    if isa.call_pushes_return_address and isa.link_register is not None:
        ld.error(src, "isa.link_register", "an ISA whose calls push the return address has no "
                 "link register")
    return isa if len(ld.errors) == n else None


def load_format(ld: Loader, name: str, referrer: Source, key: str) -> Format | None:
    src = ld.read(f"spec/format/{name}.toml", referrer, key, "object format")
    if src is None:
        return None
    n = len(ld.errors)
    fmt = Format(
        src=src,
        name=_get(ld, src, "format.name", str),
        detect=_get(ld, src, "format.detect", str),
        function_begin=_get(ld, src, "format.function_begin", list, of=str),
        function_end=_get(ld, src, "format.function_end", list, of=str),
        file_end=_get(ld, src, "format.file_end", list, of=str),
    )
    for k in ("function_begin", "function_end"):
        for i, text in enumerate(getattr(fmt, k) or []):
            _check_placeholders(ld, src, f"format.{k}[{i}]", text, {"symbol"})
    return fmt if len(ld.errors) == n else None


def load_os(ld: Loader, name: str, referrer: Source) -> Os | None:
    src = ld.read(f"spec/os/{name}.toml", referrer, "os", "OS")
    if src is None:
        return None
    n = len(ld.errors)
    fmt_name = _get(ld, src, "os.format", str)
    fmt = ld.once(("format", fmt_name), lambda: load_format(ld, fmt_name, src, "os.format")) if fmt_name else None
    harness = []
    for h in _get(ld, src, "os.harness_formats", list, of=str) or []:
        if h == fmt_name:
            ld.error(src, "os.harness_formats", f"{h} is already the OS's own format")
        harness.append(ld.once(("format", h), lambda: load_format(ld, h, src, "os.harness_formats")))
    entries = []
    seen_kinds: dict[int, str] = {}
    for i, e in enumerate(_get(ld, src, "entry", list) or []):
        key = f"entry[{i}]"
        if not isinstance(e, dict) or not all(k in e for k in ("name", "kind", "value", "doc")):
            ld.error(src, key, "each entry needs name, kind, value and doc")
            continue
        bad = [k for k in ("name", "kind") if not isinstance(e[k], str) or not IDENTIFIER.fullmatch(e[k])]
        if bad:
            # They become C and assembler names: trampgen_<name>, TRAMPGEN_KIND_<kind>.
            ld.error(src, f"{key}.{bad[0]}", f"{e[bad[0]]!r} is not an identifier")
            continue
        if not isinstance(e["value"], int) or isinstance(e["value"], bool) or not 0 <= e["value"] <= MAX_INT:
            ld.error(src, f"{key}.value", f"{e['value']!r} is not an integer from 0 to {MAX_INT}")
            continue
        if not isinstance(e["doc"], str) or not e["doc"].isprintable() or "*/" in e["doc"]:
            ld.error(src, f"{key}.doc", "must be one line of text (it goes in a C comment)")
            continue
        if e["value"] in seen_kinds:
            ld.error(src, f"{key}.value", f"kind value {e['value']} is already {seen_kinds[e['value']]}")
        seen_kinds[e["value"]] = e["kind"]
        entries.append(Entry(e["name"], e["kind"], e["value"], e["doc"]))
    if not entries:
        ld.error(src, "entry", "missing: an OS needs at least one entry trampoline")
    args = _get(ld, src, "handler.args", list) or []
    for i, a in enumerate(args):
        if not isinstance(a, dict) or set(a) != {"name", "type"}:
            ld.error(src, f"handler.args[{i}]", "each argument needs exactly name and type")
        elif not isinstance(a["name"], str) or not IDENTIFIER.fullmatch(a["name"]):
            ld.error(src, f"handler.args[{i}].name", f"{a['name']!r} is not a C identifier")
        elif not isinstance(a["type"], str) or not a["type"].isprintable():
            ld.error(src, f"handler.args[{i}].type", "must be a C type, as one line of text")
    os_ = Os(
        src=src,
        name=_get(ld, src, "os.name", str),
        format=fmt,
        harness_formats=harness,
        dispatcher=_get(ld, src, "os.dispatcher", str),
        handler_returns=_get(ld, src, "handler.returns", str),
        handler_args=args,
        entries=entries,
        context_type=_get(ld, src, "context.type", str),
        context_headers=_get(ld, src, "context.headers", list, of=str),
        context_defines=_get(ld, src, "context.defines", list, of=str),
        context_detect=_get(ld, src, "context.detect", str),
    )
    ok = len(ld.errors) == n and fmt is not None and None not in harness
    return os_ if ok else None


def load_target(ld: Loader, name: str) -> Target | None:
    src = ld.read(f"spec/target/{name}.toml", None, "(file)", "target")
    if src is None:
        return None
    n = len(ld.errors)
    isa_name = _get(ld, src, "isa", str)
    os_name = _get(ld, src, "os", str)
    isa = ld.once(("isa", isa_name), lambda: load_isa(ld, isa_name, src)) if isa_name else None
    os_ = ld.once(("os", os_name), lambda: load_os(ld, os_name, src)) if os_name else None
    if isa is None or os_ is None or len(ld.errors) != n:
        if isinstance(isa_name, str) and isinstance(os_name, str):
            ld.error(src, "isa/os", f"unsupported combination {isa_name}/{os_name}: "
                     "nothing is generated for this target until the errors above are fixed")
        return None
    callee_saved = _get(ld, src, "abi.callee_saved", dict) or {}
    for cls, regs in callee_saved.items():
        if not isinstance(regs, list) or not all(isinstance(r, str) for r in regs):
            ld.error(src, f"abi.callee_saved.{cls}", "must be a list of register names")
    fields = {}
    for reg, f in (_get(ld, src, "context.fields", dict) or {}).items():
        if not isinstance(f, dict) or set(f) != {"field", "offset"}:
            ld.error(src, f"context.fields.{reg}", "needs exactly field and offset")
            continue
        if not isinstance(f["field"], str) or not FIELD.fullmatch(f["field"]):
            ld.error(src, f"context.fields.{reg}.field", f"{f['field']!r} is not a C member designator")
            continue
        if not isinstance(f["offset"], int) or isinstance(f["offset"], bool) or not 0 <= f["offset"] <= MAX_INT:
            ld.error(src, f"context.fields.{reg}.offset", f"{f['offset']!r} is not an integer from 0 to {MAX_INT}")
            continue
        fields[reg] = ContextField(reg, f["field"], f["offset"])
    t = Target(
        src=src,
        name=name,
        isa=isa,
        os=os_,
        int_args=_get(ld, src, "abi.int_args", list, of=str),
        return_register=_get(ld, src, "abi.return", str),
        callee_saved={k: v for k, v in callee_saved.items()},
        reserved=_get(ld, src, "abi.reserved", dict),
        stack_alignment=_get(ld, src, "abi.stack_alignment", int),
        shadow_space=_get(ld, src, "abi.shadow_space", int),
        red_zone=_get(ld, src, "abi.red_zone", int),
        handler_callee_pops=_get(ld, src, "abi.handler_callee_pops", int),
        c_attribute=_get(ld, src, "abi.c_attribute", str),
        handler_c_attribute=_get(ld, src, "abi.handler_c_attribute", str),
        scratch=_get(ld, src, "resume.scratch", list, of=str),
        kind_register=_get(ld, src, "resume.kind_register", str),
        context_size=_get(ld, src, "context.size", int),
        context_fields=fields,
    )
    if len(ld.errors) != n:
        return None
    validate_target(ld, t)
    return t if len(ld.errors) == n else None


def validate_target(ld: Loader, t: Target) -> None:
    """The questions every target must answer, and the roles that must not clash."""
    src, isa = t.src, t.isa
    err = lambda key, reason: ld.error(src, key, reason)
    sp, pc, lr = isa.stack_pointer, isa.program_counter, isa.link_register
    special = {sp: "the stack pointer", pc: "the program counter"}
    if lr:
        special[lr] = "the link register"

    def known(key: str, reg, cls: str | None = "int") -> bool:
        if not isinstance(reg, str) or reg not in isa.reg_class:
            err(key, f"unknown register {reg!r}: {isa.name} has no such register "
                f"(spec/isa/{isa.name}.toml registers.*)")
            return False
        if cls is not None and isa.reg_class[reg] != cls:
            err(key, f"{reg} is a {isa.reg_class[reg]} register; this role needs a {cls} register")
            return False
        return True

    for i, r in enumerate(t.int_args):
        if known(f"abi.int_args[{i}]", r) and r in special:
            err(f"abi.int_args[{i}]", f"{r} is {special[r]} and cannot carry an argument")
    if len(set(t.int_args)) != len(t.int_args):
        err("abi.int_args", "a register is listed twice")
    if known("abi.return", t.return_register) and t.return_register in special:
        err("abi.return", f"{t.return_register} is {special[t.return_register]} and cannot carry the verdict")
    saved_all: set[str] = set()
    for cls, regs in t.callee_saved.items():
        if cls not in set(isa.reg_class.values()):
            err(f"abi.callee_saved.{cls}", f"unknown register class {cls!r}")
            continue
        if f"store.{cls}" not in isa.idioms or f"load.{cls}" not in isa.idioms:
            err(f"abi.callee_saved.{cls}", f"spec/isa/{isa.name}.toml has no idioms.store.{cls}/"
                f"idioms.load.{cls} to save these registers with")
        for i, r in enumerate(regs):
            key = f"abi.callee_saved.{cls}[{i}]"
            if not known(key, r, cls):
                continue
            if r in saved_all:
                err(key, f"{r} is listed twice")
            if r in special:
                err(key, f"{r} is {special[r]}; sigtramp keeps it by construction, not by saving it")
            if r in (t.reserved or {}):
                err(key, f"{r} is both callee-saved and reserved ({t.reserved[r]})")
            if r == t.return_register:
                err(key, f"{r} is the return register; restoring it would lose the verdict")
            saved_all.add(r)
    for r, why in (t.reserved or {}).items():
        if known(f"abi.reserved.{r}", r, None) and not isinstance(why, str):
            err(f"abi.reserved.{r}", "the value must be the reason, as a string")
    # Argument and return registers carry values across a call: never reserved,
    # and the callee's to clobber, so not callee-saved either.
    for i, r in enumerate(t.int_args):
        if r in (t.reserved or {}):
            err(f"abi.int_args[{i}]", f"{r} is reserved ({t.reserved[r]}) and cannot carry an argument")
        elif r in saved_all:
            err(f"abi.int_args[{i}]", f"{r} is callee-saved; an argument register is the callee's to clobber")
    if t.return_register in (t.reserved or {}):
        err("abi.return", f"{t.return_register} is reserved ({t.reserved[t.return_register]}) "
            "and cannot carry the verdict")

    # Stack shape.
    word = isa.word_bytes
    a = t.stack_alignment
    if a < word or a & (a - 1):
        err("abi.stack_alignment", f"{a} is not a power of two of at least the word size "
            f"({word}): no frame can be aligned to it")
    for key in ("shadow_space", "red_zone", "handler_callee_pops"):
        v = getattr(t, key)
        if v < 0 or v % word:
            err(f"abi.{key}", f"{v} is not a multiple of the word size ({word}): the frame "
                "would be unaligned")
    if a >= word and not a & (a - 1) and t.shadow_space % a:
        err("abi.shadow_space", f"{t.shadow_space} is not a multiple of the stack alignment "
            f"({a}): a call site would be unaligned")
    if t.handler_callee_pops and "return_pop" not in isa.idioms:
        err("abi.handler_callee_pops", f"the handler pops its arguments but spec/isa/{isa.name}"
            ".toml has no idioms.return_pop")
    n_handler = len(t.os.handler_args)
    needed_stack = max(0, n_handler - len(t.int_args))
    if t.handler_callee_pops not in (0, needed_stack * word):
        err("abi.handler_callee_pops", f"{t.handler_callee_pops} does not match the "
            f"{needed_stack} stack argument(s) of the handler ({needed_stack * word} bytes)")

    # The resume pair.
    if len(t.scratch) != 2 or len(set(t.scratch)) != 2:
        err("resume.scratch", "must be two different registers: [sp_from, pc_from]")
    else:
        inject_arg = t.int_args[:1]
        for i, r in enumerate(t.scratch):
            key = f"resume.scratch[{i}]"
            if not known(key, r):
                continue
            if r in special:
                err(key, f"{r} is {special[r]}; sigresume needs an ordinary register")
            elif r in saved_all:
                err(key, f"{r} is callee-saved in this ABI: sigresume would destroy a value "
                    "the resumed code keeps")
            elif r in (t.reserved or {}):
                err(key, f"{r} is reserved ({t.reserved[r]})")
            elif r in inject_arg:
                err(key, f"{r} is the argument register inject-call fills: sigresume would "
                    "overwrite the injected call's argument")
    # The kind register: loaded by the entries before the jump to sigtramp.
    kr = t.kind_register
    key = "resume.kind_register"
    if known(key, kr):
        handler_regs = t.int_args[:n_handler]
        if kr in special:
            err(key, f"{kr} is {special[kr]}")
        elif kr in handler_regs:
            err(key, f"{kr} carries handler argument {handler_regs.index(kr)} "
                f"({t.os.handler_args[handler_regs.index(kr)]['name']}), an argument the entry needs")
        elif kr in saved_all:
            err(key, f"{kr} is callee-saved: the entry would clobber it before sigtramp saves it")
        elif kr in (t.reserved or {}):
            err(key, f"{kr} is reserved ({t.reserved[kr]})")
        elif n_handler < len(t.int_args) and kr != t.int_args[n_handler]:
            err(key, f"the dispatcher takes the kind in {t.int_args[n_handler]} (argument "
                f"{n_handler}); load it there")

    # The context record: every register the stubs read or write needs a field.
    needed = {sp: "the stack pointer", pc: "the program counter"}
    if lr:
        needed[lr] = "the link register (inject-call sets the return address there)"
    for i, r in enumerate(t.scratch):
        needed.setdefault(r, f"resume scratch register {i}")
    if isa.pc_write_clears:
        needed.setdefault(isa.pc_write_clears["register"], "the state bits a PC change must clear")
    if t.int_args:
        needed.setdefault(t.int_args[0], "inject-call's argument register")
    for r, why in needed.items():
        if r not in t.context_fields:
            err(f"context.fields.{r}", f"missing: the stubs write {why}, but the spec does not "
                f"say which {t.os.context_type} field holds it")
    for r, f in t.context_fields.items():
        key = f"context.fields.{r}"
        if not known(key, r, None):
            continue
        size = isa.reg_width[r] // 8
        if size != word:
            err(key, f"{r} is {size} bytes; context accessors move whole words ({word})")
        if not isinstance(f.offset, int) or f.offset < 0 or f.offset % size:
            err(key, f"offset {f.offset!r} is not a multiple of the field size ({size})")
        elif f.offset + size > t.context_size:
            err(key, f"offset {f.offset} + {size} is past the end of the record ({t.context_size})")
    # Two registers in one field: a write to one would change the other.
    spans = sorted((f.offset, r) for r, f in t.context_fields.items()
                   if isinstance(f.offset, int) and r in isa.reg_width)
    for (o1, r1), (o2, r2) in zip(spans, spans[1:]):
        if o2 < o1 + isa.reg_width[r1] // 8:
            err(f"context.fields.{r2}", f"offset {o2} overlaps the field of {r1} at offset {o1}")


def target_names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "spec" / "target").glob("*.toml"))


def load(root: Path, names: list[str] | None = None) -> list[Target]:
    """Load and validate the named targets (all when None); raise SpecErrors on any problem."""
    ld = Loader(root)
    all_names = target_names(root)
    if names:
        for n in names:
            if n not in all_names:
                ld.error(f"spec/target/{n}.toml", "(file)", "unknown target: no such spec file "
                         f"(targets: {', '.join(all_names)})")
    targets = [load_target(ld, n) for n in (names or all_names) if n in all_names]
    if ld.errors:
        raise SpecErrors(ld.errors)
    return targets
