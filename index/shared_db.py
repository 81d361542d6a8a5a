"""The verified copy of a generation's chunks.db that a process serves: the one owner of that storage.

The copy is written from the very bytes whose checksum matched the manifest (index/checksum.py), so no byte read
from disk afterwards (a bit flip, a partial copy) can reach a reader. Where it can, the copy is one file in a shared RAM directory
(`KB_SHARED_DB_DIR`, `/dev/shm` by default) named by its checksum and place: the first process on the host to load a
generation streams chunks.db into it (hashing each block as it writes it) and publishes it by rename only when the
digest matched; the others hash that file (in RAM, fast) instead of copying, and every process opens it read-only
and memory-mapped, so all workers read the same page-cache pages. Elsewhere (setting `off`, no such directory, too
little room, not Linux) each process keeps its own in-memory SQLite copy, as before.

Copies are counted with flock: a process using one holds a shared lock on it. When a process lets go of a copy
(the generation is dropped, or the process exits) it removes the file if no other process holds it, and copies
that no process holds (left by a killed process) are removed at the next load or prune. A creation lock (flock on
the directory) keeps two workers starting at once from copying twice. Unlinking a file another process still maps
is safe on Linux: its pages stay until the last mapping goes.
"""
from __future__ import annotations

import fcntl
import hashlib
import itertools
import logging
import os
import re
import sqlite3
import stat
import sys
import urllib.parse
import weakref
from pathlib import Path

from .checksum import Checksum
from .errors import CorruptIndex

log = logging.getLogger("kb")

DEFAULT_DIR = Path("/dev/shm")  # tests point this (and KB_SHARED_DB_DIR) at a temporary directory
PREFIX = "practice-partner-"
_COPY = re.compile(r"practice-partner-[0-9a-f]{32}-[0-9a-f]{12}\.db")
_TEMP = re.compile(r"\.practice-partner-[0-9a-f]{32}-[0-9a-f]{12}\.\d+\.tmp")
_BLOCK = 4 << 20  # bytes hashed and written at a time
_logged: set[str] = set()


def shared_dir(setting: str) -> Path | None:
    """The directory KB_SHARED_DB_DIR names: empty means the default, `off` means no shared copy."""
    text = (setting or "").strip()
    if text.lower() in ("off", "none", "0"):
        return None
    return Path(text).expanduser() if text else DEFAULT_DIR


def copy_path(directory: Path, digest: str, src: Path) -> Path:
    """Where the shared copy of the chunks.db at `src` with this checksum lives: named by the checksum and by the
    file's place, so processes serving one generation share a copy while different knowledge bases on the host
    (whose damage and repair are their own) never do."""
    place = hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:12]
    return directory / f"{PREFIX}{digest[:32]}-{place}.db"


def margin(size: int) -> int:
    """Room to leave free in the shared directory beyond the copy itself."""
    return max(64 << 20, size // 20)


def _log_once(message: str) -> None:
    if message not in _logged:
        _logged.add(message)
        log.warning("%s", message)


class _Fallback(Exception):
    """The shared directory cannot be used for this copy; the process keeps a private copy instead."""


class MemoryCopy:
    """chunks.db held in this process's memory (SQLite's memdb VFS), shared by its threads."""

    _seq = itertools.count()
    path: Path | None = None

    def __init__(self, data: bytes, label: str):
        self.uri = f"file:/practice-partner-{os.getpid()}-{next(self._seq)}-{label}?vfs=memdb"
        staging = sqlite3.connect(":memory:")
        try:
            staging.deserialize(data)
            del data
            self._holder = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            staging.backup(self._holder)
        finally:
            staging.close()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.uri + "&mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only=1")
        return conn

    def damaged(self) -> str | None:
        return None


class SharedCopy:
    """A verified copy in the shared directory, held (shared flock) by this process until it is dropped."""

    def __init__(self, path: Path, fd: int, size: int, checksum: Checksum):
        self.path = path
        self.size = size
        self.checksum = checksum
        self._fd = fd
        self._stamp = _stamp(os.fstat(fd))
        self.uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro&immutable=1"
        self._release = weakref.finalize(self, _let_go, path, fd, os.getpid())

    def connect(self) -> sqlite3.Connection:
        """A read-only connection mapping the whole file (SQLite caps the map at its compiled limit, 2 GiB here;
        pages beyond it are read from the same RAM file)."""
        conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA mmap_size={self.size}")
        conn.execute("PRAGMA query_only=1")
        return conn

    def damaged(self) -> str | None:
        """Whether the served file changed since it was verified (a stat; a changed one is hashed again)."""
        try:
            now = _stamp(os.fstat(self._fd))
            if now == self._stamp:
                return None
            self._stamp = now
            if self.checksum.matches_fd(self._fd):
                return None
        except OSError as exc:
            return f"the served copy {self.path} is unreadable ({exc.strerror})"
        return (f"the served copy {self.path} no longer matches its checksum (something wrote to it); restart the "
                "server so it verifies a fresh copy")

    def release(self) -> None:
        """Let go of the copy now (removing it when no other process holds it); also runs when dropped or at exit."""
        self._release()


def _stamp(st: os.stat_result) -> tuple:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


class _DirLock:
    """The shared directory's creation lock (flock on the directory itself)."""

    def __init__(self, directory: Path):
        self.fd = os.open(str(directory), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def __enter__(self) -> "_DirLock":
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)


def _let_go(path: Path, fd: int, owner: int) -> None:
    """Remove the copy when no other process holds it, then close this process's handle on it."""
    if os.getpid() != owner:  # a forked child inherited the handle: the parent still uses the copy
        return
    try:
        with _DirLock(path.parent):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # only when no other process holds it
            except BlockingIOError:
                return
            if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(path)
    except OSError:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def sweep(directory: Path | None, keep: str = "") -> int:
    """Remove copies (and half-written temporaries) that no process holds; returns how many were removed."""
    if directory is None or not directory.is_dir():
        return 0
    try:
        with _DirLock(directory):
            return _sweep_locked(directory, keep)
    except OSError:
        return 0


def _sweep_locked(directory: Path, keep: str) -> int:
    removed = 0
    for entry in os.scandir(directory):
        name = entry.name
        if name == keep or not (_COPY.fullmatch(name) or _TEMP.fullmatch(name)):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() or not stat.S_ISREG(st.st_mode):
                continue  # another user's file: not ours to judge
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # some process serves it
            if os.stat(entry.path, follow_symlinks=False).st_ino == st.st_ino:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def unusable(directory: Path, size: int) -> str | None:
    """Why a copy of `size` bytes cannot go into `directory` (then the process keeps its own), or None."""
    if not sys.platform.startswith("linux"):
        return "shared copies of chunks.db need Linux"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"{directory} is not writable"
    try:
        free = _free_bytes(directory)
    except OSError as exc:
        return f"{directory} cannot be inspected ({exc.strerror})"
    if free < size + margin(size):
        return (f"{directory} has {free / 2**20:.0f} MB free, and a {size / 2**20:.0f} MB copy needs "
                f"{(size + margin(size)) / 2**20:.0f} MB")
    return None


def _free_bytes(directory: Path) -> int:
    import shutil

    return shutil.disk_usage(directory).free


def load(src: Path, checksum: Checksum, size: int, label: str, directory: Path | None) -> MemoryCopy | SharedCopy:
    """The copy of `src` (chunks.db of generation `label`) this process serves, verified against `checksum`.

    CorruptIndex when the file on disk does not match; a shared copy in RAM that does not match is replaced.
    """
    if directory is not None:
        target = copy_path(directory, checksum.digest, src)
        reason = unusable(directory, 0 if target.exists() else size)
        try:
            if reason is None:
                return _shared(src, checksum, size, label, target)
        except _Fallback as exc:
            reason = str(exc)
        _log_once(f"chunks.db is held in each process's memory, not shared: {reason} (KB_SHARED_DB_DIR)")
    return _private(src, checksum, label)


def _private(src: Path, checksum: Checksum, label: str) -> MemoryCopy:
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise CorruptIndex(f"generation {label}: chunks.db unreadable ({exc.strerror})") from exc
    if not checksum.matches_bytes(data):
        raise CorruptIndex(f"generation {label}: chunks.db does not match its checksum")
    return MemoryCopy(data, label)


def _shared(src: Path, checksum: Checksum, size: int, label: str, target: Path) -> SharedCopy:
    for _ in range(3):
        with _DirLock(target.parent):
            _sweep_locked(target.parent, keep=target.name)
            fd = _open_existing(target)
            if fd is None:
                return SharedCopy(target, _create(src, checksum, size, label, target), size, checksum)
        # another process made it: verify it (outside the creation lock; our shared flock keeps it from sweeps)
        try:
            ok = os.fstat(fd).st_size == size and checksum.matches_fd(fd)
        except OSError:
            ok = False
        if ok:
            return SharedCopy(target, fd, size, checksum)
        log.error("the shared copy %s of generation %s's chunks.db does not match its checksum; replacing it "
                  "with a fresh copy of the verified file (a process that mapped it earlier reports it)", target,
                  label)
        with _DirLock(target.parent):
            try:
                same = os.stat(target, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            os.close(fd)
            if same:
                return SharedCopy(target, _create(src, checksum, size, label, target), size, checksum)
    raise _Fallback(f"the shared copy {target} kept changing while it was verified")


def _open_existing(target: Path) -> int | None:
    """A handle on the published copy, holding its shared lock; None when there is none (call under the lock)."""
    try:
        fd = os.open(str(target), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Fallback(f"{target} cannot be opened ({exc.strerror})") from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o222:
        os.close(fd)
        raise _Fallback(f"{target} exists but is not a read-only file of this user")
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def _create(src: Path, checksum: Checksum, size: int, label: str, target: Path) -> int:
    """Stream src into a temporary file, hashing each block written; publish it by rename if the digest matched.

    Returns a handle on the published copy holding its shared lock. Call under the creation lock.
    """
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    out = os.open(str(tmp), os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(out, fcntl.LOCK_SH)
        try:
            fin = os.open(str(src), os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise CorruptIndex(f"generation {label}: chunks.db unreadable ({exc.strerror})") from exc
        try:
            if os.fstat(fin).st_size != size:
                raise CorruptIndex(f"generation {label}: chunks.db does not match its checksum (size)")
            digest = _copy(fin, out, label, checksum.hasher())
            # the disk file's pages are not needed again: the RAM copy is what is served
            os.posix_fadvise(fin, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fin)
        if digest != checksum.digest:
            raise CorruptIndex(f"generation {label}: chunks.db does not match its checksum")
        try:
            os.fsync(out)
            os.fchmod(out, 0o444)
            os.replace(tmp, target)
        except OSError as exc:
            raise _Fallback(f"{target} could not be published ({exc.strerror})") from exc
        return out
    except BaseException:
        os.close(out)
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise


def _copy(fin: int, out: int, label: str, h) -> str:
    """Copy fin to out block by block, hashing with `h`; the digest is of exactly the bytes written."""
    buf = bytearray(_BLOCK)
    view = memoryview(buf)
    while True:
        try:
            n = os.readv(fin, [buf])
        except OSError as exc:
            raise CorruptIndex(f"generation {label}: chunks.db unreadable ({exc.strerror})") from exc
        if not n:
            return h.hexdigest()
        h.update(view[:n])
        done = 0
        while done < n:
            try:
                done += os.write(out, view[done:n])
            except OSError as exc:
                raise _Fallback(f"the shared copy could not be written ({exc.strerror})") from exc
