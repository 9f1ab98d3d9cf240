"""spec/semantics/NAME.toml: instruction semantics the checker judges idioms by.

Shape is checked by gen/schema.py (SEMANTICS), meaning by gen/semantics.py
load, each problem one error naming file and key. Here on a made-up ISA
(registers g0-g3, g3 the stack pointer), so that no real ISA's semantics are
restated; and over the real spec/, that every semantics file loads and
belongs to an ISA there.
"""

import sys
import tempfile
import types
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gen import semantics, spec  # noqa: E402

TOY = types.SimpleNamespace(name="toy", reg_class={"g0": "int", "g1": "int", "g2": "int", "g3": "int"},
                            stack_pointer="g3", src=types.SimpleNamespace(rel="spec/isa/toy.toml"))
GOOD = """
[semantics]
sp = "g3"
link = "g2"
call_pushes = false
zero = ["gz"]

[aliases]
lr = "g2"

[views]
"h{0..1}" = "g{0..1}"

[insn]
mv   = [{ roles = ["w", "r"], op = "move" }]
st   = [{ roles = ["r", "w"], op = "move", size = 4 }]
jl   = [{ roles = ["t"], flow = "call", writes = ["g2"] }]
ret  = [{ roles = [], flow = "jump", target = "g2" }, { roles = ["t"], flow = "jump" }]
"b.z" = [{ roles = ["r", "t"], flow = "cond" }]
"""


def load(text: str | None):
    """(Semantics or None, ["rel: key: reason", ...]) for spec/semantics/toy.toml holding text."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if text is not None:
            (root / "spec" / "semantics").mkdir(parents=True)
            (root / "spec" / "semantics" / "toy.toml").write_text(text)
        ld = spec.Loader(root)
        sem = semantics.load(ld, TOY)
        return sem, [str(e) for e in ld.errors]


def edit(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


class SemanticsTest(unittest.TestCase):
    def test_absent_file_is_no_semantics_and_no_error(self):
        self.assertEqual(load(None), (None, []))

    def test_table_rendered_for_the_checker(self):
        sem, errors = load(GOOD)
        self.assertEqual(errors, [])
        self.assertEqual(semantics.table_text(sem).splitlines()[1:], [
            "source spec/semantics/toy.toml", "sp g3", "pc -", "link g2", "call_pushes no", "zero gz",
            "alias lr g2", "alias h0 g0 partial", "alias h1 g1 partial",
            "insn mv w,r op=move", "insn st r,w op=move size=4", "insn jl t flow=call writes=g2",
            "insn ret - flow=jump target=g2", "insn ret t flow=jump", "insn b.z r,t flow=cond"])

    def test_patterns(self):
        self.assertEqual(semantics.expand("s{1..5..2}v"), ["s1v", "s3v", "s5v"])
        self.assertEqual(semantics.expand("plain"), ["plain"])
        for bad in ("s{3..1}", "s{0..9999}", "s{1..}", "s}"):
            self.assertIsNone(semantics.expand(bad), bad)

    def test_each_bad_file(self):
        rel = "spec/semantics/toy.toml"
        cases = [
            (edit('sp = "g3"', 'sp = "g0"'),
             "semantics.sp: 'g0', but spec/isa/toy.toml isa.stack_pointer is 'g3'"),
            (edit('link = "g2"', 'link = "g9"'), "semantics.link: 'g9' is not a register of spec/isa/toy.toml"),
            (edit('"h{0..1}" = "g{0..1}"', '"h{0..2}" = "g{0..1}"'),
             "views.\"h{0..2}\": 'h{0..2}' stands for 3 names but 'g{0..1}' for 2"),
            (edit('lr = "g2"', 'g1 = "g2"'), "aliases.g1: 'g1' is already a register of spec/isa/toy.toml"),
            (edit('lr = "g2"', 'h0 = "g2"'), "views.\"h{0..1}\": 'h0' is given twice"),
            (edit('writes = ["g2"]', 'writes = ["g7"]'),
             "insn.jl[0].writes[0]: 'g7' is not a register of spec/isa/toy.toml"),
            (edit('target = "g2" }', 'target = "stack" }'),
             "insn.ret[0].target: \"stack\", but semantics.call_pushes is false"),
            (edit('{ roles = ["t"], flow = "jump" }', '{ roles = [], flow = "jump" }'),
             "insn.ret[1].roles: a second form with 0 operand(s)"),
            (edit('size = 4', 'pops = 3'), "insn.st[0].pops: operand 3, but the form has 2"),
            (edit('size = 4', 'size = 3'), "insn.st[0].size: 3 is not a memory access size"),
            (edit('op = "move", size', 'op = "mov", size'), "insn.st[0].op: 'mov' is not one of move, add, sub"),
            (edit('roles = ["w", "r"]', 'roles = ["w", "x"]'), "insn.mv[0].roles[1]: 'x' is not one of"),
            (edit('flow = "cond"', 'flwo = "cond"'), "insn.\"b.z\"[0].flwo: unknown key; did you mean 'flow'?"),
            (edit("mv   = [", "Mv   = ["), "insn.Mv: 'Mv' is not a mnemonic name"),
            (edit("call_pushes = false\n", ""), "semantics.call_pushes: missing"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                sem, errors = load(text)
                self.assertIsNone(sem)
                self.assertTrue(any(e.startswith(f"{rel}: ") and want in e for e in errors),
                                f"no error {want!r} in {errors}")


# The same made-up ISA, its assembler needing `$` before a register.
PREFIXED = types.SimpleNamespace(**vars(TOY), asm=types.SimpleNamespace(register_prefix="$"))


def load_isa(text: str, isa):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "spec" / "semantics").mkdir(parents=True)
        (root / "spec" / "semantics" / "toy.toml").write_text(text)
        ld = spec.Loader(root)
        return semantics.load(ld, isa), [str(e) for e in ld.errors]


class PrefixAndDelaySlotTest(unittest.TestCase):
    """asm.register_prefix spellings (aliases, views, zero) and semantics.delay_slot."""

    def test_prefixed_numbers_are_aliases_of_a_prefixed_isa(self):
        text = edit('lr = "g2"', 'lr = "g2"\n"${0..1}" = "g{0..1}"\n"$3" = "g3"').replace(
            'zero = ["gz"]', 'zero = ["gz", "$9"]\ndelay_slot = 1')
        sem, errors = load_isa(text, PREFIXED)
        self.assertEqual(errors, [])
        table = semantics.table_text(sem).splitlines()
        for line in ("alias $0 g0", "alias $1 g1", "alias $3 g3", "zero gz $9"):
            self.assertIn(line, table)
        self.assertEqual(sem.data["semantics"]["delay_slot"], 1)

    def test_refused_spellings(self):
        rel = "spec/semantics/toy.toml"
        cases = [
            (TOY, edit('lr = "g2"', '"$3" = "g3"'),
             "aliases.\"$3\": '$3' starts with '$', but spec/isa/toy.toml asm.register_prefix is absent"),
            (PREFIXED, edit('lr = "g2"', '"%3" = "g3"'), "aliases.\"%3\": '%3' starts with '%'"),
            (PREFIXED, edit('lr = "g2"', '"$g1" = "g1"'),
             "aliases.\"$g1\": '$g1': every register takes the prefix '$'; name the register itself"),
            (PREFIXED, edit('lr = "g2"', '"3" = "g3"'),
             "aliases.3: '3' is a number, not a register name; write the register's number with its "
             "prefix ($3)"),
            (TOY, edit('zero = ["gz"]', 'zero = ["$0"]'), "semantics.zero[0]: '$0' starts with '$'"),
            (TOY, edit('zero = ["gz"]', 'zero = ["gz"]\ndelay_slot = 9'),
             "semantics.delay_slot: 9 instructions; an ISA's delay slots are at most 8"),
            (TOY, edit('zero = ["gz"]', 'zero = [""]'), "semantics.zero[0]: an empty name"),
            (TOY, edit('lr = "g2"', '"$" = "g2"'), "aliases.\"$\": '$' is not a register or pattern name"),
        ]
        for isa, text, want in cases:
            with self.subTest(want=want):
                sem, errors = load_isa(text, isa)
                self.assertIsNone(sem)
                self.assertTrue(any(e.startswith(f"{rel}: ") and want in e for e in errors),
                                f"no error {want!r} in {errors}")


class RealSpecTest(unittest.TestCase):
    def test_every_semantics_file_loads_and_has_an_isa(self):
        isas = {p.stem for p in (ROOT / "spec" / "isa").glob("*.toml")}
        files = sorted((ROOT / "spec" / "semantics").glob("*.toml"))
        self.assertTrue(files)
        targets = spec.load(ROOT)
        loaded = {t.isa.name: t.isa.semantics for t in targets}
        for f in files:
            with self.subTest(file=f.name):
                self.assertIn(f.stem, isas, f"spec/semantics/{f.name} has no spec/isa/{f.name}")
                if f.stem in loaded:
                    self.assertIsNotNone(loaded[f.stem])
                    self.assertEqual(loaded[f.stem].data["semantics"]["sp"],
                                     next(t.isa.stack_pointer for t in targets if t.isa.name == f.stem))


if __name__ == "__main__":
    unittest.main()
