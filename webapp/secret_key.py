"""The session-signing key: the configured one, or one generated once per knowledge base and shared by all workers."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from kb_settings import Settings


def load_secret_key(settings: Settings) -> str:
    """Use the configured key, else one generated once into KB_HOME/secret_key (0600) so all workers agree."""
    if settings.secret_key:
        return settings.secret_key
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=home, prefix=".secret_key.")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            try:
                os.link(tmp, path)  # atomic and fails if another worker won the race
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it so a new key is generated")
    return key
