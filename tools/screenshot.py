"""Take docs/screenshot.png: the search page answering a question over a knowledge base (default: kb-data).

Usage: .venv/bin/python tools/screenshot.py [--home KB_HOME] [--query "..."]  (needs Debian's chromium)
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", default=os.environ.get("KB_HOME", "kb-data"))
    ap.add_argument("--query", default="how fast can I taper oxycodone 120 mg/day?")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--document", default="", help="screenshot this document's page instead (at --anchor)")
    ap.add_argument("--anchor", default="", help="scroll the document page to this element id first")
    ap.add_argument("--full-page", action="store_true")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KB_HOME": args.home}
    server = subprocess.Popen([sys.executable, str(ROOT / "kb_cli.py"), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            if args.document:
                page.goto(base + "/documents/" + urllib.parse.quote(args.document, safe=""))
                if args.anchor:
                    page.locator(f"#{args.anchor}").scroll_into_view_if_needed()
                    page.evaluate("id => document.getElementById(id).scrollIntoView()", args.anchor)
            else:
                page.goto(base + "/?" + urllib.parse.urlencode({"q": args.query}))
            page.screenshot(path=args.out, full_page=args.full_page)
            browser.close()
        print(f"wrote {args.out}")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
