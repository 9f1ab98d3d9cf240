"""Proof that the ABI oracle catches a wrong spec.

    catches.py TARGET ROOT WORKDIR -- CC [FLAGS...]

Copies ROOT/spec to WORKDIR/spec and, in the copy of spec/target/TARGET.toml,
deletes the first register of every abi.callee_saved class (whatever the spec
lists first, as the generator's loader gen.spec.load reads it, so nothing
here names an architecture or a register). The copy must still load with
that loader: the generator would accept it, so only the oracle stands
between it and wrong trampolines.
Then runs oracle.py against the copy with the same compiler and passes only
if the oracle exits 1 and its differences name TARGET and exactly the deleted
registers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def remove_from_array(text: str, key: str, reg: str) -> str:
    """Delete one quoted element from the TOML array `key = [...]` (which may span lines)."""
    m = re.search(r"^" + re.escape(key) + r"\s*=\s*\[", text, re.M)
    if not m:
        raise SystemExit(f"catches: cannot find {key} = [...]")
    end = text.index("]", m.end())
    body = text[m.end():end]
    q = re.escape(f'"{reg}"')
    # The element with the separator after it, or before it when it is last.
    new, n = re.subn(q + r"\s*,\s*", "", body, count=1)
    if not n:
        new, n = re.subn(r",?\s*" + q, "", body, count=1)
    if not n:
        raise SystemExit(f"catches: {reg} is not in {key}")
    return text[:m.end()] + new + text[end:]


def callee_saved(root: Path, spec_root: Path, target: str) -> dict[str, list[str]]:
    """abi.callee_saved of TARGET as the generator loads it (class -> registers)."""
    sys.path.insert(0, str(root))
    from gen import spec  # the project's own loader and validation
    try:
        return spec.load(spec_root, [target])[0].callee_saved
    except spec.SpecErrors as e:
        raise SystemExit(f"catches: {target}: {spec_root / 'spec'} does not load:\n{e}")


def main(argv: list[str]) -> int:
    i = argv.index("--")
    target, root, work = argv[0], Path(argv[1]).resolve(), Path(argv[2]).resolve()
    cc = argv[i + 1:]
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "spec", work / "spec")
    path = work / "spec" / "target" / f"{target}.toml"
    text = path.read_text()
    before = callee_saved(root, root, target)
    removed = {}
    for cls, regs in before.items():
        if regs:
            removed[cls] = regs[0]
            text = remove_from_array(text, f"callee_saved.{cls}", regs[0])
    if not removed:
        print(f"catches: {target} has no callee-saved register to remove")
        return 1
    path.write_text(text)
    # The edit removed exactly those registers and nothing else, and the
    # generator still accepts the result.
    after = callee_saved(root, work, target)
    for cls, regs in before.items():
        want = [r for r in regs if r != removed.get(cls)]
        if after.get(cls) != want:
            print(f"catches: editing {path} went wrong: callee_saved.{cls} is {after.get(cls)}")
            return 1
    print(f"catches: {target}: removed " + ", ".join(f"{r} ({c})" for c, r in removed.items())
          + f" from abi.callee_saved in {path}")

    p = subprocess.run([sys.executable, str(HERE / "oracle.py"), target, str(root),
                        str(work / f"{target}.regs"), "--spec-root", str(work), "--", *cc],
                       capture_output=True, text=True)
    sys.stdout.write(p.stdout + p.stderr)
    named = set(re.findall(r"^abi-oracle: DIFFERENCE (\S+) (\S+):", p.stdout, re.M))
    want = {(target, r) for r in removed.values()}
    if p.returncode != 1:
        print(f"catches: FAIL: the oracle exited {p.returncode}, not 1, on a spec missing "
              + ", ".join(removed.values()))
        return 1
    if named != want:
        print(f"catches: FAIL: the oracle named {sorted(named)}, expected exactly {sorted(want)}")
        return 1
    print(f"catches: ok: the oracle caught {target} " + ", ".join(removed.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
