"""The container image, built from the Dockerfile and run for real (`make image-test`).

The image is built with docker or podman (tests/container/image.py picks the engine, and a
local Debian base where no image registry is reachable), then run with the runtime options that
start a container here (tests/container/runs.py), its port published on 127.0.0.1 and a signing
key mounted as the Dockerfile's comment shows. Where no runtime can start a container, the
image's own filesystem is run with chroot as its USER instead.

They run under `make image-test` (which .ci/run calls), which sets IVS_IMAGE_TEST_REQUIRED=1:
there a missing engine fails them. Elsewhere (`make test`) they are skipped with that reason, so
the suite stays fast; an image build is a slow check with its own target.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.testing import boto3_client
from emulator.tokens import TokenSigner
from tests.container.image import ROOT, Built, Engine, build, find_engine, runtime_options
from tests.container.runs import (
    KEY_NAME,
    STOP_GRACE,
    Chroot,
    Container,
    Run,
    image_healthcheck,
)

pytestmark = pytest.mark.image

USER_UID = 10001  # the Dockerfile's `useradd --uid`
SERVE_TIMEOUT = 30.0
HEALTHY_TIMEOUT = 30.0
# One tag per checkout, so test runs in several worktrees do not replace each other's image.
TAG = "ivs-realtime-emulator:test-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]


@pytest.fixture(scope="module")
def engine() -> Engine:
    if os.environ.get("IVS_IMAGE_TEST_REQUIRED") != "1":
        pytest.skip("the container image is built and run by `make image-test`")
    found = find_engine()
    if found is None:
        reason = (
            "no container engine works here (neither `docker info` nor `podman info`): "
            "apt-get install podman debootstrap runc, then `make image-test`"
        )
        if os.environ.get("IVS_IMAGE_TEST_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def built(engine: Engine) -> Built:
    made = build(engine, TAG)
    print(
        f"\nbuilt {made.tag} from {made.base} in {made.seconds:.1f} s, {made.size_bytes / 1e6:.0f} MB"
    )
    return made


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a P-384 private key readable by uid 10001, as a user would mount."""
    directory = tmp_path_factory.mktemp("keys")
    directory.chmod(0o755)
    key = ec.generate_private_key(ec.SECP384R1())
    pem = directory / KEY_NAME
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem.chmod(0o644)
    return directory


@pytest.fixture(scope="module")
def launch(engine: Engine, built: Built, keys: Path) -> Iterator[Callable[..., Run]]:
    """Start the image, serving on a free 127.0.0.1 port; every run is removed afterwards."""
    forced = os.environ.get("IVS_IMAGE_TEST_RUNTIME")  # "chroot" tries the fallback here
    options = None if forced == "chroot" else runtime_options(engine, built.tag)
    if options is None:
        assert os.geteuid() == 0, "no runtime starts a container, and chroot needs root"
    print(
        f"\nrunning it with {engine.name} run {' '.join(options or [])}"
        if options is not None
        else "\nno runtime starts a container here: running the image's filesystem with chroot"
    )
    runs: list[Run] = []

    def start(volume: str | None = None) -> Run:
        port = free_port()
        if volume is not None and options is None:
            pytest.skip("a state volume needs a container runtime (the chroot fallback has none)")
        run: Run = (
            Container(engine, built.tag, options, port, keys, volume)
            if options is not None
            else Chroot(engine, built.tag, port, keys)
        )
        runs.append(run)
        run.start()
        wait_serving(run, port)
        return run

    yield start
    for run in runs:
        run.remove()


def url_of(run: Run) -> str:
    return f"http://127.0.0.1:{run.port}"


def wait_serving(run: Run, port: int) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if not run.running():
            pytest.fail(f"the emulator exited before serving:\n{run.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not serving after {SERVE_TIMEOUT} s:\n{run.log()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def first(launch: Callable[..., Run]) -> Run:
    return launch()


@pytest.fixture(scope="module")
def first_token(first: Run) -> dict[str, Any]:
    ivs = boto3_client(url_of(first))
    stage = ivs.create_stage(name="image-test")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"], userId="alice")
    return {"stageArn": stage["arn"], **token["participantToken"]}


def verified(url: str, token: str) -> dict[str, Any]:
    """The token's claims, verified with the key the JWKS at `url` publishes for its kid."""
    key = jwt.PyJWKClient(url + "/_emulator/jwks.json").get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key.key, algorithms=["ES384"]))


def ids(pid: int) -> list[int]:
    """Real, effective, saved and filesystem uid of a process, as its user namespace sees them."""
    status = Path(f"/proc/{pid}/status").read_text()
    host = [
        int(n)
        for n in next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    ]
    mapping = [
        [int(n) for n in line.split()]
        for line in Path(f"/proc/{pid}/uid_map").read_text().splitlines()
    ]
    inside: list[int] = []
    for uid in host:
        inside.extend(
            start + uid - outside
            for start, outside, count in mapping
            if outside <= uid < outside + count
        )
    return inside


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    tree = [pid]
    for member in tree:
        children = Path(f"/proc/{member}/task/{member}/children")
        if children.exists():
            tree.extend(int(child) for child in children.read_text().split())
    return tree


def test_the_built_image_keeps_the_healthcheck_the_user_and_the_port(
    engine: Engine, built: Built
) -> None:
    # podman keeps HEALTHCHECK only in the docker format (--format docker).
    check = image_healthcheck(engine, built.tag)
    assert check[:3] == ["CMD", "python", "-c"] and "/_emulator/health" in check[3]
    config = engine.inspect_image(built.tag)["Config"]
    assert isinstance(config, dict)
    assert config.get("User") == "emulator"
    assert "4599/tcp" in config["ExposedPorts"]
    assert config["Cmd"] == ["ivs-realtime-emulator"]


def test_its_healthcheck_passes_once_the_emulator_serves(first: Run) -> None:
    deadline = time.monotonic() + HEALTHY_TIMEOUT
    while not (result := first.healthcheck())[0]:
        assert first.running(), first.log()
        assert time.monotonic() < deadline, f"never healthy: {result[1]}\n{first.log()}"
        time.sleep(0.5)


def test_the_emulator_runs_as_uid_10001_never_root(first: Run) -> None:
    tree = process_tree(first.pid())
    assert {pid: ids(pid) for pid in tree} == {pid: [USER_UID] * 4 for pid in tree}


def test_a_stage_and_token_made_through_the_published_port_verify_with_its_jwks(
    first: Run, first_token: dict[str, Any]
) -> None:
    claims = verified(url_of(first), first_token["token"])
    assert claims["resource"] == first_token["stageArn"]
    assert claims["jti"] == first_token["participantId"]
    assert claims["user_id"] == "alice"


def test_tokens_are_signed_with_the_mounted_key_so_a_second_run_verifies_the_first_runs(
    first_token: dict[str, Any], launch: Callable[..., Run], keys: Path
) -> None:
    second = launch()
    assert verified(url_of(second), first_token["token"])["jti"] == first_token["participantId"]
    kid = jwt.get_unverified_header(first_token["token"])["kid"]
    assert kid == TokenSigner.from_pem_file(keys / KEY_NAME).kid


def test_stop_sends_sigterm_and_the_emulator_exits_0_within_10_seconds(
    launch: Callable[..., Run],
) -> None:
    run = launch()
    stopped = run.stop()
    assert stopped.exit_code == 0, run.log()
    assert stopped.seconds < STOP_GRACE
    assert not run.running()


@pytest.fixture(scope="module")
def state_volume(engine: Engine) -> Iterator[str]:
    name = f"ivs-image-test-state-{os.getpid()}"
    created = engine("volume", "create", name)
    assert created.returncode == 0, created.stderr
    yield name
    engine("volume", "rm", "-f", name)


def test_a_state_volume_keeps_stages_across_containers(
    launch: Callable[..., Run], state_volume: str
) -> None:
    before = launch(state_volume)
    stage = boto3_client(url_of(before)).create_stage(name="kept")["stage"]["arn"]
    assert before.stop().exit_code == 0
    after = launch(state_volume)
    assert boto3_client(url_of(after)).get_stage(arn=stage)["stage"]["name"] == "kept"
