"""docs/spec.md is the spec reference: it names every key the schema knows.

A key added to gen/schema.py without a word in the reference is a fact a
user cannot find (issue 9, item 4). Checked by name: each key of every
table appears in a `code span` of docs/spec.md.
"""

import re
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gen import schema  # noqa: E402


def keys(t, path):
    """Every (dotted path, key) of a schema type; data keys (Map) as CLASS, list items as []."""
    if isinstance(t, schema.Table):
        for k, key in t.keys.items():
            yield path + [k]
            yield from keys(key.type, path + [k])
    elif isinstance(t, schema.Map):
        yield from keys(t.value, path + ["*"])
    elif isinstance(t, schema.List):
        yield from keys(t.item, path + ["[]"])


class SpecReferenceTest(unittest.TestCase):
    def test_every_key_is_documented(self):
        doc = (ROOT / "docs" / "spec.md").read_text()
        words = set()
        for span in re.findall(r"`([^`\n]+)`", doc):
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
        tables = {n: v for n, v in vars(schema).items() if n.isupper() and isinstance(v, schema.Table)}
        self.assertTrue(tables, "gen/schema.py has no spec tables")
        missing = sorted({f"{n}: {'.'.join(p)}" for n, t in tables.items() for p in keys(t, [])
                          if p[-1] not in ("*", "[]") and p[-1] not in words})
        self.assertEqual(missing, [], "keys docs/spec.md does not name in a `code span`")


if __name__ == "__main__":
    unittest.main()
