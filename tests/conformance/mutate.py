"""Copy spec/ and templates/ to DEST, with one ABI mistake in linux-amd64.

    python3 mutate.py SRC DEST

The mistake: trampgen_sigresume reads SP from r12 instead of r8, and r12 is
taken out of abi.callee_saved (and given a context field in place of r8's) so that the generator's validation (a scratch
register may not be callee-saved) accepts the spec. Every check the generator
makes passes; only running the trampolines shows that sigtramp no longer
keeps r12, which the System V ABI makes a callee keep. The conformance
harness must say so (tests/conformance/target.cmake, conformance-catches).
"""

import shutil
import sys
from pathlib import Path

src, dest = Path(sys.argv[1]), Path(sys.argv[2])
for d in ("spec", "templates"):
    shutil.rmtree(dest / d, ignore_errors=True)
    shutil.copytree(src / d, dest / d)

path = dest / "spec" / "target" / "linux-amd64.toml"
text = path.read_text()
edits = [
    ('scratch = ["r8", "r9"]', 'scratch = ["r12", "r9"]'),
    ('callee_saved.int = ["rbx", "rbp", "r12", "r13", "r14", "r15"]',
     'callee_saved.int = ["rbx", "rbp", "r13", "r14", "r15"]'),
    # prepare_context_for_sig_resume now writes r12 into the ucontext_t:
    # glibc's REG_R12 is gregs[4], gregs starts at byte 40.
    ('fields.r8 = { field = "uc_mcontext.gregs[REG_R8]", offset = 40 }',
     'fields.r12 = { field = "uc_mcontext.gregs[REG_R12]", offset = 72 }'),
]
for old, new in edits:
    if text.count(old) != 1:
        # The real spec changed: say so rather than test an unmutated copy.
        sys.exit(f"mutate.py: {path.relative_to(dest)} no longer contains {old!r} exactly once")
    text = text.replace(old, new)
path.write_text(text)
