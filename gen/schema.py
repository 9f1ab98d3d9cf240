"""The spec file formats, declared once as data.

Each file kind (isa, os, format, target) is a Table of keys; each key has a
type (a Leaf, a List, a Map with free keys, or a nested Table) and is
required or optional. `check` walks a parsed file against its declaration and
reports every wrong type, missing key and unknown key (with the nearest valid
key, as a misspelling usually has one). What a value means (a register that
exists, a power of two) is checked later, in spec.py; what shape it has, only
here.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Callable

# No size, offset, alignment or kind value comes near 2 GiB; a larger (or
# negative) number is a typo, and would not fit the immediates and C ints it
# becomes.
MAX_INT = 2**31 - 1
MAX_TEXT = 200          # characters in one text value (a doc line, an instruction)

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# Names that become file and directory names (spec/<kind>/NAME.toml, out/NAME/)
# or parts of them: lower-case ASCII, no leading dot or dash, bounded.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
NAME_RULE = "[a-z0-9][a-z0-9_-]*, at most 64 characters"
C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic "
    "_Imaginary _Noreturn _Static_assert _Thread_local asm typeof".split())
# Keywords a type may be spelt with (a bare `int`, `void *`); any other keyword is refused.
TYPE_KEYWORDS = frozenset("void char short int long float double signed unsigned _Bool".split())
C_TYPE = re.compile(rf"(const )?({IDENT})( ?\*)*")
# A C member designator, as offsetof takes it: a.b[REG_X + 1].c
FIELD = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[[\w +*-]+\])*")
# A preprocessor test as `#if` takes it: defined(X) && !defined(Y), nothing that starts a comment.
PP_EXPR = re.compile(r"[A-Za-z0-9_()!&| ]+")
HEADER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]*\.h")
# How C declares a calling convention: nothing, or one attribute.
C_ATTRIBUTE = re.compile(rf"|__attribute__\(\({IDENT}\)\)")


def describe(v) -> str:
    return {bool: "a boolean", int: "an integer", str: "a string", list: "an array",
            dict: "a table", float: "a float"}.get(type(v), f"a {type(v).__name__}")


def short(v) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


@dataclasses.dataclass(frozen=True)
class Leaf:
    """A scalar: its Python type, how the error names it, and an optional check of the value."""

    type: type
    what: str
    check: Callable[[object], str | None] | None = None   # returns a reason, or None if fine
    max_value: int = MAX_INT                             # the largest integer accepted

    def validate(self, v) -> str | None:
        if isinstance(v, bool) != (self.type is bool) or not isinstance(v, self.type):
            if self.type is int:
                return f"{short(v)} is not an integer"
            return f"must be {self.what}, not {describe(v)} {short(v)}"
        if self.type is int and not 0 <= v <= self.max_value:
            return f"{v} is out of range (0 to {self.max_value})"
        if self.type is str:
            if not v.isprintable():
                return f"{short(v)} must be one line of printable text"
            if len(v) > MAX_TEXT:
                return f"{short(v)} is longer than {MAX_TEXT} characters"
        return self.check(v) if self.check else None


@dataclasses.dataclass(frozen=True)
class List:
    item: object
    min_items: int = 0


@dataclasses.dataclass(frozen=True)
class OneOrList:
    """One item, or a list of at least one (an idiom that may be one statement or several)."""
    item: object


@dataclasses.dataclass(frozen=True)
class Map:
    """A table whose keys are data (register names, register classes); key_check vets each key."""

    value: object
    key_what: str
    key_check: Callable[[str], bool] = lambda k: re.fullmatch(IDENT, k) is not None


@dataclasses.dataclass(frozen=True)
class Key:
    type: object
    required: bool = True
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Table:
    keys: dict[str, Key]


def _pattern(rx: re.Pattern, rule: str):
    return lambda v: None if rx.fullmatch(v) else f"{short(v)} is not {rule}"


def _ident(v: str) -> str | None:
    if not re.fullmatch(IDENT, v):
        return f"{short(v)} is not a C identifier"
    if v in C_KEYWORDS:
        return f"{v!r} is a C keyword"
    return None


def _c_type(v: str) -> str | None:
    m = C_TYPE.fullmatch(v)
    if not m:
        return f"{short(v)} is not a C type of the form [const ]NAME[ *...]"
    if m.group(2) in C_KEYWORDS and m.group(2) not in TYPE_KEYWORDS:
        return f"{short(v)}: {m.group(2)!r} is a C keyword, not a type name"
    return None


def _doc(v: str) -> str | None:
    # It goes in a C block comment and after `//` in the assembly.
    if any(s in v for s in ("/*", "*/", "\\")):
        return f"{short(v)}: a doc line may not contain /*, */ or a backslash"
    return None


STR = Leaf(str, "a string")
INT = Leaf(int, "an integer")
BOOL = Leaf(bool, "a boolean (true or false)")
U64 = Leaf(int, "an integer")   # range checked where it is used (a 64-bit mask)
# A bit mask or encoding of up to 64 bits (the harness tables).
BITS64 = Leaf(int, "an integer", None, 2**64 - 1)
SPEC_NAME = Leaf(str, "a name", _pattern(NAME, f"a valid name ({NAME_RULE})"))
C_IDENT = Leaf(str, "a C identifier", _ident)
CTYPE = Leaf(str, "a C type", _c_type)
DOC = Leaf(str, "one line of text", _doc)
REGISTER = Leaf(str, "a register name")    # which registers exist: spec.py
TEXT = Leaf(str, "a string")               # instruction and directive text: spec.py (per-ISA rules)
PP = Leaf(str, "a preprocessor expression", _pattern(PP_EXPR, "a preprocessor test like defined(NAME)"))
HDR = Leaf(str, "a header name", _pattern(HEADER, "a header name like sys/ucontext.h"))
ATTR = Leaf(str, "a C attribute", _pattern(C_ATTRIBUTE, 'empty or one __attribute__((NAME))'))
DESIGNATOR = Leaf(str, "a C member designator", _pattern(FIELD, "a C member designator"))


# Toolchain and runner data (spec/target toolchain.*, spec/os build/host_build):
# words that end up in generated CMake files and shell commands, so no quote,
# `$`, `;`, backslash or space can be part of one.
WORD = Leaf(str, "a command or file name", _pattern(re.compile(r"[A-Za-z0-9_.+-][A-Za-z0-9_.+/-]*"),
                                                    "a command name ([A-Za-z0-9_.+/-], no spaces)"))
ABS_PATH = Leaf(str, "an absolute path", _pattern(re.compile(r"/[A-Za-z0-9_.+/-]*"),
                                                  "an absolute path of [A-Za-z0-9_.+/-]"))
FLAG = Leaf(str, "a compiler flag", _pattern(re.compile(r"[A-Za-z0-9_.,+/=:-]+"),
                                             "one compiler argument of [A-Za-z0-9_.,+/=:-]"))
PACKAGE = Leaf(str, "a Debian package name", _pattern(re.compile(r"[a-z0-9][a-z0-9+.-]+"),
                                                      "a Debian package name"))
DEB_ARCH = Leaf(str, "a Debian architecture", _pattern(re.compile(r"[a-z0-9][a-z0-9-]*"),
                                                       "a Debian architecture name"))
CMAKE_NAME = Leaf(str, "a CMake system or processor name",
                  _pattern(re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*"), "a name of [A-Za-z0-9_.-]"))
RUNNERS = ("native", "qemu", "wine", "none")
RUNNER = Leaf(str, "a runner kind", _pattern(re.compile("|".join(RUNNERS)), "one of " + ", ".join(RUNNERS)))
# The per-toolchain build modes cmake/target/CMakeLists.txt knows.
MODES = ("windows", "objects", "harness", "posix", "reliability")
MODE = Leaf(str, "a build mode", _pattern(re.compile("|".join(MODES)), "one of " + ", ".join(MODES)))
RECORD_TYPE = Leaf(str, "a C type", lambda v: None if re.fullmatch(r"(struct |union )?[A-Za-z_][A-Za-z0-9_]*", v)
                   else f"{short(v)} is not a C type name (NAME, struct NAME or union NAME)")
EXTEND = Leaf(str, "how a value is widened", lambda v: None if v in ("sign", "zero") else
              f"{short(v)} is not one of sign, zero")
DEB_SUITE = Leaf(str, "a Debian release", _pattern(re.compile(r"[a-z][a-z0-9-]{1,30}"), "a Debian release name (trixie)"))
BYTE_ORDER = Leaf(str, "a byte order", _pattern(re.compile("little|big"), "one of little, big"))
REGISTER_PREFIX = Leaf(str, "a register prefix", _pattern(re.compile(r"[$%]"), "one of $, %"))
BUILD_NAME = Leaf(str, "a build name pattern", _pattern(re.compile(r"[a-z0-9_-]*\{target\}[a-z0-9_-]*"),
                                                        "a build name with one {target}, like harness-{target}"))


# The ABI oracle's register spellings ([oracle] of an ISA spec): a register
# name as a compiler prints or accepts it, optionally with a $ or % prefix
# (the register prefixes some assemblers print), and optionally {n}: the
# number of a NAME{n} key's register.
ORACLE_SPELLING_RE = re.compile(r"[$%]?[A-Za-z0-9_]*(\{n\})?[A-Za-z0-9_]*")
ORACLE_KEY_WHAT = "register (or NAME{n} pattern)"


def _oracle_key(k: str) -> bool:
    return re.fullmatch(rf"{IDENT}|[A-Za-z_][A-Za-z0-9_]*\{{n\}}", k) is not None


def _oracle_spelling_key(k: str) -> bool:
    return bool(k) and ORACLE_SPELLING_RE.fullmatch(k) is not None and k not in ("$", "%")


ORACLE_SPELLING = Leaf(str, "a register spelling",
                       lambda v: None if _oracle_spelling_key(v) else
                       f"{short(v)} is not a register spelling (letters, digits, _, {{n}}, a $ or % prefix)")


def req(t, doc=""):
    return Key(t, True, doc)


def opt(t, doc=""):
    return Key(t, False, doc)


ISA = Table({
    "isa": req(Table({
        "name": req(SPEC_NAME),
        "word_bytes": req(INT),
        "stack_pointer": req(REGISTER),
        "program_counter": req(REGISTER),
        "link_register": opt(REGISTER),
        "call_pushes_return_address": req(BOOL),
        "code_address_tag": opt(INT),
        "pc_write_clears": opt(Table({"register": req(REGISTER), "mask": req(U64)})),
        # Where the CPU fetches by a next PC as well as the PC: the register
        # (its own class: no instruction names it) and what a PC write sets it
        # to, PC + offset.
        "next_pc": opt(Table({"register": req(REGISTER), "offset": req(INT)})),
        # Where a return goes past the address a call leaves (a call that
        # leaves its own address, a return past its delay slot): the bytes.
        "return_offset": opt(INT),
        # Where the assembler leaves branch delay slots to the source (rather
        # than filling them itself): the instruction the templates put after
        # every control transfer idiom.
        "delay_slot_fill": opt(TEXT),
        "function_alignment_log2": req(INT),
        "file_directives": req(List(TEXT)),
        "function_directives": req(List(TEXT)),
        "load_const_max": req(INT),
        # With idioms.store_pair/load_pair: the largest SP offset they take
        # (an encoding limit of the pair instruction, measured with the assembler).
        "pair_offset_max": opt(INT),
        # How the ISA lays out a multi-byte value in memory: "little" or "big".
        "byte_order": req(BYTE_ORDER),
        # Registers an idiom reads that its text does not name: idiom name ->
        # registers (GNU as's `jal` in PIC code loads the callee's address
        # through the global pointer). Each must be the target's
        # abi.global_pointer, which sigtramp sets up before it calls C.
        "implicit_reads": opt(Map(List(REGISTER, 1), "idiom name",
                                   lambda k: re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", k) is not None)),
    })),
    "asm": req(Table({
        "comment": req(List(TEXT, 1)),
        "separator": req(List(TEXT, 1)),
        "literal_pool": opt(TEXT),
        # How a register list is written ({r4, r5, lr}): for idioms.push_list/pop_list.
        "register_list": opt(Table({"open": req(TEXT), "separator": req(TEXT), "close": req(TEXT)})),
        # The character the assembler requires before every register operand
        # (GNU as: `$` on some ISAs, `%` in AT&T syntax); absent, registers
        # are bare names.
        "register_prefix": opt(REGISTER_PREFIX),
    })),
    "registers": req(Map(Table({
        "width": req(INT),
        "names": req(List(REGISTER, 1)),
        # When the class's names are views of wider registers (a 64-bit view
        # of a 128-bit register): NAME{n} pattern -> the assembler name of the whole
        # register, and its width, for test code that moves all of it.
        "whole": opt(Map(ORACLE_SPELLING, ORACLE_KEY_WHAT, _oracle_key)),
        "whole_width": opt(INT),
    }), "register class")),
    "idioms": req(Table({
        "store": req(Map(TEXT, "register class")),
        "load": req(Map(TEXT, "register class")),
        # Optional: two registers of a class to / from two adjacent slots in
        # one instruction ({reg} at {offset}, {reg2} just above it).
        "store_pair": opt(Map(TEXT, "register class")),
        "load_pair": opt(Map(TEXT, "register class")),
        # Optional: push a list of registers ({list}: asm.register_list) below SP,
        # the first register of the ISA's order at the lowest address, SP moved
        # past them; pop_list the reverse (push/pop, stmdb/ldmia).
        "push_list": opt(Map(TEXT, "register class")),
        "pop_list": opt(Map(TEXT, "register class")),
        "move": req(TEXT),
        "load_const": req(TEXT),
        # One statement, or several where the assembler's one-statement form
        # is wrong for this code (a PIC call macro that wants a global-pointer
        # reload the trampolines never need; its explicit expansion does not).
        "call": req(OneOrList(TEXT)),
        "tail_jump": req(TEXT),
        "jump_register": req(TEXT),
        "return": req(TEXT),
        "return_pop": opt(TEXT),
        "stack_alloc": req(TEXT),
        "stack_free": req(TEXT),
        # What the tests' generated code needs besides (docs/spec.md "Test idioms"):
        # the address of a data symbol, memory access through a base register,
        # and the two trapping instructions of the fault suite.
        "address": req(List(TEXT, 1)),
        "store_at": req(Map(TEXT, "register class")),
        "load_at": req(Map(TEXT, "register class")),
        "breakpoint": req(TEXT),
        "illegal": req(TEXT),
        # A call through a register ({reg}) and a direct jump to {symbol} that
        # writes no register at all (the conformance harness enters code with
        # every register holding a canary).
        "call_register": req(TEXT),
        "jump": req(TEXT),
        # {reg} += {value}, a constant the assembler computes (a difference of
        # two symbols of one section): entries move the entry address register
        # from their own address to sigtramp's before they jump there.
        "add_constant": opt(TEXT),
    })),
    # How the ISA's hardware traps, as the fault suite needs to know.
    "traps": req(Table({
        "divide_by_zero": req(BOOL),
        "divide_by_zero_note": req(DOC),
    })),
    # How the ISA's objdump prints what the assembler made of the source, for
    # the checker's reading of built objects (tests/checker/disasm.py):
    # statement sequences the assembler expanded a pseudo-instruction into
    # ({symbol}, {reg} placeholders), and qualifiers objdump adds to mnemonics.
    "disassembly": opt(Table({
        # reloc: one item per `from` statement, "" or "TYPE" or "TYPE {symbol}":
        # the relocation that statement must carry (objdump -dr), its symbol
        # captured where the printed operands do not show it.
        "fold": opt(List(Table({"from": req(List(TEXT, 2)), "to": req(TEXT), "reloc": opt(List(TEXT))}))),
        "qualifiers": opt(List(TEXT)),
    })),
    # How the ISA's C compilers spell its registers, for the ABI oracle
    # (tests/oracle/oracle.py), where the spec's own names are not enough:
    # docs/spec.md "spec/isa/NAME.toml [oracle]". Keys of clobber, aliases
    # and views are a register name or a NAME{n} pattern (every register
    # named NAME followed by a number); {n} in a value is that number.
    "oracle": opt(Table({
        # register -> the name a clobber list must use for it (GCC and clang
        # reject the spec's name, or it names only part of the register).
        "clobber": opt(Map(ORACLE_SPELLING, ORACLE_KEY_WHAT, _oracle_key)),
        # register -> other names an assembly listing may print for the whole
        # register (same width as the register: the spec's registers.CLASS.width).
        "aliases": opt(Map(List(ORACLE_SPELLING, 1), ORACLE_KEY_WHAT, _oracle_key)),
        # register -> {name = bits}: names a listing may print for a part of
        # the register or a wider register holding it, and the bits a save
        # under that name keeps.
        "views": opt(Map(Map(INT, "register spelling", _oracle_spelling_key), ORACLE_KEY_WHAT, _oracle_key)),
        # store mnemonic -> bits it saves, for ISAs whose register names do not
        # tell the width (one name whatever part of it is stored).
        "save_width": opt(Map(INT, "mnemonic", lambda k: re.fullmatch(r"[a-z][a-z0-9.]*", k) is not None)),
        # Compiler flags the measurement needs (GCC's -mflat, its flat
        # register-window model, where a clobber shows as a save instead of
        # a window that hides every register).
        "flags": opt(List(FLAG, 1)),
    })),
})

OS = Table({
    "os": req(Table({
        "name": req(SPEC_NAME),
        "format": req(SPEC_NAME),
        "harness_formats": req(List(SPEC_NAME)),
        "dispatcher": req(C_IDENT),
    })),
    "handler": req(Table({
        "returns": req(CTYPE),
        "args": req(List(Table({"name": req(C_IDENT), "type": req(CTYPE)}))),
    })),
    "entry": req(List(Table({
        "name": req(C_IDENT),
        "kind": req(C_IDENT),
        "value": req(INT),
        "doc": req(DOC),
    }), 1)),
    # The builds each target of this OS gets (cmake/cross.cmake): one per entry
    # whose `runners` has the target's toolchain.runner.kind (every target when
    # absent). `toolchain_os`: build with the toolchain of the target of that OS
    # with the same ISA, the target's own compiler passed as TRAMPGEN_OWN_CC.
    "build": opt(List(Table({
        "name": req(BUILD_NAME),
        "mode": req(MODE),
        "runners": opt(List(RUNNER, 1)),
        "toolchain_os": opt(SPEC_NAME),
    }))),
    # Extra builds of the host target (the one whose toolchain is native for
    # the host processor), when it is a target of this OS.
    "host_build": opt(List(Table({
        "name": req(BUILD_NAME),
        "mode": req(MODE),
        "c_flags": req(List(FLAG, 1)),
        "sanitize": req(Leaf(str, "a sanitizer setting", _pattern(re.compile(r"[A-Za-z0-9_]+"), "a word"))),
        "stress_scale": req(INT),
    }))),
    "context": req(Table({
        "type": req(C_IDENT),
        "headers": req(List(HDR)),
        "defines": req(List(C_IDENT)),
        "detect": req(PP),
    })),
})

FORMAT = Table({
    "format": req(Table({
        "name": req(SPEC_NAME),
        "detect": req(PP),
        "function_begin": req(List(TEXT)),
        "function_end": req(List(TEXT)),
        "file_end": req(List(TEXT)),
    })),
})

TARGET = Table({
    "isa": req(SPEC_NAME),
    "os": req(SPEC_NAME),
    "abi": req(Table({
        "int_args": req(List(REGISTER)),
        "return": req(REGISTER),
        "callee_saved": req(Map(List(REGISTER), "register class")),
        "reserved": req(Map(Leaf(str, "the reason, as a string"), "register")),
        "stack_alignment": req(INT),
        # How far the stack pointer is below the real frame (docs/spec.md).
        "stack_bias": opt(INT),
        "shadow_space": req(INT),
        "red_zone": req(INT),
        "handler_callee_pops": req(INT),
        "c_attribute": req(ATTR),
        "handler_c_attribute": req(ATTR),
        # Position-independent ABIs whose functions find their data from their
        # own address (docs/spec.md "Entry address and global pointer"): the
        # register every function is entered with its own address in, and the
        # global pointer code must compute from it before it calls C.
        "entry_address_register": opt(REGISTER),
        "global_pointer": opt(Table({
            "register": req(REGISTER),
            "setup": req(List(TEXT, 1), "statements: {reg} := the pointer for {symbol}, entered "
                         "with its address in {entry}"),
        })),
    })),
    "resume": req(Table({
        "scratch": req(List(REGISTER)),
        "kind_register": req(REGISTER),
    })),
    # How the target is built and what runs its programs (cmake/cross.cmake,
    # scripts/setup.sh); see docs/spec.md.
    "toolchain": opt(Table({
        "compiler": req(WORD),
        "clang_target": opt(WORD),
        "c_flags": opt(List(FLAG)),
        "asm_flags": opt(List(FLAG)),
        "ar": opt(WORD),
        "ranlib": opt(WORD),
        "system_name": req(CMAKE_NAME),
        "system_processor": req(CMAKE_NAME),
        "native_for": opt(List(CMAKE_NAME, 1)),
        "sysroot": opt(ABS_PATH),
        "objects_only": opt(BOOL),
        "packages": req(List(PACKAGE)),
        "runner": req(Table({
            "kind": req(RUNNER),
            "programs": opt(List(WORD, 1)),
            "paths": opt(List(ABS_PATH)),
            "package": opt(PACKAGE),
            "multiarch": opt(DEB_ARCH),
            # The Debian release to take runner.package from where this one's
            # is too old (one that does not deliver some trap as a signal):
            # scripts/setup.sh downloads it and unpacks it into
            # build-env/SUITE/PACKAGE/, and only that copy is the runner.
            "suite": opt(DEB_SUITE),
            # Traps the runner does not turn into signals, and why: the fault
            # suite's scenarios that need them are skipped with the reason.
            "undelivered": opt(Map(DOC, "trap", lambda k: k in ("breakpoint", "divide_by_zero"))),
        })),
        "storm_subset": opt(List(C_IDENT, 1)),
        "storm_scale": opt(INT),
    })),
    "context": req(Table({
        # The record the handler's context argument points at, where it is not
        # the OS's context.type (a struct sigcontext that holds the
        # siginfo, then the saved registers), and the headers that declare it.
        "type": opt(RECORD_TYPE),
        "headers": opt(List(HDR, 1)),
        "size": req(INT),
        "fields": req(Map(Table({"field": req(DESIGNATOR), "offset": req(INT)}), "register")),
        # Where the OS's record keeps each register in a slot wider than the
        # register (a 64-bit greg_t for 32-bit registers): its bytes,
        # and how a register's value fills it ("sign" or "zero").
        "register_bytes": opt(INT),
        "register_extend": opt(EXTEND),
    })),
})

# ---- the emulated-OS harness (tests/harness) --------------------------------------
# A Windows target's [harness] table: its CONTEXT record as a C struct (every
# member winnt.h has, so the harness can mirror it and layout_check can compare
# it member by member with <windows.h>), which member holds which register,
# the ContextFlags values, and Windows' breakpoint instruction. The Linux
# target of the same ISA's [harness_host] table says where Linux keeps the same
# state in ucontext_t (schema: HARNESS and HARNESS_HOST below).
_MEMBER_KEYS = {
    "name": req(C_IDENT, "the member name, as winnt.h spells it"),
    "type": req(C_IDENT, "an <stdint.h> integer type, or (with members) the name of a nested struct"),
    "dims": opt(List(INT, 1), "array dimensions, outermost first (absent: not an array)"),
    "offset": req(INT, "byte offset in the enclosing struct (winnt.h; asserted in C)"),
}
MEMBER = Table(dict(_MEMBER_KEYS, members=opt(List(Table(_MEMBER_KEYS), 1),
                                              "the members of a nested struct type")))
MASK = Table({"mask": req(BITS64, "bits to test"), "value": req(BITS64, "what they must be")})
HARNESS = Table({
    "align": req(INT, "the record's alignment (_Alignof(CONTEXT))"),
    "members": req(List(MEMBER, 1), "every member of CONTEXT, in order"),
    "registers": req(Map(C_IDENT, "register or state name"),
                     "state name (an ISA register, or flags/selector names shared with [harness_host]) -> member"),
    "fp": opt(Map(C_IDENT, "floating-point state name"),
              "floating-point state name (as [harness_host].fp.fields names it) -> member"),
    "flags": req(Map(BITS64, "winnt.h ContextFlags macro"), "CONTEXT_* values, each checked against winnt.h"),
    "filled": req(List(C_IDENT, 1), "the flags (keys of flags) of the parts the harness always fills"),
    "fp_part": opt(C_IDENT, "the flag added when the floating-point state is carried (needs fp)"),
    "full": req(C_IDENT, "the flag that is CONTEXT_FULL (a key of flags)"),
    "breakpoint": req(Table({
        "insn": req(TEXT, "Windows' breakpoint instruction (__debugbreak), as the assembler spells it"),
        "encoding": req(BITS64, "its encoding, read as one bytes-wide integer from the PC"),
        "bytes": req(INT, "its length"),
        "linux_signal": req(Leaf(str, "SIGTRAP or SIGILL", _pattern(re.compile("SIGTRAP|SIGILL"), "SIGTRAP or SIGILL")),
                            "the signal Linux raises for it"),
        "linux_pc_past": req(BOOL, "Linux reports the PC past it (Windows reports it at the instruction)"),
        "state": opt(Table({"member": req(C_IDENT), "mask": req(BITS64), "value": req(BITS64)}),
                     "a CONTEXT member test that must hold for the PC's instruction set to be the breakpoint's"),
    })),
})
RECORD = Table({"record": req(BITS64, "the magic of a {u32 magic, u32 size} record in [harness_host].records")})
HARNESS_HOST = Table({
    "registers": req(Map(Table({
        "field": req(DESIGNATOR, "the ucontext_t member"),
        "shift": opt(INT, "the state is (field >> shift) & mask: read only"),
        "mask": opt(BITS64, "see shift"),
    }), "register or state name"), "state name (as the Windows [harness].registers names it) -> ucontext_t member"),
    "records": opt(DESIGNATOR, "the ucontext_t area of {u32 magic, u32 size} records"),
    "fp": opt(Table({
        "pointer": opt(DESIGNATOR, "a ucontext_t member pointing at the FP state (NULL: none)"),
        "record": opt(BITS64, "or: the magic of the FP record in records"),
        "fields": req(Map(Table({"offset": req(INT), "bytes": req(INT)}), "floating-point state name"),
                      "name -> bytes at offset from the FP state's start"),
    })),
    "access": req(Table({
        "syndrome": req(Table({
            "field": opt(DESIGNATOR, "a ucontext_t member"),
            "record": opt(BITS64, "or: a record's magic (absent record: the access kind is not told)"),
            "offset": opt(INT, "the value's offset in that record"),
            "bytes": opt(INT, "the value's size in that record (4 or 8)"),
        }), "the value that tells the kind of an access fault"),
        "gate": opt(Table({"field": req(DESIGNATOR), "value": req(BITS64)}),
                    "the syndrome means something only when this ucontext_t member has this value"),
        "rules": req(List(Table({"mask": req(BITS64), "value": req(BITS64),
                                 "kind": req(Leaf(str, "read, write or execute",
                                                  _pattern(re.compile("read|write|execute"), "read, write or execute")))}), 1),
                     "first rule with (syndrome & mask) == value gives the kind; none: not told"),
    })),
    "stack_boundary_flag": opt(FLAG, "compiler option prefix to assume 2^N-byte incoming stack alignment (N appended)"),
    "no_red_zone_flag": opt(FLAG, "compiler option for code that must not use a red zone"),
})
TARGET.keys["harness"] = opt(HARNESS, "a Windows target's CONTEXT for the emulated-OS harness")
TARGET.keys["harness_host"] = opt(HARNESS_HOST, "what the harness needs of this OS on this ISA when it plays another")

# spec/semantics/NAME.toml: what the ISA's instructions do, as the checker
# (tests/checker) models them. Written from the architecture manual, never
# from spec/isa/NAME.toml, whose idioms the checker judges by it
# (docs/spec.md "spec/semantics/NAME.toml"; meaning checks: gen/semantics.py).
# A register key or value may be a pattern NAME{a..b} or NAME{a..b..step}:
# both sides expand in parallel (w{0..30} = x{0..30}). A key may start with
# the ISA's asm.register_prefix, for spellings that are not names ($25).
SEM_PATTERN_RE = re.compile(r"(?![$%]?$)[$%]?[A-Za-z0-9_.]*(\{\d+\.\.\d+(\.\.\d+)?\})?[A-Za-z0-9_]*")
SEM_REG = Leaf(str, "a register name or NAME{a..b} pattern",
               _pattern(SEM_PATTERN_RE, "a register name or a NAME{a..b} pattern"))
MNEMONIC_RE = re.compile(r"[a-z][a-z0-9]*(\.[a-z0-9]+)*")
ROLES = ("r", "w", "rw", "t", "a", "i")
ROLE = Leaf(str, "an operand role", _pattern(re.compile("|".join(ROLES)), "one of " + ", ".join(ROLES)))
FLOW = Leaf(str, "a control flow", _pattern(re.compile("jump|call|cond"), "one of jump, call, cond"))
DATA_OP = Leaf(str, "a data operation", _pattern(re.compile("move|add|sub"), "one of move, add, sub"))
STACK_OP = Leaf(str, "a stack operation", _pattern(re.compile("push|pop"), "one of push, pop"))
INSN_FORM = Table({
    "roles": req(List(ROLE), "one per operand: r read, w write, rw both, t branch target, "
                 "a address only, i immediate"),
    "flow": opt(FLOW), "op": opt(DATA_OP), "stack": opt(STACK_OP),
    "reads": opt(List(REGISTER)), "writes": opt(List(REGISTER)), "clobbers": opt(List(REGISTER)),
    "target": opt(REGISTER, "implicit branch target: a register, or \"stack\" (popped)"),
    "pops": opt(INT, "operand number (from 1) of bytes popped after the return address"),
    "size": opt(INT, "memory access bytes (default: the register's width)"),
})
SEMANTICS = Table({
    "semantics": req(Table({
        "sp": req(REGISTER),
        "pc": opt(REGISTER, "the PC, where an instruction can name it as an operand"),
        "link": opt(REGISTER, "the register a call writes the return address to"),
        "call_pushes": req(BOOL),
        "zero": opt(List(REGISTER), "names that read as zero and discard writes"),
        "delay_slot": opt(INT, "instructions after a control transfer that run before it takes effect"),
        # Relocation operators whose load yields the symbol's address (a GOT
        # entry, such as %call16 or %got): a register loaded through one holds the
        # symbol's address, so a call through it calls the symbol.
        "address_relocations": opt(List(C_IDENT, 1), "relocation operators that load a symbol's address"),
    })),
    "aliases": opt(Map(SEM_REG, "register or pattern", lambda k: SEM_PATTERN_RE.fullmatch(k) is not None)),
    "views": opt(Map(SEM_REG, "register or pattern", lambda k: SEM_PATTERN_RE.fullmatch(k) is not None)),
    "insn": req(Map(List(INSN_FORM, 1), "mnemonic", lambda k: MNEMONIC_RE.fullmatch(k) is not None)),
})

SCHEMAS = {"isa": ISA, "os": OS, "format": FORMAT, "target": TARGET, "semantics": SEMANTICS}


BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_path(parent: str, k: str) -> str:
    """A dotted key as TOML would spell it: a key that is not bare is quoted."""
    part = k if BARE_KEY.fullmatch(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{parent}.{part}" if parent else part


def check(schema, node, path: str, error: Callable[[str, str], None]) -> bool:
    """Report every mismatch between node and schema through error(key, reason); True if none."""
    ok = True

    def err(key, reason):
        nonlocal ok
        ok = False
        error(key or "(file)", reason)

    def walk(s, v, key):
        if isinstance(s, Key):
            s = s.type
        if isinstance(s, Leaf):
            reason = s.validate(v)
            if reason:
                err(key, reason)
        elif isinstance(s, OneOrList):
            walk(List(s.item, 1) if isinstance(v, list) else s.item, v, key)
        elif isinstance(s, List):
            if not isinstance(v, list):
                err(key, f"must be an array, not {describe(v)} {short(v)}")
                return
            if len(v) < s.min_items:
                err(key, f"needs at least {s.min_items} item(s)")
            for i, item in enumerate(v):
                walk(s.item, item, f"{key}[{i}]")
        elif isinstance(s, Map):
            if not isinstance(v, dict):
                err(key, f"must be a table, not {describe(v)} {short(v)}")
                return
            for k, item in v.items():
                sub = key_path(key, k)
                if not s.key_check(k):
                    err(sub, f"{short(k)} is not a {s.key_what} name (an identifier)")
                    continue
                walk(s.value, item, sub)
        elif isinstance(s, Table):
            if not isinstance(v, dict):
                err(key, f"must be a table, not {describe(v)} {short(v)}")
                return
            for k, item in v.items():
                sub = key_path(key, k)
                if k not in s.keys:
                    near = difflib.get_close_matches(k, list(s.keys), n=1, cutoff=0.6)
                    err(sub, "unknown key" + (f"; did you mean {near[0]!r}?" if near else
                                              " (valid here: " + ", ".join(s.keys) + ")"))
                    continue
                walk(s.keys[k], item, sub)
            for k, spec in s.keys.items():
                if spec.required and k not in v:
                    err(f"{key}.{k}" if key else k, "missing")
        else:   # pragma: no cover - a declaration error
            raise TypeError(s)

    walk(schema, node, path)
    return ok
