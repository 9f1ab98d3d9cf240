"""Load the spec/ tree and validate it.

A target (spec/target/NAME.toml) names an ISA (spec/isa/) and an OS
(spec/os/); the OS names object formats (spec/format/). Loading reads every
file a target needs; each file's shape is checked against its declaration in
schema.py (types, required keys, unknown keys), then validation answers a
fixed list of questions about what the values mean and reports every
unanswered or contradictory one as a SpecError naming the file, the key and
the reason. Nothing is rendered while any error stands.

No path is built from unchecked text: a target, ISA, OS or format name must
match schema.NAME before it becomes part of a file name.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import stat
import tomllib
from pathlib import Path

from . import schema, semantics
from .schema import IDENT, MAX_INT, NAME, NAME_RULE

MAX_FILE_BYTES = 1 << 20     # a spec file is a few KiB; anything near this is not one
MAX_DEPTH = 32
# Kinds index the runtime's handler table (TRAMPGEN_KIND_LIMIT entries), so they stay small.
MAX_KIND = 255


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


# Idioms with the placeholders each may use (a closed set per idiom).
IDIOM_PLACEHOLDERS = {
    "store": {"reg", "offset"},
    "load": {"reg", "offset"},
    "store_pair": {"reg", "reg2", "offset"},
    "load_pair": {"reg", "reg2", "offset"},
    "push_list": {"list"},
    "pop_list": {"list"},
    "move": {"src", "dst"},
    "load_const": {"reg", "value"},
    "call": {"symbol"},
    "tail_jump": {"symbol"},
    "jump_register": {"reg"},
    "return": set(),
    "return_pop": {"bytes"},
    "stack_alloc": {"bytes"},
    "stack_free": {"bytes"},
    "address": {"reg", "symbol"},
    "store_at": {"reg", "base", "offset"},
    "load_at": {"reg", "base", "offset"},
    "breakpoint": set(),
    "illegal": set(),
    "call_register": {"reg"},
    "jump": {"symbol"},
    "add_constant": {"reg", "value"},
}
# Placeholders an idiom must use: an idiom that ignores its operands assembles
# into the same instruction whatever it is asked for.
IDIOM_REQUIRED = {
    "add_constant": {"reg", "value"},
    "store_pair": {"reg", "reg2", "offset"},
    "load_pair": {"reg", "reg2", "offset"},
    "push_list": {"list"},
    "pop_list": {"list"},
    "call_register": {"reg"},
    "jump": {"symbol"},
    "address": {"reg", "symbol"},
    "store_at": {"reg", "base", "offset"},
    "load_at": {"reg", "base", "offset"},
}
# Idioms that address the stack: each must name the stack pointer, and never the program counter.
STACK_IDIOMS = ("stack_alloc", "stack_free", "store", "load", "store_pair", "load_pair")


# ---- placeholder text ------------------------------------------------------------
# Idioms and format directives hold `{name}` placeholders. They are substituted
# here, never by str.format: no format specs, conversions, attribute access or
# nesting, and a brace anywhere else is an error.

_PLACEHOLDER = re.compile(r"\{(" + IDENT + r")\}")


class TemplateTextError(ValueError):
    pass


def parse_placeholders(text: str) -> list[str | tuple[str]]:
    """Literal strings and (name,) placeholders; TemplateTextError on any other brace."""
    parts: list[str | tuple[str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append(text[pos:m.start()])
        parts.append((m.group(1),))
        pos = m.end()
    parts.append(text[pos:])
    for p in parts:
        if isinstance(p, str) and ("{" in p or "}" in p):
            brace = "{" if "{" in p else "}"
            raise TemplateTextError(f"a {brace!r} that is not part of a {{name}} placeholder "
                                    "(no format specs, conversions, nesting or escaped braces)")
    return [p for p in parts if p != ""]


def placeholders(text: str) -> set[str]:
    return {p[0] for p in parse_placeholders(text) if isinstance(p, tuple)}


def substitute(text: str, values: dict) -> str:
    """Replace each {name} with str(values[name]); KeyError for a name not given."""
    return "".join(p if isinstance(p, str) else str(values[p[0]]) for p in parse_placeholders(text))


def _literal(text: str) -> str:
    return "".join(p for p in parse_placeholders(text) if isinstance(p, str))


# What ends or splits an assembler statement, whatever the ISA: the .S files
# go through the C preprocessor first.
PREPROCESSOR_BREAKS = {"//": "starts a C++ comment (the .S file is preprocessed)",
                       "/*": "starts a C comment (the .S file is preprocessed)",
                       "*/": "ends a C comment (the .S file is preprocessed)",
                       "\\": "is a line continuation or escape",
                       "'": "starts a character constant"}
MNEMONIC = re.compile(r"[A-Za-z][A-Za-z0-9_.]*( |$)")
DIRECTIVE = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*( |$)")


# Placeholders that stand for a register (a name the templates substitute).
REGISTER_PLACEHOLDERS = {"reg", "reg2", "src", "dst", "base"}


def prefix_problem(text: str, prefix: str, registers) -> str | None:
    """Why an idiom names a register without the ISA's asm.register_prefix, or None. The
    assembler reads a bare register name as a symbol; checked for placeholders that stand for
    registers and for register names written out, after the mnemonic."""
    parts = parse_placeholders(text)
    before = ""
    for k, p in enumerate(parts):
        if isinstance(p, tuple):
            if p[0] in REGISTER_PLACEHOLDERS and not before.endswith(prefix):
                return f"{text!r} writes {{{p[0]}}} without the register prefix {prefix!r} (asm.register_prefix)"
            before = ""
            continue
        before = p
        lit = p if k else p.partition(" ")[2]
        for m in re.finditer(rf"(?<![\w.$%]){IDENT}", lit):
            if m.group(0) in registers and not lit[:m.start()].endswith(prefix):
                return (f"{text!r} names the register {m.group(0)} without the register prefix {prefix!r} "
                        "(asm.register_prefix): the assembler reads it as a symbol")
    return None


# A [disassembly] fold's relocation: its type as objdump -dr prints it, and
# optionally {symbol}, which captures the relocation's symbol.
FOLD_RELOC = re.compile(r"[A-Za-z_][A-Za-z0-9_]*( \{symbol\})?")


@dataclasses.dataclass(frozen=True)
class Asm:
    """An ISA's assembler syntax facts: what starts a comment, what separates statements."""

    isa: str
    comment: tuple[str, ...]
    separator: tuple[str, ...]
    register_prefix: str | None = None   # what the assembler needs before a register (asm.register_prefix)
    register_list: dict | None = None    # {open, separator, close}: how a register list is written

    def breaks(self) -> dict[str, str]:
        out = dict(PREPROCESSOR_BREAKS)
        for c in self.comment:
            out.setdefault(c, f"starts a comment in {self.isa} assembly (spec/isa/{self.isa}.toml asm.comment)")
        for s in self.separator:
            out.setdefault(s, f"separates statements in {self.isa} assembly (spec/isa/{self.isa}.toml asm.separator)")
        return out


def asm_text_problem(text: str, allowed: set[str], asm: Asm | None, directive: bool,
                     in_macro: bool = True) -> str | None:
    """Why text cannot be one assembler statement (instruction or directive), or None.
    in_macro: a directive that may be part of a preprocessor macro body (format.*),
    where '#' is an operator; the ISA's directives are lines of their own."""
    try:
        used = placeholders(text)
    except TemplateTextError as e:
        return f"{text!r}: {e}"
    unknown = used - allowed
    if unknown:
        may = ", ".join("{%s}" % a for a in sorted(allowed)) or "none"
        return f"{'directive' if directive else 'idiom'} {text!r} uses {{{sorted(unknown)[0]}}}; it may use only {may}"
    lit = _literal(text)
    if directive:
        if not DIRECTIVE.match(text):
            return f"{text!r} is not one assembler directive (.name operands...)"
        if "#" in lit and (in_macro or lit.lstrip().startswith("#")):
            return f"{text!r}: '#' is a preprocessor operator in the macro this directive is part of"
        if lit.count('"') % 2:
            return f"{text!r}: unbalanced double quote"
    elif not MNEMONIC.match(text):
        return f"{text!r} does not start with an instruction mnemonic"
    elif '"' in lit:
        return f"{text!r}: a double quote has no place in an instruction"
    for s, why in (asm.breaks() if asm else PREPROCESSOR_BREAKS).items():
        if s in lit:
            return f"{text!r} contains {s!r}, which {why}: an idiom is exactly one statement"
    return None


class Loader:
    """Reads spec files once each and collects every problem found."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[SpecError] = []
        self._cache: dict[str, Source | None] = {}
        self._loaded: dict[tuple, object] = {}
        self._reserved: dict[str, set[str]] | None = None
        self.format_reported: set[tuple] = set()

    def once(self, key: tuple, load):
        """Load an ISA, OS or format once; later targets get the same result, failure included."""
        if key not in self._loaded:
            self._loaded[key] = load()
        return self._loaded[key]

    def error(self, src: Source | str, key: str, reason: str) -> None:
        rel = src.rel if isinstance(src, Source) else src
        self.errors.append(SpecError(rel, key, reason))

    def read(self, kind: str, name: str, referrer: Source | None, key: str, what: str) -> Source | None:
        """spec/<kind>/<name>.toml, parsed and checked against its schema (None on any problem)."""
        if not NAME.fullmatch(name):
            # Never reached with a name from a file (the schema checks those first); a
            # name from elsewhere is refused before it becomes a path.
            self.error(referrer or f"spec/{kind}", key, f"{name!r} is not a valid {what} name ({NAME_RULE})")
            return None
        rel = f"spec/{kind}/{name}.toml"
        if rel in self._cache:
            return self._cache[rel]
        self._cache[rel] = src = self._read(rel, kind, referrer, key, what)
        return src

    def _read(self, rel, kind, referrer, key, what) -> Source | None:
        path = self.root / rel
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if referrer is not None:
                self.error(referrer, key, f"unknown {what}: there is no {rel}")
            else:
                self.error(rel, key, "no such spec file")
            return None
        except OSError as e:
            self.error(rel, "(file)", f"cannot read: {e.strerror}")
            return None
        if not stat.S_ISREG(st.st_mode):
            self.error(rel, "(file)", "not a regular file")
            return None
        if st.st_size > MAX_FILE_BYTES:
            self.error(rel, "(file)", f"{st.st_size} bytes; a spec file is at most {MAX_FILE_BYTES}")
            return None
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            self.error(rel, "(file)", f"cannot read: {e.strerror}")
            return None
        try:
            text = raw.decode("utf-8")
            data = tomllib.loads(text)
            if _depth(data) > MAX_DEPTH:
                raise RecursionError
        except UnicodeDecodeError as e:
            self.error(rel, "(file)", f"not UTF-8 text: byte {e.object[e.start]:#04x} at offset {e.start}")
            return None
        except tomllib.TOMLDecodeError as e:
            self.error(rel, "(file)", f"not valid TOML: {e}")
            return None
        except RecursionError:
            # Deep nesting exhausts tomllib's recursion at a depth that depends
            # on the caller's stack; refuse it the same way at any depth.
            self.error(rel, "(file)", f"values nested more than {MAX_DEPTH} deep; a spec needs a few levels")
            return None
        ok = schema.check(schema.SCHEMAS[kind], data, "", lambda k, r: self.error(rel, k, r))
        return Source(rel, data) if ok else None

    def target_names(self) -> list[str]:
        """The targets spec/target/ defines; a file whose name is not a valid target name is an error."""
        d = self.root / "spec" / "target"
        try:
            entries = sorted(os.listdir(d))
        except OSError as e:
            self.error("spec/target", "(directory)", f"cannot list: {e.strerror}")
            return []
        names = []
        for f in entries:
            if not f.endswith(".toml"):
                continue
            n = f[:-len(".toml")]
            if not NAME.fullmatch(n):
                # ASCII-escaped, spaces too: a look-alike or invisible character shows as what it is.
                shown = ascii(n)[1:-1].replace(" ", "\\x20")
                self.error(f"spec/target/{shown}.toml", "(file)", f"target name '{shown}' is not valid "
                           f"({NAME_RULE}): it names the directory out/<target>/; rename or remove the file")
                continue
            names.append(n)
        if not names and not self.errors:
            self.error("spec/target", "(directory)", "no target specs (*.toml): refusing to generate an empty out/")
        return names

    def reserved_names(self) -> dict[str, set[str]]:
        """Names the templates generate themselves: trampgen_<name> symbols and TRAMPGEN_KIND_<name> macros.

        Read from templates/ so the list cannot go stale; an entry or kind may not take one."""
        if self._reserved is None:
            syms, kinds = set(), set()
            try:
                for p in sorted((self.root / "templates").glob("*.j2")):
                    text = p.read_text(encoding="utf-8")
                    syms |= set(re.findall(r"\btrampgen_(\w+)", text))
                    kinds |= set(re.findall(r"\bTRAMPGEN_KIND_(\w+)", text))
            except (OSError, UnicodeDecodeError):
                pass   # rendering reports the unreadable template
            self._reserved = {"symbol": syms, "kind": kinds}
        return self._reserved


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


def _near(name: str, choices) -> str:
    """A 'did you mean' for a misspelt or mis-cased name ('' when nothing is close)."""
    by_case = [c for c in choices if c.lower() == name.lower()]
    near = by_case or difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f"; did you mean {near[0]!r}?" if near else ""


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
    next_pc: dict | None             # {register, offset}: a PC write sets it to PC + offset (isa.next_pc)
    return_offset: int               # a return goes to the return address + this (isa.return_offset)
    delay_slot_fill: str | None      # what follows every transfer idiom (isa.delay_slot_fill), or None
    function_alignment_log2: int
    file_directives: list[str]
    function_directives: list[str]
    load_const_max: int              # largest kind value load_const can load (measured per ISA)
    pair_offset_max: int | None      # largest SP offset of store_pair/load_pair (None: no pairs)
    implicit_reads: dict[str, list[str]]   # idiom -> registers it reads without naming them
    asm: Asm
    reg_class: dict[str, str]        # register name -> class ("int", "vector")
    reg_width: dict[str, int]        # register name -> bits
    idioms: dict[str, str]           # "store.int", "move", ...
    sequences: dict[str, tuple[str, ...]]   # idioms that are several statements ("address")
    literal_pool: str | None         # directive that places pending literals (asm.literal_pool)
    divide_by_zero_traps: bool
    divide_by_zero_note: str
    byte_order: str                  # "little" or "big"
    reg_whole: dict[str, tuple[str, int]]   # register -> (name of the whole register it is a view of, bits)
    disassembly: dict                # [disassembly]: {fold: [{from, to}], qualifiers: [...]}
    oracle: IsaOracle | None = None  # [oracle]: register spellings for tests/oracle (load_isa_oracle)
    # spec/semantics/NAME.toml, for the checker (gen/semantics.py); None if the ISA has none.
    semantics: object = None

    @property
    def statement_separator(self) -> str:
        return self.asm.separator[0]


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
    builds: list[dict] = dataclasses.field(default_factory=list)       # os build: [[build]]
    host_builds: list[dict] = dataclasses.field(default_factory=list)  # [[host_build]]


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
    stack_bias: int                      # SP = real frame address - this (abi.stack_bias)
    shadow_space: int
    red_zone: int
    handler_callee_pops: int
    c_attribute: str
    handler_c_attribute: str
    scratch: list[str]
    kind_register: str
    context_type: str                    # the record ctx points at (context.type, else the OS's)
    context_headers: list[str]           # ... and the headers declaring it
    context_size: int
    context_fields: dict[str, ContextField]
    context_register_bytes: int          # bytes of each register's slot in the record (context.register_bytes)
    context_register_extend: str | None  # "sign"/"zero": how a value fills a wider slot
    toolchain: dict | None = None        # [toolchain], checked by validate_toolchain
    entry_address_register: str | None = None   # holds a function's own address on entry (PIC)
    global_pointer: dict | None = None   # {register, setup}: computed from it before calling C
    # The emulated-OS harness (tests/harness): a Windows target's CONTEXT record
    # ([harness]), what this OS on this ISA says of the same state ([harness_host]),
    # and, for a target with [harness], the target whose [harness_host] the harness
    # build uses (the target of the harness build's toolchain_os with the same ISA).
    harness: dict | None = None
    harness_host: dict | None = None
    harness_peer: "Target | None" = None

    @property
    def formats(self) -> list[Format]:
        return [self.os.format] + self.os.harness_formats


@dataclasses.dataclass
class IsaOracle:
    """How the ISA's C compilers spell its registers ([oracle]), for tests/oracle/oracle.py.

    Everything is per register of the ISA, NAME{n} patterns expanded, and the
    facts the spec already holds filled in: a register's own name and its
    aliases keep its class width; a clobber name no view gives a width to
    names the whole register."""

    clobber: dict[str, str]                 # register -> the name a clobber list uses
    spellings: dict[str, dict[str, int]]    # register -> {name a listing may print: bits a save keeps}
    save_width: dict[str, int]              # store mnemonic -> bits it saves (oracle.save_width)
    flags: tuple[str, ...] = ()             # compiler flags the measurement needs (oracle.flags)


def _oracle_matches(key: str, reg_class: dict[str, str]) -> list[tuple[str, str]]:
    """(register, number) for each register a [oracle] key names: itself, or NAME{n}'s."""
    if "{n}" not in key:
        return [(key, "")] if key in reg_class else []
    rx = re.compile(re.escape(key).replace(re.escape("{n}"), r"(\d+)"))
    return [(r, m.group(1)) for r in reg_class if (m := rx.fullmatch(r))]


def load_isa_oracle(d: dict, reg_class: dict[str, str], reg_width: dict[str, int], err) -> IsaOracle:
    """Validate [oracle] (optional: absent, the spec's names are the compilers' own)."""
    o = d.get("oracle", {})
    clobber: dict[str, str] = {r: r for r in reg_class}
    spellings: dict[str, dict[str, int]] = {r: {r: reg_width[r]} for r in reg_class}

    def expand(table: str):
        """(key path, register, value with {n} replaced) for every entry of oracle.TABLE."""
        for key, val in o.get(table, {}).items():
            path = schema.key_path(f"oracle.{table}", key)
            hits = _oracle_matches(key, reg_class)
            if not hits:
                err(path, f"{key!r} names no register of registers.*" + _near(key, reg_class))
                continue
            texts = [val] if isinstance(val, str) else list(val)
            if "{n}" not in key and any("{n}" in t for t in texts):
                err(path, f"uses {{n}}, but {key!r} is a register, not a NAME{{n}} pattern")
                continue
            for reg, num in hits:
                if isinstance(val, str):
                    yield path, reg, val.replace("{n}", num)
                elif isinstance(val, list):
                    yield path, reg, [t.replace("{n}", num) for t in val]
                else:
                    yield path, reg, {t.replace("{n}", num): bits for t, bits in val.items()}

    def bits_ok(path: str, bits: int) -> bool:
        if bits == 0 or bits % 8:
            err(path, f"{bits} is not a whole number of bytes")
            return False
        return True

    for key, views in o.get("views", {}).items():
        for v, bits in views.items():
            bits_ok(schema.key_path(schema.key_path("oracle.views", key), v), bits)
    for path, reg, name in expand("clobber"):
        if clobber[reg] != reg and clobber[reg] != name:
            err(path, f"gives {reg} a second clobber name {name!r} (another key gave {clobber[reg]!r})")
        clobber[reg] = name
    for path, reg, names in expand("aliases"):
        for a in names:
            spellings[reg].setdefault(a, reg_width[reg])
    for path, reg, views in expand("views"):
        for v, bits in views.items():
            spellings[reg][v] = bits
    for reg, name in clobber.items():
        spellings[reg].setdefault(name, reg_width[reg])
    # A name means one register: a listing that prints it saves that one.
    owner: dict[str, str] = {}
    for reg, names in spellings.items():
        for n in names:
            if n in owner and owner[n] != reg:
                err("oracle", f"{n!r} would be a spelling of both {owner[n]} and {reg}: "
                    "a listing that prints it would not say which is saved")
            owner.setdefault(n, reg)
    save_width = {}
    for mnemonic, bits in o.get("save_width", {}).items():
        if bits_ok(schema.key_path("oracle.save_width", mnemonic), bits):
            save_width[mnemonic] = bits
    return IsaOracle(clobber=clobber, spellings=spellings, save_width=save_width,
                     flags=tuple(o.get("flags", ())))


def load_isa(ld: Loader, name: str, referrer: Source) -> Isa | None:
    src = ld.read("isa", name, referrer, "isa", "ISA")
    if src is None:
        return None
    n = len(ld.errors)
    err = lambda key, reason: ld.error(src, key, reason)
    d = src.data
    i = d["isa"]
    if i["name"] != name:
        err("isa.name", f"is {i['name']!r} but the file is {name}.toml")
    if i["word_bytes"] not in (4, 8):
        err("isa.word_bytes", f"{i['word_bytes']} is not 4 or 8")
    if i["function_alignment_log2"] > 12:
        err("isa.function_alignment_log2", f"{i['function_alignment_log2']} aligns each "
            "function to more than a 4 KiB page")
    if not 0 <= i.get("code_address_tag", 0) <= 3:
        err("isa.code_address_tag", f"{i['code_address_tag']} is not a mask of the low two address bits")

    # Registers: unique names, unique even ignoring case (CTX_<REG> macros are upper-cased).
    reg_class: dict[str, str] = {}
    reg_width: dict[str, int] = {}
    folded: dict[str, str] = {}
    for cls, body in d["registers"].items():
        width = body["width"]
        if width == 0 or width % 8:
            err(f"registers.{cls}.width", f"{width} is not a whole number of bytes")
        for r in body["names"]:
            if not re.fullmatch(IDENT, r):
                # Names become C macro names (CTX_<REG>) and assembler operands.
                err(f"registers.{cls}.names", f"register name {r!r} is not an identifier")
                continue
            if r in reg_class:
                err(f"registers.{cls}.names", f"register {r} is listed twice")
                continue
            if r.lower() in folded:
                err(f"registers.{cls}.names", f"register {r} is {folded[r.lower()]} spelt another way "
                    "(register names must differ in more than case)")
                continue
            folded[r.lower()] = r
            reg_class[r] = cls
            reg_width[r] = width

    # registers.CLASS.whole: each name of the class may be a view of a wider
    # register; test code that moves whole registers uses these names.
    reg_whole: dict[str, tuple[str, int]] = {r: (r, reg_width[r]) for r in reg_class}
    for cls, body in d["registers"].items():
        whole, ww = body.get("whole"), body.get("whole_width")
        if (whole is None) != (ww is None):
            err(f"registers.{cls}." + ("whole_width" if whole else "whole"),
                "missing: whole and whole_width go together (the whole register's names and its width)")
            continue
        if whole is None:
            continue
        if ww < body["width"] or ww % 8:
            err(f"registers.{cls}.whole_width", f"{ww} is not a whole number of bytes at least "
                f"registers.{cls}.width ({body['width']})")
            continue
        mine = {r: c for r, c in reg_class.items() if c == cls}
        for key, name in whole.items():
            hits = _oracle_matches(key, mine)
            if not hits:
                err(schema.key_path(f"registers.{cls}.whole", key),
                    f"{key!r} names no register of registers.{cls}" + _near(key, mine))
                continue
            if "{n}" not in key and "{n}" in name:
                err(schema.key_path(f"registers.{cls}.whole", key),
                    f"uses {{n}}, but {key!r} is a register, not a NAME{{n}} pattern")
                continue
            for reg, num in hits:
                reg_whole[reg] = (name.replace("{n}", num), ww)
        missed = [r for r in mine if reg_whole[r][1] != ww]
        if missed:
            err(f"registers.{cls}.whole", f"says nothing of {missed[0]}: every register of the "
                "class must be a view of a whole register")

    def register(key: str, reg: str | None) -> None:
        if reg is not None and reg not in reg_class:
            err(key, f"unknown register {reg!r}: not in any registers.* list" + _near(reg, reg_class))

    sp, pc, lr = i["stack_pointer"], i["program_counter"], i.get("link_register")
    for key, reg in (("stack_pointer", sp), ("program_counter", pc), ("link_register", lr)):
        register(f"isa.{key}", reg)
    if len({sp, pc, lr} - {None}) != len([r for r in (sp, pc, lr) if r is not None]):
        err("isa", "stack_pointer, program_counter and link_register must be three different registers")
    pwc = i.get("pc_write_clears")
    if pwc is not None:
        register("isa.pc_write_clears.register", pwc["register"])
        if not 0 < pwc["mask"] < 2**32:
            err("isa.pc_write_clears.mask", f"{pwc['mask']} is not a non-zero 32-bit mask")
    npc = i.get("next_pc")
    if npc is not None:
        register("isa.next_pc.register", npc["register"])
        if npc["register"] in (sp, pc, lr):
            err("isa.next_pc.register", f"{npc['register']} is already the stack pointer, program counter "
                "or link register")
        elif reg_class.get(npc["register"]) == "int":
            err("isa.next_pc.register", f"{npc['register']} is in registers.int, whose registers the "
                "tests load and store; no instruction names the next PC: give it a class of its own")
        if not 0 < npc["offset"] <= 16:
            err("isa.next_pc.offset", f"{npc['offset']}: the next instruction is 1 to 16 bytes after the PC")
    if i.get("return_offset", 0) and i["call_pushes_return_address"]:
        err("isa.return_offset", "given, but calls push the return address, which a return pops and "
            "jumps to as it is")
    elif not 0 <= i.get("return_offset", 0) <= 16:
        err("isa.return_offset", f"{i['return_offset']}: a return lands 0 to 16 bytes past the return address")
    if i["call_pushes_return_address"] is False and lr is None:
        err("isa.link_register", "missing: calls do not push a return address, so "
            "the ISA must name the register that receives it")
    if i["call_pushes_return_address"] and lr is not None:
        err("isa.link_register", "an ISA whose calls push the return address has no link register")

    # Assembler syntax: what the idioms may not contain.
    a = d["asm"]
    for key in ("comment", "separator"):
        for k, s in enumerate(a[key]):
            if not s or any(c.isspace() or c.isalnum() or c in "{}_" for c in s) or len(s) > 4:
                err(f"asm.{key}[{k}]", f"{s!r} is not a comment or separator token (1-4 punctuation characters)")
    asm = Asm(name, tuple(a["comment"]), tuple(a["separator"]), a.get("register_prefix"), a.get("register_list"))

    idioms: dict[str, str] = {}
    sequences: dict[str, tuple[str, ...]] = {}
    for key, val in d["idioms"].items():
        if isinstance(val, list):
            sequences[key] = tuple(val)
            for k, text in enumerate(val):
                problem = asm_text_problem(text, IDIOM_PLACEHOLDERS[key], asm, directive=False)
                if problem:
                    err(f"idioms.{key}[{k}]", problem)
            try:
                used = set().union(*(placeholders(t) for t in val))
            except TemplateTextError:
                continue
            missing = IDIOM_REQUIRED.get(key, set()) - used
            if missing:
                err(f"idioms.{key}", f"never uses {{{sorted(missing)[0]}}}: the statements must "
                    "depend on every operand they are given")
        elif isinstance(val, dict):
            for cls, text in val.items():
                if cls not in set(reg_class.values()):
                    err(f"idioms.{key}.{cls}", f"unknown register class {cls!r}" + _near(cls, set(reg_class.values())))
                idioms[f"{key}.{cls}"] = text
        else:
            idioms[key] = val
    for key in ("store.int", "load.int"):
        if "int" in reg_class.values() and key not in idioms:
            err(f"idioms.{key}", "missing: the templates need this instruction")
    if "int" not in reg_class.values():
        err("registers.int", "missing: the templates need an int register class")
    for key, text in idioms.items():
        problem = asm_text_problem(text, IDIOM_PLACEHOLDERS[key.split(".")[0]], asm, directive=False)
        if problem:
            err(f"idioms.{key}", problem)
            continue
        missing = IDIOM_REQUIRED.get(key.split(".")[0], set()) - placeholders(text)
        if missing:
            err(f"idioms.{key}", f"{text!r} never uses {{{sorted(missing)[0]}}}: the instruction "
                "must depend on every operand it is given")
            continue
        if key.split(".")[0] in STACK_IDIOMS:
            # SP and PC swapped (or misnamed) shows here, independently of the names:
            # every idiom that addresses the stack names the stack pointer as an operand.
            tokens = set(re.findall(IDENT, _literal(text)))
            if sp not in tokens:
                err(f"idioms.{key}", f"{text!r} does not name the stack pointer {sp} (isa.stack_pointer)"
                    + (f"; it names {pc}: are stack_pointer and program_counter swapped?" if pc in tokens else ""))
            elif pc in tokens:
                err(f"idioms.{key}", f"{text!r} names the program counter {pc} (isa.program_counter); "
                    "a stack access has no use for it")
    if asm.register_prefix:
        texts = [(f"idioms.{k}", t) for k, t in idioms.items()]
        texts += [(f"idioms.{k}[{j}]", t) for k, seq in sequences.items() for j, t in enumerate(seq)]
        for key, text in texts:
            try:
                problem = prefix_problem(text, asm.register_prefix, reg_class)
            except TemplateTextError:
                continue                # reported above
            if problem:
                err(key, problem)
    for cls in sorted(set(reg_class.values())):
        for base in ("store", "load"):
            if f"{base}.{cls}" in idioms and f"{base}_at.{cls}" not in idioms:
                err(f"idioms.{base}_at.{cls}", f"missing: the tests access {cls} registers in memory "
                    f"through a base register as sigtramp does through the stack (idioms.{base}.{cls})")
    literal_pool = a.get("literal_pool")
    if literal_pool is not None:
        problem = asm_text_problem(literal_pool, set(), asm, directive=True)
        if problem:
            err("asm.literal_pool", problem)
    disassembly = d.get("disassembly", {})
    for k, f in enumerate(disassembly.get("fold", [])):
        used: set[str] = set()
        relocs = f.get("reloc")
        if relocs is not None and len(relocs) != len(f["from"]):
            err(f"disassembly.fold[{k}].reloc", f"{len(relocs)} item(s) for {len(f['from'])} statement(s) "
                "of `from`: one per statement (\"\" where a statement needs no relocation)")
            relocs = None
        for j, rel in enumerate(relocs or []):
            if rel and not FOLD_RELOC.fullmatch(rel):
                err(f"disassembly.fold[{k}].reloc[{j}]", f"{rel!r} is not a relocation: \"\", \"TYPE\" or "
                    "\"TYPE {symbol}\" (TYPE as objdump -dr prints it)")
            elif rel.endswith("{symbol}"):
                used.add("symbol")
        for j, text in enumerate(f["from"] + [f["to"]]):
            key = f"disassembly.fold[{k}]." + (f"from[{j}]" if j < len(f["from"]) else "to")
            problem = asm_text_problem(text, {"symbol", "reg"}, asm, directive=False)
            if problem:
                err(key, problem)
            elif j < len(f["from"]):
                used |= placeholders(text)
            elif placeholders(text) - used:
                err(key, f"uses {{{sorted(placeholders(text) - used)[0]}}}, which no statement of "
                    "`from` captures")
    for k, q in enumerate(disassembly.get("qualifiers", [])):
        if not re.fullmatch(r"\.[a-z0-9]+", q):
            err(f"disassembly.qualifiers[{k}]", f"{q!r} is not a mnemonic qualifier (a dot and letters or digits)")
    traps = d["traps"]
    if "delay_slot_fill" in i:
        problem = asm_text_problem(i["delay_slot_fill"], set(), asm, directive=False)
        if problem:
            err("isa.delay_slot_fill", problem)
    for key in ("file_directives", "function_directives"):
        for k, text in enumerate(i[key]):
            # Lines of their own: a '#' inside one (`.register %g2, #scratch`) is the assembler's.
            problem = asm_text_problem(text, set(), asm, directive=True, in_macro=False)
            if problem:
                err(f"isa.{key}[{k}]", problem)
    if not 0 < i["load_const_max"]:
        err("isa.load_const_max", "must be at least 1")
    # Pairs are an option the templates take where the spec offers them; both
    # directions per class, or the restore could not mirror the save.
    pair_classes = {k.split(".", 1)[1] for k in idioms if k.startswith(("store_pair.", "load_pair."))}
    for cls in sorted(pair_classes):
        for base in ("store", "load"):
            if f"{base}_pair.{cls}" not in idioms:
                other = "load" if base == "store" else "store"
                err(f"idioms.{base}_pair.{cls}", f"missing: idioms.{other}_pair.{cls} is given, and a "
                    "frame saved in pairs is restored in pairs")
            if f"{base}.{cls}" not in idioms:
                err(f"idioms.{base}_pair.{cls}", f"given, but idioms.{base}.{cls} is not: a register "
                    "left over from pairing needs the single form")
    # Register lists: the templates push the frame's integer registers with one
    # instruction and pop them with its mirror.
    list_classes = {k.split(".", 1)[1] for k in idioms if k.startswith(("push_list.", "pop_list."))}
    for cls in sorted(list_classes):
        for base, other in (("push_list", "pop_list"), ("pop_list", "push_list")):
            if f"{base}.{cls}" not in idioms:
                err(f"idioms.{base}.{cls}", f"missing: idioms.{other}.{cls} is given, and a frame pushed "
                    "as a list is popped as one")
        if cls != "int":
            err(f"idioms.push_list.{cls}", "only the int class is pushed as a list (the frame's "
                "callee-saved integer registers and the link register)")
    if list_classes and asm.register_list is None:
        err("asm.register_list", "missing: idioms.push_list/pop_list need to know how a register list "
            "is written ({open, separator, close})")
    if pair_classes and "pair_offset_max" not in i:
        err("isa.pair_offset_max", "missing: idioms.store_pair/load_pair are given, and the generator "
            "must know the largest offset they can encode (measure it with the assembler)")
    elif "pair_offset_max" in i and not pair_classes:
        err("isa.pair_offset_max", "given, but there is no idioms.store_pair/load_pair it could apply to")

    implicit_reads = {}
    for idiom, regs in i.get("implicit_reads", {}).items():
        key = f"isa.implicit_reads.{idiom}"
        if idiom not in idioms and idiom not in sequences:
            err(key, f"{idiom!r} is not an idiom of this file (idioms.*)")
            continue
        for k, r in enumerate(regs):
            if r not in reg_class:
                err(f"{key}[{k}]", f"{r!r} is not a register of this ISA (registers.*.names)")
        implicit_reads[idiom] = list(regs)

    isa = Isa(
        src=src,
        name=i["name"],
        word_bytes=i["word_bytes"],
        stack_pointer=sp,
        program_counter=pc,
        link_register=lr,
        call_pushes_return_address=i["call_pushes_return_address"],
        code_address_tag=i.get("code_address_tag", 0),
        pc_write_clears=pwc,
        next_pc=npc,
        return_offset=i.get("return_offset", 0),
        delay_slot_fill=i.get("delay_slot_fill"),
        function_alignment_log2=i["function_alignment_log2"],
        file_directives=i["file_directives"],
        function_directives=i["function_directives"],
        load_const_max=i["load_const_max"],
        pair_offset_max=i.get("pair_offset_max") if pair_classes else None,
        implicit_reads=implicit_reads,
        asm=asm,
        reg_class=reg_class,
        reg_width=reg_width,
        idioms=idioms,
        sequences=sequences,
        literal_pool=literal_pool,
        divide_by_zero_traps=traps["divide_by_zero"],
        divide_by_zero_note=traps["divide_by_zero_note"],
        byte_order=i["byte_order"],
        reg_whole=reg_whole,
        disassembly=disassembly,
    )
    isa.oracle = load_isa_oracle(d, reg_class, reg_width, err)
    if len(ld.errors) == n:
        isa.semantics = semantics.load(ld, isa)
    return isa if len(ld.errors) == n else None


def load_format(ld: Loader, name: str, referrer: Source, key: str) -> Format | None:
    src = ld.read("format", name, referrer, key, "object format")
    if src is None:
        return None
    n = len(ld.errors)
    f = src.data["format"]
    if f["name"] != name:
        ld.error(src, "format.name", f"is {f['name']!r} but the file is {name}.toml")
    fmt = Format(src=src, name=f["name"], detect=f["detect"], function_begin=f["function_begin"],
                 function_end=f["function_end"], file_end=f["file_end"])
    for k in ("function_begin", "function_end", "file_end"):
        for j, text in enumerate(getattr(fmt, k)):
            # The ISA's own comment and separator characters are checked per target.
            problem = asm_text_problem(text, {"symbol"} if k != "file_end" else set(), None, directive=True)
            if problem:
                ld.error(src, f"format.{k}[{j}]", problem)
    return fmt if len(ld.errors) == n else None


def load_os(ld: Loader, name: str, referrer: Source) -> Os | None:
    src = ld.read("os", name, referrer, "os", "OS")
    if src is None:
        return None
    n = len(ld.errors)
    err = lambda key, reason: ld.error(src, key, reason)
    d = src.data
    o = d["os"]
    if o["name"] != name:
        err("os.name", f"is {o['name']!r} but the file is {name}.toml")
    fmt = ld.once(("format", o["format"]), lambda: load_format(ld, o["format"], src, "os.format"))
    harness = []
    for k, h in enumerate(o["harness_formats"]):
        if h == o["format"] or h in o["harness_formats"][:k]:
            err(f"os.harness_formats[{k}]", f"{h} is already the OS's own format or listed before")
            continue
        harness.append(ld.once(("format", h), lambda: load_format(ld, h, src, f"os.harness_formats[{k}]")))
    reserved = ld.reserved_names()
    entries = []
    seen: dict[str, dict] = {"name": {}, "kind": {}, "value": {}}
    for k, e in enumerate(d["entry"]):
        key = f"entry[{k}]"
        for field in ("name", "kind", "value"):
            if e[field] in seen[field]:
                err(f"{key}.{field}", f"{e[field]!r} is already the {field} of entry[{seen[field][e[field]]}]")
            seen[field].setdefault(e[field], k)
        if e["name"] in reserved["symbol"]:
            err(f"{key}.name", f"trampgen_{e['name']} is a name the templates generate themselves")
        elif f"trampgen_{e['name']}" == o["dispatcher"]:
            err(f"{key}.name", f"trampgen_{e['name']} is the dispatcher (os.dispatcher)")
        if e["kind"] in reserved["kind"]:
            err(f"{key}.kind", f"TRAMPGEN_KIND_{e['kind']} is a macro the templates generate themselves")
        if e["value"] > MAX_KIND:
            err(f"{key}.value", f"{e['value']} is more than {MAX_KIND}: kinds index the runtime's "
                "handler table (TRAMPGEN_KIND_LIMIT entries)")
        entries.append(Entry(e["name"], e["kind"], e["value"], e["doc"]))
    names = [a["name"] for a in d["handler"]["args"]]
    for k, a in enumerate(d["handler"]["args"]):
        if a["name"] in names[:k]:
            err(f"handler.args[{k}].name", f"{a['name']!r} is already the name of argument {names.index(a['name'])}")
        elif a["name"] == "kind":
            err(f"handler.args[{k}].name", "'kind' is the dispatcher's own last parameter")
    if o["dispatcher"].startswith("trampgen_") and o["dispatcher"][len("trampgen_"):] in reserved["symbol"]:
        err("os.dispatcher", f"{o['dispatcher']} is a symbol the generated code defines itself")
    c = d["context"]
    os_ = Os(
        src=src,
        name=o["name"],
        format=fmt,
        harness_formats=harness,
        dispatcher=o["dispatcher"],
        handler_returns=d["handler"]["returns"],
        handler_args=d["handler"]["args"],
        entries=entries,
        context_type=c["type"],
        context_headers=c["headers"],
        context_defines=c["defines"],
        context_detect=c["detect"],
        builds=d.get("build", []),
        host_builds=d.get("host_build", []),
    )
    for key in ("build", "host_build"):
        names = [b["name"] for b in d.get(key, [])]
        for k, b in enumerate(d.get(key, [])):
            if b["name"] in names[:k]:
                err(f"{key}[{k}].name", f"{b['name']!r} is already the name of {key}[{names.index(b['name'])}]")
    ok = len(ld.errors) == n and fmt is not None and None not in harness
    return os_ if ok else None


def load_target(ld: Loader, name: str) -> Target | None:
    src = ld.read("target", name, None, "(file)", "target")
    if src is None:
        return None
    n = len(ld.errors)
    d = src.data
    isa_name, os_name = d["isa"], d["os"]
    isa = ld.once(("isa", isa_name), lambda: load_isa(ld, isa_name, src))
    os_ = ld.once(("os", os_name), lambda: load_os(ld, os_name, src))
    if isa is None or os_ is None or len(ld.errors) != n:
        # The ISA's or OS's own errors say why; one line per problem, not per target too.
        return None
    abi, resume, ctx = d["abi"], d["resume"], d["context"]
    t = Target(
        src=src,
        name=name,
        isa=isa,
        os=os_,
        int_args=abi["int_args"],
        return_register=abi["return"],
        callee_saved=dict(abi["callee_saved"]),
        reserved=dict(abi["reserved"]),
        stack_alignment=abi["stack_alignment"],
        stack_bias=abi.get("stack_bias", 0),
        shadow_space=abi["shadow_space"],
        red_zone=abi["red_zone"],
        handler_callee_pops=abi["handler_callee_pops"],
        c_attribute=abi["c_attribute"],
        handler_c_attribute=abi["handler_c_attribute"],
        scratch=resume["scratch"],
        kind_register=resume["kind_register"],
        context_type=ctx.get("type", os_.context_type),
        context_headers=ctx.get("headers", os_.context_headers),
        context_size=ctx["size"],
        context_fields={r: ContextField(r, f["field"], f["offset"]) for r, f in ctx["fields"].items()},
        context_register_bytes=ctx.get("register_bytes", isa.word_bytes),
        context_register_extend=ctx.get("register_extend"),
        toolchain=d.get("toolchain"),
        entry_address_register=abi.get("entry_address_register"),
        global_pointer=abi.get("global_pointer"),
        harness=d.get("harness"),
        harness_host=d.get("harness_host"),
    )
    validate_target(ld, t)
    validate_toolchain(ld, t)
    validate_harness(ld, t)
    validate_harness_host(ld, t)
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
                f"(spec/isa/{isa.name}.toml registers.*)" + _near(str(reg), isa.reg_class))
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
            err(f"abi.callee_saved.{cls}", f"unknown register class {cls!r}"
                + _near(cls, set(isa.reg_class.values())))
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
    for r in t.reserved:
        known(f"abi.reserved.{r}", r, None)
    # Argument and return registers carry values across a call: never reserved.
    # An argument register may be callee-saved as well (docs/spec.md
    # abi.int_args): sigtramp then saves it like the others, and nothing may use
    # it as scratch (resume.scratch and the kind register refuse it below).
    for i, r in enumerate(t.int_args):
        if r in (t.reserved or {}):
            err(f"abi.int_args[{i}]", f"{r} is reserved ({t.reserved[r]}) and cannot carry an argument")
    if t.return_register in (t.reserved or {}):
        err("abi.return", f"{t.return_register} is reserved ({t.reserved[t.return_register]}) "
            "and cannot carry the verdict")

    # Stack shape.
    word = isa.word_bytes
    a = t.stack_alignment
    if a < word or a & (a - 1):
        err("abi.stack_alignment", f"{a} is not a power of two of at least the word size "
            f"({word}): no frame can be aligned to it")
    if not 0 <= t.stack_bias < 4096:
        err("abi.stack_bias", f"{t.stack_bias}: a stack bias is 0 to 4095 bytes")
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

    # Position-independent entry conventions.
    ea = t.entry_address_register
    key = "abi.entry_address_register"
    if ea is not None and known(key, ea):
        if ea in special or ea in saved_all or ea in (t.reserved or {}) or ea in t.int_args[:n_handler]:
            err(key, f"{ea} has another role (special, callee-saved, reserved or a handler argument); "
                "the register a function is entered with its own address in is a temporary")
        elif len(t.scratch) > 1 and t.scratch[1] != ea:
            err("resume.scratch[1]", f"{t.scratch[1]}, but sigresume's jump must go through {ea} "
                f"(abi.entry_address_register): an injected function is entered with its own "
                f"address there")
        if "add_constant" not in isa.idioms:
            err(key, f"needs spec/isa/{isa.name}.toml idioms.add_constant: each entry moves {ea} "
                "from its own address to sigtramp's before jumping there")
    gp = t.global_pointer
    if gp is not None:
        key = "abi.global_pointer"
        g = gp["register"]
        if known(f"{key}.register", g):
            if ea is None:
                err(key, "needs abi.entry_address_register: sigtramp computes the global pointer "
                    "from its own address, which it is entered with there")
            # Callee-saved: sigtramp saves it like the others and restores
            # it. Otherwise (each caller reloads its own) sigtramp just
            # overwrites it, as any callee does.
            others = {**special, **{r: "reserved" for r in (t.reserved or {})},
                      **{r: "an argument register" for r in t.int_args},
                      **{r: "a resume scratch register" for r in t.scratch},
                      t.kind_register: "the kind register", t.return_register: "the return register"}
            if ea is not None:
                others[ea] = "the entry address register"
            if g in others:
                err(f"{key}.register", f"{g} is {others[g]}: the global pointer needs a register of its own")
        used: set[str] = set()
        for k, text in enumerate(gp["setup"]):
            problem = asm_text_problem(text, {"reg", "entry", "symbol"}, isa.asm, directive=False)
            if problem:
                err(f"{key}.setup[{k}]", problem)
            else:
                used |= placeholders(text)
        for need in ("reg", "entry"):
            if need not in used:
                err(f"{key}.setup", f"never uses {{{need}}}: the statements must compute "
                    "the pointer into {reg} from the address in {entry}")

    # Registers the ISA's idioms read without naming them (a PIC call through
    # the GOT): the only one the templates can make valid is the global
    # pointer, which sigtramp sets up before it calls C.
    readers: dict[str, list[str]] = {}
    for idiom, regs in isa.implicit_reads.items():
        for r in regs:
            readers.setdefault(r, []).append(idiom)
    for r, idioms in readers.items():
        why = (f"spec/isa/{isa.name}.toml isa.implicit_reads says idioms {', '.join(idioms)} read {r}, "
               f"which holds the interrupted code's value when an entry runs")
        if gp is None:
            err("abi.global_pointer", f"missing: {why}; say how sigtramp sets {r} up before it calls C")
        elif gp["register"] != r:
            err("abi.global_pointer.register", f"{gp['register']}, but {why}: only the global "
                "pointer is set up before C is called")

    # The context record: every register the stubs read or write needs a field.
    needed = {sp: "the stack pointer", pc: "the program counter"}
    if lr:
        needed[lr] = "the link register (inject-call sets the return address there)"
    for i, r in enumerate(t.scratch):
        needed.setdefault(r, f"resume scratch register {i}")
    if isa.pc_write_clears:
        needed.setdefault(isa.pc_write_clears["register"], "the state bits a PC change must clear")
    if isa.next_pc:
        needed.setdefault(isa.next_pc["register"], "the next PC, which a PC change sets")
    if t.int_args:
        needed.setdefault(t.int_args[0], "inject-call's argument register")
    for r, why in needed.items():
        if r not in t.context_fields:
            err(f"context.fields.{r}", f"missing: the stubs write {why}, but the spec does not "
                f"say which {t.context_type} field holds it")
    c = t.src.data["context"]
    if ("type" in c) != ("headers" in c):
        err("context.headers" if "type" in c else "context.type",
            "missing: context.type and context.headers go together (the record the stubs edit, and "
            "the headers that declare it, which context.c checks the offsets against)")
    slot = t.context_register_bytes
    if slot not in (word, 2 * word) or slot > 8:
        # context.c moves a wide slot as a uint64_t.
        err("context.register_bytes", f"{slot}: a register's slot is one word ({word} bytes) or two, "
            "and at most 8 bytes")
        slot = word
    if slot != word and t.context_register_extend is None:
        err("context.register_extend", f"missing: a {word}-byte register in a {slot}-byte slot must be "
            "widened one way: \"sign\" or \"zero\", as the OS stores and reads it")
    elif slot == word and t.context_register_extend is not None:
        err("context.register_extend", "given, but each register fills its slot (context.register_bytes)")
    for r, f in t.context_fields.items():
        key = f"context.fields.{r}"
        if not known(key, r, None):
            continue
        if isa.reg_width[r] // 8 != word:
            err(key, f"{r} is {isa.reg_width[r] // 8} bytes; context accessors move whole words ({word})")
        size = slot
        if not isinstance(f.offset, int) or f.offset < 0 or f.offset % size:
            err(key, f"offset {f.offset!r} is not a multiple of the field size ({size})")
        elif f.offset + size > t.context_size:
            err(key, f"offset {f.offset} + {size} is past the end of the record ({t.context_size})")
    # Two registers in one field: a write to one would change the other.
    spans = sorted((f.offset, r) for r, f in t.context_fields.items()
                   if isinstance(f.offset, int) and r in isa.reg_width)
    for (o1, r1), (o2, r2) in zip(spans, spans[1:]):
        if o2 < o1 + slot:
            err(f"context.fields.{r2}", f"offset {o2} overlaps the field of {r1} at offset {o1}")

    # What the OS and format layers ask of this ISA.
    for k, e in enumerate(t.os.entries):
        if e.value > isa.load_const_max:
            ld.error(t.os.src, f"entry[{k}].value", f"{e.value} does not fit {isa.name}'s load_const "
                     f"immediate (at most {isa.load_const_max}, spec/isa/{isa.name}.toml "
                     f"isa.load_const_max), which target {t.name} needs")
    breaks = isa.asm.breaks()
    for fmt in t.formats:
        for k in ("function_begin", "function_end", "file_end"):
            for j, text in enumerate(getattr(fmt, k)):
                hit = next((s for s in breaks if s in _literal(text)), None)
                if hit and (fmt.src.rel, k, j) not in ld.format_reported:
                    ld.format_reported.add((fmt.src.rel, k, j))   # once, not once per target
                    ld.error(fmt.src, f"format.{k}[{j}]", f"{text!r} contains {hit!r}, which "
                             f"{breaks[hit]}; target {t.name} assembles this format")


def validate_toolchain(ld: Loader, t: Target) -> None:
    """What a runner kind needs (the keys only one target can check; see gen/builds.py for the rest)."""
    tc = t.toolchain
    if tc is None:
        return
    err = lambda key, reason: ld.error(t.src, key, reason)
    run = tc["runner"]
    kind = run["kind"]
    if kind in ("qemu", "wine") and not run.get("programs"):
        err("toolchain.runner.programs", f"missing: a {kind} runner needs the program(s) to look for")
    if kind == "qemu" and "sysroot" not in tc:
        err("toolchain.sysroot", "missing: qemu-user needs the target's libraries (-L SYSROOT)")
    if kind in ("native", "none") and run.get("programs"):
        err("toolchain.runner.programs", f"a {kind} runner runs no program")
    if (kind == "native") != ("native_for" in tc):
        err("toolchain.native_for", "missing: a native runner needs the host processors it is native for"
            if kind == "native" else f"only a native toolchain is native for a host (runner is {kind})")
    if kind == "native" and ("clang_target" in tc or "sysroot" in tc):
        err("toolchain." + ("clang_target" if "clang_target" in tc else "sysroot"),
            "a native toolchain builds for the host itself")
    if run.get("undelivered") and kind not in ("qemu", "wine", "native"):
        err("toolchain.runner.undelivered", f"a {kind} runner runs nothing that traps")
    if "suite" in run:
        if "package" not in run:
            err("toolchain.runner.suite", "needs toolchain.runner.package: the package to take from it")
        elif "multiarch" in run:
            err("toolchain.runner.suite", "a runner is taken from another release or from a multiarch, not both")
        elif kind != "qemu":
            err("toolchain.runner.suite", f"a {kind} runner is installed, not unpacked from another release")
    if "multiarch" in run and "package" not in run:
        err("toolchain.runner.multiarch", "needs toolchain.runner.package: the package installed from it")
    if ("storm_scale" in tc) != ("storm_subset" in tc):
        err("toolchain.storm_scale" if "storm_scale" in tc else "toolchain.storm_subset",
            "storm_subset and storm_scale go together")
    if tc.get("storm_scale") == 0:
        err("toolchain.storm_scale", "0: iteration counts are divided by it")


# ---- the emulated-OS harness tables ---------------------------------------------

# The member types a CONTEXT mirror is made of, with their sizes.
HARNESS_TYPES = {"uint8_t": 1, "int8_t": 1, "uint16_t": 2, "int16_t": 2,
                 "uint32_t": 4, "int32_t": 4, "uint64_t": 8, "int64_t": 8}


def _member_size(m: dict) -> int | None:
    """sizeof a [harness] member (nested structs: up to the end of their last member)."""
    if "members" in m:
        inner = [_member_size(x) for x in m["members"]]
        if None in inner:
            return None
        last = max(m["members"], key=lambda x: x["offset"])
        size = last["offset"] + _member_size(last)
        align = max(HARNESS_TYPES.get(x["type"], 1) for x in m["members"])
        size = -(-size // align) * align
    elif m["type"] in HARNESS_TYPES:
        size = HARNESS_TYPES[m["type"]]
    else:
        return None
    for d in m.get("dims", []):
        size *= d
    return size


def _check_members(err, key: str, members: list[dict], total: int | None) -> dict[str, dict]:
    """Offsets in order, no overlap, inside the record; returns name -> member."""
    names: dict[str, dict] = {}
    end = 0
    for k, m in enumerate(members):
        mk = f"{key}[{k}]"
        if m["name"] in names:
            err(f"{mk}.name", f"{m['name']!r} is already the name of another member")
        names[m["name"]] = m
        if "members" in m:
            if m["type"] in HARNESS_TYPES:
                err(f"{mk}.type", f"{m['type']} is an integer type; a member with members names its struct type")
            _check_members(err, f"{mk}.members", m["members"], None)
            for j, x in enumerate(m["members"]):
                if "members" in x:
                    err(f"{mk}.members[{j}]", "structs nest one level deep")
        elif m["type"] not in HARNESS_TYPES:
            err(f"{mk}.type", f"{m['type']!r} is not one of " + ", ".join(HARNESS_TYPES))
            continue
        if any(d == 0 for d in m.get("dims", [])):
            err(f"{mk}.dims", "an array dimension of 0")
            continue
        size = _member_size(m)
        if size is None:
            continue
        if m["offset"] < end:
            err(f"{mk}.offset", f"{m['offset']} overlaps the member before it (which ends at {end})")
        end = m["offset"] + size
        if total is not None and end > total:
            err(f"{mk}.offset", f"{m['offset']} + {size} is past the end of the record ({total}, context.size)")
    return names


def validate_harness(ld: Loader, t: Target) -> None:
    """A Windows target's [harness] table: a CONTEXT the harness can mirror, agreeing with [context]."""
    h = t.harness
    if h is None:
        return
    err = lambda key, reason: ld.error(t.src, f"harness.{key}", reason)
    if h["align"] == 0 or h["align"] & (h["align"] - 1):
        err("align", f"{h['align']} is not a power of two")
    elif t.context_size % h["align"]:
        err("align", f"the record's size ({t.context_size}, context.size) is not a multiple of it")
    members = _check_members(err, "members", h["members"], t.context_size)
    # The stubs' fields ([context].fields) are members of the same record.
    for r, f in t.context_fields.items():
        m = members.get(f.field)
        if m is None:
            ld.error(t.src, f"context.fields.{r}", f"{f.field} is not a member of [harness].members")
        elif m["offset"] != f.offset:
            ld.error(t.src, f"context.fields.{r}", f"offset {f.offset}, but [harness].members has "
                     f"{f.field} at {m['offset']}")
    for table in ("registers", "fp"):
        for name, member in h.get(table, {}).items():
            if member not in members:
                err(f"{table}.{name}", f"{member!r} is not a member of harness.members" + _near(member, members))
            elif table == "registers" and ("members" in members[member] or members[member].get("dims")):
                err(f"{table}.{name}", f"{member} is not one integer: a register needs a scalar member")
    for r in (t.isa.stack_pointer, t.isa.program_counter):
        if r not in h["registers"]:
            err(f"registers.{r}", "missing: the harness reads the stack pointer and program counter")
    if "ContextFlags" not in members:
        err("members", "no ContextFlags member: the harness says which parts it filled there")
    for key in ("full", "fp_part"):
        if key in h and h[key] not in h["flags"]:
            err(key, f"{h[key]!r} is not a key of harness.flags")
    for k, f in enumerate(h["filled"]):
        if f not in h["flags"]:
            err(f"filled[{k}]", f"{f!r} is not a key of harness.flags")
    if ("fp" in h) != ("fp_part" in h):
        err("fp_part" if "fp" in h else "fp", "fp and fp_part go together: carried FP state is flagged")
    for name, v in h["flags"].items():
        if v >= 2**32:
            err(f"flags.{name}", f"{v:#x} does not fit ContextFlags (32 bits)")
    bp = h["breakpoint"]
    if bp["bytes"] not in (1, 2, 4, 8):
        err("breakpoint.bytes", f"{bp['bytes']} is not 1, 2, 4 or 8")
    elif bp["encoding"] >= 1 << (8 * bp["bytes"]):
        err("breakpoint.encoding", f"{bp['encoding']:#x} does not fit {bp['bytes']} byte(s)")
    problem = asm_text_problem(bp["insn"], set(), t.isa.asm, directive=False)
    if problem:
        err("breakpoint.insn", problem)
    st = bp.get("state")
    if st is not None and st["member"] not in members:
        err("breakpoint.state.member", f"{st['member']!r} is not a member of harness.members")


def validate_harness_host(ld: Loader, t: Target) -> None:
    """An OS-on-ISA [harness_host] table: where the state is, how an access fault is told."""
    h = t.harness_host
    if h is None:
        return
    err = lambda key, reason: ld.error(t.src, f"harness_host.{key}", reason)
    for name, r in h["registers"].items():
        if ("shift" in r) != ("mask" in r):
            err(f"registers.{name}", "shift and mask go together")
        elif r.get("shift", 0) >= 64 or (r.get("mask", 1) == 0):
            err(f"registers.{name}", "shift must be below 64 and mask non-zero")
        f = t.context_fields.get(name)
        if f is not None and f.field != r["field"]:
            err(f"registers.{name}.field", f"{r['field']!r}, but context.fields.{name} says {f.field!r}")
    for r in (t.isa.stack_pointer, t.isa.program_counter):
        if r in t.isa.reg_class and r not in h["registers"]:
            err(f"registers.{r}", "missing: the harness reads the stack pointer and program counter")
    fp = h.get("fp")
    if fp is not None:
        if ("pointer" in fp) == ("record" in fp):
            err("fp", "needs exactly one of pointer and record: where the FP state is")
        if "record" in fp and "records" not in h:
            err("fp.record", "needs harness_host.records: the area the records are in")
        for name, f in fp["fields"].items():
            if f["bytes"] == 0:
                err(f"fp.fields.{name}.bytes", "0 bytes")
    a = h["access"]
    syn = a["syndrome"]
    if ("field" in syn) == ("record" in syn):
        err("access.syndrome", "needs exactly one of field and record")
    elif "record" in syn:
        if "records" not in h:
            err("access.syndrome.record", "needs harness_host.records: the area the records are in")
        if syn.get("bytes") not in (4, 8) or "offset" not in syn:
            err("access.syndrome", "a record's value needs offset and bytes (4 or 8)")
    elif "offset" in syn or "bytes" in syn:
        err("access.syndrome", "offset and bytes go with record, not field")
    for k, rule in enumerate(a["rules"]):
        if rule["value"] & ~rule["mask"]:
            err(f"access.rules[{k}].value", f"{rule['value']:#x} has bits outside mask {rule['mask']:#x}: never matches")


def link_harness_peers(ld: Loader, targets: list[Target], all_names: list[str]) -> None:
    """Each target with [harness] gets the target whose [harness_host] its harness build uses."""
    cache: dict[str, Target | None] = {t.name: t for t in targets if t is not None}
    for t in targets:
        if t is None or t.harness is None:
            continue
        oses = [b["toolchain_os"] for b in t.os.builds if b["mode"] == "harness" and "toolchain_os" in b]
        if not oses:
            ld.error(t.src, "harness", f"spec/os/{t.os.name}.toml has no harness build with a toolchain_os: "
                     "no OS says where the harness finds this state")
            continue
        peer = None
        for n in all_names:
            src = ld.read("target", n, None, "(file)", "target")
            if src is not None and src.data.get("isa") == t.isa.name and src.data.get("os") == oses[0]:
                if n not in cache:
                    cache[n] = load_target(ld, n)
                peer = cache[n]
                break
        if peer is None:
            # Not a problem of the product: the harness templates refuse to render
            # (gen.testgen), naming what is missing, when a harness build needs one.
            continue
        if peer.harness_host is None:
            ld.error(peer.src, "harness_host", f"missing: {t.name}'s harness runs on {peer.name} and needs to "
                     "know where its ucontext keeps each register (gen/schema.py HARNESS_HOST)")
        else:
            t.harness_peer = peer
            # The two tables are joined by name: a name on one side only is a typo.
            mine, theirs = set(t.harness["registers"]), set(peer.harness_host["registers"])
            for name in sorted(mine - theirs):
                ld.error(t.src, f"harness.registers.{name}", f"not in {peer.src.rel} harness_host.registers, "
                         "which the harness joins it with" + _near(name, theirs - mine))
            for name in sorted(theirs - mine):
                ld.error(peer.src, f"harness_host.registers.{name}", f"not in {t.src.rel} harness.registers, "
                         "which the harness joins it with" + _near(name, mine - theirs))


def target_names(root: Path) -> list[str]:
    ld = Loader(root)
    names = ld.target_names()
    if ld.errors:
        raise SpecErrors(ld.errors)
    return names


def load(root: Path, names: list[str] | None = None) -> list[Target]:
    """Load and validate the named targets (all when None); raise SpecErrors on any problem."""
    ld = Loader(root)
    all_names = ld.target_names()
    if names:
        for n in names:
            if not NAME.fullmatch(n):
                ld.error("(command line)", "target", f"{n!r} is not a valid target name ({NAME_RULE})")
            elif n not in all_names and not ld.errors:
                ld.error(f"spec/target/{n}.toml", "(file)", "unknown target: no such spec file "
                         f"(targets: {', '.join(all_names)})" + _near(n, all_names))
    if ld.errors:
        raise SpecErrors(ld.errors)
    targets = [load_target(ld, n) for n in (names or all_names)]
    if not ld.errors:
        link_harness_peers(ld, targets, all_names)
    if ld.errors:
        raise SpecErrors(ld.errors)
    return targets
