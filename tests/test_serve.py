"""`rnn-tui serve` as a user runs it: real server processes, real app sessions, a real browser.

Every server here listens on 127.0.0.1 or ::1 and a free port (one test listens on 0.0.0.0
for the moment it takes to read its warning); every session is closed by the test.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

pytest.importorskip("textual_serve", reason="the 'serve' extra (textual-serve) is missing")

import aiohttp

WAIT = 60  # seconds: a bound for a hung process, never a speed check
SERVING = re.compile(r"rnn-tui: serving on (http://\S+)")
FOLDERS = re.compile(r"each in its own folder under (\S+) ")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str  # the printed URL, with its token
    lines: list[str] = field(default_factory=list)  # everything the server said on stderr
    sessions_root: str = ""

    @property
    def port(self) -> int:
        return int(self.url.split("]:")[-1].split(":")[-1].split("/")[0])

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_for_line(self, text: str) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.said(text):
                return True
            time.sleep(0.05)
        return False

    def session_pids(self) -> list[int]:
        pid = self.proc.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def start_serve(*options: str, env: dict[str, str] | None = None) -> Served:
    """Start `rnn-tui serve OPTIONS` and wait until it prints its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def read(stream=proc.stderr) -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    served = Served(proc, "")

    def collect() -> None:  # keeps `served.lines` filled for as long as the server runs
        while (line := lines.get()) is not None:
            served.lines.append(line)

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError(f"serve exited: {served.lines}")
        served.lines.append(line)
        if match := FOLDERS.search(line):
            served.sessions_root = match.group(1)
            threading.Thread(target=collect, daemon=True).start()
            break
        if match := SERVING.search(line):
            served.url = match.group(1)
    else:
        proc.kill()
        raise AssertionError(f"serve never said where it serves: {served.lines}")
    return served


def stop(served: Served) -> None:
    served.proc.terminate()
    served.proc.wait(timeout=WAIT)


@pytest.fixture
def served() -> Iterator[Served]:
    server = start_serve("--port", str(free_port()), "--seed", "0")
    yield server
    stop(server)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_serve_prints_a_url_with_a_token_and_answers_only_with_it(served: Served) -> None:
    assert served.url == f"http://127.0.0.1:{served.port}/?token={served.token}"
    assert len(served.token) >= 32
    status, page = fetch(served.url)
    assert status == 200
    assert "rnn-tui" in page and "textual" in page.lower()
    assert f"ws://127.0.0.1:{served.port}/ws/{served.token}" in page
    for url in (served.url.split("?")[0], served.url[:-1], served.url + "x"):
        status, text = fetch(url)
        assert status == 403 and "open the URL the server printed" in text
    assert served.said("up to 8 sessions")


def test_a_new_server_has_a_new_token() -> None:
    first = start_serve("--port", str(free_port()))
    second = start_serve("--port", str(free_port()))
    try:
        assert first.token != second.token
    finally:
        stop(first)
        stop(second)


def test_serve_refuses_bad_options_first() -> None:
    result = run_cli("serve", "--port", "0", timeout=30)
    assert result.returncode == 2 and "port must be between 1 and 65535" in result.stderr
    result = run_cli("serve", "--load", "/no/such.npz", timeout=30)
    assert result.returncode == 2 and result.stderr.startswith("rnn-tui: error: ")
    result = run_cli("serve", "--max-sessions", "0", timeout=30)
    assert result.returncode == 2 and "max-sessions must be between 1 and 256" in result.stderr


def test_every_model_option_reaches_the_sessions() -> None:
    """A served session is started with the options given to serve (a new model option must
    be forwarded too: this fails until it is)."""
    from tui.cli import SERVE_FORWARDED_OPTIONS, _session_argv, build_parser

    parser = build_parser()
    serve_parser = next(
        action.choices["serve"]
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    own = {"help", "host", "port", "max_sessions"}
    given = {action.dest for action in serve_parser._actions} - own
    assert given == set(SERVE_FORWARDED_OPTIONS)
    args = parser.parse_args(
        ["serve", "--seed", "7", "--hidden", "5", "--alpha", "0.30000000000000004", "--bits", "6"]
    )
    argv = _session_argv(args)
    assert argv[0] == sys.executable and argv[-9:] == [
        "tui",
        "--seed",
        "7",
        "--hidden",
        "5",
        "--alpha",
        "0.30000000000000004",
        "--bits",
        "6",
    ]
    args = parser.parse_args(["serve", "--cell", "gru", "--init=-0.5,2"])
    assert _session_argv(args)[-3:] == ["--cell", "gru", "--init=-0.5,2.0"]
    args = parser.parse_args(["serve", "--load", "rel/net.npz"])
    assert _session_argv(args)[-2:] == ["--load", os.path.abspath("rel/net.npz")]


def test_stopping_the_server_ends_its_sessions_and_removes_their_folders(served: Served) -> None:
    text = asyncio.run(
        _session_text_kept_open(ws_url(served), f"http://127.0.0.1:{served.port}", served)
    )
    assert "9 + 60" in text


async def _session_text_kept_open(url: str, origin: str, served: Served) -> str:
    """Open a session, then stop the server under it: its process and folder go."""
    text = ""
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(url, headers={"Origin": origin})
        while "9 + 60" not in text:
            message = await asyncio.wait_for(ws.receive(), WAIT)
            assert message.type == aiohttp.WSMsgType.BINARY, message
            text += message.data.decode("utf-8", "replace")
        pids = served.session_pids()
        assert len(pids) == 1 and os.listdir(served.sessions_root)
        served.proc.terminate()
        assert await asyncio.to_thread(served.proc.wait, WAIT) == 0
        assert not Path(f"/proc/{pids[0]}").exists()
        assert not os.path.exists(served.sessions_root)
        assert served.wait_for_line("rnn-tui: stopping")
    return text


def one_line_failure(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result
    assert "Traceback" not in result.stderr + result.stdout
    assert "serving on" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rnn-tui: error: ")
    return lines[0]


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_failure(run_cli("serve", "--port", str(port), timeout=30), 1)
    assert line == (
        f"rnn-tui: error: port {port} is in use on 127.0.0.1:{port}: stop what serves there, "
        "or pick another with --port"
    )


def test_an_unresolvable_host_is_one_line() -> None:
    line = one_line_failure(run_cli("serve", "--host", "no-such-host.invalid", timeout=60), 2)
    assert line.startswith("rnn-tui: error: cannot listen on host 'no-such-host.invalid': ")


def test_listening_on_every_interface_warns() -> None:
    served = start_serve("--host", "0.0.0.0", "--port", str(free_port()))
    stop(served)
    assert served.said(
        "rnn-tui: warning: --host 0.0.0.0 listens on every network interface: anyone on the "
        "network who has the URL (its token) can connect"
    )
    assert served.url.startswith(f"http://127.0.0.1:{served.port}/?token=")


def test_an_ipv6_url_has_brackets_and_works() -> None:
    port = free_port("::1")
    served = start_serve("--host", "::1", "--port", str(port))
    try:
        assert served.url == f"http://[::1]:{port}/?token={served.token}"
        assert not served.said("warning")
        status, page = fetch(served.url)
        assert status == 200 and f"ws://[::1]:{port}/ws/{served.token}" in page
    finally:
        stop(served)


# -- sessions of the real app over its websocket ------------------------------------------


async def _session_text(url: str, origin: str, steps: list[tuple[list[str], str]]) -> str:
    """Open the app's websocket as its page would; for each step type its keys (one
    message each) and wait until its words are on screen. Returns all the screen got."""
    text = ""
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(url, headers={"Origin": origin})
        for keys, words in steps:
            for key in keys:
                await ws.send_json(["stdin", key])
            deadline = time.monotonic() + WAIT
            while words not in text:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{words!r} never came; the screen got {text[-3000:]!r}")
                message = await asyncio.wait_for(ws.receive(), left)
                if message.type != aiohttp.WSMsgType.BINARY:
                    raise AssertionError(f"{words!r} never came; the socket said {message}")
                text += message.data.decode("utf-8", "replace")
        await ws.close()
    return text


def ws_url(served: Served, query: str = "?width=80&height=24") -> str:
    return f"http://127.0.0.1:{served.port}/ws/{served.token}{query}"


def test_a_checkpoint_that_went_bad_after_start_is_said_in_the_browser(tmp_path: Path) -> None:
    checkpoint = tmp_path / "net.npz"
    trained = run_cli("train", "--iterations", "10", "--quiet", "--save", str(checkpoint))
    assert trained.returncode == 0
    served = start_serve("--port", str(free_port()), "--load", str(checkpoint))
    try:
        checkpoint.write_bytes(b"not a checkpoint any more")
        text = asyncio.run(
            _session_text(
                ws_url(served), f"http://127.0.0.1:{served.port}", [([], "cannot start a session")]
            )
        )
        assert (
            f"rnn-tui: cannot start a session: checkpoint '{checkpoint}' is not a valid "
            "rnn-tui checkpoint"
        ) in text
        assert served.wait_for_line("cannot start a session")
        assert os.listdir(served.sessions_root) == []  # no app process was started
    finally:
        stop(served)


def test_a_served_session_cannot_write_outside_its_folder(served: Served, tmp_path: Path) -> None:
    """Issue 9's attack: drive a session to save over a file elsewhere ("s", a path, yes)."""
    victim = tmp_path / "precious.npz"
    victim.write_bytes(b"precious")
    text = asyncio.run(
        _session_text(
            ws_url(served),
            f"http://127.0.0.1:{served.port}",
            [
                ([], "9 + 60"),
                (["s"], "Save the network to"),
                # typing replaces the prompt's prefilled (selected) name
                ([*str(victim), "\r"], "outside this session"),
                (["y", "e", "s", "\r"], "precious.npzyes is"),  # no "overwrite it?" ever
            ],
        )
    )
    assert "outside this session" in text
    assert victim.read_bytes() == b"precious"


def test_a_served_session_runs_in_its_own_folder_and_ends_with_its_socket(
    served: Served,
) -> None:
    pids: list[int] = []
    folders: list[str] = []

    async def scenario() -> None:
        async with aiohttp.ClientSession() as client:
            ws = await client.ws_connect(
                ws_url(served, "?width=20000&height=20000"),
                headers={"Origin": f"http://127.0.0.1:{served.port}"},
            )
            text = ""
            while "9 + 60" not in text:
                message = await asyncio.wait_for(ws.receive(), WAIT)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                text += message.data.decode("utf-8", "replace")
            pids.extend(served.session_pids())
            for pid in pids:
                folders.append(os.readlink(f"/proc/{pid}/cwd"))
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                assert b"COLUMNS=500" in environ and b"ROWS=200" in environ
            await ws.close()

    asyncio.run(scenario())
    assert len(pids) == 1
    assert os.path.dirname(folders[0]) == os.path.realpath(served.sessions_root)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and served.session_pids():
        time.sleep(0.05)
    assert served.session_pids() == [], "the session's process outlived its socket"
    assert not Path(f"/proc/{pids[0]}").exists()


# -- a real browser ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it",
)


@needs_chromium
def test_a_browser_sees_the_app(served: Served, tmp_path: Path) -> None:
    from cdp import Browser

    assert CHROMIUM is not None
    browser = Browser(CHROMIUM, str(tmp_path / "profile"))
    try:
        session = browser.open(served.url)
        # (not the footer: Textual fills it only once the app has focus, which the page
        # of a headless browser never gets)
        wanted = ("9 + 60", "pred", "true", "layer_1", "overallError", "example drawn")
        deadline = time.monotonic() + WAIT
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


ATTACK_PAGE = """<!DOCTYPE html><title>waiting</title><script>
const ws = new WebSocket("ws://127.0.0.1:{port}/ws/{token}?width=80&height=24");
ws.onopen = () => {{ document.title = "opened"; ws.send(JSON.stringify(["stdin", "s"])); }};
ws.onerror = () => {{ if (document.title !== "opened") document.title = "refused"; }};
ws.onclose = () => {{ if (document.title !== "opened") document.title = "refused"; }};
</script>"""


@needs_chromium
def test_a_page_from_another_origin_cannot_open_the_apps_websocket(
    served: Served, tmp_path: Path
) -> None:
    """Even knowing the token, a page served from another local port is refused, while the
    app's own page (previous test) opens."""
    from cdp import Browser

    assert CHROMIUM is not None
    page = ATTACK_PAGE.format(port=served.port, token=served.token).encode()

    class AttackPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackPage)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    other = attacker.server_address[1]
    browser = Browser(CHROMIUM, str(tmp_path / "profile"))
    try:
        session = browser.open(f"http://127.0.0.1:{other}/")
        deadline = time.monotonic() + WAIT
        title = "waiting"
        while time.monotonic() < deadline and title not in ("opened", "refused"):
            browser.pump(0.2)
            title = browser.evaluate(session, "document.title")
    finally:
        browser.close()
        attacker.shutdown()
        attacker.server_close()
    assert title == "refused"
    # refused by the origin check (the request did reach the server), and no app started
    assert served.wait_for_line(f"refused a websocket from origin 'http://127.0.0.1:{other}'")
    assert os.listdir(served.sessions_root) == []
