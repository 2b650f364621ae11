"""Headless Chromium for the web SDK harness: the scratch folder, the page server, the driver.

The SDK (`amazon-ivs-web-broadcast`, licensed as AWS Content) and `puppeteer-core` are
installed from npm at test time into a scratch folder outside the repository
(`make test-web-sdk`; `IVS_WEB_SDK_DIR`), never committed or changed. The page
(tests/web_sdk/page/) and the SDK's file are served by a small HTTP server on 127.0.0.1; the
browser is Debian's Chromium with a fake camera and microphone, driven by driver.mjs.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAGE_DIR = HERE / "page"
DRIVER = HERE / "driver.mjs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SDK_PACKAGE = "amazon-ivs-web-broadcast"
DRIVER_PACKAGE = "puppeteer-core"
API_PACKAGE = "@aws-sdk/client-ivs-realtime"
"""For the example (examples/web-sdk/), which mints its tokens as a backend does."""
EXAMPLE_DIR = HERE.parent.parent / "examples" / "web-sdk"


def scratch_dir() -> Path:
    """Where `make test-web-sdk` installs the SDK and puppeteer-core (outside the repository)."""
    configured = os.environ.get("IVS_WEB_SDK_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ivs-realtime-emulator" / "web-sdk"


def loopback_only() -> bool:
    """True inside a network namespace whose only interface is loopback."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def missing() -> str | None:
    """Why the harness cannot run here, in one line, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "the web SDK harness needs Node.js and npm (apt-get install npm); make test-web-sdk"
    if shutil.which(CHROMIUM) is None:
        return f"the web SDK harness needs Chromium at {CHROMIUM} (apt-get install chromium)"
    if not loopback_only():
        return (
            "the web SDK harness runs only in a network namespace whose only interface is "
            "loopback: make test-web-sdk (unshare --net as root)"
        )
    modules = scratch_dir() / "node_modules"
    if not all(
        (modules / name / "package.json").is_file() for name in (SDK_PACKAGE, DRIVER_PACKAGE)
    ):
        return f"{SDK_PACKAGE} and {DRIVER_PACKAGE} are not installed in {scratch_dir()}: make test-web-sdk"
    return None


def sdk_version() -> str:
    manifest = scratch_dir() / "node_modules" / SDK_PACKAGE / "package.json"
    return str(json.loads(manifest.read_text())["version"])


def chromium_args(user_data_dir: Path) -> list[str]:
    """Headless, a fake camera and microphone, loopback ICE allowed, every host name kept off
    the network (IP literals such as 127.0.0.1 are not resolved, so they stay reachable)."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data_dir}",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]


class _Handler(SimpleHTTPRequestHandler):
    """The page's files at /, the SDK's one file at /sdk/ (from the scratch folder)."""

    sdk_dir: Path = Path()

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path.startswith("/sdk/"):
            return str(self.sdk_dir / Path(path[len("/sdk/") :]).name)
        return str(PAGE_DIR / (Path(path).name or "index.html"))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class PageServer:
    """The harness's page on http://127.0.0.1:PORT/ (another origin than the data plane's)."""

    def __init__(self) -> None:
        handler = type(
            "Handler",
            (_Handler,),
            {"sdk_dir": scratch_dir() / "node_modules" / SDK_PACKAGE / "dist"},
        )
        self._server = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(handler, directory=str(PAGE_DIR))
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class DriverError(AssertionError):
    """What the browser or the page threw."""


class Driver:
    """driver.mjs: headless Chromium pages, each with the harness's page loaded."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self._process = subprocess.Popen(
            ["node", str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "IVS_WEB_SDK_DIR": str(scratch_dir())},
        )
        self._answers: queue.Queue[str] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._answers.put(line)

    def request(self, op: str, timeout: float = 60.0, **fields: Any) -> Any:
        self._next += 1
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"id": self._next, "op": op, **fields}) + "\n")
        self._process.stdin.flush()
        try:
            answer = json.loads(self._answers.get(timeout=timeout))
        except queue.Empty:
            raise DriverError(f"the browser did not answer {op} within {timeout} s") from None
        if not answer["ok"]:
            raise DriverError(f"{op} {fields.get('fn', '')}: {answer['error']}")
        return answer["value"]

    def launch(self, user_data_dir: Path) -> str:
        return str(self.request("launch", chromium=CHROMIUM, args=chromium_args(user_data_dir)))

    def open(self, page: str, url: str) -> Page:
        self.request("open", page=page, url=url)
        return Page(self, page)

    def close(self) -> None:
        with contextlib.suppress(DriverError, OSError, ValueError):
            self.request("close", timeout=20)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class Page:
    """One page of the driver: `call` runs window.harness's functions there."""

    def __init__(self, driver: Driver, name: str) -> None:
        self.driver = driver
        self.name = name

    def call(self, fn: str, *args: Any, timeout: float = 60.0) -> Any:
        return self.driver.request("call", timeout=timeout, page=self.name, fn=fn, args=list(args))

    def seen(self) -> dict[str, Any]:
        return dict(self.call("seen"))

    def wait_for(
        self, what: str, check: Callable[[dict[str, Any]], Any], timeout: float = 30.0
    ) -> Any:
        """Poll the page's record until `check` gives something true; that is returned."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.seen()
            found = check(seen)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never saw {what} in {timeout} s: {seen}")
            time.sleep(0.2)

    def close(self) -> None:
        self.driver.request("closePage", page=self.name)
