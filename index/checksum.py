"""File checksums of a generation: which algorithm, and how a file or an open handle is hashed (one place).

A generation's manifest gives each file's SHA-256 (what an operator checks by hand with `sha256sum`) and, since
generations built after 2026-12-03, its XXH3-128 (python-xxhash). Loading verifies the XXH3-128 when the manifest
has it: ~4x faster on this machine (about 2.7 GB/s against 0.6 GB/s for SHA-256, see BENCHMARKS.md), which is most
of a worker's start-up at 100k chunks and more. What the check must catch is damage (a flipped bit, a truncated or
half-copied file), not a forger: anyone able to rewrite a file could rewrite the manifest beside it, so a
cryptographic hash buys nothing here that a strong non-cryptographic one does not.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BLOCK = 4 << 20  # bytes read and hashed at a time


def _xxh3_128() -> object:
    import xxhash  # imported on first use: nothing at import time

    return xxhash.xxh3_128()


ALGORITHMS: dict[str, Callable[[], object]] = {"xxh3_128": _xxh3_128, "sha256": hashlib.sha256}
VERIFY_ORDER = ("xxh3_128", "sha256")  # the first one a manifest entry carries is the one verified at load


@dataclass(frozen=True)
class Checksum:
    """The digest a file must have, and the algorithm that gives it."""
    algorithm: str
    digest: str

    @classmethod
    def of_entry(cls, entry: dict) -> "Checksum":
        """The checksum to verify for a manifest file entry (the fastest algorithm it carries)."""
        for name in VERIFY_ORDER:
            if entry.get(name):
                return cls(name, str(entry[name]))
        raise ValueError("a manifest file entry without a known checksum")

    def hasher(self) -> object:
        return ALGORITHMS[self.algorithm]()

    def matches_bytes(self, data: bytes) -> bool:
        """Whether bytes held in memory have this digest."""
        h = self.hasher()
        h.update(data)
        return h.hexdigest() == self.digest

    def matches_file(self, path: Path) -> bool:
        """Whether the file at `path` has this digest (OSError when it cannot be read)."""
        h = self.hasher()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(BLOCK), b""):
                h.update(block)
        return h.hexdigest() == self.digest

    def matches_fd(self, fd: int) -> bool:
        """Whether an open file has this digest, read from its start without moving anyone's file offset."""
        h = self.hasher()
        buf = bytearray(BLOCK)
        view = memoryview(buf)
        offset = 0
        while True:
            n = os.preadv(fd, [buf], offset)
            if not n:
                return h.hexdigest() == self.digest
            h.update(view[:n])
            offset += n


def file_entry(path: Path, **extra: object) -> dict:
    """A manifest file entry: every algorithm's digest (one read of the file) and the size in bytes."""
    hashers = {name: make() for name, make in ALGORITHMS.items()}
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            for h in hashers.values():
                h.update(block)
    return {**{name: h.hexdigest() for name, h in hashers.items()}, "bytes": path.stat().st_size, **extra}


def bytes_entry(data: bytes, **extra: object) -> dict:
    """A manifest file entry for bytes about to be written (the serialized vector index)."""
    hashers = {name: make() for name, make in ALGORITHMS.items()}
    for h in hashers.values():
        h.update(data)
    return {**{name: h.hexdigest() for name, h in hashers.items()}, "bytes": len(data), **extra}
