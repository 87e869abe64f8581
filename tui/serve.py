"""`rnn-tui serve`: the app in web browsers, one app process per browser tab, guarded.

textual-serve runs one process per websocket and trusts whoever connects. A classroom
server must not: any web page open in the lecturer's browser could reach
ws://127.0.0.1:8000 and type into the app. So this server
- needs a random per-server token in the URL, for the page and for the websocket (printed
  at start, like a notebook server), and answers 403 without it;
- accepts a websocket only from its own page's origin, and only for the host names it was
  started for (a DNS-rebinding page has the right port but a foreign Host);
- bounds what a session may ask for: a terminal of at most 500x200 cells (the page's
  `?width=&height=` and every resize message), `--max-sessions` processes at a time,
  64 KiB per message;
- starts each session's process in a fresh folder of its own (its working folder, its HOME,
  named in RNN_TUI_SANDBOX so the app's save and load prompts stay inside it), and ends the
  process (quit, then SIGTERM, then SIGKILL to its process group) when its socket closes;
- reports every failure to start in one line and a non-zero exit (port in use, unknown
  host), and a session that cannot start (its checkpoint went bad after the server
  started) as a message in the browser, not a blank page.

The textual-serve classes are subclassed where they have hooks; the page template, the
JavaScript client and the process protocol are textual-serve's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from asyncio.subprocess import Process
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from tui.sandbox import SANDBOX_VARIABLE
from tui.terminal_size import clamp_size

DEFAULT_MAX_SESSIONS = 8
MAX_MESSAGE_BYTES = 64 * 1024  # a pasted paragraph fits; a flood does not
STOP_GRACE_SECONDS = 5.0  # after "quit", then after SIGTERM, before the next step
HEARTBEAT_SECONDS = 15.0  # a vanished browser's socket is noticed and its process ended
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
HOST_HEADER = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?"
)
CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # holds tui/, model/

log = logging.getLogger("rnn-tui.serve")

# A check run before every session starts: None when all is well, else what to show.
SessionCheck = Callable[[], "str | None"]


class ServeError(Exception):
    """A failure reported as one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# -- addresses and URLs -------------------------------------------------------------------


def url_host(host: str) -> str:
    """A host as it appears in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def page_url(host: str, port: int, token: str) -> str:
    return f"http://{url_host(host)}:{port}/?token={token}"


def _address_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[tuple[int, Any]]:
    """The (family, sockaddr) pairs to listen on, or a one-line error (status 2: a bad
    --host is a bad option)."""
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ServeError(f"cannot listen on host {host!r}: {reason}", status=2) from None
    seen: list[tuple[int, Any]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in seen:
            seen.append((family, sockaddr))
    if not seen:
        raise ServeError(f"cannot listen on host {host!r}: no IPv4 or IPv6 address", status=2)
    return seen


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address of `host`, or one line saying why not."""
    sockets: list[socket.socket] = []
    try:
        for family, sockaddr in resolve(host, port):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(sockaddr)
            except OSError as err:
                where = f"{url_host(sockaddr[0])}:{port}"
                if err.errno == errno.EADDRINUSE:
                    raise ServeError(
                        f"port {port} is in use on {where}: stop what serves there, or pick "
                        "another with --port"
                    ) from None
                if err.errno == errno.EACCES:
                    raise ServeError(
                        f"not allowed to listen on {where} (ports below 1024 need privileges)"
                    ) from None
                raise ServeError(f"cannot listen on {where}: {err.strerror}") from None
            sock.listen(128)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def exposure_warning(host: str, sockets: Sequence[socket.socket]) -> str | None:
    """A warning when the server is reachable from other machines."""
    addresses = [_address_of(sock.getsockname()[0]) for sock in sockets]
    if all(address is not None and address.is_loopback for address in addresses):
        return None
    if any(address is not None and address.is_unspecified for address in addresses):
        return (
            f"--host {host} listens on every network interface: anyone on the network who "
            "has the URL (its token) can connect"
        )
    return (
        f"--host {host} is reachable from other machines: anyone on the network who has "
        "the URL (its token) can connect"
    )


# -- who may connect ----------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """The per-server token and the host names the server answers for."""

    token: str
    port: int
    hosts: frozenset[str]  # lower-case names and addresses, no brackets
    any_host: bool  # listening on 0.0.0.0 or ::, reachable under any of the machine's names

    @classmethod
    def for_host(cls, host: str, port: int, token: str | None = None) -> Guard:
        name = host.strip("[]").lower()
        address = _address_of(name)
        hosts = {name}
        if name in LOOPBACK_NAMES or (address is not None and address.is_loopback):
            hosts |= LOOPBACK_NAMES
        return cls(
            token=token if token is not None else secrets.token_urlsafe(24),
            port=port,
            hosts=frozenset(hosts),
            any_host=address is not None and address.is_unspecified,
        )

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, host_header: str | None) -> bool:
        """The request's Host names this server (not a rebinding attacker's domain)."""
        if not host_header or not HOST_HEADER.fullmatch(host_header):
            return False  # (it is echoed into the page: only a name or address and a port)
        try:
            parts = urlsplit(f"http://{host_header}")
            port = parts.port
        except ValueError:
            return False
        if parts.hostname is None or parts.username is not None or parts.path:
            return False
        if port not in (None, self.port):
            return False
        if port is None and self.port != 80:
            return False
        return self.any_host or parts.hostname in self.hosts

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        """A websocket from the page this server served: same scheme, host and port."""
        if not origin or not self.host_ok(host_header):
            return False
        return origin.lower() == f"http://{host_header}".lower()


# -- one browser tab's app process ---------------------------------------------------------


class Session(AppService):
    """textual-serve's AppService, started without a shell in a folder of its own, ended for
    sure, and passing on nothing from the app but its screen and its exit."""

    def __init__(self, argv: Sequence[str], folder: str, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = list(argv)
        self.folder = folder
        self.started = asyncio.Event()  # the app drew something

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        environment[SANDBOX_VARIABLE] = self.folder
        environment["HOME"] = self.folder  # the session file and anything else "~" stays here
        environment["XDG_STATE_HOME"] = os.path.join(self.folder, ".state")
        # the session runs the code this server runs, whatever folder it starts in
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (CODE_ROOT, environment.get("PYTHONPATH")) if part
        )
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            cwd=self.folder,
            start_new_session=True,  # its own process group, ended as a whole
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def on_data(self, payload: bytes) -> None:
        self.started.set()
        await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        # Only "exit" is honoured: the app opens no URLs and delivers no files, and a
        # session must not make the page do either.
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            if json.loads(data).get("type") == "exit":
                await self.remote_close()

    async def stop(self) -> None:
        """Ask the app to quit; if it does not, SIGTERM and then SIGKILL its process group."""
        process, task = self._process, self._task
        if process is None:
            return
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_meta({"type": "quit"}), STOP_GRACE_SECONDS)
        for next_signal in (signal.SIGTERM, signal.SIGKILL, None):
            if await _exited(process, STOP_GRACE_SECONDS):
                break
            if next_signal is None:
                log.error("session process %s would not end", process.pid)
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, next_signal)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # anything the app left behind
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, STOP_GRACE_SECONDS)
        close_pipes(process)


def close_pipes(process: Process) -> None:
    """Close an ended process's pipes: a flooded session's stdin still held keys, and a
    transport left open was reported ("Event loop is closed") when its loop had ended."""
    transport = getattr(process, "_transport", None)  # asyncio offers no public close
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.close()


async def _exited(process: Process, seconds: float) -> bool:
    """Has the process exited within `seconds`? Its exit status, not `wait()`: on Python
    3.11 `wait()` also waits for its pipes to close, which a flooded session's never did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while process.returncode is None and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return process.returncode is not None


# -- the server ----------------------------------------------------------------------------


_FAILED_TO_START = "rnn-tui: the app failed to start; the server's log says why"


def _terminal_text(text: str) -> bytes:
    """A message for the page's terminal (xterm.js): CRLF lines, UTF-8."""
    return ("\r\n" + text.replace("\n", "\r\n") + "\r\n").encode("utf-8")


class GuardedServer(Server):
    def __init__(
        self,
        argv: Sequence[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        check_session: SessionCheck | None = None,
        token: str | None = None,
        title: str = "rnn-tui",
    ) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title)
        self.argv = list(argv)
        self.max_sessions = max_sessions
        self.check_session = check_session
        self.guard = Guard.for_host(host, port, token)
        self.sessions: set[Session] = set()
        self.sessions_root = ""
        self._runner: web.AppRunner | None = None

    # the routes: the page, the websocket, the static files; no file downloads
    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                # /ws, /ws/, /ws/<anything>: all answered here, 403 without the token
                web.get("/ws{tail:.*}", self.handle_session),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        return app

    def _refusal(self, request: web.Request, token: str | None) -> web.Response | None:
        if not self.guard.host_ok(request.headers.get("Host")):
            return web.Response(
                status=403, text="rnn-tui: this server does not answer for that host name\n"
            )
        if not self.guard.token_ok(token):
            return web.Response(
                status=403,
                text="rnn-tui: open the URL the server printed when it started (with its token)\n",
            )
        return None

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("token")
        refusal = self._refusal(request, token)
        if refusal is not None:
            return refusal
        if len(self.sessions) >= self.max_sessions:
            return web.Response(status=503, text=self._full_message() + "\n")
        # The page's URLs use the host the browser used, so its websocket has the page's
        # origin whichever of the server's names (localhost, 127.0.0.1) was typed.
        base = f"http://{request.headers['Host']}"
        context = {
            "font_size": max(6, min(64, _whole(request.query.get("fontsize"), 16))),
            "app_websocket_url": f"ws://{request.headers['Host']}/ws/{self.guard.token}",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"  # the page carries the token
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _full_message(self) -> str:
        return (
            f"rnn-tui: all {self.max_sessions} sessions are in use (--max-sessions "
            f"{self.max_sessions}); close one and reload"
        )

    async def handle_session(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        refusal = self._refusal(request, tail[1:] if tail.startswith("/") else None)
        if refusal is not None:
            return refusal
        origin = request.headers.get("Origin")
        if not self.guard.origin_ok(origin, request.headers.get("Host")):
            log.warning("refused a websocket from origin %r", origin and origin[:200])
            return web.Response(status=403, text="rnn-tui: websocket from another origin refused\n")
        websocket = web.WebSocketResponse(
            heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_MESSAGE_BYTES
        )
        await websocket.prepare(request)
        problem = None
        if self.check_session is not None:
            problem = await asyncio.to_thread(self.check_session)
        if problem is not None:
            log.error("cannot start a session: %s", problem)
            await self._say_and_wait(websocket, f"rnn-tui: cannot start a session: {problem}")
            return websocket
        # no await from this check to `self.sessions.add`: two tabs cannot both take the
        # last place
        if len(self.sessions) >= self.max_sessions:
            log.warning("refused a session: all %d in use", self.max_sessions)
            await self._say_and_wait(websocket, self._full_message())
            return websocket
        width, height = clamp_size(
            _whole(request.query.get("width"), 80), _whole(request.query.get("height"), 24)
        )
        folder = tempfile.mkdtemp(prefix="session-", dir=self.sessions_root)
        session = Session(
            self.argv,
            folder,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.sessions.add(session)
        try:
            try:
                await session.start(width, height)
            except OSError as error:  # the command itself could not run
                log.error("cannot start a session: %s", error)
                await self._say_and_wait(websocket, _FAILED_TO_START)
                return websocket
            log.info("session %s started in %s (%dx%d)", session.pid, folder, width, height)
            await self._run_session(websocket, session)
        except Exception as error:  # one line in the log, never a traceback with locals
            log.error("session failed: %s", error)
        finally:
            await session.stop()
            self.sessions.discard(session)
            log.info("session %s ended", session.pid)
        return websocket

    async def _run_session(self, websocket: web.WebSocketResponse, session: Session) -> None:
        """Relay until the socket closes or the app ends; an app that ends without ever
        drawing (a failed start) leaves its message on the page instead of a blank one."""
        relay = asyncio.create_task(self._process_messages(websocket, session))
        assert session._task is not None
        app_task = session._task
        await asyncio.wait({relay, app_task}, return_when=asyncio.FIRST_COMPLETED)
        if relay.done():
            return
        if not session.started.is_set():
            log.error("session %s ended before it drew anything", session.pid)
            await websocket.send_bytes(_terminal_text(_FAILED_TO_START))
            await relay  # keep the message on screen until the browser leaves
        else:
            await websocket.close()
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay

    async def _say_and_wait(self, websocket: web.WebSocketResponse, text: str) -> None:
        """Write a message in the page's terminal and keep it there until the browser goes
        (closing at once would cover it with textual-serve's "Session ended" dialog)."""
        await websocket.send_bytes(_terminal_text(text))
        async for _message in websocket:
            pass

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """textual-serve's relay with every field checked: malformed envelopes are ignored,
        sizes are clamped, nothing from the browser can raise."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except (ValueError, RecursionError):  # "[[[[..." nests past Python's stack
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind = envelope[0]
            data = envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(
                    *clamp_size(data.get("width"), data.get("height"))
                )
            elif kind == "ping" and isinstance(data, str | int | float):
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    # -- running -------------------------------------------------------------------------

    async def start(self, sockets: Sequence[socket.socket]) -> None:
        self.sessions_root = tempfile.mkdtemp(prefix="rnn-tui-serve-")
        self._runner = web.AppRunner(
            await self._make_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=STOP_GRACE_SECONDS,
        )
        await self._runner.setup()
        for sock in sockets:
            await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        sessions = list(self.sessions)
        await asyncio.gather(*(session.stop() for session in sessions), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.sessions_root:
            shutil.rmtree(self.sessions_root, ignore_errors=True)


def _whole(text: str | None, default: int) -> int:
    try:
        return int(text, 10) if text is not None and len(text) <= 12 else default
    except ValueError:
        return default


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("rnn-tui serve: %(message)s"))
    for name in ("rnn-tui.serve", "textual-serve"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)  # its tracebacks name the token


def serve(
    argv: Sequence[str],
    *,
    host: str,
    port: int,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    check_session: SessionCheck | None = None,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM; ServeError (one line) when the server cannot start."""
    sockets = bind(host, port)
    say = announce or (lambda line: print(line, file=sys.stderr, flush=True))
    server = GuardedServer(
        argv, host=host, port=port, max_sessions=max_sessions, check_session=check_session
    )
    _configure_logging()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        await server.start(sockets)
        warning = exposure_warning(host, sockets)
        if warning is not None:
            say(f"rnn-tui: warning: {warning}")
        shown = "127.0.0.1" if server.guard.any_host else host
        say(f"rnn-tui: serving on {page_url(shown, port, server.guard.token)}")
        say(
            f"rnn-tui: up to {max_sessions} sessions, each in its own folder under "
            f"{server.sessions_root} (removed when the server stops); ctrl+c stops"
        )
        try:
            await stop.wait()
        finally:
            say("rnn-tui: stopping")
            await server.stop()

    asyncio.run(run())
    return 0
