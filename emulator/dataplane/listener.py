"""The data plane's listener: an aiohttp application on an event loop of its own thread.

`DataPlane(config)` binds its port at once (so the URLs that stages and tokens name are known
before the control plane serves), `start(backend)` serves on it from a daemon thread that runs
its own asyncio loop, `stop()` ends every member and peer connection and the thread. Requests
are served on that one loop: the service functions it calls take the region locks briefly,
as the control plane's threads do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import socket
import threading
from typing import Any

from aiohttp import web

from ..config import Config
from ..service.context import Backend
from .ice import EVERY_INTERFACE
from .media import CONNECT_TIMEOUT_SECONDS
from .rooms import Rooms
from .signalling import Events
from .urls import WILDCARD_HOSTS, DataPlaneUrls, public_host
from .whip import Whip, cors

log = logging.getLogger("emulator.dataplane")

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0


def ice_addresses(listen_host: str) -> list[str]:
    """Where peer connections gather ICE candidates: the listening address when it is one
    (127.0.0.1 by default, which aioice alone would leave out); for 0.0.0.0 or ::, every
    interface address as aioice finds them, and 127.0.0.1 besides (ice.py)."""
    if listen_host in WILDCARD_HOSTS:
        return [EVERY_INTERFACE, "127.0.0.1"]
    try:
        return [str(ipaddress.ip_address(listen_host.strip("[]")))]
    except ValueError:
        infos = socket.getaddrinfo(listen_host, None, proto=socket.IPPROTO_UDP)
        return sorted({str(info[4][0]) for info in infos})


class DataPlane:
    """One running data plane (see the module docstring)."""

    def __init__(self, config: Config, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
        self._connect_timeout = connect_timeout
        self._whip: Whip | None = None
        self._socket = _bind(config.host, config.data_plane_listen_port)
        port = int(self._socket.getsockname()[1])
        self.urls = DataPlaneUrls(public_host(config.host, config.public_host), port)
        self.ice_addresses = ice_addresses(config.host)
        self.rooms: Rooms | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def connect_timeout(self) -> float:
        """Seconds a new peer connection has to connect (tests shorten it)."""
        return self._connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, seconds: float) -> None:
        self._connect_timeout = seconds
        if self._whip is not None:
            self._whip.connect_timeout = seconds

    @property
    def url(self) -> str:
        """The data plane's root URL: the global WHIP entry."""
        return self.urls.root

    def start(self, backend: Backend) -> DataPlane:
        """Serve on the bound port from a thread of its own; returns once it serves."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(backend, ready), name="ivs-data-plane", daemon=True
        )
        self._thread.start()
        ready.result(timeout=START_TIMEOUT_SECONDS)
        return self

    def stop(self) -> None:
        """End every member and peer connection, stop serving and end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            self._socket.close()
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=STOP_TIMEOUT_SECONDS)
        except (concurrent.futures.TimeoutError, RuntimeError):
            log.warning("the data plane did not stop cleanly within %s s", STOP_TIMEOUT_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_TIMEOUT_SECONDS)

    def reset(self) -> None:
        """Registered with the emulator's reset: every member ends (STAGE_DELETED)."""
        loop, rooms = self._loop, self.rooms
        if loop is None or rooms is None or loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(rooms.reset(), loop).result(timeout=STOP_TIMEOUT_SECONDS)

    def report(self) -> dict[str, Any]:
        """The data plane's members and peer connections now, for /_emulator/state."""
        loop, rooms = self._loop, self.rooms
        if loop is None or rooms is None or loop.is_closed():
            return {"url": self.url, "members": [], "peerConnections": []}
        report = asyncio.run_coroutine_threadsafe(rooms.report(), loop).result(timeout=5)
        return {"url": self.url, **report}

    def run_soon(self, coroutine: Any) -> concurrent.futures.Future[Any]:
        """Run a coroutine on the data plane's loop (for tests and tools)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    # -- on the data plane's thread ------------------------------------------------------------

    def _run(self, backend: Backend, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(backend))
        except BaseException as error:  # reported to start(), which raises it
            ready.set_exception(error)
            loop.close()
            return
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            _finish_tasks(loop)
            loop.close()

    async def _serve(self, backend: Backend) -> None:
        rooms = self.rooms = Rooms(backend)
        rooms.start()
        whip = self._whip = Whip(rooms, self.urls, self.ice_addresses, self._connect_timeout)
        app = web.Application(middlewares=[cors], client_max_size=1024 * 1024)
        app.add_routes(whip.routes() + Events(rooms).routes())
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def _shutdown(self) -> None:
        if self.rooms is not None:
            await self.rooms.stop()
        if self._runner is not None:
            await self._runner.cleanup()


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still running on the loop (relay readers, timers) and let it finish,
    so that nothing is left pending when the loop closes."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0: a free port), or OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
