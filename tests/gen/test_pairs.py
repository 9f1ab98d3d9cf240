"""Pair idioms (idioms.store_pair/load_pair): where the templates use them, and where not.

Over the real specs, on whichever ISA offers pairs: adjacent slots of one
class are paired, a slot past isa.pair_offset_max is saved alone, and the
restore mirrors the save. No ISA is named: the target is found by the data.
"""

import copy
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gen import model, spec  # noqa: E402


def paired_target():
    for t in spec.load(ROOT):
        # A target whose integer registers are pushed as a list saves no int pairs.
        if t.isa.pair_offset_max is not None and "push_list.int" not in t.isa.idioms:
            return t
    return None


class PairTest(unittest.TestCase):
    def setUp(self):
        self.t = paired_target()
        if self.t is None:
            self.skipTest("no ISA in spec/isa offers idioms.store_pair")

    def test_adjacent_slots_of_a_class_pair_and_the_rest_stay_alone(self):
        m = model.Model(self.t)
        groups = m.save_groups
        self.assertEqual([s for g in groups for s in g], m.frame.slots, "every slot saved once, in order")
        self.assertTrue(any(len(g) == 2 for g in groups), f"{self.t.name} offers pairs but none is used")
        for g in groups:
            if len(g) == 2:
                a, b = g
                self.assertEqual((a.cls, b.offset), (b.cls, a.offset + a.size))
                self.assertIn(b.reg, m.store_group(g))
                self.assertIn(b.reg, m.load_group(g))

    def test_offsets_past_the_limit_are_saved_alone(self):
        t = copy.copy(self.t)
        t.isa = copy.copy(self.t.isa)
        slots = model.Model(self.t).frame.slots
        t.isa.pair_offset_max = slots[len(slots) // 2].offset - 1
        groups = model.Model(t).save_groups
        for g in groups:
            if g[0].offset > t.isa.pair_offset_max:
                self.assertEqual(len(g), 1, f"{g[0].reg} at {g[0].offset} is past the limit")
        past = [g for g in groups if g[0].offset > t.isa.pair_offset_max]
        self.assertTrue(past, "the limit cut nothing: the test proves nothing")
        self.assertTrue(any(len(g) == 2 for g in groups if g[0].offset <= t.isa.pair_offset_max),
                        "slots within the limit are still paired")


if __name__ == "__main__":
    unittest.main()
