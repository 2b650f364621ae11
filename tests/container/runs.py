"""Running the built image: as a container, or (where no runtime starts) as its own filesystem.

`Container` runs it with the engine (`run -d`, port published on 127.0.0.1, the key directory
mounted read-only at /keys as the Dockerfile's comment shows). `Chroot` is the fallback for a
machine where no OCI runtime can start a container: the image's filesystem, mounted by the
engine, is run with `chroot --userspec` as the image's USER, with the image's ENV, WORKDIR,
CMD and HEALTHCHECK; it shares the host's network, so it listens on 127.0.0.1 only.

Both give the host pid of the emulator, the image's health check result, `stop` (SIGTERM, then
SIGKILL after 10 s, as `docker stop` does) and the log.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.container.image import Engine

STOP_GRACE = 10
KEYS_IN_CONTAINER = "/keys"
KEY_NAME = "signing.pem"
STATE_IN_CONTAINER = "/var/lib/ivs-emulator"
"""The state directory the Dockerfile makes for a volume (docs/persistence.md)."""
_names = itertools.count()


def container_name() -> str:
    return f"ivs-image-test-{os.getpid()}-{next(_names)}"


@dataclass(frozen=True)
class Stopped:
    exit_code: int
    seconds: float


def image_healthcheck(engine: Engine, image: str) -> list[str]:
    """The HEALTHCHECK's test as given to `docker inspect` (podman lists it at the top level)."""
    found = engine.inspect_image(image)
    config = found.get("Config")
    check = found.get("Healthcheck") or (
        config.get("Healthcheck") if isinstance(config, dict) else None
    )
    test = check.get("Test") if isinstance(check, dict) else None
    return [str(part) for part in test] if isinstance(test, list) else []


@dataclass
class Container:
    """The image run by the engine with the given runtime options."""

    engine: Engine
    image: str
    options: list[str]
    port: int
    keys: Path
    volume: str | None = None
    """A named volume mounted as the state directory (docs/persistence.md), if any."""
    name: str = field(default_factory=container_name)

    def start(self) -> None:
        state = (
            ["-v", f"{self.volume}:{STATE_IN_CONTAINER}", "-e",
             f"IVS_EMULATOR_STATE_DIR={STATE_IN_CONTAINER}"]
            if self.volume
            else []
        )  # fmt: skip
        started = self.engine(
            "run", "-d", "--name", self.name, *self.options,
            "-p", f"127.0.0.1:{self.port}:4599",
            "-v", f"{self.keys}:{KEYS_IN_CONTAINER}:ro",
            "-e", f"IVS_EMULATOR_SIGNING_KEY_FILE={KEYS_IN_CONTAINER}/{KEY_NAME}",
            *state,
            self.image,
        )  # fmt: skip
        if started.returncode != 0:
            raise AssertionError(f"{self.engine.name} run failed: {started.stderr.strip()}")

    def _inspect(self, template: str) -> str:
        return self.engine("inspect", "--format", template, self.name).stdout.strip()

    def running(self) -> bool:
        return self._inspect("{{.State.Running}}") == "true"

    def pid(self) -> int:
        return int(self._inspect("{{.State.Pid}}"))

    def healthcheck(self) -> tuple[bool, str]:
        """One run of the image's HEALTHCHECK (docker: the status its own schedule reached)."""
        if self.engine.name == "podman":
            done = self.engine("healthcheck", "run", self.name)
            return done.returncode == 0, (done.stdout + done.stderr).strip()
        status = self._inspect("{{if .State.Health}}{{.State.Health.Status}}{{end}}")
        return status == "healthy", status

    def stop(self) -> Stopped:
        started = time.monotonic()
        done = self.engine("stop", "-t", str(STOP_GRACE), self.name, timeout=STOP_GRACE + 30)
        seconds = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        return Stopped(int(self._inspect("{{.State.ExitCode}}")), seconds)

    def log(self) -> str:
        done = self.engine("logs", self.name)
        return done.stdout + done.stderr

    def remove(self) -> None:
        self.engine("rm", "-f", self.name)


def passwd_ids(rootfs: Path, user: str) -> tuple[int, int]:
    """uid and gid of the image's USER (a name or uid[:gid]), read from its /etc/passwd."""
    name, _, group = user.partition(":")
    if not name:
        return 0, 0
    for line in (rootfs / "etc/passwd").read_text("utf-8").splitlines():
        fields = line.split(":")
        if name in (fields[0], fields[2]):
            uid, gid = int(fields[2]), int(fields[3])
            break
    else:
        if not name.isdigit():
            raise AssertionError(f"USER {user} is not in the image's /etc/passwd")
        uid, gid = int(name), int(name)
    return uid, int(group) if group.isdigit() else gid


@dataclass
class Chroot:
    """The image's filesystem run with chroot, as its USER, where no runtime starts."""

    engine: Engine
    image: str
    port: int
    keys: Path
    name: str = field(default_factory=container_name)
    rootfs: Path | None = None
    process: subprocess.Popen[str] | None = None

    def _config(self) -> dict[str, Any]:
        config = self.engine.inspect_image(self.image).get("Config")
        assert isinstance(config, dict)
        return config

    def _environment(self) -> list[str]:
        env = [str(pair) for pair in self._config().get("Env") or []]
        return [
            *env,
            "IVS_EMULATOR_HOST=127.0.0.1",  # the host's network: loopback only
            f"IVS_EMULATOR_PORT={self.port}",
            f"IVS_EMULATOR_SIGNING_KEY_FILE={KEYS_IN_CONTAINER}/{KEY_NAME}",
        ]

    def _as_user(self, command: list[str]) -> list[str]:
        assert self.rootfs is not None
        config = self._config()
        uid, gid = passwd_ids(self.rootfs, str(config.get("User") or ""))
        workdir = str(config.get("WorkingDir") or "/")
        return [
            "chroot", f"--userspec={uid}:{gid}", str(self.rootfs),
            "env", "-i", f"--chdir={workdir}", *self._environment(), *command,
        ]  # fmt: skip

    def start(self) -> None:
        created = self.engine("create", "--name", self.name, self.image)
        assert created.returncode == 0, created.stderr
        mounted = self.engine("mount", self.name)
        assert mounted.returncode == 0, mounted.stderr
        self.rootfs = Path(mounted.stdout.strip())
        # The key directory "mounted": copied into the container's own writable layer.
        keys = self.rootfs / KEYS_IN_CONTAINER.lstrip("/")
        keys.mkdir(mode=0o755)
        shutil.copy2(self.keys / KEY_NAME, keys / KEY_NAME)
        command = [str(part) for part in self._config().get("Cmd") or []]
        self.process = subprocess.Popen(
            self._as_user(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def healthcheck(self) -> tuple[bool, str]:
        test = image_healthcheck(self.engine, self.image)
        command = test[1:] if test[:1] == ["CMD"] else ["/bin/sh", "-c", " ".join(test[1:])]
        done = subprocess.run(
            self._as_user(command), capture_output=True, text=True, timeout=30, check=False
        )
        return done.returncode == 0, (done.stdout + done.stderr).strip()

    def stop(self) -> Stopped:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return Stopped(self.process.returncode, time.monotonic() - started)

    def log(self) -> str:
        if self.process is None or self.process.poll() is None or self.process.stdout is None:
            return "(still running)"
        return self.process.stdout.read()

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.engine("umount", self.name)
        self.engine("rm", "-f", self.name)


Run = Container | Chroot
