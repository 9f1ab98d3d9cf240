"""One ABI edit of one target, applied to a copy of the spec and checked end to end.

    python3 run.py --src SRC --work DIR --target T --edit EDIT
                   [--generator G] [--jobs N] -- CC [FLAGS...]

Copies SRC's spec/, templates/ and gen/ (and cmake/, runtime/, tests/ for the
sub-build) into DIR, changes values of the parsed spec/target/T.toml
(specedit.py: never literal text), runs `python3 -m gen --root DIR generate T`,
and then, for an edit the spec must accept, configures and builds DIR's
cmake/target for T (posix mode, CC) with DIR's own out/, builds only the fault
suite and the conformance program, and runs the fault suite's scenarios and
both conformance checks there. For an edit that makes the spec inconsistent,
generation must exit 2 with exactly one problem line naming the file and the
key, and leave out/ as it was.

Edits (every register is chosen by its role in the parsed spec):
  rewrite_unchanged        no edit: every spec file written back by the emitter must
                           generate the project's out/ byte for byte (the emitter is
                           faithful, so the other edits change only what they say)
  scratch                  resume.scratch := two int registers with no role (or, if
                           there are fewer, argument registers the handler call, the
                           kind and inject-call leave dead; specedit.new_scratch_pair),
                           context fields added, measured with CC, if they lack them
  callee_saved_reversed    every abi.callee_saved class in reverse save order
  callee_saved_shorter     the last register of the first class leaves the list and
                           becomes abi.reserved (a runtime keeping a register of its
                           own): the trampolines neither save nor touch it; all pass
  callee_saved_dropped     the same register only dropped: builds and the fault suite
                           passes (the C dispatcher keeps it anyway), sigresume
                           conformance passes; conformance-entries must fail naming
                           that register, because the compiler (the oracle) says the
                           ABI preserves it and now nothing saves it
  stack_alignment_doubled  abi.stack_alignment * 2
  kind_register            where the dispatcher takes the kind in an argument register
                           (as on the host today), resume.kind_register is a derived
                           fact: any other register must be refused, naming it; then
                           every other target whose dispatcher takes the kind on the
                           stack gets another kind register, is generated, its
                           trampolines.S must pass the re2c checker (--checker), and
                           where its posix build's toolchain is installed, its fault
                           suite and conformance run on its runner; where
                           the host itself may vary it, a register with no role is
                           built and run like the other edits
  bad_scratch_callee_saved resume.scratch[i] := a callee-saved register, i = 0 and 1: refused
  bad_scratch_inject_arg   resume.scratch[i] := abi.int_args[0], i = 0 and 1: refused

Exit 0 on success, 1 with the reason on failure.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import specedit  # noqa: E402
from specedit import EditError, TargetSpec  # noqa: E402

STEP_TIMEOUT = 300
# Build modes (spec/os [[build]]) that run the fault suite and conformance, preferred first.
SUITE_MODES = ("posix", "harness")


class Failed(Exception):
    pass


def log(msg: str) -> None:
    print(f"abi-edit: {msg}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=STEP_TIMEOUT, **kw)


def must(cmd, **kw) -> subprocess.CompletedProcess:
    p = run(cmd, **kw)
    if p.returncode:
        raise Failed(f"{' '.join(str(c) for c in cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


class Edit:
    def __init__(self, a):
        self.a, self.work, self.target = a, a.work, a.target

    def generate(self) -> subprocess.CompletedProcess:
        return run([sys.executable, "-m", "gen", "--root", self.work, "generate", self.target], cwd=self.work)

    def spec(self) -> TargetSpec:
        return TargetSpec(self.work, self.target)

    # ---- an edit the spec must accept: generate, build, run ----
    def accepted(self, describe: str, expect_entries_fail: str | None = None) -> None:
        p = self.generate()
        if p.returncode:
            raise Failed(f"generation refused the edit ({describe}), exit {p.returncode}:\n{p.stderr}")
        mine, theirs = self.work / "out" / self.target, self.a.src / "out" / self.target
        same = [f.name for f in sorted(theirs.iterdir())
                if (mine / f.name).is_file() and filecmp.cmp(f, mine / f.name, shallow=False)]
        if len(same) == len(list(theirs.iterdir())):
            raise Failed(f"the edit ({describe}) changed no generated file: nothing would be tested")
        log(f"generated {self.target} with {describe}; differs from the project's out/{self.target} in "
            + ", ".join(f.name for f in sorted(mine.iterdir()) if f.name not in same))
        compiler = [f"-DCMAKE_C_COMPILER={self.a.cc[0]}"]
        if len(self.a.cc) > 1:
            compiler.append("-DCMAKE_C_FLAGS=" + " ".join(self.a.cc[1:]))
        self.build_and_run(self.target, compiler, describe, expect_entries_fail)

    def build_and_run(self, target: str, compiler: list[str], describe: str,
                      expect_entries_fail: str | None = None, mode: str = "posix") -> None:
        """Build DIR's cmake/target for target (mode; compiler: its CMake arguments), run the
        fault suite and both conformance checks (or conformance-entries expected to fail)."""
        build = self.work / f"build-{target}"
        shutil.rmtree(build, ignore_errors=True)
        name = f"abi-edit-{self.a.edit}"
        cfg = ["cmake", "-S", self.work / "cmake" / "target", "-B", build, "-G", self.a.generator,
               f"-DTRAMPGEN_TARGET={target}", f"-DTRAMPGEN_MODE={mode}", f"-DTRAMPGEN_BUILD_NAME={name}",
               f"-DTRAMPGEN_PYTHON={sys.executable}", *compiler, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
        must(cfg)
        must(["cmake", "--build", build, "--target", "suite", "conformance", "-j", str(self.a.jobs)])
        # The sub-build compiled DIR's out/, not the project's.
        ninja = (build / "build.ninja").read_text() if (build / "build.ninja").exists() else ""
        if ninja and str(self.work / "out" / target / "trampolines.S") not in ninja:
            raise Failed("the sub-build does not compile the edited copy's out/")
        scenarios = fault_scenarios(self.work / "tests" / "faults" / "suite.c")
        checks = ["conformance-sigresume"] + ([] if expect_entries_fail else ["conformance-entries"])
        regex = f"^{re.escape(name)}/({'|'.join(scenarios + checks)})$"
        p = run(["ctest", "--test-dir", build, "-R", regex, "-j", str(self.a.jobs), "--output-on-failure",
                 "--timeout", "120"])
        sys.stdout.write(p.stdout[-6000:])
        ran = re.search(r"tests passed, (\d+) tests failed out of (\d+)", p.stdout)
        if p.returncode or not ran or int(ran.group(2)) != len(scenarios) + len(checks):
            raise Failed(f"{target}: the fault suite or conformance failed on the edited spec ({describe}):\n"
                         f"{p.stdout[-3000:]}{p.stderr}")
        log(f"{target}: fault suite ({len(scenarios)} scenarios) and {', '.join(checks)}: passed")
        if expect_entries_fail:
            reg = expect_entries_fail
            p = run([build / "conformance", "entries"])
            out = p.stdout + p.stderr
            sys.stdout.write(out)
            fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
            want = re.compile(rf"^FAIL trampgen_\w+: {re.escape(reg)} \(\d+ bits\) is preserved by the ABI")
            if p.returncode == 0 or not fails or not all(want.match(line) for line in fails):
                raise Failed(f"conformance-entries should fail naming only {reg} (exit {p.returncode}):\n{out}")
            log(f"conformance-entries failed as it must, naming {reg} in {len(fails)} line(s)")

    # ---- an edit the spec must refuse ----
    def refused(self, key: str, reason: str, data: dict) -> None:
        """Generate DIR as given (data = the edited target), expecting one problem at key."""
        t = self.spec()
        original = specedit.load(t.path)
        out = self.work / "out"
        before = snapshot(out)
        if not before:
            raise Failed("the unedited copy generated nothing to compare with")
        specedit.save(t.path, data)
        try:
            p = self.generate()
        finally:
            specedit.save(t.path, original)
        sys.stdout.write(p.stderr)
        problems = [line for line in p.stderr.splitlines() if not re.match(r"^trampgen: \d+ problem\(s\)", line)]
        want = re.compile(rf"^trampgen: {re.escape(t.rel)}: {re.escape(key)}: {reason}$")
        if p.returncode != 2:
            raise Failed(f"generate exited {p.returncode}, not 2, for {key}:\n{p.stdout}{p.stderr}")
        if len(problems) != 1 or not want.match(problems[0]):
            raise Failed(f"expected exactly one line matching {want.pattern!r}, got:\n{p.stderr}")
        if snapshot(out) != before:
            raise Failed("out/ changed although generation refused the spec")
        log(f"refused as it must: {problems[0]}")


def fault_scenarios(suite_c: Path) -> list[str]:
    # The same rows tests/faults/faults.cmake makes tests of.
    rows = re.findall(r'^[ \t]*\{ "([a-z_0-9]+)", scenario_', suite_c.read_text(), re.M)
    if not rows:
        raise Failed(f"no scenarios found in {suite_c}")
    return rows


def edit_scratch(e: Edit) -> None:
    t = e.spec()
    old = list(t.resume["scratch"])
    new = specedit.new_scratch_pair(t)
    added = t.ensure_fields(new, e.a.cc)
    t.resume["scratch"] = new
    t.save()
    log(f"resume.scratch {old} -> {new}" + (f"; context.fields added (measured): " + ", ".join(
        f"{r} = {t.fields[r]}" for r in added) if added else ""))
    e.accepted(f"resume.scratch = {new}")


def edit_callee_saved_reversed(e: Edit) -> None:
    t = e.spec()
    cs = t.abi["callee_saved"]
    if not any(len(v) > 1 for v in cs.values()):
        raise EditError(f"{t.rel}: abi.callee_saved: no class has two registers to reorder")
    for cls in cs:
        cs[cls] = list(reversed(cs[cls]))
    t.save()
    log(f"abi.callee_saved reversed: {cs}")
    e.accepted("abi.callee_saved in reverse order")


def _drop_last_callee_saved(t: TargetSpec) -> tuple[str, str]:
    cs = t.abi["callee_saved"]
    cls = next((c for c, v in cs.items() if v), None)
    if cls is None:
        raise EditError(f"{t.rel}: abi.callee_saved: empty, nothing to drop")
    return cls, cs[cls].pop()


def edit_callee_saved_shorter(e: Edit) -> None:
    # What a runtime does when it keeps a register of its own (a thread or
    # heap-base register) live through all code: the register leaves the
    # list the trampolines save and becomes one nothing may touch.
    t = e.spec()
    cls, reg = _drop_last_callee_saved(t)
    t.abi.setdefault("reserved", {})[reg] = "kept by the embedding runtime for its own use (abi-edit)"
    t.save()
    log(f"abi.callee_saved.{cls}: {reg} moved to abi.reserved: {t.abi['callee_saved'][cls]}")
    e.accepted(f"abi.callee_saved.{cls} without {reg}, {reg} reserved")


def edit_callee_saved_dropped(e: Edit) -> None:
    t = e.spec()
    cls, dropped = _drop_last_callee_saved(t)
    t.save()
    log(f"abi.callee_saved.{cls}: dropped its last register, {dropped}: {t.abi['callee_saved'][cls]}")
    e.accepted(f"abi.callee_saved.{cls} without {dropped}", expect_entries_fail=dropped)


def edit_stack_alignment_doubled(e: Edit) -> None:
    t = e.spec()
    old = t.abi["stack_alignment"]
    t.abi["stack_alignment"] = old * 2
    t.save()
    log(f"abi.stack_alignment {old} -> {old * 2}")
    e.accepted(f"abi.stack_alignment = {old * 2}")


def edit_kind_register(e: Edit) -> None:
    t = e.spec()
    nargs = len(t.os["handler"]["args"])
    int_args = t.abi["int_args"]
    free = t.free_int_registers()
    old = t.resume["kind_register"]
    if nargs < len(int_args):
        # The dispatcher's kind parameter is argument register nargs: the kind
        # register is derived from abi.int_args, and any other is refused.
        fixed = int_args[nargs]
        if old != fixed:
            raise Failed(f"the spec's kind register {old} is not the dispatcher's argument {nargs}, {fixed}")
        # Another register that no other rule refuses as the kind register:
        # not SP/PC/LR, not a handler argument, not callee-saved, not reserved.
        others = set(t.special()) | set(int_args[:nargs]) | set(t.callee_saved_all()) \
            | set(t.abi.get("reserved", {})) | {fixed}
        candidates = free + [r for r in t.int_registers() if r not in others and r not in free]
        if not candidates:
            raise EditError(f"{t.rel}: resume.kind_register: no other int register to try")
        other = candidates[0]
        log(f"{t.name}: the dispatcher takes the kind in argument register {nargs} ({fixed}): "
            f"resume.kind_register is derived; another one ({other}) must be refused")
        data = specedit.load(t.path)
        data["resume"]["kind_register"] = other
        e.refused("resume.kind_register",
                  rf"the dispatcher takes the kind in {re.escape(fixed)} \(argument {nargs}\); load it there", data)
        kind_elsewhere(e)
        return
    if not free:
        raise EditError(f"{t.rel}: resume.kind_register: no int register without a role to move it to")
    t.resume["kind_register"] = free[0]
    t.save()
    log(f"resume.kind_register {old} -> {free[0]}")
    e.accepted(f"resume.kind_register = {free[0]}")


def kind_elsewhere(e: Edit) -> None:
    """The targets whose dispatcher takes the kind on the stack, where the kind register may vary.

    They are not the host: each gets another kind register, is generated,
    and its trampolines.S is judged by the re2c checker (tests/checker/),
    which reads the kind register from the same edited spec; then, where
    its OS gives it a posix build whose toolchain is installed, that build
    (its own toolchain and runner, from gen/builds.py) runs its fault suite
    and conformance on the edited copy (else its harness build, where the
    emulated-OS harness calls its entries as its OS does)."""
    variable = []
    for f in sorted((e.work / "spec" / "target").glob("*.toml")):
        t = TargetSpec(e.work, f.stem)
        if t.name == e.target or len(t.os["handler"]["args"]) < len(t.abi["int_args"]):
            continue
        taken = set(t.special()) | set(t.callee_saved_all()) | set(t.abi.get("reserved", {})) \
            | {t.resume["kind_register"]}
        other = [r for r in t.int_registers() if r not in taken]
        if not other:
            log(f"{t.name}: the kind register may vary, but no other int register may take it")
            continue
        log(f"{t.name}: the dispatcher takes the kind on the stack: resume.kind_register "
            f"{t.resume['kind_register']} -> {other[0]}")
        t.resume["kind_register"] = other[0]
        t.save()
        variable.append(t.name)
    if not variable:
        log("no target's dispatcher takes the kind on the stack: the kind register is derived everywhere")
        return
    p = run([sys.executable, "-m", "gen", "--root", e.work, "generate", *variable], cwd=e.work)
    if p.returncode:
        raise Failed(f"generation refused another kind register on {', '.join(variable)}:\n{p.stderr}")
    if not e.a.checker:
        print(f"abi-edit: not checked: no re2c checker (trampgen_check) in this build, so the "
              f"generated {', '.join(variable)} are not judged", flush=True)
        return
    for name in variable:
        mine, theirs = e.work / "out" / name / "trampolines.S", e.a.src / "out" / name / "trampolines.S"
        if filecmp.cmp(mine, theirs, shallow=False):
            raise Failed(f"{name}: another kind register changed nothing in trampolines.S")
        model, table = e.work / f"{name}.model", e.work / f"{name}.tab"
        cmd = [sys.executable, e.work / "tests" / "checker" / "model.py", "--root", e.work, name, "-o", model,
               "--table", table]
        p = run(cmd)
        if p.returncode == 77:      # the ISA has no spec/semantics file: the checker cannot judge it
            print(f"abi-edit: {name}: not checked: {p.stdout.strip()}", flush=True)
            continue
        if p.returncode:
            raise Failed(f"{' '.join(str(c) for c in cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        p = must([e.a.checker, model, mine, "--table", table, "--cpp", e.a.cc[0]])
        sys.stdout.write(p.stdout[-2000:])
        log(f"{name}: generated with another kind register; the checker says every check holds")
        run_elsewhere(e, name)


def run_elsewhere(e: Edit, name: str) -> None:
    """Build and run target name's fault suite and conformance on the edited copy, with the toolchain
    and runner its spec gives its posix build (gen/builds.py); say why not where it has none here."""
    sys.path.insert(0, str(e.work))
    from gen import builds, spec  # noqa: E402  (the copy's own, which reads the edited spec)

    plan = builds.Plan(spec.load(e.work), e.a.host_system, e.a.host_processor)
    # The builds that run the fault suite and conformance: the OS's own (posix) or, for an OS
    # emulated on this one, the harness (its entries called as that OS calls them).
    mine = [b for b in plan.builds if b["target"].name == name and b["mode"] in SUITE_MODES]
    mine.sort(key=lambda b: SUITE_MODES.index(b["mode"]))
    if not mine:
        why = next((r for n, r in plan.skips if n.startswith(f"{name}/")), "its OS spec lists none")
        log(f"{name}: not run: no build of it here runs the fault suite ({why}); checked by the checker only")
        return
    b = mine[0]
    tc = b["toolchain"]
    if not shutil.which(tc.toolchain["compiler"]):
        log(f"{name}: not run: {tc.toolchain['compiler']} is not installed (scripts/setup.sh installs it)")
        return
    if tc.toolchain["runner"]["kind"] == "native":
        compiler = [f"-DCMAKE_C_COMPILER={tc.toolchain['compiler']}"]
    else:
        path = e.work / "toolchains" / f"{tc.name}.cmake"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(builds.toolchain_file(tc))
        compiler = [f"-DCMAKE_TOOLCHAIN_FILE={path}"]
    if b["own_cc"]:
        compiler.append("-DTRAMPGEN_OWN_CC=" + ";".join(b["own_cc"]))
        if not shutil.which(b["own_cc"][0]):
            log(f"{name}: not run: {b['own_cc'][0]} is not installed (scripts/setup.sh installs it)")
            return
    log(f"{name}: its {b['mode']} build {b['name']} runs the fault suite and conformance")
    e.build_and_run(name, compiler, f"resume.kind_register = {TargetSpec(e.work, name).resume['kind_register']}",
                    mode=b["mode"])


def _bad_scratch(e: Edit, reg_of, reason) -> None:
    for i in (0, 1):
        t = e.spec()
        reg = reg_of(t)
        # The register gets a context field first, so that the one problem left
        # is the role clash (not a missing field).
        t.ensure_fields([reg], e.a.cc)
        scratch = list(t.resume["scratch"])
        scratch[i] = reg
        if len(set(scratch)) != 2:
            raise EditError(f"{t.rel}: resume.scratch: {reg} is already scratch register {1 - i}")
        t.resume["scratch"] = scratch
        log(f"resume.scratch[{i}] := {reg}")
        e.refused(f"resume.scratch[{i}]", rf"{re.escape(reg)} {reason}", t.data)


def edit_bad_scratch_callee_saved(e: Edit) -> None:
    def reg_of(t: TargetSpec) -> str:
        cs = t.callee_saved_all()
        ints = [r for r in t.abi["callee_saved"].get("int", [])]
        if not (ints or cs):
            raise EditError(f"{t.rel}: abi.callee_saved: empty")
        return (ints or cs)[0]
    _bad_scratch(e, reg_of, r"is callee-saved in this ABI: .+")


def edit_bad_scratch_inject_arg(e: Edit) -> None:
    def reg_of(t: TargetSpec) -> str:
        if not t.abi["int_args"]:
            raise EditError(f"{t.rel}: abi.int_args: empty, inject-call passes its argument on the stack")
        return t.abi["int_args"][0]
    _bad_scratch(e, reg_of, r"is the argument register inject-call fills: .+")


def edit_rewrite_unchanged(e: Edit) -> None:
    """No edit: every spec file rewritten by the emitter must generate out/ byte for byte."""
    files = sorted((e.work / "spec").rglob("*.toml"))
    for f in files:
        specedit.save(f, specedit.load(f))
    log(f"rewrote {len(files)} spec files through specedit.dumps (comments dropped, values kept)")
    p = run([sys.executable, "-m", "gen", "--root", e.work, "generate"], cwd=e.work)
    if p.returncode:
        raise Failed(f"the rewritten spec does not generate:\n{p.stderr}")
    mine, theirs = snapshot(e.work / "out"), snapshot(e.a.src / "out")
    if mine != theirs:
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        raise Failed(f"out/ from the rewritten spec differs from the project's out/ in: {', '.join(differ)} "
                     "(is the project's out/ up to date? gen/check says)")
    log(f"out/ from the rewritten spec equals the project's ({len(mine)} files)")


EDITS = {
    "rewrite_unchanged": edit_rewrite_unchanged,
    "scratch": edit_scratch,
    "callee_saved_reversed": edit_callee_saved_reversed,
    "callee_saved_shorter": edit_callee_saved_shorter,
    "callee_saved_dropped": edit_callee_saved_dropped,
    "stack_alignment_doubled": edit_stack_alignment_doubled,
    "kind_register": edit_kind_register,
    "bad_scratch_callee_saved": edit_bad_scratch_callee_saved,
    "bad_scratch_inject_arg": edit_bad_scratch_inject_arg,
}


def main() -> int:
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: run.py --src SRC --work DIR --target T --edit EDIT [--generator G] [--jobs N] -- CC [FLAGS...]")
    cc = argv[argv.index("--") + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--edit", required=True, choices=sorted(EDITS))
    ap.add_argument("--generator", default="Ninja")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--checker", type=Path, help="trampgen_check, for targets that are not the host")
    ap.add_argument("--host-system", default=platform.system(), help="CMAKE_HOST_SYSTEM_NAME")
    ap.add_argument("--host-processor", default=platform.machine(), help="CMAKE_HOST_SYSTEM_PROCESSOR")
    a = ap.parse_args(argv[:argv.index("--")])
    if not cc:
        sys.exit("run.py: no C compiler after --")
    a.cc, a.src, a.work = cc, a.src.resolve(), a.work.resolve()
    if a.work == a.src or a.work in a.src.parents:
        sys.exit("run.py: --work must be a directory of its own in the build tree")
    shutil.rmtree(a.work, ignore_errors=True)
    specedit.copy_tree(a.src, a.work, ("spec", "templates", "gen", "cmake", "runtime", "tests"))
    e = Edit(a)
    try:
        if a.edit.startswith("bad_") or a.edit == "kind_register":
            # Refusals are checked against the unedited copy's out/.
            p = e.generate()
            if p.returncode:
                raise Failed(f"the unedited copy does not generate:\n{p.stderr}")
        EDITS[a.edit](e)
    except (Failed, EditError) as err:
        print(f"abi-edit/{a.edit}: FAILED: {err}", flush=True)
        return 1
    print(f"abi-edit/{a.edit}: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
