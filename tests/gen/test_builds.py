"""gen.builds as CMake and scripts/setup.sh meet it, on a copy of the tree.

Targets, packages and keys are taken from the spec files themselves, so the
tests hold for whatever targets spec/ defines.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BuildsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="trampgen-builds-")
        self.root = Path(self.tmp.name) / "copy"
        for d in ("spec", "templates", "gen", "out"):
            shutil.copytree(ROOT / d, self.root / d, ignore=shutil.ignore_patterns("__pycache__"))
        self.build = Path(self.tmp.name) / "build"
        self.specs = {}
        for p in sorted((self.root / "spec" / "target").glob("*.toml")):
            with p.open("rb") as f:
                self.specs[p.stem] = tomllib.load(f)
        self.with_toolchain = [n for n, s in self.specs.items() if "toolchain" in s]
        self.assertTrue(self.with_toolchain, "no target has a [toolchain]: nothing to test")

    def tearDown(self):
        self.tmp.cleanup()

    def run_builds(self, *args):
        return subprocess.run([sys.executable, "-m", "gen.builds", "--root", str(self.root), *args],
                              cwd=self.root, capture_output=True, text=True)

    def cmake(self, d=None):
        return self.run_builds("cmake", "--dir", str(d or self.build), "--host-system", "Linux",
                               "--host-processor", "none-such")

    def edit_toolchain(self, name, old, new):
        p = self.root / "spec" / "target" / f"{name}.toml"
        text = p.read_text()
        self.assertIn(old, text)
        p.write_text(text.replace(old, new, 1))

    def assert_one_error(self, r, code, pattern):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        problems = [l for l in r.stderr.splitlines() if "problem(s) in spec/" not in l]
        self.assertEqual(len(problems), 1, r.stderr)
        self.assertRegex(problems[0], pattern)

    def test_packages_are_the_specs(self):
        r = self.run_builds("packages")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        required = {l.split()[1] for l in lines if l.startswith("required ")}
        wanted = {p for n in self.with_toolchain for p in self.specs[n]["toolchain"]["packages"]}
        self.assertEqual(required, wanted)
        for l in lines:
            self.assertRegex(l, r"^(required \S+|optional \S+ \S+ \S+|fetch \S+ \S+ \S+)$")

    def test_runner_from_another_release(self):
        # toolchain.runner.suite: setup.sh is told to fetch the package from that
        # release, and the toolchain file looks for the runner only where it unpacks it.
        name = next(n for n in self.with_toolchain if self.specs[n]["toolchain"]["runner"]["kind"] == "qemu")
        prog = self.specs[name]["toolchain"]["runner"]["programs"][0]
        text = (self.root / "spec" / "target" / f"{name}.toml").read_text()
        line = next(l for l in text.splitlines() if l.startswith("runner = "))
        self.edit_toolchain(name, line, f'runner = {{ kind = "qemu", programs = ["{prog}"], package = "qemu-user", suite = "trixie" }}')
        r = self.run_builds("packages")
        self.assertEqual(r.returncode, 0, r.stderr)
        fetch = [l.split() for l in r.stdout.splitlines() if l.startswith("fetch qemu-user trixie ")]
        self.assertEqual(len(fetch), 1, r.stdout)
        self.assertIn(name, fetch[0][3].split(","))
        self.assertEqual(self.cmake().returncode, 0)
        tc = (self.build / "toolchains" / f"{name}.cmake").read_text()
        want = str(self.root / "build-env" / "trixie" / "qemu-user" / "usr" / "bin")
        self.assertIn(f'find_program(TRAMPGEN_RUNNER NAMES {prog} PATHS "{want}" NO_DEFAULT_PATH)', tc)
        # Without it, the tests' skip reason says so, and why setup.sh could not unpack it.
        self.assertIn(f"no {prog} from Debian trixie's qemu-user", tc)
        self.assertIn(str(self.root / "build-env" / "qemu-user-trixie.skip"), tc)

    def test_runner_suite_needs_its_package(self):
        name = next(n for n in self.with_toolchain if self.specs[n]["toolchain"]["runner"]["kind"] == "qemu")
        text = (self.root / "spec" / "target" / f"{name}.toml").read_text()
        line = next(l for l in text.splitlines() if l.startswith("runner = "))
        self.edit_toolchain(name, line, line.rstrip("}").rstrip() + ', suite = "trixie" }')
        r = self.run_builds("packages")
        self.assert_one_error(r, 2, rf"spec/target/{re.escape(name)}\.toml: toolchain\.runner\.suite: needs toolchain\.runner\.package")

    def test_cmake_files_for_every_target_and_stable(self):
        r = self.cmake()
        self.assertEqual(r.returncode, 0, r.stderr)
        builds = (self.build / "builds.cmake").read_text()
        for n in self.with_toolchain:
            # Built, or (native elsewhere: this fake host is none of theirs) skipped with a reason.
            self.assertRegex(builds, rf'"TARGET" "{re.escape(n)}"|trampgen_skip_test\("{re.escape(n)}/build"',
                             f"{n} has neither a build nor a skip")
        self.assertTrue((self.build / "host.cmake").is_file())
        before = {p: p.stat().st_mtime_ns for p in self.build.rglob("*") if p.is_file()}
        self.assertEqual(self.cmake().returncode, 0)
        after = {p: p.stat().st_mtime_ns for p in self.build.rglob("*") if p.is_file()}
        self.assertEqual(before, after, "a second run with the same specs rewrote files")

    def test_misspelt_toolchain_key(self):
        name = self.with_toolchain[0]
        self.edit_toolchain(name, "\ncompiler = ", "\ncompiller = ")
        r = self.cmake()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, rf"spec/target/{re.escape(name)}\.toml: toolchain\.compiller: "
                                   r"unknown key; did you mean 'compiler'\?")
        self.assertFalse(self.build.exists(), "files were written despite the error")

    def test_compiler_cannot_carry_a_command(self):
        name = self.with_toolchain[0]
        compiler = self.specs[name]["toolchain"]["compiler"]
        self.edit_toolchain(name, f'compiler = "{compiler}"', f'compiler = "{compiler}; true"')
        r = self.cmake()
        self.assert_one_error(r, 2, rf"^trampgen: spec/target/{re.escape(name)}\.toml: toolchain\.compiler: ")
        self.assertFalse(self.build.exists())

    def test_never_writes_into_the_source_tree(self):
        out_before = sorted(p.relative_to(self.root) for p in (self.root / "out").rglob("*"))
        for d in (self.root / "out" / "x", self.root / "spec"):
            r = self.cmake(d)
            self.assert_one_error(r, 3, r"--dir .*: inside (out|spec)/")
        link = Path(self.tmp.name) / "link"
        os.symlink(self.root / "out", link)
        r = self.cmake(link / "x")
        self.assert_one_error(r, 3, r"--dir .*: inside out/")
        self.assertEqual(out_before, sorted(p.relative_to(self.root) for p in (self.root / "out").rglob("*")))


if __name__ == "__main__":
    unittest.main()
