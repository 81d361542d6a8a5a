"""kill -9 at each stage of publishing leaves the previous generation intact and searchable."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index import publishing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("stage", ["before-build", "after-vectors", "after-database", "before-swap", "after-swap"])
def test_kill_during_reindex(built_kb_home, tmp_path, stage):
    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    before = publishing.read_current(home)
    env = {**os.environ, "KB_HOME": str(home), "KB_TEST_CRASH_AT": stage}
    proc = subprocess.run([sys.executable, str(ROOT / "kb_cli.py"), "reindex"], env=env, capture_output=True,
                          text=True, timeout=300, cwd=str(ROOT))
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    after = publishing.read_current(home)
    # before the swap the old generation is live; after it, the new one is complete
    assert (after == before) if stage != "after-swap" else (after > before)
    from fixtures import make_kb

    kb = make_kb(home, keep_generations=2)
    assert kb.search("how fast can I taper opioids", k=3).hits[0].doc_id == "fx-taper"
    # the next writer cleans up what the killed one left half-built (or built but never published), and works
    served = after
    kb.reindex()
    assert not [p for p in (home / publishing.GEN_DIR).iterdir() if p.name.startswith(".tmp-")]
    assert kb.stats()["documents"] == 7
    # and `kb rollback` lands on the generation that was served before, never on one nobody served
    assert kb.rollback() == served
    assert make_kb(home).search("naloxone", k=1).generation == served
