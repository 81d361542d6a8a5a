"""The KB home's record of the live generation, published atomically; the only writer of CURRENT and published.log."""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import time
from pathlib import Path

from kb_settings import crash_stage

from .errors import CorruptIndex

CURRENT = "CURRENT"
GEN_DIR = "generations"
PUBLISHED_LOG = "published.log"  # append-only: one line per CURRENT swap, written after the swap
_NAME = re.compile(r"g\d{6,}")
log = logging.getLogger("kb")


def crash_point(stage: str) -> None:
    """Test hook: KB_TEST_CRASH_AT=stage kills this process there, to prove publication is atomic."""
    if crash_stage() == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Write, flush and fsync; errors such as ENOSPC or EFBIG surface here, never silently."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def read_current(home: Path) -> str | None:
    """The live generation's name; None when nothing was ever published; CorruptIndex when CURRENT is garbage."""
    try:
        raw = (home / CURRENT).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptIndex(f"{home / CURRENT} cannot be read ({exc.strerror}); run `kb rollback` to point it at "
                           "the newest intact published generation") from exc
    name = raw.strip().decode("ascii", errors="replace")
    if not name:
        return None
    if not _NAME.fullmatch(name):
        raise CorruptIndex(f"{home / CURRENT} does not name a generation ({len(raw)} bytes of something else); "
                           "run `kb rollback` to point it at the newest intact published generation")
    return name


def publish(home: Path, name: str) -> None:
    """Point CURRENT at a finished generation: temp file, fsync, os.replace, fsync the directory, log it."""
    tmp = home / f".{CURRENT}.tmp"
    write_bytes(tmp, (name + "\n").encode())
    crash_point("before-swap")
    os.replace(tmp, home / CURRENT)
    fsync_path(home)
    crash_point("after-swap")
    record_published(home, name)


def record_published(home: Path, name: str) -> None:
    """Append `name` to the publication log and fsync it (a torn last line is closed first, never merged)."""
    path = home / PUBLISHED_LOG
    fd = os.open(str(path), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        line = ("\n" if torn else "") + f"{name} {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def published_logged(home: Path) -> list[str]:
    """Names in the publication log, in order (may repeat after a rollback)."""
    try:
        text = (home / PUBLISHED_LOG).read_bytes().decode("ascii", errors="replace")
    except FileNotFoundError:
        return []
    return [ln.split(" ", 1)[0] for ln in text.splitlines() if _NAME.fullmatch(ln.split(" ", 1)[0])]


def published(home: Path) -> list[str]:
    """Every generation ever made live (CURRENT included), sorted; leftovers of a crash are not in it."""
    names = set(published_logged(home))
    try:
        live = read_current(home)
    except CorruptIndex:
        live = None
    if live:
        names.add(live)
    return sorted(names)


def reconcile_published(home: Path) -> None:
    """Under the write lock: start the log for a KB made before it existed, and add a swap a crash left unlogged."""
    try:
        live = read_current(home)
    except CorruptIndex:
        live = None
    if not (home / PUBLISHED_LOG).exists():
        # a KB from before the log: every complete generation up to the live one was served once (all of
        # them when CURRENT is unreadable: nothing is deleted on a guess)
        for name in list_generations(home):
            if live is None or name <= live:
                record_published(home, name)
    if live is not None and live not in set(published_logged(home)):
        record_published(home, live)


def list_generations(home: Path) -> list[str]:
    root = home / GEN_DIR
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("g") and
                  (p / "manifest.json").exists())


def next_name(home: Path) -> str:
    """A name never used before: beyond every directory and every name in the publication log."""
    names = list_generations(home) + published_logged(home)
    root = home / GEN_DIR
    nums = [int(n[1:]) for n in names if n[1:].isdigit()]
    if root.exists():
        nums += [int(p.name.split("-")[1][1:]) for p in root.iterdir()
                 if p.name.startswith(".tmp-g") and p.name.split("-")[1][1:].isdigit()]
    return f"g{(max(nums) + 1) if nums else 1:06d}"


def clean_leftovers(home: Path) -> None:
    """Remove what a crashed writer left (only called under the write lock): half-built directories, and
    complete generations that were never published, so neither pruning nor rollback ever counts them."""
    reconcile_published(home)
    root = home / GEN_DIR
    if root.exists():
        for p in root.iterdir():
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
        made_live = set(published(home))
        for name in list_generations(home):
            if name not in made_live:
                log.warning("removing generation %s: it was built but never published (an interrupted write)", name)
                shutil.rmtree(root / name, ignore_errors=True)
    tmp = home / f".{CURRENT}.tmp"
    if tmp.exists():
        tmp.unlink()


def prune(home: Path, keep: int) -> None:
    """Keep the newest `keep` published generations and always the live one."""
    try:
        live = read_current(home)
    except CorruptIndex:
        live = None
    made_live = set(published(home))
    names = [n for n in list_generations(home) if n in made_live]
    for name in names[:-keep] if keep > 0 else []:
        if name != live:
            shutil.rmtree(home / GEN_DIR / name, ignore_errors=True)


def intact_published(home: Path, before: str | None = None) -> list[str]:
    """Published generations still on disk, newest first, optionally only those older than `before`."""
    made_live = set(published(home))
    return [n for n in reversed(list_generations(home)) if n in made_live and (before is None or n < before)]
