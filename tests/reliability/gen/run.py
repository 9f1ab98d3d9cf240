"""The generator under hostile conditions (trampgen issue 8, items 1-5 and 13).

    python3 tests/reliability/gen/run.py GROUP --scratch DIR [--iterations N] [--seed S]

GROUP is one of: hostile, kill, concurrent, unprivileged, fullfs.

Every case runs `python3 -m gen ...` in a scratch copy of the whole project
tree, .git included (a real repository: a worktree's .git file is replaced by
a clone), and checks that every file outside out/ is byte-identical
afterwards, that out/ is what it must be (unchanged on an error; the old or
the new set after a kill), and that the exit status and the one-line message
are exactly right. Each group is bounded in iterations and in time per
command. A group whose mechanism this machine lacks (setpriv, an unprivileged
Python, tmpfs mounts) exits 77 with "skipped: <reason>".
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

SRC = Path(__file__).resolve().parents[3]
SKIP = 77
TIMEOUT = 60          # seconds for any one generator run
NOBODY = 65534
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", LC_ALL="C.UTF-8")
SPEC_ERR = r"trampgen: \d+ problem\(s\) in spec/; nothing was written"


class Failure(Exception):
    pass


def skip(reason: str):
    print(f"skipped: {reason}")
    sys.exit(SKIP)


# ---- the scratch tree ------------------------------------------------------------

class Scratch:
    def __init__(self, base: Path):
        base.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="gen-", dir=base))
        os.chmod(self.base, 0o755)
        self.template = self.base / "template"
        self._make_template()
        self.n = 0

    def _make_template(self):
        t = self.template
        t.mkdir()
        skip_names = re.compile(r"^(build|build-.*|\.trampgen-.*)$")
        for e in sorted(os.listdir(SRC)):
            if skip_names.match(e) or e == ".git":
                continue
            subprocess.run(["cp", "-a", str(SRC / e), str(t / e)], check=True)
        git = SRC / ".git"
        if git.is_dir():
            subprocess.run(["cp", "-a", str(git), str(t / ".git")], check=True)
        elif git.exists() and shutil.which("git"):
            # A worktree: .git is a pointer into another repository. Give the copy a real one.
            tmp = self.base / "clone"
            subprocess.run(["git", "clone", "-q", "--no-checkout", "--no-hardlinks", str(SRC), str(tmp)],
                           check=True, capture_output=True)
            os.rename(tmp / ".git", t / ".git")
            shutil.rmtree(tmp)
        for d in t.rglob("__pycache__"):
            shutil.rmtree(d)

    def case(self, where: Path | None = None) -> Path:
        self.n += 1
        root = (where or self.base) / f"case{self.n}"
        subprocess.run(["cp", "-a", str(self.template), str(root)], check=True)
        return root

    def close(self):
        # Cases made directories read-only or unreadable on purpose.
        subprocess.run(["chmod", "-R", "u+rwX", str(self.base)], capture_output=True)
        subprocess.run(["rm", "-rf", str(self.base)])


def snapshot(root: Path, include_out: bool) -> dict[str, tuple]:
    """type, mode and content hash of every entry (links not followed); out/ only if asked."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if not include_out and (rel == "out" or rel.startswith("out/")):
                continue
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                snap[rel] = ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(p.read_bytes()).hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(p))
            else:
                snap[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
        dirnames[:] = [d for d in dirnames if not os.path.islink(Path(dirpath) / d)]
    return snap


def out_set(root: Path, name: str = "out") -> dict[str, str]:
    """out/ (or a directory standing in for it) as {out/...: sha256}."""
    out = root / name
    return {"out/" + p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink()}


def diff(a: dict, b: dict) -> str:
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return ", ".join(keys[:8]) + (" ..." if len(keys) > 8 else "")


def gen(root: Path, *args, env=None, prefix=(), python=None, timeout=TIMEOUT):
    cmd = [*prefix, python or sys.executable, "-m", "gen", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env or ENV, timeout=timeout)


def edit(root: Path, rel: str, old: str, new: str, count: int = 1):
    p = root / rel
    text = p.read_text(encoding="utf-8")
    if text.count(old) < 1:
        raise Failure(f"set-up: {old!r} not in {rel}")
    p.write_text(text.replace(old, new, count), encoding="utf-8")


def stale_templates(root: Path, mark: str = "x"):
    """Change every output file: a comment line in each template."""
    for t in ("trampolines.S.j2", "context.c.j2", "trampgen_target.h.j2"):
        p = root / "templates" / t
        p.write_text(p.read_text(encoding="utf-8") + f"/* reliability {mark} */\n", encoding="utf-8")


def expect(r, status: int, lines: list[str], what: str):
    """Exit status, and stderr exactly these lines (regexes, fully matched)."""
    got = r.stderr.splitlines()
    problems = []
    if r.returncode != status:
        problems.append(f"exit {r.returncode}, expected {status}")
    if "Traceback" in r.stderr:
        problems.append("a traceback")
    if len(got) != len(lines) or not all(re.fullmatch(p, g) for p, g in zip(lines, got)):
        problems.append("stderr is not " + " / ".join(lines))
    if problems:
        raise Failure(f"{what}: {'; '.join(problems)}\n  stdout: {r.stdout[-400:]!r}\n  stderr: {r.stderr[-800:]!r}")


class Runner:
    def __init__(self):
        self.passed, self.failed = 0, []

    def __call__(self, name, fn, *args):
        try:
            fn(*args)
            self.passed += 1
            print(f"ok    {name}")
        except Failure as e:
            self.failed.append(name)
            print(f"FAIL  {name}: {e}")
        except OSError as e:
            self.failed.append(name)
            print(f"FAIL  {name}: set-up or check failed: {e}")
        except subprocess.TimeoutExpired as e:
            self.failed.append(name)
            print(f"FAIL  {name}: timed out after {e.timeout}s: {e.cmd}")

    def finish(self, group) -> int:
        print(f"reliability/{group}: {self.passed} passed, {len(self.failed)} failed"
              + (": " + ", ".join(self.failed) if self.failed else ""))
        return 1 if self.failed else 0


# ---- hostile inputs (items 1-5) ---------------------------------------------------

def refused(sc: Scratch, setup, args, status, lines, what):
    """setup(root) makes the hostile input; the run must fail as told and change nothing."""
    root = sc.case()
    setup(root)
    before = snapshot(root, include_out=True)
    r = gen(root, *args)
    expect(r, status, lines, what)
    after = snapshot(root, include_out=True)
    if after != before:
        raise Failure(f"{what}: the tree changed: {diff(before, after)}")


def spec_case(rel, old, new, line):
    """A one-line spec edit refused with exit 2 and exactly one problem line."""
    def setup(root):
        stale_templates(root)   # so that a partial write would show
        edit(root, rel, old, new)
    return setup, ["generate"], 2, [line, SPEC_ERR]


class Facts:
    """What the probes edit, chosen from the spec data (no architecture is named in tests/)."""

    def __init__(self, root: Path):
        load = lambda rel: tomllib.loads((root / rel).read_text(encoding="utf-8"))
        self.targets = sorted(p.stem for p in (root / "spec/target").glob("*.toml"))
        self.t = self.targets[0]
        self.target = load(f"spec/target/{self.t}.toml")
        self.isa_name = self.target["isa"]
        self.isa_rel = f"spec/isa/{self.isa_name}.toml"
        self.isa = load(self.isa_rel)
        self.os_name = self.target["os"]
        self.os_rel = f"spec/os/{self.os_name}.toml"
        self.os = load(self.os_rel)
        self.isas = {p.stem: load(f"spec/isa/{p.name}") for p in sorted((root / "spec/isa").glob("*.toml"))}
        self.oses = {p.stem: load(f"spec/os/{p.name}") for p in sorted((root / "spec/os").glob("*.toml"))}
        multi = [n for n, d in self.oses.items() if len(d["entry"]) >= 2]
        if not multi:
            raise Failure("set-up: no OS spec with two entries to make duplicates from")
        self.multi_os = multi[0]
        self.multi_rel = f"spec/os/{self.multi_os}.toml"
        self.entries = self.oses[self.multi_os]["entry"]
        tagged = [n for n, d in self.isas.items() if "code_address_tag" in d["isa"]]
        self.tagged = tagged[0] if tagged else None
        fmt = self.os["os"]["format"]
        self.format_rel = f"spec/format/{fmt}.toml"
        self.format = load(self.format_rel)["format"]


def name_file(f: Facts, name):
    def setup(root):
        shutil.copy(root / f"spec/target/{f.t}.toml", root / "spec/target" / (name + ".toml"))
    return setup


def name_line(shown):
    return (rf"trampgen: spec/target/{re.escape(shown)}\.toml: \(file\): target name "
            rf"'{re.escape(shown)}' is not valid \(\[a-z0-9\]\[a-z0-9_-\]\*, at most 64 characters\): .*")


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


LOOKALIKE = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445"}


def group_hostile(sc: Scratch, run: Runner, args):
    f = Facts(sc.template)
    T, E = f.t, re.escape

    # Item 1: target names that walk out of out/.
    for name in ("..", "."):
        run(f"target name {name!r}", refused, sc, name_file(f, name), ["generate"], 2, [name_line(name), SPEC_ERR],
            f"spec/target/{name}.toml")

    def link_out_target(root):
        victim = root.parent / (root.name + "-victim")
        victim.mkdir()
        (victim / "context.c").write_text("precious\n")
        shutil.rmtree(root / f"out/{T}")
        os.symlink(victim, root / f"out/{T}")
        stale_templates(root)
    run("out/<t> a symlink to a directory outside the project", refused, sc, link_out_target, ["generate"], 3,
        [rf"trampgen: out/{E(T)}: is a symbolic link, not a directory or regular file; trampgen never "
         r"follows, replaces or removes such an entry: remove it yourself"], "out/<t> -> outside")

    def victim_intact():
        # refused() compared the tree; the victim is outside it.
        victims = list(sc.base.glob("*-victim"))
        if not victims:
            raise Failure("set-up: no victim directory")
        for v in victims:
            if (v / "context.c").read_text() != "precious\n":
                raise Failure(f"{v}/context.c outside the project was changed")
    run("... and the file outside is untouched", victim_intact)

    def link_out(root):
        shutil.move(root / "out", root.parent / (root.name + "-realout"))
        os.symlink(root.parent / (root.name + "-realout"), root / "out")
        stale_templates(root)
    run("out/ a symlink", refused, sc, link_out, ["generate"], 3,
        [r"trampgen: out: is a symbolic link, not a directory or regular file; .*"], "out -> elsewhere")

    # Item 2: names that are not the documented pattern.
    look = next((T[:i] + LOOKALIKE[c] + T[i + 1:] for i, c in enumerate(T) if c in LOOKALIKE), "\u0430" + T)
    for name in ('a"b', "a\nb", "a\\b", "a b", ".hidden", "-x", look, T.capitalize(), "x" * 65):
        shown = ascii(name)[1:-1].replace(" ", "\\x20")
        run(f"target name {name[:20]!r}", refused, sc, name_file(f, name), ["generate"], 2,
            [name_line(shown), SPEC_ERR], f"target name {name!r}")
    run("target name on the command line", refused, sc, lambda root: None, ["generate", "../x"], 2,
        [r"trampgen: \(command line\): target: '\.\./x' is not a valid target name .*", SPEC_ERR], "argv ../x")
    trel = f"spec/target/{T}.toml"
    run("300-character ISA name", refused, sc, *spec_case(
        trel, f'isa = "{f.isa_name}"', 'isa = "' + "x" * 300 + '"',
        rf"trampgen: {E(trel)}: isa: 'x{{56}}\.\.\. is longer than 200 characters"), "long isa")
    run("64-character ISA name that is not a file", refused, sc, *spec_case(
        trel, f'isa = "{f.isa_name}"', 'isa = "' + "x" * 64 + '"',
        rf"trampgen: {E(trel)}: isa: unknown ISA: there is no spec/isa/x{{64}}\.toml"), "64-char isa")

    # Item 3: idiom text.
    IR, idi = f.isa_rel, f.isa["idioms"]
    call, store, ret = idi["call"], idi["store"]["int"], idi["return"]
    comment, sep = f.isa["asm"]["comment"][0], f.isa["asm"]["separator"][0]
    line_of = lambda key, text: f"{key} = {toml_str(text)}"
    brace = r": a '\{' that is not part of a \{name\} placeholder .*"
    for what, key, old, new, line in (
        ("a newline", "call", call, call + "\n" + ret,
         rf"trampgen: {E(IR)}: idioms\.call: .* must be one line of printable text"),
        ("a comment", "call", call, f"{call} {comment} x",
         rf"trampgen: {E(IR)}: idioms\.call: .* contains '{E(comment)}', which starts a comment in {E(f.isa_name)} assembly .*"),
        ("a statement separator", "call", call, f"{call}{sep} {ret}",
         rf"trampgen: {E(IR)}: idioms\.call: .* contains '{E(sep)}', which separates statements in {E(f.isa_name)} assembly .*"),
        ("a C comment", "call", call, f"{call} /* x */",
         rf"trampgen: {E(IR)}: idioms\.call: .* contains '/\*', which starts a C comment .*"),
        ("a format spec", "store.int", store, store.replace("{offset}", "{offset:x}"),
         rf"trampgen: {E(IR)}: idioms\.store\.int: .*{brace}"),
        ("a nested format spec", "store.int", store, store.replace("{offset}", "{offset:{reg}}"),
         rf"trampgen: {E(IR)}: idioms\.store\.int: .*{brace}"),
        ("a huge width", "store.int", store, store.replace("{offset}", "{offset:99999999999}"),
         rf"trampgen: {E(IR)}: idioms\.store\.int: .*{brace}"),
        ("a conversion", "call", call, call.replace("{symbol}", "{symbol!r}"),
         rf"trampgen: {E(IR)}: idioms\.call: .*{brace}"),
        ("an unknown placeholder", "call", call, call.replace("{symbol}", "{target}"),
         rf"trampgen: {E(IR)}: idioms\.call: idiom .* uses \{{target\}}; it may use only \{{symbol\}}"),
    ):
        run(f"idiom with {what}", refused, sc, *spec_case(IR, line_of(key, old), line_of(key, new), line), what)
    fb0 = f.format["function_begin"][0]
    run("format directive with a separator", refused, sc, *spec_case(
        f.format_rel, toml_str(fb0), toml_str(f"{fb0}{sep} .x"),
        rf"trampgen: {E(f.format_rel)}: format\.function_begin\[0\]: .* contains '.*', which .*"), "directive")

    # Item 4: values that cannot work.
    MR, es = f.multi_rel, f.entries
    last = len(es) - 1
    sp, pc = f.isa["isa"]["stack_pointer"], f.isa["isa"]["program_counter"]
    kreg = f.target["resume"]["kind_register"]
    arg0 = f.os["handler"]["args"][0]["type"]
    disp = f.os["os"]["dispatcher"]
    for what, rel, old, new, line in (
        ("duplicate entry name", MR, f'name = "{es[last]["name"]}"', f'name = "{es[0]["name"]}"',
         rf"trampgen: {E(MR)}: entry\[{last}\]\.name: '{es[0]['name']}' is already the name of entry\[0\]"),
        ("duplicate kind name", MR, f'kind = "{es[last]["kind"]}"', f'kind = "{es[0]["kind"]}"',
         rf"trampgen: {E(MR)}: entry\[{last}\]\.kind: '{es[0]['kind']}' is already the kind of entry\[0\]"),
        ("kind named like a generated macro", MR, f'kind = "{es[last]["kind"]}"', 'kind = "LIMIT"',
         rf"trampgen: {E(MR)}: entry\[{last}\]\.kind: TRAMPGEN_KIND_LIMIT is a macro the templates generate themselves"),
        ("entry named like a generated symbol", MR, f'name = "{es[last]["name"]}"', 'name = "sigresume"',
         rf"trampgen: {E(MR)}: entry\[{last}\]\.name: trampgen_sigresume is a name the templates generate themselves"),
        ("kind value too large for the immediate", f.os_rel, f'value = {f.os["entry"][0]["value"]}\n',
         "value = 65536\n",
         rf"trampgen: {E(f.os_rel)}: entry\[0\]\.value: 65536 is more than 255: .*"),
        ("one register, two spellings", IR, f'"{sp}",', f'"{sp}", "{sp.upper()}",',
         rf"trampgen: {E(IR)}: registers\.\w+\.names: register {E(sp.upper())} is {E(sp)} spelt another way .*"),
        ("a register reference in the wrong case", trel, f'kind_register = "{kreg}"',
         f'kind_register = "{kreg.upper()}"',
         rf"trampgen: {E(trel)}: resume\.kind_register: unknown register '{E(kreg.upper())}': .*; did you mean '{E(kreg)}'\?"),
        ("arbitrary C in handler.args", f.os_rel, f'type = "{arg0}"', 'type = "int); int evil(void"',
         rf"trampgen: {E(f.os_rel)}: handler\.args\[0\]\.type: .* is not a C type of the form .*"),
        ("arbitrary C in os.dispatcher", f.os_rel, f'dispatcher = "{disp}"', f'dispatcher = "{disp}(); void x"',
         rf"trampgen: {E(f.os_rel)}: os\.dispatcher: .* is not a C identifier"),
        ("an unknown table", f.os_rel, "[context]", "[contexts]\nx = 1\n\n[context]",
         rf"trampgen: {E(f.os_rel)}: contexts: unknown key; did you mean 'context'\?"),
    ):
        run(what, refused, sc, *spec_case(rel, old, new, line), what)
    if f.tagged:
        tr = f"spec/isa/{f.tagged}.toml"
        run("a misspelt optional key (code_adress_tag)", refused, sc, *spec_case(
            tr, "code_address_tag = ", "code_adress_tag = ",
            rf"trampgen: {E(tr)}: isa\.code_adress_tag: unknown key; did you mean 'code_address_tag'\?"), "misspelt")
    stack_idioms = sum(1 for k, v in idi.items() if k in ("stack_alloc", "stack_free")) + \
        sum(len(idi.get(k, {})) for k in ("store", "load"))
    run("SP and PC swapped", refused, sc,
        lambda root: edit(root, IR, f'stack_pointer = "{sp}"\nprogram_counter = "{pc}"',
                          f'stack_pointer = "{pc}"\nprogram_counter = "{sp}"'),
        ["generate"], 2,
        [rf"trampgen: {E(IR)}: idioms\.\S+: .* does not name the stack pointer {E(pc)} "
         rf"\(isa\.stack_pointer\); it names {E(sp)}: are stack_pointer and program_counter swapped\?"]
        * stack_idioms + [SPEC_ERR], "SP/PC swap")
    run("a misspelt key in an [[entry]]", refused, sc,
        lambda root: edit(root, MR, f'doc = {toml_str(es[last]["doc"])}', f'dok = {toml_str(es[last]["doc"])}'),
        ["generate"], 2,
        [rf"trampgen: {E(MR)}: entry\[{last}\]\.dok: unknown key; did you mean 'doc'\?",
         rf"trampgen: {E(MR)}: entry\[{last}\]\.doc: missing", SPEC_ERR], "entry misspelling")

    # Item 5: tracebacks that must be errors.
    def out_target_file(root):
        shutil.rmtree(root / f"out/{T}")
        (root / f"out/{T}").write_text("not a directory\n")
        stale_templates(root)
    run("out/<t> a regular file", refused, sc, out_target_file, ["generate"], 3,
        [rf"trampgen: out/{E(T)}: is a regular file where the directory of target {E(T)} belongs; "
         r"trampgen never replaces it: remove it yourself"], "out/<t> file")

    def stale_target(root):
        (root / f"spec/target/{T}.toml").unlink()
    run("--check with a stale out/<deleted target>/", refused, sc, stale_target, ["generate", "--check"], 1,
        [r"trampgen: out/ differs from spec/ \+ templates/ in 3 place\(s\); .*"], "stale target")

    def deleted_then_generate():
        root = sc.case()
        (root / f"spec/target/{T}.toml").unlink()
        before = snapshot(root, include_out=False)
        r = gen(root, "generate")
        expect(r, 0, [], "generate after deleting a target")
        if os.path.lexists(root / f"out/{T}"):
            raise Failure(f"out/{T}/ of the deleted target is still there")
        if snapshot(root, include_out=False) != before:
            raise Failure("the tree outside out/ changed")
        r = gen(root, "generate", "--check")
        expect(r, 0, [], "--check afterwards")
    run("generate removes a deleted target's directory, and only that", deleted_then_generate)

    def non_utf8_locale():
        root = sc.case()
        doc = f.os["entry"][0]["doc"]
        dash = doc + " \u2013 x"
        edit(root, f.os_rel, f"doc = {toml_str(doc)}", f"doc = {toml_str(dash)}")
        r = gen(root, "generate")
        expect(r, 0, [], "generate with a non-ASCII doc")
        env = dict(ENV, LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0", PYTHONIOENCODING="latin-1")
        r = gen(root, "generate", "--check", env=env)
        expect(r, 0, [], "--check under an ASCII locale with Latin-1 stdio")
        edit(root, f.os_rel, " \u2013 x", " \u2014 x")
        r = gen(root, "generate", "--check", env=env)
        expect(r, 1, [r"trampgen: out/ differs .*"], "a stale non-ASCII diff under a Latin-1 locale")
    run("non-UTF-8 locale", non_utf8_locale)

    def nothing_changed_touches_nothing():
        root = sc.case()
        mtimes = lambda: {p: p.lstat().st_mtime_ns for p in [root / "out", *(root / "out").rglob("*")]}
        before = mtimes()
        r = gen(root, "generate")
        expect(r, 0, [], "generate on an up-to-date tree")
        if mtimes() != before:
            raise Failure("an up-to-date out/ was touched: " + diff(before, mtimes()))
        if any(p.name.startswith(".trampgen-") for p in root.iterdir()):
            raise Failure("a staging directory was left")
    run("nothing changed: no mtime changes", nothing_changed_touches_nothing)

    def stamp_inside_out():
        root = sc.case()
        before = snapshot(root, include_out=True)
        r = gen(root, "generate", "--stamp", f"out/{T}/stamp")
        expect(r, 3, [rf"trampgen: --stamp out/{E(T)}/stamp: inside out/, which is not the build system's to write"],
               "--stamp inside out/")
        if snapshot(root, include_out=True) != before:
            raise Failure("the tree changed")
    run("--stamp inside out/ is refused", stamp_inside_out)


# ---- kill -9 during generation ----------------------------------------------------

def group_kill(sc: Scratch, run: Runner, args):
    rng = random.Random(args.seed)
    root = sc.case()
    sets = [out_set(root)]
    stale_templates(root, "new")
    t0 = time.monotonic()
    r = gen(root, "generate")
    duration = time.monotonic() - t0     # of a run that writes: the writes are at its end
    expect(r, 0, [], "set-up")
    sets.append(out_set(root))
    templates = {t: (root / "templates" / t).read_bytes() for t in os.listdir(root / "templates")}
    old_templates = {t: (sc.template / "templates" / t).read_bytes() for t in templates}
    landed = {"old": 0, "new": 0, "leftover": 0, "no out/": 0}

    def iteration(k: int):
        # Alternate the direction: from the new set back to the old one, and on.
        want = (k + 1) % 2
        for t, data in (old_templates if want == 0 else templates).items():
            (root / "templates" / t).write_bytes(data)
        outside = snapshot(root, include_out=False)
        # Every third run swaps with the two-rename fallback instead of RENAME_EXCHANGE.
        env = dict(ENV, TRAMPGEN_SWAP="rename") if k % 3 == 2 else ENV
        p = subprocess.Popen([sys.executable, "-m", "gen", "generate"], cwd=root, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Half the kills anywhere in the run, half in its last 40%, where out/ is staged and swapped.
        time.sleep(rng.uniform(0, duration * 1.2) if k % 2 else rng.uniform(duration * 0.6, duration * 1.1))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=TIMEOUT)
        now = out_set(root)
        if not os.path.lexists(root / "out"):
            # Killed between the fallback's two renames (documented): the old set must be
            # whole in .trampgen-old, and the next run puts it back before anything else.
            now = out_set(root, ".trampgen-old")
            if now != sets[1 - want]:
                raise Failure(f"no out/ after kill -9 at iteration {k}, and .trampgen-old is not the old set")
        if now == sets[want]:
            landed["new"] += 1
        elif now == sets[1 - want]:
            landed["old"] += 1
        else:
            raise Failure(f"after kill -9 at iteration {k}, out/ is neither the old nor the new set: "
                          f"{diff(now, sets[want])}")
        landed["leftover"] += (root / ".trampgen-staging").exists() or (root / ".trampgen-old").exists()
        landed["no out/"] += not os.path.lexists(root / "out")
        r = gen(root, "generate")
        expect(r, 0, [], f"rerun after kill -9 (iteration {k})")
        if out_set(root) != sets[want]:
            raise Failure(f"the rerun did not converge on the new set: {diff(out_set(root), sets[want])}")
        after = snapshot(root, include_out=False)
        if after != outside:
            raise Failure(f"outside out/ changed after the rerun: {diff(outside, after)}")

    for k in range(args.iterations):
        run(f"kill -9 iteration {k}", iteration, k)
    print(f"kills landed: {landed['old']} with the old out/, {landed['new']} with the new one, "
          f"{landed['leftover']} leaving a staging directory for the rerun to remove, "
          f"{landed['no out/']} between the fallback's two renames "
          f"(one run takes {duration:.2f}s here)")


# ---- two generators at once ----------------------------------------------------------

def group_concurrent(sc: Scratch, run: Runner, args):
    root = sc.case()
    ref = sc.case()
    ts = Facts(sc.template).targets
    pairs = [(ts[0], ts[-1]), (ts[1 % len(ts)], ts[1 % len(ts)]), (None, ts[-1]), (None, None)]

    def iteration(k: int):
        mark = f"c{k}"
        for r_ in (root, ref):
            stale_templates(r_, mark)
        a, b = pairs[k % len(pairs)]
        # What the two runs must leave, made in a reference copy one after the other.
        for t in (a, b):
            expect(gen(ref, "generate", *([t] if t else [])), 0, [], "reference")
        want = out_set(ref)
        outside = snapshot(root, include_out=False)
        procs = [subprocess.Popen([sys.executable, "-m", "gen", "generate", *([t] if t else [])], cwd=root,
                                  env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for t in (a, b)]
        checker = gen(root, "generate", "--check")
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            if p.returncode != 0 or err:
                raise Failure(f"a concurrent run exited {p.returncode}: {err[-400:]!r}")
        if checker.returncode not in (0, 1) or "Traceback" in checker.stderr:
            raise Failure(f"--check beside them: exit {checker.returncode}: {checker.stderr[-400:]!r}")
        now = out_set(root)
        if now != want:
            raise Failure(f"{a or 'all'} and {b or 'all'} at once left another out/ than one after "
                          f"the other: {diff(now, want)}")
        if snapshot(root, include_out=False) != outside:
            raise Failure("outside out/ changed")

    for k in range(args.iterations):
        run(f"two generators at once, iteration {k}", iteration, k)


# ---- as an unprivileged user: read-only output, unreadable input -------------------

def unprivileged_python() -> tuple[list[str], str]:
    if not shutil.which("setpriv"):
        skip("setpriv is not installed (util-linux): cannot run the generator as an unprivileged user")
    if os.geteuid() != 0:
        return [], sys.executable   # already unprivileged: chmod works as is
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    for py in (sys.executable, "/usr/bin/python3"):
        r = subprocess.run([*prefix, py, "-c", "import jinja2, tomllib"], capture_output=True, timeout=TIMEOUT)
        if r.returncode == 0:
            return prefix, py
    skip(f"no Python with jinja2 that uid {NOBODY} may run (tried {sys.executable}, /usr/bin/python3)")


def group_unprivileged(sc: Scratch, run: Runner, args):
    prefix, py = unprivileged_python()
    f = Facts(sc.template)
    T = f.t
    probe = sc.case()
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(probe)], check=True)
    r = gen(probe, "list", prefix=prefix, python=py)
    if r.returncode != 0:
        skip(f"uid {NOBODY} cannot run the generator in {probe} (exit {r.returncode}: "
             f"{r.stderr.strip()[-200:]}); a scratch directory it may enter is needed")

    def case(setup, cmd, status, lines, what):
        root = sc.case()
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(root)], check=True)
        setup(root)
        before = snapshot(root, include_out=True)
        r = gen(root, *cmd, prefix=prefix, python=py)
        expect(r, status, lines, what)
        after = snapshot(root, include_out=True)
        if after != before:
            raise Failure(f"{what}: the tree changed: {diff(before, after)}")

    def ro_target(root):
        stale_templates(root)
        os.chmod(root / f"out/{T}", 0o555)
    run("read-only out/<t>", case, ro_target, ["generate"], 3,
        [rf"trampgen: out/{re.escape(T)}: not writable: Permission denied; out/ is unchanged"], "read-only out/<t>")

    def ro_out(root):
        stale_templates(root)
        os.chmod(root / "out", 0o555)
    run("read-only out/", case, ro_out, ["generate"], 3,
        [r"trampgen: out: not writable: Permission denied; out/ is unchanged"], "read-only out/")

    def ro_root(root):
        stale_templates(root)
        os.chmod(root, 0o555)
    run("read-only project root", case, ro_root, ["generate"], 3,
        [r"trampgen: \.trampgen-staging: cannot create the staging directory: Permission denied; out/ is unchanged"],
        "read-only root")

    def unreadable(rel):
        def setup(root):
            os.chmod(root / rel, 0)
        return setup
    run("unreadable spec file", case, unreadable(f.isa_rel), ["generate"], 2,
        [rf"trampgen: {re.escape(f.isa_rel)}: \(file\): cannot read: Permission denied", SPEC_ERR],
        "unreadable spec file")
    for cmd, what in ((["generate"], "generate"), (["generate", "--check"], "--check")):
        run(f"unreadable spec/target/ ({what})", case, unreadable("spec/target"), cmd, 2,
            [r"trampgen: spec/target: \(directory\): cannot list: Permission denied", SPEC_ERR],
            f"unreadable spec/target, {what}")
    run("unreadable template", case, unreadable("templates/context.c.j2"), ["generate"], 2,
        [r"trampgen: templates/context\.c\.j2: \(file\): cannot read: Permission denied; nothing was written"],
        "unreadable template")


# ---- a full disk ----------------------------------------------------------------------

def group_fullfs(sc: Scratch, run: Runner, args):
    if os.geteuid() != 0:
        skip("mounting a small tmpfs needs root")
    mnt = sc.base / "tmpfs"
    mnt.mkdir()
    size_kib = 8192
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        skip(f"cannot mount a tmpfs to fill ({r.stderr.strip()[:200]})")
    try:
        root = sc.case(mnt)
        filler = mnt / "filler"

        def fill(leave: int):
            """Use up the filesystem but `leave` bytes (to page granularity)."""
            if filler.exists():
                filler.unlink()
            with open(filler, "wb", buffering=0) as f:   # unbuffered: nothing left to flush at close
                chunk = b"\0" * 65536
                try:
                    while f.write(chunk):
                        pass
                except OSError:
                    pass
            free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
            os.truncate(filler, max(0, filler.stat().st_size + free - 4096 - leave) if free else
                        max(0, filler.stat().st_size - leave))

        def iteration(leave: int, k: int):
            stale_templates(root, f"f{k}")
            fill(leave)
            before = snapshot(root, include_out=True)
            r = gen(root, "generate")
            print(f"      {leave} bytes free: exit {r.returncode} {r.stderr.strip()}")
            if r.returncode == 0:
                expect(r, 0, [], f"{leave} bytes free")
            else:
                expect(r, 3, [r"trampgen: \S+: cannot (write|create the staging directory): "
                              r"No space left on device; out/ is unchanged"], f"{leave} bytes free")
                after = snapshot(root, include_out=True)
                if after != before:
                    raise Failure(f"the tree changed on ENOSPC: {diff(before, after)}")
            filler.unlink()
            r = gen(root, "generate")
            expect(r, 0, [], "with space again")
            r = gen(root, "generate", "--check")
            expect(r, 0, [], "--check with space again")

        for k, leave in enumerate([0, 4096, 16384, 65536, 131072, 196608, 2 << 20][:max(1, args.iterations)]):
            run(f"full disk, {leave} bytes left", iteration, leave, k)

        def read_only_fs():
            stale_templates(root, "ro")
            before = snapshot(root, include_out=True)
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True, timeout=TIMEOUT)
            try:
                r = gen(root, "generate")
            finally:
                subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True, timeout=TIMEOUT)
            expect(r, 3, [r"trampgen: out: not writable: Read-only file system; out/ is unchanged"],
                   "read-only filesystem")
            if snapshot(root, include_out=True) != before:
                raise Failure("the tree changed")
        run("read-only filesystem", read_only_fs)
    finally:
        subprocess.run(["umount", str(mnt)], timeout=TIMEOUT)


GROUPS = {"hostile": group_hostile, "kill": group_kill, "concurrent": group_concurrent,
          "unprivileged": group_unprivileged, "fullfs": group_fullfs}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("group", choices=sorted(GROUPS))
    p.add_argument("--scratch", type=Path, required=True, help="a directory for the scratch copies")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if sys.platform != "linux":
        skip("the generator's atomic swap and these probes are Linux-specific")
    sc = Scratch(a.scratch)
    run = Runner()
    try:
        GROUPS[a.group](sc, run, a)
    finally:
        sc.close()
    return run.finish(a.group)


if __name__ == "__main__":
    sys.exit(main())
