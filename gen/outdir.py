"""out/ as one unit: read it, compare it, replace it all-or-nothing.

The generator writes only inside the project root's out/ and one staging
directory beside it (STAGING, trampgen's own name; .gitignore lists it). A
run that changes anything builds the complete new out/ in STAGING (unchanged
files keep their bytes and mtime) and swaps it with out/ in one atomic step,
renameat2(RENAME_EXCHANGE); the old tree, now in STAGING, is then removed. A
kill -9 at any moment leaves out/ either old or new; the next run removes
what is left in STAGING.

Where the exchange is unavailable (a kernel or filesystem without it) the
swap is two renames, out/ -> OLD and STAGING -> out/; a run killed between
them leaves no out/ but OLD, and the next run renames OLD back first (the
old set), so the outcome is again old or new.

Concurrent generators serialize on an flock of the project root directory
(a file descriptor of a directory that exists anyway: no lock file). --check
takes the lock shared, so it never reads a half-swapped tree.

Nothing here follows a symbolic link: a link (or a device, FIFO, socket) in
out/, or out/ or out/<target> not being a directory, is refused before
anything changes, and removal never leaves the tree being removed.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
from pathlib import Path

OUT = "out"
STAGING = ".trampgen-staging"
OLD = ".trampgen-old"
FILE_MODE = 0o644
DIR_MODE = 0o755


class OutputError(Exception):
    """A problem writing out/: one line, out/ as it was before the run."""


def shown(root: Path, filename) -> str:
    """A path as an error shows it: relative to the project root where it is inside."""
    if not filename:
        return OUT
    try:
        return Path(os.fsdecode(filename)).relative_to(root).as_posix()
    except ValueError:
        return os.fsdecode(filename)


def _why(e: OSError) -> str:
    return e.strerror or str(e)


class Lock:
    """An flock on the project root directory, for the length of a with block."""

    def __init__(self, root: Path, exclusive: bool):
        self.root, self.exclusive = root, exclusive

    def __enter__(self):
        try:
            self.fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise OutputError(f"{self.root}: cannot open the project root: {_why(e)}")
        fcntl.flock(self.fd, fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)   # releases the lock


# ---- reading out/ ---------------------------------------------------------------

class Tree:
    """What out/ holds now: regular files (bytes, mtime), directories, and anything else."""

    def __init__(self):
        self.exists = False
        self.files: dict[str, tuple[bytes, int]] = {}   # "out/t/x" -> (bytes, mtime_ns)
        self.dirs: list[str] = []                        # "out", "out/t", ... top-down
        self.odd: dict[str, str] = {}                    # "out/t" -> "a symbolic link", ...


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a device, FIFO or socket"


def read_tree(root: Path) -> Tree:
    """Walk out/ without following links. OSError propagates (the caller words it)."""
    tree = Tree()
    top = root / OUT
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return tree
    tree.exists = True
    if not stat.S_ISDIR(st.st_mode):
        tree.odd[OUT] = _kind(st.st_mode)
        return tree
    stack = [OUT]
    while stack:
        rel = stack.pop()
        tree.dirs.append(rel)
        with os.scandir(root / rel) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            sub = f"{rel}/{e.name}"
            st = e.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                stack.append(sub)
            elif stat.S_ISREG(st.st_mode):
                # Regular said lstat; O_NOFOLLOW in case it was swapped for a link since.
                fd = os.open(root / sub, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
                with os.fdopen(fd, "rb") as f:
                    tree.files[sub] = (f.read(), st.st_mtime_ns)
            else:
                tree.odd[sub] = _kind(st.st_mode)
    return tree


# ---- replacing out/ ---------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (renameat2 RENAME_EXCHANGE); False if the system cannot.

    TRAMPGEN_SWAP=rename in the environment forces the two-rename fallback (for a
    filesystem whose exchange misbehaves, and for tests of the fallback itself)."""
    if os.environ.get("TRAMPGEN_SWAP") == "rename":
        return False
    try:
        # The C library the interpreter runs on (no ldconfig lookup); glibc 2.28+ has renameat2.
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _remove(path: Path) -> None:
    """Remove a leftover of ours: a directory tree (links inside are unlinked, never followed)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def recover(root: Path) -> None:
    """Undo what a killed run left: OLD back to out/ if out/ is gone, then remove the leftovers."""
    old, out = root / OLD, root / OUT
    try:
        if os.path.lexists(old) and not os.path.lexists(out) and os.path.isdir(old) and not os.path.islink(old):
            os.rename(old, out)
        _remove(old)
        _remove(root / STAGING)
    except OSError as e:
        raise OutputError(f"{shown(root, e.filename or STAGING)}: cannot remove what an interrupted "
                          f"run left: {_why(e)}")


def _write_file(path: Path, data: bytes, mtime: int | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, FILE_MODE)   # whatever the umask
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_odd(tree: Tree) -> None:
    for rel, what in sorted(tree.odd.items()):
        raise OutputError(f"{rel}: is {what}, not a directory or regular file; trampgen never follows, "
                          "replaces or removes such an entry: remove it yourself")


def replace(root: Path, tree: Tree, new: dict[str, tuple[bytes, int | None]]) -> None:
    """Make out/ hold exactly `new` (rel -> bytes, mtime or None for now), all-or-nothing."""
    refuse_odd(tree)
    # The old tree must be removable once swapped out, or the swap would leave it
    # beside out/: every directory in it must let us unlink its entries.
    for d in tree.dirs:
        if not os.access(root / d, os.W_OK | os.X_OK):
            ro = os.statvfs(root / d).f_flag & os.ST_RDONLY
            raise OutputError(f"{d}: not writable: {os.strerror(errno.EROFS if ro else errno.EACCES)}; "
                              "out/ is unchanged")
    staging = root / STAGING
    try:
        os.mkdir(staging, DIR_MODE)
    except OSError as e:
        raise OutputError(f"{STAGING}: cannot create the staging directory: {_why(e)}; out/ is unchanged")
    current = STAGING
    try:
        os.chmod(staging, DIR_MODE)
        made = {STAGING}
        for rel in sorted(new):
            parts = rel.split("/")
            assert parts[0] == OUT and all(p not in ("", ".", "..") for p in parts), rel
            d = STAGING
            for p in parts[1:-1]:
                d = f"{d}/{p}"
                if d not in made:
                    os.mkdir(root / d, DIR_MODE)
                    os.chmod(root / d, DIR_MODE)
                    made.add(d)
            current = f"{d}/{parts[-1]}"
            data, mtime = new[rel]
            _write_file(root / current, data, mtime)
        for d in sorted(made, reverse=True):
            current = d
            _fsync_dir(root / d)
        current = OUT
        if not tree.exists:
            os.rename(staging, root / OUT)
        elif not _exchange(staging, root / OUT):
            os.rename(root / OUT, root / OLD)
            try:
                os.rename(staging, root / OUT)
            except OSError:
                os.rename(root / OLD, root / OUT)
                raise
            staging = root / OLD
    except OSError as e:
        try:
            _remove(root / STAGING)
        except OSError:
            pass   # the next run removes it
        shown = current.replace(STAGING, OUT, 1) if current.startswith(STAGING) else current
        raise OutputError(f"{shown}: cannot write: {_why(e)}; out/ is unchanged")
    # out/ is new from here on; what remains is the old tree, outside out/.
    try:
        _fsync_dir(root)
    except OSError:
        pass
    try:
        _remove(staging)
    except OSError as e:
        raise OutputError(f"out/ was replaced, but the old copy in {staging.name} could not be "
                          f"removed: {_why(e)} (the next run removes it)")
