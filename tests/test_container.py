"""The container image, checked without a Docker engine: the Dockerfile is read, and its CMD
and HEALTHCHECK run on this machine with the ENV it sets.

Two things are adapted: the CMD's console script is the one in this virtualenv (the image
installs the same package with `pip install .`), and IVS_EMULATOR_PORT is a free port rather
than 4599 (the HEALTHCHECK reads the same variable, so its command runs unchanged). The signing
key file is given as a user would mount it. The compose file and the GitHub Actions example
are checked as far as can be without Docker or GitHub: they parse, and their shell steps do.
The image itself is built and run by tests/container/test_image.py (`make image-test`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml  # PyYAML, installed with the AWS CLI (dev dependency)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.config import SETTINGS
from emulator.tokens import TokenSigner

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
START_TIMEOUT = 8.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def read_dockerfile(path: Path) -> list[Instruction]:
    """Instructions with their continuation lines joined; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in path.read_text("utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


@dataclass(frozen=True)
class Image:
    """What the Dockerfile declares about the running container."""

    base: str  # FROM, with the build arguments' defaults
    base_written: str  # FROM as written
    env: dict[str, str]
    user: str
    exposed: list[str]
    copied: list[str]
    command: list[str]
    healthcheck_options: list[str]
    healthcheck: list[str]


def exec_form(text: str) -> list[str]:
    command = json.loads(text)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), text
    return command


def parse_image(path: Path) -> Image:
    instructions = read_dockerfile(path)
    env: dict[str, str] = {}
    build_args: dict[str, str] = {}
    bases: list[str] = []
    users: list[str] = []
    exposed: list[str] = []
    copied: list[str] = []
    commands: list[tuple[str, list[str]]] = []
    checks: list[tuple[list[str], list[str]]] = []
    for ins in instructions:
        if ins.keyword == "ARG":
            name, _, default = ins.arguments.partition("=")
            build_args[name] = default
        elif ins.keyword == "FROM":
            bases.append(ins.arguments)
        elif ins.keyword == "ENV":
            for pair in shlex.split(ins.arguments):
                name, sep, value = pair.partition("=")
                assert sep, f"ENV without '=': {ins.arguments}"
                env[name] = value
        elif ins.keyword == "USER":
            users.append(ins.arguments)
        elif ins.keyword == "EXPOSE":
            exposed.extend(ins.arguments.split())
        elif ins.keyword == "COPY":
            copied.extend(part for part in ins.arguments.split()[:-1] if not part.startswith("--"))
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            commands.append((ins.keyword, exec_form(ins.arguments)))
        elif ins.keyword == "HEALTHCHECK":
            options, sep, command = ins.arguments.partition(" CMD ")
            assert sep, f"HEALTHCHECK without CMD: {ins.arguments}"
            checks.append((options.split(), exec_form(command)))
    assert len(bases) == 1 and len(users) >= 1 and len(checks) == 1
    assert [keyword for keyword, _ in commands] == ["CMD"], "one CMD, no ENTRYPOINT"
    base = bases[0]
    for name, default in build_args.items():
        base = base.replace("${" + name + "}", default)
    return Image(
        base=base,
        base_written=bases[0],
        env=env,
        user=users[-1],
        exposed=exposed,
        copied=copied,
        command=commands[0][1],
        healthcheck_options=checks[0][0],
        healthcheck=checks[0][1],
    )


IMAGE = parse_image(DOCKERFILE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def on_this_machine(command: list[str]) -> list[str]:
    """The image's command as this machine runs it: python and the console script of the venv."""
    venv_bin = Path(sys.executable).parent
    program = Path(sys.executable) if command[0] == "python" else venv_bin / command[0]
    assert program.exists(), f"{program} is missing: install the project (make install)"
    return [str(program), *command[1:]]


@pytest.fixture
def container_env(tmp_path: Path) -> dict[str, str]:
    """The container's environment: the Dockerfile's ENV, a free port, a mounted signing key."""
    key = ec.generate_private_key(ec.SECP384R1())
    pem = tmp_path / "keys" / "signing.pem"
    pem.parent.mkdir()
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVS_EMULATOR_")}
    env.update(IMAGE.env)
    env["IVS_EMULATOR_PORT"] = str(free_port())
    env["IVS_EMULATOR_SIGNING_KEY_FILE"] = str(pem)
    return env


def health_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        on_this_machine(IMAGE.healthcheck),
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


@pytest.fixture
def container(container_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The image's CMD, started as Docker would start it (but as this user, on the host)."""
    process = subprocess.Popen(
        on_this_machine(IMAGE.command),
        env=container_env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so nothing of it can outlive the test
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def test_the_image_is_slim_python_running_as_a_non_root_user_on_port_4599() -> None:
    assert IMAGE.base == "python:3.11-slim"
    # The base is a build argument, so a machine without a registry can give a local one.
    assert IMAGE.base_written == "${BASE}"
    assert IMAGE.user not in ("root", "0", "0:0") and not IMAGE.user.startswith(("root:", "0:"))
    assert IMAGE.exposed == ["4599"]
    assert IMAGE.env["IVS_EMULATOR_HOST"] == "0.0.0.0"
    assert IMAGE.env["IVS_EMULATOR_PORT"] == "4599"
    assert IMAGE.command == ["ivs-realtime-emulator"]
    assert IMAGE.healthcheck[:2] == ["python", "-c"]
    assert "/_emulator/health" in IMAGE.healthcheck[2]
    assert all(option.startswith("--") for option in IMAGE.healthcheck_options)
    # Only known settings: a misspelt variable would be ignored without a word.
    known = {setting.env for setting in SETTINGS}
    assert {name for name in IMAGE.env if name.startswith("IVS_EMULATOR_")} <= known


def test_the_health_check_fails_until_the_emulator_listens_and_passes_once_it_does(
    container_env: dict[str, str], container: subprocess.Popen[str]
) -> None:
    # Nothing listens yet on the free port (the CMD's worker is still starting, at best).
    nobody = dict(container_env, IVS_EMULATOR_PORT=str(free_port()))
    assert health_check(nobody).returncode != 0

    deadline = time.monotonic() + START_TIMEOUT
    while (check := health_check(container_env)).returncode != 0:
        assert container.poll() is None, container.communicate()[1]
        assert time.monotonic() < deadline, f"never healthy: {check.stderr}"
        time.sleep(0.05)

    # It serves on every interface, with the key from the mounted file.
    url = f"http://127.0.0.1:{container_env['IVS_EMULATOR_PORT']}"
    with urllib.request.urlopen(url + "/_emulator/jwks.json", timeout=2) as response:
        jwks = json.load(response)
    signer = TokenSigner.from_pem_file(container_env["IVS_EMULATOR_SIGNING_KEY_FILE"])
    assert [key["kid"] for key in jwks["keys"]] == [signer.kid]

    # `docker stop` sends SIGTERM: exit code 0, and the health check fails again.
    container.send_signal(signal.SIGTERM)
    _, stderr = container.communicate(timeout=STOP_TIMEOUT)
    assert container.returncode == 0, stderr
    port = container_env["IVS_EMULATOR_PORT"]
    assert f"ivs-realtime-emulator listening on http://0.0.0.0:{port}" in stderr
    assert health_check(container_env).returncode != 0


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last match wins)."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            ignored = not negated
    return ignored


def test_dockerignore_sends_what_the_build_copies_and_keeps_the_rest_out() -> None:
    lines = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert IMAGE.copied, "the Dockerfile copies nothing"
    for source in IMAGE.copied:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source, patterns), source
    for kept_out in (".venv", ".git", "tests", "tests/js/node_modules", "bench", "examples"):
        assert dockerignored(kept_out, patterns), kept_out
    assert dockerignored("emulator/__pycache__", patterns)


def test_the_compose_example_builds_this_image_and_publishes_4599() -> None:
    path = ROOT / "examples" / "docker-compose.yml"
    service = yaml.safe_load(path.read_text("utf-8"))["services"]["ivs-realtime"]
    assert (path.parent / service["build"]["context"] / "Dockerfile").resolve() == DOCKERFILE
    assert [port.rsplit(":", 2)[-2:] for port in service["ports"]] == [["4599", "4599"]]


def test_the_actions_example_waits_on_health_and_its_steps_are_valid_shell() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text("utf-8"))
    jobs = workflow["jobs"]
    assert {"container", "console-script", "pytest-plugin"} <= set(jobs)
    scripts = {
        name: "\n".join(step["run"] for step in job["steps"] if "run" in step)
        for name, job in jobs.items()
    }
    assert "docker build" in scripts["container"]
    assert "ivs-realtime-emulator" in scripts["console-script"]
    for name in ("container", "console-script"):
        assert "/_emulator/health" in scripts[name], name
    for step in (step for job in jobs.values() for step in job["steps"] if "run" in step):
        checked = subprocess.run(
            ["bash", "-n"], input=step["run"], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, f"{step['name']}: {checked.stderr}"


def test_the_localstack_example_builds_the_events_extra_and_sends_to_localstack() -> None:
    path = ROOT / "examples" / "docker-compose.localstack.yml"
    services = yaml.safe_load(path.read_text("utf-8"))["services"]
    emulator = services["ivs-realtime"]
    assert (path.parent / emulator["build"]["context"] / "Dockerfile").resolve() == DOCKERFILE
    assert emulator["build"]["args"] == {"EXTRAS": "events"}
    assert "ARG EXTRAS" in DOCKERFILE.read_text("utf-8")
    assert emulator["environment"]["IVS_EMULATOR_EVENTBRIDGE_ENDPOINT"] == "http://localstack:4566"
    assert emulator["depends_on"]["localstack"]["condition"] == "service_healthy"
