"""Parse untrusted files in a child process with memory and time limits, so a hostile file costs one child."""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .errors import CorruptDocument, IngestError, ParseTimeout
from .models import Document


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this child when the process that started it dies (even by kill -9), so no parser
    (and, once its last child is gone, no resource tracker) outlives an interrupted `kb ingest`."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _limit(memory_mb: int, parent: int | None = None) -> None:
    if parent is not None:
        _die_with_parent(parent)
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["OMP_NUM_THREADS"] = "1"
    import logging
    import warnings

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would echo document details
    warnings.simplefilter("ignore")


MAX_TEXT_FACTOR = 20  # extracted characters per input byte beyond which a file is treated as a bomb


def _parse(path: str, overrides: dict | None, max_bytes: int | None) -> list[Document]:
    from .readers import read_path

    try:
        docs = read_path(Path(path), overrides, max_bytes)
        total = sum(len(d.text) for d in docs)
        if max_bytes and total > MAX_TEXT_FACTOR * max_bytes:
            raise CorruptDocument(path, f"extracted text ({total / 1e6:.0f} M characters) is implausibly large "
                                  "for the file; refused")
        return docs
    except MemoryError:
        raise CorruptDocument(path, "parsing needed more memory than allowed (a decompression bomb?)") from None
    except RecursionError:
        raise CorruptDocument(path, "the file is nested too deeply to parse") from None
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - only plain, picklable IngestErrors cross back to the parent
        raise CorruptDocument(path, f"could not be parsed ({exc.__class__.__name__}: {str(exc)[:120]})") from None


class ParserPool:
    """One long-lived parser child, replaced whenever a file kills it or runs out of time."""

    def __init__(self, timeout: float = 60.0, memory_mb: int = 1024, max_bytes: int | None = None):
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_bytes = max_bytes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"),
                                             initializer=_limit, initargs=(self.memory_mb, os.getpid()))
        return self._pool

    def _discard(self) -> None:
        if self._pool is not None:
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                try:
                    proc.kill()
                except Exception:  # noqa: BLE001 - already gone
                    pass
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def read(self, path: Path, overrides: dict | None = None) -> list[Document]:
        """Documents from one file, or an IngestError that names it."""
        future = self._executor().submit(_parse, str(path), overrides, self.max_bytes)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            self._discard()
            raise ParseTimeout(str(path), f"parsing took longer than {self.timeout:g} s and was stopped") from None
        except BrokenProcessPool:
            self._discard()
            raise CorruptDocument(str(path), "the parser crashed on this file (out of memory or malformed)") from None
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - any other parser failure is this file's problem
            raise CorruptDocument(str(path), f"could not be parsed ({exc.__class__.__name__}: {str(exc)[:120]})") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> "ParserPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _ignored(root: Path) -> list[str]:
    """Patterns from a folder's `.kbignore` (one glob per line, relative to the folder, '#' comments)."""
    f = root / ".kbignore"
    if not f.is_file():
        return []
    return [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def display_name(path: Path | str) -> str:
    """A path as printable text: bytes that are not UTF-8 (a file name from another system) shown as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", errors="backslashreplace")


def refusal(path: Path, forbidden: Path | None = None) -> str | None:
    """Why a file must never be read, or None: it is not a regular file (a device would be read forever, a FIFO
    would block), or it lies under the knowledge base's own home (its secret key, catalogue, generations)."""
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a device, FIFO or socket); never read"
    if forbidden is not None:
        try:
            inside = path.resolve().is_relative_to(forbidden.resolve())
        except (OSError, RuntimeError):
            inside = True
        if inside:
            return "inside the knowledge base's home (KB_HOME); its files are never ingested"
    return None


def walk(paths: list[Path], forbidden: Path | None = None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files under the given paths (folders recursively, links never followed out of the folder), sorted, and
    the entries skipped with the reason; sidecars, hidden and .kbignore'd files are left out silently."""
    from fnmatch import fnmatch

    from .metadata import is_sidecar

    out: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in paths:
        if not p.is_dir():
            out.append(p)
            continue
        root = p.resolve()
        patterns = _ignored(p)
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            here = Path(dirpath)
            for d in dirnames:
                if (here / d).is_symlink():
                    found.append(here / d)  # reported below when it leads outside; never descended into
            found.extend(here / f for f in filenames)
        for f in sorted(found):
            rel = f.relative_to(p)
            if any(part.startswith(".") for part in rel.parts) or is_sidecar(f):
                continue
            r = rel.as_posix()
            if any(fnmatch(r, pat) or r.startswith(pat.rstrip("/") + "/") for pat in patterns):
                continue
            if f.is_symlink():
                try:
                    target = f.resolve(strict=True)
                except (OSError, RuntimeError):
                    skipped.append((f, "a broken or looping symbolic link"))
                    continue
                if not target.is_relative_to(root):
                    skipped.append((f, "a symbolic link to something outside the folder given; not followed"))
                    continue
                if target.is_dir():
                    continue
            why = refusal(f, forbidden)
            if why:
                skipped.append((f, why))
                continue
            out.append(f)
    return out, skipped


def iter_files(paths: list[Path]) -> list[Path]:
    """Files under the given paths (folders recursively), sorted; sidecars, hidden and .kbignore'd files skipped."""
    return walk(paths)[0]
