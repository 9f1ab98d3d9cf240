"""[oracle] of spec/isa/*.toml: the register spellings tests/oracle/oracle.py reads.

The table is checked as any spec data: its shape by gen/schema.py, its
meaning by gen/spec.py load_isa_oracle, each problem one error naming the key.
Here on a made-up ISA (registers g0-g3 of 32 bits, w0-w1 of 64), so that no
real ISA's spelling is restated; and over the real specs, that the loader
fills in what the spec already says (a register's own name and width).
"""

import sys
import tomllib
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gen import schema, spec  # noqa: E402

REG_CLASS = {"g0": "int", "g1": "int", "g2": "int", "g3": "int", "w0": "wide", "w1": "wide"}
REG_WIDTH = {r: 32 if c == "int" else 64 for r, c in REG_CLASS.items()}


def load(table: str):
    """(IsaOracle or None, ["key: reason", ...]) for an [oracle] table written as TOML."""
    d = tomllib.loads("[oracle]\n" + table)
    errors = []
    err = lambda key, reason: errors.append(f"{key}: {reason}")
    if not schema.check(schema.ISA.keys["oracle"], d["oracle"], "oracle", err):
        return None, errors
    return spec.load_isa_oracle(d, REG_CLASS, REG_WIDTH, err), errors


class OracleTableTest(unittest.TestCase):
    def test_absent_means_the_spec_names(self):
        o, errors = load("")
        self.assertEqual(errors, [])
        self.assertEqual(o.clobber, {r: r for r in REG_CLASS})
        self.assertEqual(o.spellings, {r: {r: REG_WIDTH[r]} for r in REG_CLASS})
        self.assertEqual(o.save_width, {})

    def test_patterns_expand_per_register(self):
        o, errors = load('clobber = { "w{n}" = "q{n}", g3 = "flags" }\n'
                         'aliases = { g2 = ["fr"] }\n'
                         'views = { "w{n}" = { "q{n}" = 128, "h{n}" = 16 } }\n'
                         'save_width = { stq = 128 }\n')
        self.assertEqual(errors, [])
        self.assertEqual(o.clobber["w1"], "q1")
        self.assertEqual(o.clobber["g3"], "flags")
        self.assertEqual(o.clobber["g0"], "g0")
        self.assertEqual(o.spellings["w1"], {"w1": 64, "q1": 128, "h1": 16})
        # An alias and a clobber name no view sizes name the whole register.
        self.assertEqual(o.spellings["g2"], {"g2": 32, "fr": 32})
        self.assertEqual(o.spellings["g3"], {"g3": 32, "flags": 32})
        self.assertEqual(o.save_width, {"stq": 128})

    def test_each_bad_table(self):
        cases = [
            ('clobber = { "k{n}" = "q{n}" }', "oracle.clobber.\"k{n}\": 'k{n}' names no register"),
            ("clobber = { k9 = \"q\" }", "oracle.clobber.k9: 'k9' names no register"),
            ('aliases = { g1 = ["a{n}"] }', "oracle.aliases.g1: uses {n}, but 'g1' is a register"),
            ('aliases = { g1 = ["g2"] }', "oracle: 'g2' would be a spelling of both g1 and g2"),
            ('views = { "w{n}" = { "h{n}" = 12 } }',
             'oracle.views."w{n}"."h{n}": 12 is not a whole number of bytes'),
            ("save_width = { stq = 0 }", "oracle.save_width.stq: 0 is not a whole number of bytes"),
            ("save_widths = { stq = 128 }", "oracle.save_widths: unknown key; did you mean 'save_width'?"),
            ('clobber = { g3 = "c c" }', "oracle.clobber.g3: 'c c' is not a register spelling"),
            ('clobber = { g3 = "x", "g{n}" = "y{n}" }', "gives g3 a second clobber name"),
        ]
        for table, expected in cases:
            with self.subTest(table):
                _, errors = load(table + "\n")
                self.assertTrue(any(expected in e for e in errors), f"{expected!r} not in {errors}")

    def test_the_specs_expand_with_what_they_already_say(self):
        for t in spec.load(ROOT):
            isa, o = t.isa, t.isa.oracle
            for r in isa.reg_class:
                with self.subTest(isa=isa.name, register=r):
                    self.assertEqual(next(iter(o.spellings[r])), r)
                    self.assertEqual(o.spellings[r][r], isa.reg_width[r])
                    self.assertIn(o.clobber[r], o.spellings[r])


if __name__ == "__main__":
    unittest.main()
