"""tests/checker/disasm.py: objdump text -> the checker's input, without a toolchain.

On a made-up ISA (registers g0-g4, sp, lr; relocations R_TOY_*), fed objdump
-t and -dr text directly: the register prefix restored on bare names, folds
that take their symbol from a relocation, and delay slots written before
their transfer, with each slot the reordering would change refused.
"""

import dataclasses
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "checker"))
import disasm  # noqa: E402

SYMS = """
x.o:     file format elf64-toy

SYMBOL TABLE:
0000000000000000 g     F .text	0000000000000008 toy_entry
0000000000000008 g     F .text	0000000000000018 toy_main
"""

DIS = """
x.o:     file format elf64-toy


Disassembly of section .text:

0000000000000000 <toy_entry>:
   0:	b	4 <toy_entry+0x4>
			0: R_TOY_PC16	toy_main-0x4
   4:	addi	g3,g3,3

0000000000000008 <toy_main>:
   8:	ldg	g4,0(g1)
			8: R_TOY_CALL	toy_dispatch
			8: R_TOY_NONE	*ABS*
   c:	jlr	g4
  10:	st	$f1,8(sp)
  14:	jr	lr
  18:	addi	sp,sp,16
"""

FORMS = {
    "mv": [{"roles": ["w", "r"], "op": "move"}],
    "addi": [{"roles": ["w", "r", "i"], "op": "add"}],
    "st": [{"roles": ["r", "w"], "op": "move"}],
    "ldg": [{"roles": ["w", "r"], "op": "move"}],
    "b": [{"roles": ["t"], "flow": "jump"}],
    "jr": [{"roles": ["t"], "flow": "jump"}],
    "bz": [{"roles": ["r", "t"], "flow": "cond"}],
    "jl": [{"roles": ["t"], "flow": "call", "writes": ["lr"]}],
    "jlr": [{"roles": ["t"], "flow": "call", "writes": ["lr"]}],
    "nop": [{"roles": []}],
}

FACTS = disasm.Facts(
    name="toy", comments=("#",), registers={"g0", "g1", "g2", "g3", "g4", "sp", "lr", "f1"}, prefix="$",
    folds=[{"from": ["ldg g4, 0(g1)", "jlr g4"], "reloc": ["R_TOY_CALL {symbol}", ""], "to": "jl {symbol}"}],
    delay_slot=1, forms=FORMS, names={"$4": "g4"}, zero={"gz"})


def convert(dis=DIS, **change):
    out, labels, funcs, problems = disasm.convert(SYMS, dis, dataclasses.replace(FACTS, **change))
    return [t for _, t in out], problems


class DisasmTest(unittest.TestCase):
    def test_prefix_fold_and_delay_slots_together(self):
        out, problems = convert()
        self.assertEqual(problems, [])
        self.assertEqual(out, [
            "addi $g3, $g3, 3", "b toy_main",           # the slot runs before the jump
            "st $f1, 8($sp)", "jl toy_dispatch",        # folded by its relocation, then its slot moved up
            "addi $sp, $sp, 16", "jr $lr"])

    def test_without_delay_slots_or_prefix_objdump_order_and_spelling_stay(self):
        out, problems = convert(delay_slot=0, prefix=None)
        self.assertEqual(problems, [])
        self.assertEqual(out, ["b toy_main", "addi g3, g3, 3", "jl toy_dispatch", "st $f1, 8(sp)",
                               "jr lr", "addi sp, sp, 16"])

    def test_a_transfer_keeps_its_address_for_labels(self):
        out, labels, funcs, problems = disasm.convert(SYMS, DIS, FACTS)
        self.assertEqual([a for a, _ in out][:2], [0, 4], "the group starts at the transfer's address")
        self.assertIn(0, funcs)

    def test_fold_needs_its_relocation_type(self):
        out, problems = convert(DIS.replace("R_TOY_CALL", "R_TOY_GOT"), delay_slot=0)
        self.assertEqual(problems, [])
        self.assertIn("ldg $g4, 0($g1)", out)
        self.assertIn("jlr $g4", out)

    def test_fold_without_reloc_list_still_matches_text_only(self):
        fold = [{"from": ["addi sp, sp, 16"], "to": "nop"}]
        out, problems = convert(folds=fold, delay_slot=0)
        self.assertEqual(out[-1], "nop")

    def test_prefix_leaves_symbols_mnemonics_and_prefixed_names(self):
        out, _ = convert(DIS.replace("st\t$f1,8(sp)", "mv\tg0,$4"), delay_slot=0)
        self.assertIn("mv $g0, $4", out)
        self.assertIn("b toy_main", out)

    def test_slots_whose_move_changes_what_runs_are_refused(self):
        cases = [
            ("a slot writing the register the transfer reads",
             DIS.replace("jr\tlr", "jr\tg0").replace("addi\tsp,sp,16", "mv\tg0,g2"),
             "toy_main+12 `jr g0`: has `mv g0, g2` in its delay slot, which touches g0"),
            ("a slot reading the link register a call writes",
             DIS.replace("st\t$f1,8(sp)", "mv\tg0,lr"),
             "toy_main+0 `jl toy_dispatch`: has `mv g0, lr` in its delay slot, which touches lr"),
            ("a slot that is itself a transfer",
             DIS.replace("addi\tsp,sp,16", "b\t0 <toy_entry>"),
             "toy_main+12 `jr lr`: has a control transfer `b toy_entry` in its delay slot"),
            ("a slot another branch lands on",
             DIS.replace("st\t$f1,8(sp)", "bz\tg1,18 <toy_main+0x10>"),
             "`jr lr`: has its delay slot `addi sp, sp, 16` at a branch target"),
            ("a transfer with no slot left in its function",
             DIS.replace("   4:\taddi\tg3,g3,3\n", ""),
             "toy_entry+0 `b toy_main`: has 1 delay slot(s), but the function ends before them"),
        ]
        for name, dis, want in cases:
            with self.subTest(name):
                _, problems = convert(dis)
                self.assertTrue(any(want in p for p in problems), f"no {want!r} in {problems}")

    def test_facts_from_the_real_specs(self):
        sys.path.insert(0, str(ROOT))
        from gen import spec  # noqa: E402
        for t in spec.load(ROOT):
            f = disasm.facts_of(t.isa)
            self.assertEqual(f.prefix, t.isa.asm.register_prefix)
            self.assertTrue(f.registers >= set(t.isa.reg_class))


if __name__ == "__main__":
    unittest.main()
