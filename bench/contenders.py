"""The contenders of `python -m bench`: starting them, and what one measurement of each does.

Servers run as processes of their own (bench/procs.py starts and stops them); the PyJWT
ceiling is a long-lived worker process; boto3 clients run in the harness process. Each
measurement returns a dict whose `value` is its headline figure (seconds for a launch,
calls, requests or signatures per second otherwise).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .flask_ceiling import MARKER
from .load import LoadGenerator, Post
from .procs import (
    HOST,
    ROOT,
    console_script,
    create_stage,
    free_port,
    memory,
    request,
    start,
    stop,
    wait_ready,
)
from .settings import Settings


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


# -- the contenders --------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def start_server(name: str, command: Callable[[int], list[str]]) -> Server:
    port = free_port()
    server = Server(name, start(command(port)), port)
    try:
        wait_ready(server.process, port)
    except RuntimeError:
        stop(server.process)
        raise
    return server


def emulator_command(port: int) -> list[str]:
    return [*console_script(), "--port", str(port)]


def moto_command(port: int) -> list[str]:
    return [str(Path(sys.executable).parent / "moto_server"), "-H", HOST, "-p", str(port)]


def moto_available() -> bool:
    return (Path(sys.executable).parent / "moto_server").exists()


def python_module(module: str) -> Callable[[int], list[str]]:
    return lambda port: [sys.executable, "-m", module, "--port", str(port)]


def answered_by_ceiling(port: int) -> bool:
    """Whether POST /GetStage on `port` comes from the trivial Flask app (its marker header)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("POST", "/GetStage", body=b"{}")
        response = connection.getresponse()
        response.read()
        return response.getheader(MARKER) == "flask"
    finally:
        connection.close()


class JwtWorker:
    """The PyJWT ceiling's long-lived process: one line in (seconds), one JSON line out."""

    def __init__(self, threads: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.jwt_ceiling", "--threads", str(threads)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the PyJWT worker exited ({self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, seconds: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{seconds}\n")
        self.process.stdin.flush()
        answer = self._read()
        return answer | {"value": answer["signatures"] / answer["seconds"]}

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- what one measurement does ---------------------------------------------------------------


def boto3_ivs_realtime(url: str) -> Any:
    from emulator.testing import boto3_client

    return boto3_client(url, retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30)


def boto3_ivs(url: str) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "ivs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30),
    )


def _until_served(
    process: subprocess.Popen[bytes], attempt: Callable[[], Any], timeout: float = 60.0
) -> Any:
    """Call `attempt` until it succeeds; connection errors mean "not listening yet"."""
    from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            return attempt()
        except (EndpointConnectionError, ConnectionClosedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def launch(
    command: Callable[[int], list[str]],
    client: Callable[[str], Any],
    first_call: Callable[[Any], Any],
    settle: float,
) -> dict[str, Any]:
    """Start a server, time launch → first successful call, then read its idle memory."""
    port = free_port()
    api = client(f"http://{HOST}:{port}")  # built before the clock starts
    began = time.perf_counter()
    process = start(command(port))
    try:
        _until_served(process, lambda: first_call(api))
        seconds = time.perf_counter() - began
        time.sleep(settle)
        used = memory(process.pid)
    finally:
        stopped = stop(process)
    return {
        "value": seconds,
        "seconds": seconds,
        "rss_kib": used.rss_kib,
        "pss_kib": used.pss_kib,
        "processes": used.processes,
        "stop_seconds": stopped,
        "exit_code": process.returncode,
    }


def emulator_first_token(api: Any) -> None:
    stage_arn = api.create_stage(name="bench")["stage"]["arn"]
    api.create_participant_token(stageArn=stage_arn)


def moto_first_call(api: Any) -> None:
    api.create_channel(name="bench")


def sequential(call: Callable[[], Any], seconds: float) -> dict[str, Any]:
    """One boto3 call after another for `seconds`."""
    calls = 0
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        call()
        calls += 1
    elapsed = time.perf_counter() - began
    return {"calls": calls, "seconds": elapsed, "value": calls / elapsed}


def loaded(generator: LoadGenerator, port: int, post: Post, seconds: float) -> dict[str, Any]:
    result = generator.run(port, post, seconds)
    return asdict(result) | {"value": result.rate}


# -- the pairs ---------------------------------------------------------------------------------

Side = Callable[[float], dict[str, Any]]  # seconds -> one measurement


@dataclass
class Pair:
    key: str  # bench/report.py's PAIRS names them
    emulator: Side
    reference: Side | None  # None: not available in this run (`error` says why)
    reference_name: str
    error: str | None = None


@dataclass
class Contenders:
    pairs: list[Pair]
    fresh_state: Callable[[], None]  # the emulator back to one new stage, as at the start


@contextlib.contextmanager
def contenders(settings: Settings, generator: LoadGenerator) -> Iterator[Contenders]:
    """Start the long-running contenders and say how each pair is measured; stop them after."""
    servers: list[Server] = []
    jwt_worker: JwtWorker | None = None
    errors: dict[str, str] = {}

    def try_start(name: str, module: str) -> Server | None:
        try:
            server = start_server(name, python_module(module))
        except RuntimeError as exc:
            errors[name] = str(exc)
            return None
        servers.append(server)
        return server

    try:
        emulator = start_server("emulator", emulator_command)
        servers.append(emulator)
        stage = {"arn": create_stage(emulator.port)}
        api = boto3_ivs_realtime(emulator.url)
        canned = try_start("canned", "bench.canned")
        canned_api = boto3_ivs_realtime(canned.url) if canned else None
        ceiling = try_start("flask", "bench.flask_ceiling")
        if ceiling and not answered_by_ceiling(ceiling.port):
            errors["flask"] = (
                "the console script did not serve the trivial app (does it still serve "
                "through Granian's serve()? see bench/flask_ceiling.py)"
            )
            ceiling = None
        try:
            jwt_worker = JwtWorker(settings.jwt_threads)
        except (RuntimeError, OSError) as exc:
            errors["jwt"] = str(exc)
        if not moto_available():
            errors["moto"] = "moto_server not installed: pip install -e '.[bench]'"

        def token() -> Post:
            return Post.json("/CreateParticipantToken", {"stageArn": stage["arn"]})

        def get() -> Post:
            return Post.json("/GetStage", {"arn": stage["arn"]})

        def seq_token(client: Any) -> Side:
            return lambda s: sequential(
                lambda: client.create_participant_token(stageArn=stage["arn"]), s
            )

        def seq_get(client: Any) -> Side:
            return lambda s: sequential(lambda: client.get_stage(arn=stage["arn"]), s)

        def on(server: Server, post: Callable[[], Post]) -> Side:
            return lambda s: loaded(generator, server.port, post(), s)

        def launch_emulator(seconds: float) -> dict[str, Any]:
            return launch(emulator_command, boto3_ivs_realtime, emulator_first_token, settle)

        def launch_moto(seconds: float) -> dict[str, Any]:
            return launch(moto_command, boto3_ivs, moto_first_call, settle)

        settle = settings.settle
        pairs = [
            Pair("launch", launch_emulator, None if "moto" in errors else launch_moto,
                 f"moto_server {version('moto')} (first `ivs` CreateChannel)", errors.get("moto")),
            Pair("seq_cpt", seq_token(api), seq_token(canned_api) if canned_api else None,
                 "canned-response server", errors.get("canned")),
            Pair("seq_get", seq_get(api), seq_get(canned_api) if canned_api else None,
                 "canned-response server", errors.get("canned")),
            Pair("c16_cpt", on(emulator, token), jwt_worker.run if jwt_worker else None,
                 f"PyJWT ES384 signing, {settings.jwt_threads} threads (signatures/s)",
                 errors.get("jwt")),
            Pair("c16_get", on(emulator, get), on(ceiling, get) if ceiling else None,
                 "trivial Flask app, same server settings", errors.get("flask")),
        ]  # fmt: skip

        def fresh_state() -> None:
            status, _ = request(emulator.port, "POST", "/_emulator/reset")
            if status != 200:
                raise RuntimeError(f"POST /_emulator/reset answered {status}")
            stage["arn"] = create_stage(emulator.port)

        yield Contenders(pairs, fresh_state)
    finally:
        if jwt_worker is not None:
            jwt_worker.close()
        for server in servers:
            stop(server.process)
