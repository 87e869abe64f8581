"""The guarded server of `rnn-tui serve` (tui/serve.py), in this process, on 127.0.0.1.

Each session runs a small stand-in app that speaks textual-serve's process protocol and
reports what it was given (its folder, environment, size messages, keystrokes), so every
guard is checked against what really reaches a session's process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytest.importorskip("textual_serve", reason="the 'serve' extra (textual-serve) is missing")

from tui import serve as serve_module
from tui.sandbox import SANDBOX_VARIABLE
from tui.serve import (
    Guard,
    GuardedServer,
    exposure_warning,
    page_url,
    url_host,
)

TOKEN = "test-token-0123456789"
WAIT = 60  # seconds: a bound for a hung server, never a speed check

# A stand-in for the app: textual-serve's protocol (a "__GANGLION__" line, then packets of
# type byte + 4-byte length + payload both ways). It reports, as screen data, a JSON line
# about itself, then every meta packet and keystroke it receives.
FAKE_APP = r"""
import json, os, signal, sys
mode = sys.argv[1]
if mode == "stubborn":  # ignores quit and SIGTERM: only SIGKILL ends it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "fail":
    print("rnn-tui: error: the stand-in could not start", file=sys.stderr)
    sys.exit(2)
out = sys.stdout.buffer
def send(text):
    data = text.encode()
    out.write(b"D" + len(data).to_bytes(4, "big") + data)
    out.flush()
out.write(b"__GANGLION__\n")
out.flush()
names = ("COLUMNS", "ROWS", "HOME", "XDG_STATE_HOME", "RNN_TUI_SANDBOX")
send("HELLO " + json.dumps({"pid": os.getpid(), "pgid": os.getpgid(0), "cwd": os.getcwd(),
     **{name: os.environ.get(name) for name in names}}) + "\n")
stdin = sys.stdin.buffer
while True:
    head = stdin.read(5)
    if len(head) < 5:
        break
    payload = stdin.read(int.from_bytes(head[1:], "big"))
    if head[:1] == b"M":
        meta = json.loads(payload)
        if meta.get("type") == "quit" and mode == "normal":
            break
        send("META " + json.dumps(meta) + "\n")
    else:
        text = payload.decode("utf-8", "replace")
        if text == "crash":
            sys.exit(1)
        send("KEYS " + text + "\n")
"""


@pytest.fixture
def fake_app(tmp_path: Path) -> Path:
    script = tmp_path / "fake_app.py"
    script.write_text(FAKE_APP)
    return script


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    return sock


Start = Callable[..., Awaitable[tuple[GuardedServer, int]]]


@pytest.fixture
async def start_server(fake_app: Path) -> AsyncIterator[Start]:
    servers: list[GuardedServer] = []

    async def start(mode: str = "normal", **options: Any) -> tuple[GuardedServer, int]:
        sock = listening_socket()
        port = sock.getsockname()[1]
        server = GuardedServer(
            [sys.executable, str(fake_app), mode],
            host="127.0.0.1",
            port=port,
            token=TOKEN,
            **options,
        )
        await server.start([sock])
        servers.append(server)
        return server, port

    yield start
    for server in servers:
        await server.stop()


async def open_session(
    client: aiohttp.ClientSession,
    port: int,
    *,
    query: str = "",
    origin: str | None = None,
    token: str = TOKEN,
    host: str = "127.0.0.1",
) -> aiohttp.ClientWebSocketResponse:
    origin = f"http://{host}:{port}" if origin is None else origin
    return await client.ws_connect(
        f"http://127.0.0.1:{port}/ws/{token}{query}",
        headers={"Origin": origin, "Host": f"{host}:{port}"},
    )


async def screen_line(ws: aiohttp.ClientWebSocketResponse, prefix: str) -> str:
    """The next line the session's process drew that starts with `prefix`."""
    while True:
        message = await asyncio.wait_for(ws.receive(), WAIT)
        assert message.type == aiohttp.WSMsgType.BINARY, message
        for line in message.data.decode().splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip()


async def hello(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return json.loads(await screen_line(ws, "HELLO "))


async def terminal_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    message = await asyncio.wait_for(ws.receive(), WAIT)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    return message.data.decode()


async def gone(pid: int) -> bool:
    """True once `pid` has ended (the server reaps its children)."""
    for _ in range(WAIT * 20):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.05)
    return False


async def no_sessions(server: GuardedServer) -> bool:
    for _ in range(WAIT * 20):
        if not server.sessions:
            return True
        await asyncio.sleep(0.05)
    return False


def session_folders(server: GuardedServer) -> list[str]:
    return sorted(os.listdir(server.sessions_root))


# -- URLs and warnings ---------------------------------------------------------------------


def test_urls_put_ipv6_addresses_in_brackets() -> None:
    assert url_host("::1") == "[::1]"
    assert url_host("[::1]") == "[::1]"
    assert url_host("127.0.0.1") == "127.0.0.1"
    assert page_url("::1", 8000, "abc") == "http://[::1]:8000/?token=abc"
    assert page_url("localhost", 80, "abc") == "http://localhost:80/?token=abc"


def test_only_loopback_is_served_without_a_warning() -> None:
    def bound(host: str) -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.bind((host, 0))
        return sock

    for host in ("127.0.0.1", "::1"):
        with bound(host) as sock:
            assert exposure_warning(host, [sock]) is None
    for host in ("0.0.0.0", "::"):
        with bound(host) as sock:
            warning = exposure_warning(host, [sock])
            assert warning is not None
            assert "every network interface" in warning and "anyone on the network" in warning


def test_the_guard_knows_its_own_names() -> None:
    guard = Guard.for_host("127.0.0.1", 8000, "tok")
    assert guard.host_ok("127.0.0.1:8000") and guard.host_ok("localhost:8000")
    assert guard.host_ok("[::1]:8000")
    assert not guard.host_ok("evil.example:8000")  # a DNS-rebinding page
    assert not guard.host_ok("127.0.0.1:8001") and not guard.host_ok("127.0.0.1")
    assert not guard.host_ok("user@127.0.0.1:8000") and not guard.host_ok(None)
    assert not guard.host_ok('127.0.0.1:8000"><script>') and not guard.host_ok("")
    assert guard.origin_ok("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert guard.origin_ok("http://localhost:8000", "localhost:8000")
    assert not guard.origin_ok("http://localhost:8000", "127.0.0.1:8000")
    assert not guard.origin_ok("http://127.0.0.1:9000", "127.0.0.1:8000")
    assert not guard.origin_ok("https://127.0.0.1:8000", "127.0.0.1:8000")
    assert not guard.origin_ok("null", "127.0.0.1:8000")
    assert not guard.origin_ok(None, "127.0.0.1:8000")
    assert guard.token_ok("tok") and not guard.token_ok("to") and not guard.token_ok(None)
    anywhere = Guard.for_host("0.0.0.0", 8000, "tok")
    assert anywhere.host_ok("192.0.2.7:8000") and anywhere.host_ok("classroom.local:8000")
    assert anywhere.host_ok("[2001:db8::1]:8000")
    # whatever the name, only a name or address and a port: the page echoes it
    for odd in ('a"b:8000', "a b:8000", "a<b>:8000", "[::1]x:8000", "a:8000/x", "a:80000"):
        assert not anywhere.host_ok(odd), odd
    assert Guard.for_host("127.0.0.1", 8000).token != Guard.for_host("127.0.0.1", 8000).token


# -- the token and the origin ----------------------------------------------------------


async def test_the_page_needs_the_token(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        for url in ("/", "/?token=", "/?token=wrong", f"/?token={TOKEN}x"):
            async with client.get(f"http://127.0.0.1:{port}{url}") as response:
                assert response.status == 403, url
                assert "open the URL the server printed" in await response.text()
        async with client.get(f"http://127.0.0.1:{port}/?token={TOKEN}") as response:
            assert response.status == 200
            page = await response.text()
            assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws/{TOKEN}"' in page
            assert response.headers["Cache-Control"] == "no-store"
        # the page's URLs follow the name the browser used, so its websocket is same-origin
        headers = {"Host": f"localhost:{port}"}
        async with client.get(f"http://127.0.0.1:{port}/?token={TOKEN}", headers=headers) as r:
            assert f"ws://localhost:{port}/ws/{TOKEN}" in await r.text()
    assert session_folders(server) == []


async def test_the_websocket_needs_the_token(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        for path in ("/ws", "/ws/wrong", f"/ws/{TOKEN[:-1]}"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(
                    f"http://127.0.0.1:{port}{path}", headers={"Origin": f"http://127.0.0.1:{port}"}
                )
            assert refused.value.status == 403, path
    assert session_folders(server) == []  # no process was started


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:{other}",  # another local server's page (issue 9's attack)
        "http://localhost:{port}",  # another name: not the page's own origin
        "https://127.0.0.1:{port}",
        "http://evil.example",
        "null",  # a sandboxed frame or a file:// page
        "",
    ],
)
async def test_a_websocket_from_another_origin_is_refused(start_server: Start, origin: str) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await open_session(client, port, origin=origin.format(port=port, other=port + 1))
        assert refused.value.status == 403
    assert session_folders(server) == []


async def test_a_rebinding_host_is_refused_even_with_the_token(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await open_session(client, port, host="evil.example")
        assert refused.value.status == 403
        headers = {"Host": f"evil.example:{port}"}
        async with client.get(f"http://127.0.0.1:{port}/?token={TOKEN}", headers=headers) as r:
            assert r.status == 403
    assert session_folders(server) == []


async def test_downloads_are_not_served(start_server: Start) -> None:
    _, port = await start_server()
    url = f"http://127.0.0.1:{port}/download/x?token={TOKEN}"
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 404


# -- a session's process ---------------------------------------------------------------


async def test_each_session_runs_in_a_fresh_folder_of_its_own(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        first = await hello(await open_session(client, port))
        second = await hello(await open_session(client, port))
    for seen in (first, second):
        assert os.path.dirname(seen["cwd"]) == os.path.realpath(server.sessions_root)
        assert seen[SANDBOX_VARIABLE] == seen["HOME"] == seen["cwd"]
        assert seen["XDG_STATE_HOME"] == os.path.join(seen["cwd"], ".state")
        assert seen["pgid"] == seen["pid"]  # its own process group, ended as a whole
    assert first["cwd"] != second["cwd"]


async def test_the_size_a_page_asks_for_is_clamped(start_server: Start) -> None:
    _, port = await start_server()
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port, query="?width=20000&height=20000")
        seen = await hello(ws)
        assert (seen["COLUMNS"], seen["ROWS"]) == ("500", "200")
        for asked, clamped in [
            ({"width": 20000, "height": 20000}, (500, 200)),
            ({"width": -4, "height": 0}, (1, 1)),
            ({"width": "999999", "height": None}, (80, 24)),
            ({"width": 1e300, "height": [1]}, (80, 24)),
            ({"width": 120, "height": 40}, (120, 40)),
        ]:
            await ws.send_json(["resize", asked])
            meta = json.loads(await screen_line(ws, "META "))
            assert meta == {"type": "resize", "width": clamped[0], "height": clamped[1]}
        ws = await open_session(client, port, query="?width=abc&height=" + "9" * 5000)
        seen = await hello(ws)
        assert (seen["COLUMNS"], seen["ROWS"]) == ("80", "24")


async def test_hostile_messages_are_ignored_and_the_session_goes_on(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        await hello(ws)
        for junk in (
            "not json",
            "{}",
            "[]",
            '["stdin"]',
            '["stdin", 5]',
            '["resize", "x"]',
            '["resize"]',
            '["ping", {"a": 1}]',
            "[1, 2]",
            '"stdin"',
            "[" * 5000,
        ):
            await ws.send_str(junk)
        await ws.send_bytes(b"\x00\xff binary")
        await ws.send_json(["stdin", "still here"])
        assert await screen_line(ws, "KEYS ") == "still here"
        await ws.send_json(["ping", "p1"])
        while (
            message := await asyncio.wait_for(ws.receive(), WAIT)
        ).type != aiohttp.WSMsgType.TEXT:
            pass
        assert json.loads(message.data) == ["pong", "p1"]
    assert await no_sessions(server)


async def test_an_oversized_message_ends_the_session(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        pid = (await hello(ws))["pid"]
        await ws.send_json(["stdin", "x" * (serve_module.MAX_MESSAGE_BYTES + 1)])
        while (await asyncio.wait_for(ws.receive(), WAIT)).type not in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        ):
            pass
        assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert await gone(pid)
    assert await no_sessions(server)


@pytest.mark.parametrize("mode", ["normal", "stubborn"])
async def test_a_closed_socket_ends_its_process(
    start_server: Start, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the stand-in "stubborn" ignores quit and SIGTERM, so it takes the SIGKILL step; a
    # short grace keeps the test quick (the order of the steps is what is checked)
    monkeypatch.setattr(serve_module, "STOP_GRACE_SECONDS", 0.5)
    server, port = await start_server(mode)
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        pid = (await hello(ws))["pid"]
        assert server.sessions
        await ws.close()
    assert await gone(pid), f"session process {pid} outlived its socket"
    assert await no_sessions(server)


async def test_sessions_are_capped(start_server: Start) -> None:
    server, port = await start_server(max_sessions=2)
    async with aiohttp.ClientSession() as client:
        first = await open_session(client, port)
        first_pid = (await hello(first))["pid"]
        second = await open_session(client, port)
        await hello(second)
        # a third tab: its page says so ...
        async with client.get(f"http://127.0.0.1:{port}/?token={TOKEN}") as response:
            assert response.status == 503
            assert "all 2 sessions are in use (--max-sessions 2)" in await response.text()
        # ... and a websocket opened anyway gets the message on its terminal, no process
        third = await open_session(client, port)
        assert "all 2 sessions are in use" in await terminal_text(third)
        assert len(session_folders(server)) == 2
        await third.close()
        # closing a session frees its place
        await first.close()
        assert await gone(first_pid)
        for _ in range(WAIT * 20):
            if len(server.sessions) < 2:
                break
            await asyncio.sleep(0.05)
        fourth = await open_session(client, port)
        assert (await hello(fourth))["pid"] != first_pid
        assert len(session_folders(server)) == 3


async def test_an_app_that_cannot_start_leaves_a_message(start_server: Start) -> None:
    server, port = await start_server("fail")
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        assert "the app failed to start; the server's log says why" in await terminal_text(ws)
        assert not ws.closed  # the message stays on screen (closing would cover it)
    assert await no_sessions(server)


async def test_a_failed_check_is_shown_and_starts_nothing(start_server: Start) -> None:
    server, port = await start_server(check_session=lambda: "net.npz: not a checkpoint")
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        text = await terminal_text(ws)
        assert "rnn-tui: cannot start a session: net.npz: not a checkpoint" in text
    assert session_folders(server) == []


async def test_an_app_that_ends_closes_the_page(start_server: Start) -> None:
    server, port = await start_server()
    async with aiohttp.ClientSession() as client:
        ws = await open_session(client, port)
        pid = (await hello(ws))["pid"]
        await ws.send_json(["stdin", "crash"])
        while (await asyncio.wait_for(ws.receive(), WAIT)).type == aiohttp.WSMsgType.BINARY:
            pass
        assert ws.closed or ws.close_code is not None
    assert await gone(pid)
    assert await no_sessions(server)


async def test_a_command_that_cannot_run_leaves_a_message(tmp_path: Path) -> None:
    sock = listening_socket()
    port = sock.getsockname()[1]
    server = GuardedServer([str(tmp_path / "no-such-program")], port=port, token=TOKEN)
    await server.start([sock])
    try:
        async with aiohttp.ClientSession() as client:
            ws = await open_session(client, port)
            assert "the app failed to start" in await terminal_text(ws)
        assert await no_sessions(server)
    finally:
        await server.stop()


async def test_tabs_opened_together_cannot_pass_the_cap(start_server: Start) -> None:
    # the check before each session yields to the event loop, where the others wait
    server, port = await start_server(max_sessions=2, check_session=lambda: None)
    async with aiohttp.ClientSession() as client:
        sockets = await asyncio.gather(*(open_session(client, port) for _ in range(6)))
        firsts = await asyncio.gather(*(terminal_text(ws) for ws in sockets))
        started = [text for text in firsts if text.startswith("HELLO ")]
        refused = [text for text in firsts if "all 2 sessions are in use" in text]
        assert (len(started), len(refused)) == (2, 4), firsts
        assert len(session_folders(server)) == 2
