"""asm.register_prefix on the generator side: idioms must write every register with it.

gen/spec.py prefix_problem, on made-up registers; and over the real spec/,
that an ISA whose idioms already write a prefix before their register
placeholders (found by the data, no ISA named) would pass the check if it
declared that prefix.
"""

import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gen import spec  # noqa: E402

REGS = {"g0", "g1", "sp", "lr"}


class PrefixProblemTest(unittest.TestCase):
    def test_prefixed_idioms_pass(self):
        for text in ("st ${reg}, {offset}($sp)", "addi $sp, $sp, -{bytes}", "jl {symbol}", "mv ${dst}, ${src}",
                     "ld ${reg}, {offset}(${base})", "jr $lr", "brk", "trap $0, $0, 7"):
            with self.subTest(text):
                self.assertIsNone(spec.prefix_problem(text, "$", REGS))

    def test_a_register_without_the_prefix_is_named(self):
        cases = [("st {reg}, {offset}($sp)", "writes {reg} without the register prefix '$'"),
                 ("mv ${dst}, {src}", "writes {src} without"),
                 ("ld ${reg}, {offset}(sp)", "names the register sp without the register prefix '$'"),
                 ("jr lr", "names the register lr without")]
        for text, want in cases:
            with self.subTest(text):
                self.assertIn(want, spec.prefix_problem(text, "$", REGS) or "")

    def test_the_mnemonic_is_not_an_operand(self):
        self.assertIsNone(spec.prefix_problem("lr $g0", "$", REGS))

    def test_real_idioms_that_already_write_a_prefix_pass_with_it(self):
        checked = 0
        for t in spec.load(ROOT):
            texts = list(t.isa.idioms.values()) + [s for seq in t.isa.sequences.values() for s in seq]
            for prefix in "$%":
                if not any(prefix + "{reg}" in s for s in texts):
                    continue
                checked += 1
                for text in texts:
                    with self.subTest(isa=t.isa.name, text=text):
                        self.assertIsNone(spec.prefix_problem(text, prefix, t.isa.reg_class))
        if not checked:
            self.skipTest("no ISA in spec/ writes a register prefix in its idioms")


if __name__ == "__main__":
    unittest.main()
