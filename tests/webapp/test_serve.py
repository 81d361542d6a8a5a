"""`kb serve` plumbing: gunicorn configuration, and one real gunicorn run whose access log hides query text."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kb_settings import Settings
from webapp import gunicorn_options, make_gunicorn_app

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_options_from_settings(tmp_path):
    s = Settings(home=tmp_path, workers=3, threads=5, secret_key="x")
    opts = gunicorn_options(s, "0.0.0.0", 8123)
    assert opts["bind"] == "0.0.0.0:8123"
    assert (opts["workers"], opts["threads"], opts["worker_class"], opts["preload_app"]) == (3, 5, "gthread", False)
    assert "%(U)s" in opts["access_log_format"] and "%(r)s" not in opts["access_log_format"]
    assert "%(q)s" not in opts["access_log_format"]


def test_gunicorn_application_object(tmp_path):
    app = make_gunicorn_app(Settings(home=tmp_path, workers=2, threads=4, secret_key="x"), "127.0.0.1", 8124)
    assert app.cfg.workers == 2 and app.cfg.threads == 4
    assert app.cfg.worker_class_str == "gthread" and app.cfg.preload_app is False
    assert app.cfg.bind == ["127.0.0.1:8124"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn_and_keeps_queries_out_of_logs(web_kb_home, tmp_path):
    import shutil

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    port = _free_port()
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from kb_settings import Settings\nfrom webapp import serve\n"
            "if __name__ == '__main__':\n"
            "    serve(Settings.from_env(home=%r, workers=1, threads=2), '127.0.0.1', %d)\n") % (str(ROOT), str(home), port)
    script = tmp_path / "run_server.py"
    script.write_text(code)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_SECRET_KEY": ""}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=str(tmp_path))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        status = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=60) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200
        with urllib.request.urlopen(base + "/?q=confidentialwordxyz+oxycodone", timeout=60) as r:
            assert r.status == 200 and "Content-Security-Policy" in r.headers
        with urllib.request.urlopen(base + "/api/search?q=confidentialwordxyz", timeout=60) as r:
            assert r.headers["X-KB-Generation"]
        assert (home / "secret_key").exists() and oct((home / "secret_key").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    log = out.decode(errors="replace")
    assert '"GET /healthz"' in log or "GET /healthz" in log, log[-2000:]
    assert "confidentialwordxyz" not in log


def _kb_cli(*args: str, home: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_SECRET_KEY": "", "KB_HOME": str(home), "KB_WORKERS": "1"}
    return subprocess.Popen([sys.executable, str(ROOT / "kb_cli.py"), *args], env=env, cwd=str(home.parent),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_serve_says_ready_only_once_healthz_answers(web_kb_home, tmp_path):
    """The serve path `make run` ends in: "ready" is printed after a worker answered /healthz, not before."""
    import shutil

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    port = _free_port()
    proc = _kb_cli("serve", "--port", str(port), home=home)
    try:
        lines: list[str] = []
        deadline = time.time() + 180
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        assert lines and lines[-1].startswith("ready"), lines
        assert lines[0].startswith("No curator account yet") and "kb users add" in lines[0], lines
        assert lines[1].startswith("Starting Practice Partner on http://127.0.0.1:%d" % port), lines
        assert not any(line.startswith("ready") for line in lines[:-1])
        assert "4 documents" in lines[-1]
        started = time.time()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60) as r:
            assert r.status == 200
        assert time.time() - started < 5, "a worker was already serving when ready was printed"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_serve_on_a_busy_port_fails_with_one_error_line(web_kb_home, tmp_path):
    import shutil

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _kb_cli("serve", "--port", str(port), home=home)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.strip().count("\n") == 0 and err.startswith("error: port %d" % port), err
    assert "in use" in err and "ready" not in out and "Starting" not in out


def test_commands_on_a_missing_kb_refuse_to_create_one(tmp_path):
    home = tmp_path / "typo-kb"
    for args in (("users", "add", "nobody", "--password", "long enough pw"), ("status",), ("list",)):
        proc = _kb_cli(*args, home=home)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1 and err.startswith("error: no knowledge base at"), (args, err)
        assert not home.exists()


def test_malloc_arenas_are_capped_for_the_workers_unless_the_operator_set_them():
    """In a child process (the cap lasts for the process): set on glibc, left alone when MALLOC_ARENA_MAX is set."""
    code = "from webapp.server import limit_malloc_arenas; print(limit_malloc_arenas())"
    root = str(Path(__file__).resolve().parents[2])
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    mine = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    assert mine.stdout.strip() == "True", mine.stderr
    theirs = subprocess.run([sys.executable, "-c", code], cwd=root, env={**env, "MALLOC_ARENA_MAX": "4"},
                            capture_output=True, text=True)
    assert theirs.stdout.strip() == "False", theirs.stderr
