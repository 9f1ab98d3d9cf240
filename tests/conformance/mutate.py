"""Copy spec/ and templates/ to DEST, with one ABI mistake in TARGET's spec.

    python3 mutate.py SRC DEST TARGET -- CC [FLAGS...]

The mistake: trampgen_sigresume reads SP from a callee-saved register instead
of resume.scratch[0], and that register is taken out of abi.callee_saved (and
given a context field, measured with CC if the spec has none) so that the
generator's validation (a scratch register may not be callee-saved) accepts
the spec. Every check the generator makes passes; only running the
trampolines shows that sigtramp no longer keeps the register, which the ABI
makes a callee keep. The conformance harness must say so
(tests/conformance/target.cmake, conformance-catches).

The edit is made on the parsed spec (tests/abi_edits/specedit.py), never on
its text: the register is the first callee-saved int register the spec
lists, whatever that is. DEST/mutation.cmake sets MUTANT_REGISTER and
EXPECT, the line the harness must print (a CMake regex), for
expect_fail.cmake.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "abi_edits"))
import specedit  # noqa: E402

argv = sys.argv[1:]
cc = argv[argv.index("--") + 1:] if "--" in argv else []
argv = argv[:argv.index("--")] if "--" in argv else argv
if len(argv) != 3 or not cc:
    sys.exit("usage: mutate.py SRC DEST TARGET -- CC [FLAGS...]")
src, dest, target = Path(argv[0]), Path(argv[1]), argv[2]
specedit.copy_tree(src, dest, ("spec", "templates"))

try:
    t = specedit.TargetSpec(dest, target)
    ints = t.abi.get("callee_saved", {}).get("int", [])
    if not ints:
        raise specedit.EditError(f"{t.rel}: abi.callee_saved.int: empty: no callee-saved register to swap in")
    reg = ints[0]
    t.ensure_fields([reg], cc)
    ints.remove(reg)
    old = t.resume["scratch"][0]
    t.resume["scratch"][0] = reg
    t.save()
except specedit.EditError as e:
    sys.exit(f"mutate.py: {e}")

# CMake regex: no \w; the register name escaped for any metacharacter.
name = re.sub(r"([][.*+?^$()|\\])", r"\\\1", reg)
expect = f"FAIL trampgen_[A-Za-z0-9_]+: {name} \\([0-9]+ bits\\) is preserved by the ABI"
(dest / "mutation.cmake").write_text(
    f'# Written by tests/conformance/mutate.py: resume.scratch[0] {old} -> {reg}, {reg} no longer callee-saved.\n'
    f'set(MUTANT_REGISTER "{reg}")\n'
    f'set(EXPECT "{expect.replace(chr(92), chr(92) * 2)}")\n')
print(f"mutate.py: {t.rel}: resume.scratch[0] {old} -> {reg}, {reg} taken out of abi.callee_saved.int")
