"""`rnn-tui serve`: the app over the web with textual-serve."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT, run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served():
    pytest.importorskip("textual_serve", reason="the 'serve' extra (textual-serve) is missing")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port), "--seed", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    page = b""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                page = response.read()
                break
        except OSError:
            time.sleep(0.2)
    yield url, page
    proc.terminate()
    proc.wait(timeout=10)


def test_serve_answers_with_the_app_page(served) -> None:
    url, page = served
    assert page, f"nothing served at {url}"
    assert b"rnn-tui" in page  # the page title
    assert b"textual" in page.lower()


def test_serve_refuses_bad_options_first() -> None:
    result = run_cli("serve", "--port", "0", timeout=30)
    assert result.returncode == 2 and "port must be between 1 and 65535" in result.stderr
    result = run_cli("serve", "--load", "/no/such.npz", timeout=30)
    assert result.returncode == 2 and result.stderr.startswith("rnn-tui: error: ")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install chromium); the HTTP test "
    "above still checks the page is served",
)
def test_a_browser_sees_the_app(served, tmp_path) -> None:
    from cdp import Browser

    url, _ = served
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM, str(tmp_path / "profile"))
    try:
        session = browser.open(url)
        # (not the footer: Textual fills it only once the app has focus, which the page
        # of a headless browser never gets)
        wanted = ("9 + 60", "pred", "true", "layer_1", "overallError", "example drawn")
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline and not all(w in text for w in wanted):
            browser.pump(0.5)
            text = browser.websocket_text()
        shot = tmp_path / "browser.png"
        browser.screenshot(session, str(shot))
    finally:
        browser.close()
    # the app's own screen reached the page: the tutorial's first example and the panels
    for words in wanted:
        assert words in text, f"{words!r} never reached the browser"
    assert shot.stat().st_size > 10_000  # a drawn terminal, not the empty intro page
