"""Property-based attacks on `rnn-tui serve`'s guards, on 127.0.0.1 only, bounded in count.

A server (tui/serve.py's GuardedServer, sessions played by test_serve_guard's stand-in app)
runs in a thread of this process; Hypothesis sends it cross-origin, tokenless and
oversized requests over raw sockets, and hostile sizes over real websockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the 'serve' extra (textual-serve) is missing")

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_serve_guard import FAKE_APP, TOKEN

from tui.serve import GuardedServer
from tui.terminal_size import MAX_COLUMNS, MAX_ROWS

WAIT = 60  # seconds: a bound for a hung server, never a speed check
FUZZ = settings(
    deadline=None,  # a session starts a process: no per-example time limit, a count limit
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class ServerThread:
    """A GuardedServer on 127.0.0.1 with its own event loop in a thread."""

    def __init__(self, script: Path) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self.server = GuardedServer(
            [sys.executable, str(script), "normal"],
            host="127.0.0.1",
            port=self.port,
            token=TOKEN,
            max_sessions=64,  # the cap has its own tests: here it must never be what answers
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start([sock]), self.loop).result(WAIT)

    def folders(self) -> int:
        return len(os.listdir(self.server.sessions_root))

    def folder_made(self, before: int) -> bool:
        """Wait (bounded by WAIT, not a speed check) until a session folder beyond `before`
        exists."""
        for _ in range(WAIT * 100):
            if self.folders() > before:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(WAIT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    script = tmp_path_factory.mktemp("fuzz") / "fake_app.py"
    script.write_text(FAKE_APP)
    server = ServerThread(script)
    yield server
    server.close()


def raw_request(port: int, request: bytes) -> int:
    """Send raw bytes; the status code of the answer (0 if the server just closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        # it may stop reading an oversized request: its answer still counts
        with contextlib.suppress(OSError):
            sock.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    first = answer.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else 0


def handshake(port: int, path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def good_page_still_served(port: int) -> bool:
    request = f"GET /?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    return raw_request(port, request) == 200


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)


def origins(port: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                f"http://127.0.0.1:{port}",  # its own: opens only with the token and Host
                f"http://127.0.0.1:{port + 1}",
                f"http://localhost:{port}",
                f"https://127.0.0.1:{port}",
                f"http://127.0.0.1:{port}.evil.example",
                f"http://127.0.0.1:{port}/",
                f"http://evil.example:{port}",
                "null",
                "file://",
            ]
        ),
        HEADER_TEXT,
        st.builds(lambda p: f"http://127.0.0.1:{p}", st.integers(1, 65535)),
    )


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_no_websocket_opens_without_the_page_origin_and_the_token(
    target: ServerThread, data: st.DataObject
) -> None:
    port = target.port
    origin = data.draw(origins(port), label="origin")
    token = data.draw(st.one_of(st.just(TOKEN), HEADER_TEXT.filter(lambda t: "/" not in t)))
    host = data.draw(st.sampled_from([f"127.0.0.1:{port}", f"evil.example:{port}", "127.0.0.1"]))
    path = f"/ws/{token}?width=80&height=24".replace(" ", "%20")
    headers = [("Host", host), ("Origin", origin)]
    before = target.folders()
    status = raw_request(port, handshake(port, path, headers))
    own = origin == f"http://{host}" and host == f"127.0.0.1:{port}" and token == TOKEN
    assert status == (101 if own else 403), (origin, token, host, status)
    if own:
        # the server answers 101 before it makes the session's folder: wait for it, or it
        # appears during the next example and reads as a process a refused request started
        assert target.folder_made(before)
    else:
        assert target.folders() == before  # no process was started


OVERSIZED = st.sampled_from(["path", "origin", "many-headers", "query", "body", "garbage"])


@settings(FUZZ, max_examples=40)
@given(kind=OVERSIZED, size=st.integers(8_000, 200_000))
def test_oversized_requests_are_refused_and_the_server_goes_on(
    target: ServerThread, kind: str, size: int
) -> None:
    port = target.port
    own = [("Host", f"127.0.0.1:{port}"), ("Origin", f"http://127.0.0.1:{port}")]
    if kind == "path":
        request = handshake(port, f"/ws/{TOKEN}{'x' * size}", own)
    elif kind == "origin":
        request = handshake(port, f"/ws/{TOKEN}", [own[0], ("Origin", "http://" + "a" * size)])
    elif kind == "many-headers":
        extra = [(f"X-{i}", "y" * 50) for i in range(size // 60)]
        request = handshake(port, "/ws/wrong", [*own, *extra])
    elif kind == "query":
        request = handshake(port, f"/ws/wrong?width={'9' * size}", own)
    elif kind == "body":
        request = (
            f"POST /?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {size}\r\n\r\n".encode()
            + b"z" * size
        )
    else:
        request = os.urandom(size)
    before = target.folders()
    status = raw_request(port, request)
    assert status == 0 or 400 <= status < 500, (kind, size, status)
    assert target.folders() == before
    assert good_page_still_served(port)


async def _session_sizes(port: int, query: str, resizes: list[object]) -> list[tuple[int, int]]:
    """The sizes a session's process was given: at start, then after each resize message."""
    sizes = []
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(
            f"http://127.0.0.1:{port}/ws/{TOKEN}{query}",
            headers={"Origin": f"http://127.0.0.1:{port}"},
        )
        pending = ""

        async def line(prefix: str) -> str:
            nonlocal pending
            while True:
                for text in pending.splitlines(keepends=True):
                    pending = pending[len(text) :]
                    if text.startswith(prefix) and text.endswith("\n"):
                        return text[len(prefix) :]
                message = await asyncio.wait_for(ws.receive(), WAIT)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                pending += message.data.decode()

        hello = json.loads(await line("HELLO "))
        sizes.append((int(hello["COLUMNS"]), int(hello["ROWS"])))
        for resize in resizes:
            await ws.send_str(json.dumps(["resize", resize]))
            meta = json.loads(await line("META "))
            sizes.append((meta["width"], meta["height"]))
        await ws.close()
    return sizes


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="ascii"), max_size=30),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
QUERY_VALUES = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.text(st.sampled_from("0123456789-+ e."), max_size=40),
)


@settings(FUZZ, max_examples=12)
@given(
    width=QUERY_VALUES,
    height=QUERY_VALUES,
    resizes=st.lists(
        st.one_of(
            st.fixed_dictionaries({"width": NUMBERS, "height": NUMBERS}),
            st.dictionaries(st.sampled_from(["width", "height", "x"]), NUMBERS, max_size=3),
        ),
        max_size=8,
    ),
)
def test_a_session_never_gets_a_terminal_beyond_the_limits(
    target: ServerThread, width: str, height: str, resizes: list[object]
) -> None:
    query = f"?width={width}&height={height}".replace(" ", "%20").replace("+", "%2B")
    sizes = asyncio.run(_session_sizes(target.port, query, resizes))
    assert len(sizes) == len(resizes) + 1
    for columns, rows in sizes:
        assert 1 <= columns <= MAX_COLUMNS and 1 <= rows <= MAX_ROWS
